"""The `*_pattern` and `*_prefix_pattern` filters of Airflow's list endpoints, as SQL conditions.

- `*_pattern`: a case-insensitive substring match (`ILIKE '%term%'`), where `%` and `_` in the
  term are wildcards as in SQL.
- `*_prefix_pattern`: a case-sensitive "starts with" match written as a range, so an index can
  serve it; `%` and `_` are plain characters and trailing non-alphanumeric characters of the
  term are dropped (`s3://` matches values starting with `s3`), as Airflow does.

In both, `|` separates alternatives (any may match) and `~` matches everything. A missing or
empty pattern filters nothing (`contains` and `starts_with` return None). `matches` applies the
same rules to values read into Python (DAG tags, kept in a JSON list).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import and_, or_
from sqlalchemy.sql.elements import ColumnElement

__all__ = ["conditions", "contains", "field_conditions", "matches", "starts_with"]

MATCH_ALL = "~"


def contains(column: Any, pattern: str | None) -> ColumnElement[bool] | None:
    """`column ILIKE '%term%'` for any term of `pattern`; None when it filters nothing."""
    terms = _terms(pattern)
    if terms is None:
        return None
    return or_(*(column.ilike(f"%{term}%") for term in terms))


def starts_with(column: Any, pattern: str | None) -> ColumnElement[bool] | None:
    """`column` starts with any term of `pattern` (case-sensitive); None when it filters
    nothing."""
    terms = _terms(pattern)
    if terms is None:
        return None
    stems = [_stem(term) for term in terms]
    if any(stem == "" for stem in stems):
        return None
    return or_(*(and_(column >= stem, column < _successor(stem)) for stem in stems))


def conditions(column: Any, pattern: str | None, prefix: str | None) -> list[ColumnElement[bool]]:
    """The conditions of a `*_pattern` and a `*_prefix_pattern` on `column` (none for those not
    given or matching everything)."""
    found = (contains(column, pattern), starts_with(column, prefix))
    return [condition for condition in found if condition is not None]


def field_conditions(
    columns: Mapping[str, Any],
    patterns: Mapping[str, str | None],
    prefixes: Mapping[str, str | None],
) -> list[ColumnElement[bool]]:
    """The conditions of `{field: pattern}` and `{field: prefix pattern}` on the `columns` of
    those fields."""
    found = [contains(columns[name], pattern) for name, pattern in patterns.items()]
    found += [starts_with(columns[name], prefix) for name, prefix in prefixes.items()]
    return [condition for condition in found if condition is not None]


def matches(value: str, pattern: str | None, prefix: str | None) -> bool:
    """Whether `value` passes `pattern` (as `contains`) and `prefix` (as `starts_with`)."""
    contained = _terms(pattern)
    if contained is not None and not any(_like(term).search(value) for term in contained):
        return False
    stems = _terms(prefix)
    return stems is None or any(value.startswith(_stem(term)) for term in stems)


def _like(term: str) -> re.Pattern[str]:
    """A case-insensitive search for an SQL `LIKE` term (`%` any text, `_` one character)."""
    parts = (".*" if c == "%" else "." if c == "_" else re.escape(c) for c in term)
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


def _terms(pattern: str | None) -> list[str] | None:
    if not pattern:
        return None
    terms = [term for term in pattern.split("|") if term]
    if not terms or MATCH_ALL in terms:
        return None
    return terms


def _stem(term: str) -> str:
    end = len(term)
    while end and not term[end - 1].isalnum():
        end -= 1
    return term[:end]


def _successor(stem: str) -> str:
    """The smallest string greater than every string starting with `stem`."""
    return stem[:-1] + chr(ord(stem[-1]) + 1)
