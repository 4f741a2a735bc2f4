from __future__ import annotations

import os
import pickle
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from slipstream.dagfiles import (
    FileLoadError,
    LoadedFile,
    find_dag_files,
    load_module,
    might_contain_dag,
    unique_module_name,
)
from slipstream.dagfiles import finder as finder_module
from slipstream.dagfiles.ignore import compile_glob_rule, is_ignored, split_patterns

DAG = "from airflow import DAG\n"


def write(root: Path, files: dict[str, str]) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(content))


def rels(root: Path, paths: list[Path]) -> list[str]:
    return [p.relative_to(root).as_posix() for p in paths]


# --------------------------------------------------------------------------- finding files


def test_walk_is_recursive_sorted_and_skips_non_dag_entries(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "b.py": DAG,
            "a.py": DAG,
            "_private.py": DAG,  # Airflow does not skip "_" files
            "z/inner.py": DAG,
            "m/deep/deeper.py": DAG,
            "m/m.py": DAG,
            "notes.txt": DAG,
            "archive.zip": DAG,
            "upper.PY": DAG,
            ".hidden.py": DAG,
            ".git/hooks.py": DAG,
            "__pycache__/cached.py": DAG,
        },
    )
    found = find_dag_files(tmp_path)
    assert rels(tmp_path, found) == [
        "_private.py",
        "a.py",
        "b.py",
        "m/m.py",
        "m/deep/deeper.py",
        "z/inner.py",
    ]
    assert all(p.is_absolute() for p in found)
    assert find_dag_files(tmp_path) == found  # deterministic


def test_hidden_entries_can_be_walked_like_airflow(tmp_path: Path) -> None:
    write(tmp_path, {".hidden/x.py": DAG, ".y.py": DAG, "__pycache__/c.py": DAG})
    assert rels(tmp_path, find_dag_files(tmp_path, skip_hidden=False)) == [".y.py", ".hidden/x.py"]


def test_relative_folder_gives_relative_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, {"dags/a.py": DAG})
    monkeypatch.chdir(tmp_path)
    assert find_dag_files("dags") == [Path("dags/a.py")]


def test_folder_that_is_a_file_or_missing(tmp_path: Path) -> None:
    write(tmp_path, {"plain.py": "x = 1\n"})
    # A single file is returned as is, without the safe-mode check (like Airflow).
    assert find_dag_files(tmp_path / "plain.py") == [tmp_path / "plain.py"]
    assert find_dag_files(tmp_path / "missing") == []


def test_safe_mode(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "airflow_dag.py": "from airflow.sdk import dag\n",
            "slipstream_dag.py": "import slipstream.sdk as s\nd = s.DAG('x')\n",
            "shouting.py": "# AIRFLOW Dag\n",
            "asset_only.py": "from airflow.sdk import asset\n",
            "no_dag_word.py": "import airflow\n",
            "no_airflow_word.py": "dag = 1\n",
            "plain.py": "x = 1\n",
        },
    )
    safe = rels(tmp_path, find_dag_files(tmp_path))
    assert safe == ["airflow_dag.py", "asset_only.py", "shouting.py", "slipstream_dag.py"]
    unsafe = rels(tmp_path, find_dag_files(tmp_path, safe_mode=False))
    assert unsafe == sorted(p.name for p in tmp_path.iterdir())


def test_might_contain_dag(tmp_path: Path) -> None:
    yes = tmp_path / "yes.py"
    yes.write_bytes(b"from airflow import DAG\n")
    no = tmp_path / "no.py"
    no.write_bytes(b"print('hello')\n")
    binary = tmp_path / "bin.py"
    binary.write_bytes(b"\xff\xfeAIRFLOW\x00DAG")
    assert might_contain_dag(yes)
    assert might_contain_dag(str(yes))
    assert not might_contain_dag(no)
    assert might_contain_dag(binary)
    assert not might_contain_dag(tmp_path / "missing.py")


