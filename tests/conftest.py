from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REAL_DATA = REPO.parent / "shared" / "data" / "real"


def pytest_configure(config: pytest.Config) -> None:
    """Holiday caches (escalate_cli.country_holidays) go to a directory of this run's own, which the commands the
    tests start as processes inherit, never to the user's."""
    import os
    import tempfile

    os.environ["ESCALATE_CACHE_DIR"] = tempfile.mkdtemp(prefix="escalate-test-cache-")
    for name in ("COLUMNS", "LINES", "ESCALATE_CONFIG"):  # the table's width and the config found: the tests' own
        os.environ.pop(name, None)  # (pytest-xdist's workers set COLUMNS=80; a shell may export it)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite golden files from the actual output")


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Callable[[str, Path], None]:
    def check(actual: str, expected: Path) -> None:
        if request.config.getoption("--update-golden"):
            expected.parent.mkdir(parents=True, exist_ok=True)
            expected.write_text(actual, encoding="utf-8")
        assert expected.exists(), f"no golden file {expected}; run pytest --update-golden and review it"
        assert actual == expected.read_text(encoding="utf-8")

    return check


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write a file under tmp_path and return its path."""

    def make(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return make
