"""`check` evaluates while reading when it can; what it prints must not depend on which path it took."""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from escalate_cli.cli import app
from escalate_cli.fastlane import IdHashes

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benchmarks"))
import generate  # noqa: E402

CONFIG = str(REPO / "benchmarks" / "config.yaml")
AS_OF = "2026-11-20T12:00:00Z"


def run(args, stdin=None):
    return CliRunner().invoke(app, ["check", *args, "-c", CONFIG, "--as-of", AS_OF], input=stdin)


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    return generate.write(tmp_path_factory.mktemp("gen") / "issues.csv", "csv", 2000, seed=3)


@pytest.mark.parametrize("fmt", [["-f", "json"], ["-f", "csv"], ["-q"]])
def test_streamed_output_equals_the_ordinary_path(export, fmt):
    streamed = run([str(export), *fmt])
    ordinary = run(["-", *fmt], stdin=export.read_text())  # stdin always takes the ordinary path
    assert streamed.exit_code == ordinary.exit_code == 1
    assert streamed.stdout.replace(str(export), "<stdin>") == ordinary.stdout


def test_a_late_repeated_id_falls_back_without_printing_twice(export, tmp_path):
    lines = export.read_text().splitlines(keepends=True)
    doubled = tmp_path / "doubled.csv"
    doubled.write_text("".join(lines) + lines[5].replace("Open", "Resolved"))
    result = run([str(doubled), "-f", "json"])
    document = json.loads(result.stdout)  # one document, not a streamed one followed by another
    assert document["summary"]["issues"] == 2000
    assert "and was merged, keeping the most recently updated" in result.stderr


def test_id_hashes_find_a_repeat_exactly_when_there_is_one():
    rng = random.Random(5)
    keys = [f"K-{n}" for n in rng.sample(range(10**6), 5000)]
    ids = IdHashes()
    for key in keys:
        ids.add(key)
    assert len(ids) == 5000 and not ids.repeats()
    ids.add(keys[1234])
    assert ids.repeats()