def test_include_examples(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    examples = tmp_path / "examples"
    write(examples, {"ex1.py": DAG, "sub/ex2.py": DAG, ".airflowignore": "ex2.py\n"})
    write(tmp_path / "dags", {"mine.py": DAG})
    monkeypatch.setattr(finder_module, "EXAMPLE_DAGS_FOLDER", examples)
    assert find_dag_files(tmp_path / "dags", include_examples=True) == [
        tmp_path / "dags/mine.py",
        examples / "ex1.py",
    ]
    assert find_dag_files(tmp_path / "dags") == [tmp_path / "dags/mine.py"]
    # Walking the examples folder itself does not list its files twice.
    assert find_dag_files(examples, include_examples=True) == [examples / "ex1.py"]


def test_unknown_ignore_syntax(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="Unsupported ignore_file_syntax"):
        find_dag_files(tmp_path, ignore_file_syntax="fnmatch")


# --------------------------------------------------------------------------- glob syntax


def test_glob_basic_patterns(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            ".airflowignore": """\
                # a comment line

                *_helper.py   # trailing comment
                build/
                /top_only.py
                a/b
                **/deep_*.py
                """,
            "keep.py": DAG,
            "x_helper.py": DAG,
            "sub/y_helper.py": DAG,  # unanchored: matches at any depth
            "build/gen.py": DAG,  # directory pattern
            "sub/build/gen.py": DAG,
            "build.py": DAG,
            "top_only.py": DAG,  # anchored at the ignore file's folder
            "sub/top_only.py": DAG,
            "a/b/c.py": DAG,  # middle slash: anchored
            "a/b.py": DAG,
            "x/a/b/c.py": DAG,
            "deep_1.py": DAG,
            "p/q/deep_2.py": DAG,
        },
    )
    assert rels(tmp_path, find_dag_files(tmp_path)) == [
        "build.py",
        "keep.py",
        "a/b.py",
        "sub/top_only.py",
        "x/a/b/c.py",
    ]


def test_glob_directory_only_pattern_spares_files(tmp_path: Path) -> None:
    write(
        tmp_path, {".airflowignore": "tmp/\n", "tmp": "not a dir", "x/tmp/t.py": DAG, "t.py": DAG}
    )
    assert rels(tmp_path, find_dag_files(tmp_path)) == ["t.py"]
    rule = compile_glob_rule("x/", tmp_path)
    assert rule is not None
    assert is_ignored(tmp_path / "x", [rule], is_dir=True)
    assert not is_ignored(tmp_path / "x", [rule], is_dir=False)


def test_glob_negation_last_match_wins(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            ".airflowignore": "*.py\n!keep_*.py\nkeep_not.py\n",
            "a.py": DAG,
            "keep_me.py": DAG,
            "keep_not.py": DAG,
            "sub/keep_too.py": DAG,
        },
    )
    assert rels(tmp_path, find_dag_files(tmp_path)) == ["keep_me.py", "sub/keep_too.py"]


def test_glob_cannot_reinclude_inside_ignored_directory(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            ".airflowignore": "skipped/\n!skipped/inner.py\n",
            "skipped/inner.py": DAG,
            "skipped/.airflowignore": "!inner.py\n",
            "ok.py": DAG,
        },
    )
    assert rels(tmp_path, find_dag_files(tmp_path)) == ["ok.py"]


def test_glob_nested_ignore_files(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            ".airflowignore": "ignored_*.py\n",
            "ignored_root.py": DAG,
            "one.py": DAG,
            "child/.airflowignore": "!ignored_ok.py\n/local.py\nsub/x.py\n",
            "child/ignored_ok.py": DAG,  # re-included by the child's negation
            "child/ignored_no.py": DAG,
            "child/local.py": DAG,  # anchored at child/
            "child/sub/x.py": DAG,  # anchored at child/ (middle slash)
            "child/sub/y.py": DAG,
            "child/sub/local.py": DAG,
            "sibling/local.py": DAG,  # child's rules do not apply here
            "sibling/ignored_s.py": DAG,  # the root's rules do
            "sub/x.py": DAG,
        },
    )
    assert rels(tmp_path, find_dag_files(tmp_path)) == [
        "one.py",
        "child/ignored_ok.py",
        "child/sub/local.py",
        "child/sub/y.py",
        "sibling/local.py",
        "sub/x.py",
    ]


