"""`check` evaluates while reading when it can; what it prints must not depend on which path it took."""

from __future__ import annotations

import json
import os
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


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_spooled_output_is_the_same_in_a_file_as_on_stdout(export, fmt, tmp_path):
    """To a file the spooled part is copied file to file (sendfile, where there is one); captured stdout has
    no descriptor, so there it is read and written block by block."""
    out = tmp_path / f"out.{fmt}"
    to_file = run([str(export), "-f", fmt, "-o", str(out)])
    to_stdout = run([str(export), "-f", fmt])
    assert to_file.exit_code == to_stdout.exit_code == 1
    assert out.read_bytes() == to_stdout.stdout_bytes


def _spool(tmp_path, data: bytes, *, consumable: bool = False):
    from escalate_cli.writers import Spooled

    file = (tmp_path / "spool").open("w+b")
    file.write(data)
    file.flush()
    return Spooled(file, 1, len(data), consumable)


@pytest.mark.skipif(not hasattr(os, "sendfile"), reason="no os.sendfile on this platform")
def test_a_copy_that_sendfile_stops_is_finished_block_by_block(tmp_path, monkeypatch):
    from escalate_cli import cli

    data = bytes(range(256)) * 20_000  # 5 MB
    part = _spool(tmp_path, data)
    # as to a target sendfile cannot write to, after a first call that sent part of it
    calls = _sendfile_failing(monkeypatch, lambda n: n > 1, OSError(22, "Invalid argument"), most=1_000_003)
    with (tmp_path / "out").open("wb") as out:
        out.write(b"head ")
        out.flush()
        cli._copy(part, out)
    part.file.close()
    assert calls == [1, 1_000_004]
    assert (tmp_path / "out").read_bytes() == b"head " + data[1:]


def test_a_copy_to_output_without_a_descriptor_is_block_by_block(tmp_path):
    import io

    from escalate_cli import cli

    data = b"x" * 3_000_000 + b"end"
    out = io.BytesIO()
    part = _spool(tmp_path, data)
    cli._copy(part, out)
    part.file.close()
    assert out.getvalue() == data[1:]


DATA = bytes(range(256)) * 4_000 + b"end"  # 1 MB


def _copied(tmp_path, part, mode="wb"):
    """The part copied into a file after a head, with a tail written after it through the same handle."""
    from escalate_cli import cli

    try:
        with (tmp_path / "out").open(mode) as out:
            out.write(b"head ")
            out.flush()
            cli._copy(part, out)
            out.write(b" tail")
    finally:
        part.file.close()
    return (tmp_path / "out").read_bytes()


@pytest.mark.skipif(not hasattr(os, "sendfile"), reason="no os.sendfile on this platform")
def test_a_consumable_spool_is_copied_from_its_end_and_cut_short(tmp_path, monkeypatch):
    from escalate_cli import cli

    monkeypatch.setattr(cli, "_PIECE", 100_003)  # eleven pieces, the first short
    part = _spool(tmp_path, DATA, consumable=True)
    assert _copied(tmp_path, part) == b"head " + DATA[1:] + b" tail"
    assert (tmp_path / "spool").stat().st_size == 1  # the spool gave back all it had copied


@pytest.mark.skipif(not hasattr(os, "sendfile"), reason="no os.sendfile on this platform")
def test_a_spool_is_copied_front_to_back_into_a_file_opened_to_append(tmp_path, monkeypatch):
    from escalate_cli import cli

    monkeypatch.setattr(cli, "_PIECE", 100_003)
    (tmp_path / "out").write_bytes(b"earlier ")
    part = _spool(tmp_path, DATA, consumable=True)
    assert _copied(tmp_path, part, "ab") == b"earlier head " + DATA[1:] + b" tail"


@pytest.mark.skipif(not hasattr(os, "sendfile"), reason="no os.sendfile on this platform")
def test_a_copy_from_the_end_the_kernel_refuses_at_once_is_made_front_to_back(tmp_path, monkeypatch):
    from escalate_cli import cli

    monkeypatch.setattr(cli, "_PIECE", 100_003)
    calls = _sendfile_failing(monkeypatch, lambda n: n == 1, OSError(22, "Invalid argument"))
    part = _spool(tmp_path, DATA, consumable=True)
    assert _copied(tmp_path, part) == b"head " + DATA[1:] + b" tail"
    assert calls[1] == 1  # front to back, from the part's start


@pytest.mark.skipif(not hasattr(os, "sendfile"), reason="no os.sendfile on this platform")
def test_an_output_error_once_the_spool_is_cut_short_is_raised(tmp_path, monkeypatch):
    from escalate_cli import cli

    monkeypatch.setattr(cli, "_PIECE", 100_003)
    _sendfile_failing(monkeypatch, lambda n: n > 2, OSError(28, "No space left on device"))
    part = _spool(tmp_path, DATA, consumable=True)
    with pytest.raises(OSError, match="No space left"):
        _copied(tmp_path, part)


def _sendfile_failing(monkeypatch, fails, error: OSError, most: int | None = None) -> list[int]:
    """os.sendfile raising `error` on the calls whose number `fails` picks (from 1), sending at most `most` bytes
    a call otherwise; the offsets it was called with."""
    real, calls = os.sendfile, []

    def sendfile(target, source, offset, count):
        calls.append(offset)
        if fails(len(calls)):
            raise error
        return real(target, source, offset, count if most is None else min(count, most))

    monkeypatch.setattr(os, "sendfile", sendfile)
    return calls


@pytest.mark.filterwarnings("error::ResourceWarning", "error::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("fmt", [["-q"], ["-f", "json"], ["-f", "table"]])
def test_the_export_file_is_closed_once_read(export, fmt):
    """Streamed (`-q`, JSON) or not (a table), nothing is left for the garbage collector to close."""
    import gc

    assert run([str(export), *fmt]).exit_code == 1
    gc.collect()


@pytest.mark.parametrize("fmt", [["-f", "json"], ["-f", "csv"], ["-q"], ["--bogus"]])
def test_the_command_leaves_with_its_output_whole_and_its_exit_code(export, fmt, tmp_path):
    """`main` ends the process with os._exit once the output is flushed: the command's stdout, stderr and exit
    code are those of the same run inside the test process."""
    import subprocess

    args = ["check", str(export), "-c", CONFIG, "--as-of", AS_OF, *fmt]
    done = subprocess.run([sys.executable, "-m", "escalate_cli", *args], capture_output=True, cwd=REPO, check=False)
    inside = CliRunner().invoke(app, args)
    assert done.returncode == inside.exit_code == (2 if "--bogus" in fmt else 1)
    if "--bogus" in fmt:
        assert b"No such option" in done.stderr
    else:
        assert done.stdout == inside.stdout_bytes and done.stdout.endswith(b"\n")
