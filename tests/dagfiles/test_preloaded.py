"""Preloading DAG files: imported once, used while unchanged, refused when a fresh import could
give something else (variables read at import time) or forking would be unsafe (threads)."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from slipstream.dagfiles import preloaded
from slipstream.dagfiles.preloaded import NotPreloadable

SIMPLE = """
    import pendulum
    from airflow.sdk import DAG
    from airflow.providers.standard.operators.empty import EmptyOperator

    with DAG("{dag_id}", schedule=None, start_date=pendulum.datetime(2024, 1, 1)):
        EmptyOperator(task_id="a")
"""


def write(path: Path, source: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source))
    return str(path)


def touch_later(path: str, text: str) -> None:
    """Rewrite a file so its stamp changes even within one clock tick."""
    st = os.stat(path)
    Path(path).write_text(text)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))


def test_a_preloaded_dag_is_handed_out_while_its_file_is_unchanged(tmp_path: Path) -> None:
    path = write(tmp_path / "plain.py", SIMPLE.format(dag_id="plain"))
    entry = preloaded.preload(path)
    assert set(entry.dags) == {"plain"}
    dag = preloaded.lookup(path, "plain")
    assert dag is entry.dags["plain"] and dag.task_ids == ["a"]
    assert preloaded.lookup(path, "other") is None

    touch_later(path, Path(path).read_text() + "\n# edited\n")
    assert preloaded.lookup(path, "plain") is None
    assert not preloaded.current(entry)


def test_a_changed_helper_module_makes_the_preload_stale(tmp_path: Path) -> None:
    helper = write(tmp_path / "preload_helper_mod.py", "TASKS = ['a', 'b']\n")
    path = write(
        tmp_path / "with_helper.py",
        """
        import pendulum
        from airflow.sdk import DAG
        from airflow.providers.standard.operators.empty import EmptyOperator
        from preload_helper_mod import TASKS

        with DAG("with_helper", schedule=None, start_date=pendulum.datetime(2024, 1, 1)):
            for name in TASKS:
                EmptyOperator(task_id=name)
        """,
    )
    entry = preloaded.preload(path)
    assert {s[0] for s in entry.stamps} == {path, helper}
    assert preloaded.lookup(path, "with_helper") is not None
    touch_later(helper, "TASKS = ['a']\n")
    assert preloaded.lookup(path, "with_helper") is None


@pytest.mark.parametrize(
    "body",
    [
        "from airflow.sdk import Variable\nN = Variable.get('n', default_var=3)\n",
        "from airflow.sdk import Variable\ntry:\n    Variable.get('n')\nexcept Exception:\n    pass\n",
        "from airflow.hooks.base import BaseHook\nBaseHook.get_connection('db')\n",
    ],
    ids=["variable", "variable-caught", "connection"],
)
def test_a_file_that_reads_variables_or_connections_when_imported_is_not_preloaded(
    tmp_path: Path, body: str
) -> None:
    path = write(tmp_path / "reads.py", body + textwrap.dedent(SIMPLE.format(dag_id="reads")))
    with pytest.raises(NotPreloadable, match="when imported"):
        preloaded.preload(path)
    assert preloaded.lookup(path, "reads") is None


def test_files_that_fail_or_start_threads_are_not_preloaded(tmp_path: Path) -> None:
    broken = write(tmp_path / "broken.py", "raise RuntimeError('nope')\n")
    with pytest.raises(NotPreloadable, match="does not import cleanly"):
        preloaded.preload(broken)
    threads = write(
        tmp_path / "threads.py",
        "import threading, time\n"
        "threading.Thread(target=time.sleep, args=(0.5,), daemon=True).start()\n"
        + textwrap.dedent(SIMPLE.format(dag_id="threads")),
    )
    with pytest.raises(NotPreloadable, match="threads"):
        preloaded.preload(threads)


def test_the_import_sees_the_given_environment_and_prints_nowhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PRELOAD_TEST_SECRET", "hidden")
    out = tmp_path / "seen.txt"
    path = write(
        tmp_path / "env.py",
        f"import os\nprint('printed at import')\n"
        f"open({str(out)!r}, 'w').write(os.environ.get('PRELOAD_TEST_SECRET', 'unset'))\n"
        + textwrap.dedent(SIMPLE.format(dag_id="env")),
    )
    preloaded.preload(path, environ={"PATH": os.environ.get("PATH", "")})
    assert out.read_text() == "unset"
    assert os.environ["PRELOAD_TEST_SECRET"] == "hidden"  # put back afterwards
    assert "printed at import" not in capfd.readouterr().out


def test_each_preloaded_dag_has_its_template_environment_built(tmp_path: Path) -> None:
    """Task processes forked from the preloading process find it built (once for all)."""
    from slipstream.sdk import templating

    path = write(tmp_path / "templated.py", SIMPLE.format(dag_id="templated"))
    dag = preloaded.preload(path).dags["templated"]
    assert dag in templating._DAG_ENVS
    assert templating.dag_template_env(dag) is templating.dag_template_env(dag)