def test_glob_question_mark_brackets_and_double_star(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            ".airflowignore": "dag_?.py\ntask_[ab].py\nrun_[!a].py\nlib/**/gen_*.py\n",
            "dag_1.py": DAG,
            "dag_10.py": DAG,
            "task_a.py": DAG,
            "task_c.py": DAG,
            "run_a.py": DAG,
            "run_b.py": DAG,
            "lib/gen_x.py": DAG,  # "**" matches zero directories
            "lib/p/q/gen_y.py": DAG,
            "lib/p/keep.py": DAG,
        },
    )
    assert rels(tmp_path, find_dag_files(tmp_path)) == [
        "dag_10.py",
        "run_a.py",
        "task_c.py",
        "lib/p/keep.py",
    ]


def test_glob_invalid_and_noop_patterns_are_skipped(tmp_path: Path) -> None:
    write(tmp_path, {".airflowignore": "/\nbad\\\n[z-a].py\nb.py\n", "a.py": DAG, "b.py": DAG})
    assert rels(tmp_path, find_dag_files(tmp_path)) == ["a.py"]


def test_split_patterns_strips_comments_like_airflow() -> None:
    text = "# c\n\n  \na.py # trailing\nb#c\n\\#literal\n"
    assert split_patterns(text) == ["a.py", "b", "\\"]


# --------------------------------------------------------------------------- regexp syntax


def test_regexp_syntax(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            ".airflowignore": "helper\n^skip_dir\n[invalid\n",
            "a.py": DAG,
            "my_helper.py": DAG,
            "skip_dir/x.py": DAG,
            "keep/skip_dir.py": DAG,  # "^skip_dir" is searched in "keep/skip_dir.py"
            "child/.airflowignore": "^child/local\n",
            "child/local_x.py": DAG,
            "child/other.py": DAG,
            "other/local_y.py": DAG,
        },
    )
    found = rels(tmp_path, find_dag_files(tmp_path, ignore_file_syntax="regexp"))
    # Like Airflow, regexps are matched against the path relative to the folder being walked,
    # also for a nested .airflowignore.
    assert found == ["a.py", "child/other.py", "keep/skip_dir.py", "other/local_y.py"]


def test_regexp_lines_are_not_globs(tmp_path: Path) -> None:
    write(tmp_path, {".airflowignore": "*.py\n", "a.py": DAG})  # invalid regex: skipped
    assert rels(tmp_path, find_dag_files(tmp_path, ignore_file_syntax="regexp")) == ["a.py"]
    assert find_dag_files(tmp_path) == []  # the same line as a glob


# --------------------------------------------------------------------------- symlinks


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_symlinked_directories_are_followed_once(tmp_path: Path) -> None:
    dags = tmp_path / "dags"
    outside = tmp_path / "outside"
    write(dags, {"a.py": DAG, "sub/b.py": DAG})
    write(outside, {"c.py": DAG})
    (dags / "linked").symlink_to(outside, target_is_directory=True)
    (dags / "sub" / "loop").symlink_to(dags, target_is_directory=True)
    (dags / "sub_again").symlink_to(dags / "sub", target_is_directory=True)
    assert rels(dags, find_dag_files(dags)) == ["a.py", "linked/c.py", "sub/b.py"]


# --------------------------------------------------------------------------- loading modules


