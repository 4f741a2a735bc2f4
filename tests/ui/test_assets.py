"""The built UI (`make ui`): small, and depending on nothing outside this server."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest

from slipstream.ui import STATIC_DIR

BUDGET = 1024 * 1024  # the limit for all UI assets, compressed
# A scheme-qualified or protocol-relative address of another host.
EXTERNAL = re.compile(rb"""(?:https?:)?//[a-z0-9-]+(?:\.[a-z0-9-]+)+[^\s"'`)<>]*""", re.I)
# Names that are not fetched: XML namespaces in SVG and in Preact's DOM code.
NAMESPACES = (b"http://www.w3.org/2000/svg", b"http://www.w3.org/1999/xlink",
              b"http://www.w3.org/1998/Math/MathML", b"http://www.w3.org/1999/xhtml",
              b"http://www.w3.org/XML/1998/namespace", b"http://www.w3.org/2000/xmlns/")  # fmt: skip


@pytest.fixture(scope="module")
def built() -> list[Path]:
    if not (STATIC_DIR / "index.html").is_file():
        pytest.fail(f"The UI is not built in {STATIC_DIR}: run `make ui`", pytrace=False)
    return sorted(p for p in STATIC_DIR.rglob("*") if p.is_file() and p.suffix != ".gz")


def test_assets_are_under_1_mb_compressed(built: list[Path]) -> None:
    total = sum(len(gzip.compress(path.read_bytes(), 9)) for path in built)
    assert total < BUDGET, f"{total:,} bytes gzip-compressed"


def test_assets_ship_precompressed(built: list[Path]) -> None:
    texts = [p for p in built if p.suffix in (".html", ".js", ".css")]
    assert {p.suffix for p in texts} == {".html", ".js", ".css"}
    for path in texts:
        assert gzip.decompress(path.with_name(path.name + ".gz").read_bytes()) == path.read_bytes()


def test_no_asset_refers_to_another_host(built: list[Path]) -> None:
    found = {
        f"{path.relative_to(STATIC_DIR)}: {match.group().decode(errors='replace')}"
        for path in built
        for match in EXTERNAL.finditer(path.read_bytes())
        if not match.group().startswith(NAMESPACES)
    }
    assert found == set()


def test_index_loads_only_files_of_this_build(built: list[Path]) -> None:
    html = (STATIC_DIR / "index.html").read_text()
    references = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert references, html
    for reference in references:
        assert reference.startswith("/") and not reference.startswith("//"), reference
        assert (STATIC_DIR / reference.lstrip("/")).is_file(), reference
