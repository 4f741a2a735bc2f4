SELECT * FROM {{ params.table }} WHERE day = '{{ ds }}' LIMIT {{ params.limit }};