@pytest.fixture
def isolated(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Restore sys.path and drop modules imported by the test's DAG files."""
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    saved_path = list(sys.path)
    saved_modules = set(sys.modules)
    yield
    sys.path[:] = saved_path
    for name in set(sys.modules) - saved_modules:
        del sys.modules[name]


def test_load_ok(tmp_path: Path, isolated: None) -> None:
    write(tmp_path, {"my-dag.v1.py": "VALUE = 42\n"})
    path = tmp_path / "my-dag.v1.py"
    result = load_module(path)
    assert isinstance(result, LoadedFile)
    assert result.ok and result.error is None
    assert result.module is not None and result.module.VALUE == 42
    assert result.module_name == unique_module_name(path)
    assert result.module_name.startswith("unusual_prefix_")
    assert result.module_name.endswith("_my_dag_v1")
    assert sys.modules[result.module_name] is result.module  # kept after success
    assert result.module.__file__ == str(path)
    assert result.duration_s >= 0
    assert result.warnings == []
    module, error = result
    assert module is result.module and error is None
    assert str(tmp_path) not in sys.path  # the file's dir is only there while it runs


def test_same_name_in_two_folders_gets_two_modules(tmp_path: Path, isolated: None) -> None:
    write(tmp_path, {"a/dag.py": "X = 'a'\n", "b/dag.py": "X = 'b'\n"})
    ra = load_module(tmp_path / "a/dag.py")
    rb = load_module(tmp_path / "b/dag.py")
    assert ra.module_name != rb.module_name
    assert ra.module is not None and ra.module.X == "a"
    assert rb.module is not None and rb.module.X == "b"


def test_reload_replaces_module_and_explicit_name(tmp_path: Path, isolated: None) -> None:
    write(tmp_path, {"d.py": "import random\nTOKEN = random.random()\n"})
    first = load_module(tmp_path / "d.py")
    second = load_module(tmp_path / "d.py")
    assert first.module is not second.module
    assert sys.modules[second.module_name] is second.module
    named = load_module(tmp_path / "d.py", module_name="custom_dag_mod")
    assert named.module_name == "custom_dag_mod" and sys.modules["custom_dag_mod"] is named.module


def test_dataclasses_and_pickle_work_in_dag_files(tmp_path: Path, isolated: None) -> None:
    write(
        tmp_path,
        {
            "dc.py": """\
                from __future__ import annotations
                import dataclasses

                @dataclasses.dataclass
                class Point:
                    x: int
                    y: dataclasses.KW_ONLY
                    z: int = 0

                P = Point(1, z=2)
                """
        },
    )
    result = load_module(tmp_path / "dc.py")
    assert result.error is None, result.error
    assert result.module is not None
    assert pickle.loads(pickle.dumps(result.module.P)) == result.module.P


def test_syntax_error(tmp_path: Path, isolated: None) -> None:
    write(tmp_path, {"broken.py": "x = 1\n\ndef f(:\n    pass\n"})
    path = tmp_path / "broken.py"
    result = load_module(path)
    assert result.module is None
    err = result.error
    assert isinstance(err, FileLoadError)
    assert err.filename == str(path)
    assert err.lineno == 3
    assert err.message.startswith("SyntaxError: ")
    assert "line 3" in err.message
    assert str(err).startswith(f"Broken DAG: [{path}] SyntaxError")
    assert "importlib" not in err.traceback
    assert err.traceback.rstrip().splitlines()[-1].startswith("SyntaxError")
    assert result.module_name not in sys.modules  # removed after a failure


def test_indentation_error(tmp_path: Path, isolated: None) -> None:
    write(tmp_path, {"indent.py": "if True:\nx = 1\n"})
    err = load_module(tmp_path / "indent.py").error
    assert err is not None and err.lineno == 2 and err.message.startswith("IndentationError")


def test_exception_at_line_n(tmp_path: Path, isolated: None) -> None:
    write(tmp_path, {"raises.py": "import os\n\n\nraise ValueError('boom\\nsecond line')\n"})
    path = tmp_path / "raises.py"
    result = load_module(path)
    err = result.error
    assert err is not None and result.module is None
    assert err.lineno == 4
    assert err.message == "ValueError: boom second line"
    lines = err.traceback.splitlines()
    assert lines[0] == "Traceback (most recent call last):"
    assert lines[1] == f'  File "{path}", line 4, in <module>'
    assert "importlib" not in err.traceback and "module_loader" not in err.traceback
    assert result.module_name not in sys.modules


def test_lineno_is_deepest_frame_in_the_dag_file(tmp_path: Path, isolated: None) -> None:
    write(
        tmp_path,
        {
            "deep.py": """\
                import json


                def parse():
                    return json.loads("{not json")


                DATA = parse()
                """
        },
    )
    err = load_module(tmp_path / "deep.py").error
    assert err is not None
    assert err.lineno == 5
    assert err.message.startswith("json.decoder.JSONDecodeError: ")
    assert "decoder.py" in err.traceback  # frames below the DAG file are kept


def test_custom_exception_name_is_qualified(tmp_path: Path, isolated: None) -> None:
    write(
        tmp_path,
        {
            "custom.py": "from slipstream.core.exceptions import AirflowException\nraise AirflowException()\n"
        },
    )
    err = load_module(tmp_path / "custom.py").error
    assert err is not None
    assert err.message == "slipstream.core.exceptions.AirflowException"
    assert err.lineno == 2


def test_sibling_helper_module_imports(tmp_path: Path, isolated: None) -> None:
    write(
        tmp_path,
        {
            "dags/team/dag.py": "from team_helpers import value\nfrom common.util import shared\nX = value() + shared\n",
            "dags/team/team_helpers.py": "def value():\n    return 40\n",
            "dags/common/__init__.py": "",
            "dags/common/util.py": "shared = 2\n",
        },
    )
    dags = tmp_path / "dags"
    result = load_module(dags / "team/dag.py", dags_folder=dags)
    assert result.error is None, result.error
    assert result.module is not None and result.module.X == 42
    assert str(dags / "team") not in sys.path
    assert str(dags) in sys.path  # the dags folder stays, like Airflow's DAGS_FOLDER


def test_error_in_helper_points_at_the_import_line(tmp_path: Path, isolated: None) -> None:
    write(
        tmp_path,
        {
            "dag.py": "import os\nimport broken_helper_mod\n",
            "broken_helper_mod.py": "x = 1\nraise RuntimeError('helper failed')\n",
        },
    )
    err = load_module(tmp_path / "dag.py").error
    assert err is not None
    assert err.lineno == 2
    assert err.message == "RuntimeError: helper failed"
    assert "broken_helper_mod.py" in err.traceback


def test_syntax_error_in_helper_points_at_the_import_line(tmp_path: Path, isolated: None) -> None:
    write(
        tmp_path,
        {"dag.py": "\n\nimport bad_syntax_helper\n", "bad_syntax_helper.py": "def (:\n"},
    )
    err = load_module(tmp_path / "dag.py").error
    assert err is not None
    assert err.lineno == 3
    assert err.message.startswith("SyntaxError")


def test_missing_module_import(tmp_path: Path, isolated: None) -> None:
    write(tmp_path, {"dag.py": "import definitely_not_installed_xyz\n"})
    err = load_module(tmp_path / "dag.py").error
    assert err is not None and err.lineno == 1
    assert err.message == "ModuleNotFoundError: No module named 'definitely_not_installed_xyz'"


def test_sys_exit_is_caught(tmp_path: Path, isolated: None) -> None:
    write(tmp_path, {"exits.py": "import sys\n\nsys.exit(3)\n", "bare.py": "raise SystemExit\n"})
    result = load_module(tmp_path / "exits.py")
    assert result.error is not None
    assert result.error.lineno == 3
    assert result.error.message == "SystemExit: 3"
    bare = load_module(tmp_path / "bare.py").error
    assert bare is not None and bare.message == "SystemExit" and bare.lineno == 1


def test_keyboard_interrupt_propagates_and_cleans_up(tmp_path: Path, isolated: None) -> None:
    write(tmp_path, {"ki.py": "raise KeyboardInterrupt\n"})
    path = tmp_path / "ki.py"
    with pytest.raises(KeyboardInterrupt):
        load_module(path)
    assert unique_module_name(path) not in sys.modules
    assert str(tmp_path) not in sys.path


def test_missing_file(tmp_path: Path, isolated: None) -> None:
    result = load_module(tmp_path / "nope.py")
    assert result.error is not None
    assert result.error.lineno is None
    assert result.error.message.startswith("FileNotFoundError")


def test_warnings_are_recorded_not_raised(tmp_path: Path, isolated: None) -> None:
    write(
        tmp_path,
        {
            "warns.py": """\
                import warnings

                warnings.warn("old api", DeprecationWarning)
                for _ in range(3):
                    warnings.warn("loop", UserWarning)
                VALUE = 1
                """
        },
    )
    path = tmp_path / "warns.py"
    # pytest runs with "error" filters: the load must still succeed.
    result = load_module(path)
    assert result.error is None, result.error
    assert result.module is not None and result.module.VALUE == 1
    assert result.warnings == [
        f"{path}:3: DeprecationWarning: old api",
        f"{path}:5: UserWarning: loop",
    ]


def test_warnings_are_kept_when_the_file_then_fails(tmp_path: Path, isolated: None) -> None:
    write(tmp_path, {"w.py": "import warnings\nwarnings.warn('first')\n1 / 0\n"})
    result = load_module(tmp_path / "w.py")
    assert result.error is not None and result.error.lineno == 3
    assert result.error.message == "ZeroDivisionError: division by zero"
    assert len(result.warnings) == 1 and result.warnings[0].endswith("UserWarning: first")
