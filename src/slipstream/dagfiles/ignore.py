"""`.airflowignore` rules: parsing the file and matching paths, as Airflow 3 does.

Two syntaxes exist (config `core.dag_ignore_file_syntax`, default ``glob``):

``glob``
    gitignore-like rules. A pattern with a ``/`` at its start or in its middle is *anchored*: it
    is matched against the path relative to the directory holding the ``.airflowignore`` file.
    Any other pattern is matched against the entry's *name* alone, so it applies at every level
    below. ``*`` and ``?`` never match ``/``; ``**`` matches any number of directories; a trailing
    ``/`` matches directories only; ``[...]`` / ``[!...]`` are character classes; ``\\`` escapes
    the next character; ``!`` negates (re-includes). The last rule that matches decides.

``regexp``
    each line is a regular expression, searched (``re.search``) in the path relative to the
    *root folder of the walk* (the dags folder). This is what Airflow's code does, even for a
    nested ``.airflowignore``. Any match ignores the entry; there is no negation.

Common to both (copied from Airflow's behaviour): everything from the first ``#`` on a line is a
comment, together with the whitespace before it (so ``#`` cannot be part of a pattern, not even as
``\\#``), and blank lines are skipped. Rules in a directory's ``.airflowignore`` add to the rules
of its parent directories. Ignored directories are not descended into, so a file inside an
ignored directory cannot be re-included by a later ``!`` rule (same as git).

Deliberate differences from Airflow, both about broken ignore files: a glob pattern that cannot be
compiled (e.g. a dangling ``\\``) is logged and skipped instead of aborting the whole walk, and a
whitespace-only line is treated as blank in ``regexp`` syntax too (Airflow would compile it into a
regex matching those spaces).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeAlias

log = logging.getLogger(__name__)

IGNORE_FILE_NAME = ".airflowignore"

IgnoreSyntax: TypeAlias = Literal["glob", "regexp"]

_COMMENT = re.compile(r"\s*#.*")


def normalize_syntax(syntax: str | None) -> IgnoreSyntax:
    """Return ``"glob"`` or ``"regexp"``; an empty value means glob (Airflow's default)."""
    value = (syntax or "glob").strip().lower()
    if value == "glob":
        return "glob"
    if value == "regexp":
        return "regexp"
    raise ValueError(f"Unsupported ignore_file_syntax: {syntax!r} (expected 'glob' or 'regexp')")


@dataclass(frozen=True, slots=True)
class IgnoreRule:
    """One compiled line of an ignore file.

    ``base`` is the directory the candidate path is made relative to before matching; ``None``
    means "match the entry's name only" (unanchored glob patterns). For glob rules a directory's
    relative path is given a trailing ``/`` so that directory-only patterns can match it.
    """

    syntax: IgnoreSyntax
    source: str
    regex: re.Pattern[str]
    base: Path | None
    negated: bool = False

    def matches(self, path: Path, *, is_dir: bool) -> bool:
        """Whether this rule's pattern matches ``path`` (negation is not applied here)."""
        rel = path.name if self.base is None else path.relative_to(self.base).as_posix()
        if self.syntax == "regexp":
            return self.regex.search(rel) is not None
        if is_dir:
            rel += "/"
        return self.regex.search(rel) is not None


def is_ignored(path: Path, rules: Sequence[IgnoreRule], *, is_dir: bool) -> bool:
    """Apply ``rules`` in order; the last matching rule decides (negated rules re-include)."""
    ignored = False
    for rule in rules:
        if rule.matches(path, is_dir=is_dir):
            ignored = not rule.negated
    return ignored


def split_patterns(text: str) -> list[str]:
    """The pattern lines of an ignore file's text: comments stripped, blank lines dropped."""
    patterns = []
    for line in text.splitlines():
        pattern = _COMMENT.sub("", line)
        if pattern.strip():
            patterns.append(pattern)
    return patterns


def read_ignore_file(
    ignore_file: Path, *, syntax: IgnoreSyntax, walk_root: Path
) -> list[IgnoreRule]:
    """Compile every usable rule of ``ignore_file``; invalid patterns are logged and skipped."""
    try:
        text = ignore_file.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        log.warning("Cannot read %s: %s", ignore_file, exc)
        return []
    rules: list[IgnoreRule] = []
    for pattern in split_patterns(text):
        rule: IgnoreRule | None
        try:
            if syntax == "regexp":
                rule = compile_regexp_rule(pattern, walk_root)
            else:
                rule = compile_glob_rule(pattern, ignore_file.parent)
        except ValueError as exc:
            log.warning("Ignoring invalid pattern %r from %s: %s", pattern, ignore_file, exc)
            continue
        if rule is not None:
            rules.append(rule)
    return rules


def compile_regexp_rule(pattern: str, walk_root: Path) -> IgnoreRule:
    """A ``regexp`` rule, searched in paths relative to ``walk_root``."""
    try:
        regex = re.compile(pattern)
    except re.error as exc:
        raise ValueError(str(exc)) from exc
    return IgnoreRule(syntax="regexp", source=pattern, regex=regex, base=walk_root)


def compile_glob_rule(pattern: str, definition_dir: Path) -> IgnoreRule | None:
    """A ``glob`` rule from one line of the ignore file in ``definition_dir``.

    Returns ``None`` for lines that match nothing (``/``); raises ``ValueError`` when invalid.
    """
    text = pattern.lstrip() if pattern.endswith("\\ ") else pattern.strip()
    if not text:
        return None
    if text == "/":
        log.warning("Ignoring no-op glob pattern '/' in %s", definition_dir / IGNORE_FILE_NAME)
        return None
    negated = text.startswith("!")
    if negated:
        text = text[1:]
    anchored = text.startswith("/") or "/" in text.rstrip("/")
    try:
        regex = re.compile(glob_to_regex(text))
    except re.error as exc:
        raise ValueError(f"invalid glob pattern {pattern!r}: {exc}") from exc
    return IgnoreRule(
        syntax="glob",
        source=pattern,
        regex=regex,
        base=definition_dir if anchored else None,
        negated=negated,
    )


def glob_to_regex(pattern: str) -> str:
    """Translate a gitignore pattern (without its leading ``!``) into a regex for ``re.search``.

    The regex is meant for a ``/``-separated relative path, with a trailing ``/`` when the
    candidate is a directory.
    """
    segments = pattern.split("/")

    # Collapse runs of "**" segments into one.
    collapsed: list[str] = []
    for seg in segments:
        if seg == "**" and collapsed and collapsed[-1] == "**":
            continue
        collapsed.append(seg)
    segments = collapsed

    if segments == ["**", ""]:
        # "**/": any directory (at any depth), never a plain file.
        return "/"

    if segments[0] == "":
        # Leading "/": anchored at the definition directory; drop the empty segment.
        segments = segments[1:]
    elif segments[0] != "**" and (len(segments) == 1 or segments[1:] == [""]):
        # A single name (optionally "name/") matches at any depth.
        segments.insert(0, "**")

    if not segments or segments == [""]:
        raise ValueError(f"invalid glob pattern {pattern!r}")
    if segments[-1] == "":
        # "dir/" is "dir/**" restricted to directories.
        segments[-1] = "**"

    out: list[str] = []
    need_slash = False
    last = len(segments) - 1
    for i, seg in enumerate(segments):
        if seg == "**":
            if i == 0:
                out.append("^(?:.+/)?")
            elif i < last:
                out.append("(?:/.+)?")
                need_slash = True
            else:
                # Trailing "**": something below this directory (or the directory itself, whose
                # relative path carries a trailing "/").
                out.append("/")
            continue
        if i == 0:
            out.append("^")
        if need_slash:
            out.append("/")
        out.append("[^/]+" if seg == "*" else _segment_to_regex(seg, pattern))
        if i == last:
            # A name without trailing "/" matches a file, or a directory and all below it.
            out.append("(?:/|$)")
        need_slash = True
    return "".join(out)


def _segment_to_regex(seg: str, pattern: str) -> str:
    """Translate one path segment's glob (``*``, ``?``, ``[...]``, ``\\x``) into a regex."""
    out: list[str] = []
    i, end = 0, len(seg)
    while i < end:
        char = seg[i]
        i += 1
        if char == "\\":
            if i >= end:
                raise ValueError(f"dangling escape character in {pattern!r}")
            out.append(re.escape(seg[i]))
            i += 1
        elif char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            close = i
            if close < end and seg[close] in "!^":
                close += 1
            if close < end and seg[close] == "]":
                close += 1
            while close < end and seg[close] != "]":
                close += 1
            if close >= end:
                # No closing bracket: a literal "[".
                out.append("\\[")
                continue
            body = seg[i:close]
            negate = body[:1] in ("!", "^")
            if negate:
                body = body[1:]
            # A class never matches "/" (it only ever sees one segment in git).
            out.append("[^/" if negate else "[")
            out.append(_class_body(body))
            out.append("]")
            i = close + 1
        else:
            out.append(re.escape(char))
    return "".join(out)


def _class_body(body: str) -> str:
    """Escape a bracket expression's body for a regex class, keeping ``a-z`` ranges."""
    out: list[str] = []
    prev_was_range = False
    for idx, char in enumerate(body):
        is_range = char == "-" and 0 < idx < len(body) - 1 and not prev_was_range
        if char == "-":
            out.append("-" if is_range else "\\-")
        else:
            out.append(re.escape(char))
        prev_was_range = is_range
    return "".join(out)
