"""A big CSV export split in two, its second half counted in a forked process, must count what one pass counts.

The split is found by quote parity and trusted only when the first half's reader really ends a record there;
these tests give it exports where parity is right, where it is fooled into a split inside a quoted field, where
the second half holds errors, unmatched issues and malformed CSV, and where an id repeats across the halves.
"""

from __future__ import annotations

import csv
import io
import itertools
import os
import random
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from escalate_cli import halves
from escalate_cli.cli import app
from escalate_cli.readers import ReadOptions, read_export
from tests.cli.test_fastlane import AS_OF, CONFIGS, export

ARGS = ["check", "-q", "-c", "CONFIG", "--as-of", AS_OF, "--fail-on", "never", "--allow-invalid"]


@pytest.fixture
def split_small(monkeypatch):
    """Split exports of any size; record each split found and what each child handed back."""
    monkeypatch.setattr(halves, "MIN_BYTES", 0)
    monkeypatch.setattr(halves, "_can_fork", lambda: True)
    seen: dict[str, list[object]] = {"splits": [], "halves": []}
    heard, result = halves.Forked.heard, halves.Forked.result

    def found(self):  # the child finds the split and tells it
        seen["splits"].append(heard(self))
        return seen["splits"][-1]

    def handed_back(self):
        seen["halves"].append(result(self))
        return seen["halves"][-1]

    monkeypatch.setattr(halves.Forked, "heard", found)
    monkeypatch.setattr(halves.Forked, "result", handed_back)
    return seen


def with_column(text: str, name: str, cell: Callable[[random.Random], str], rng: random.Random) -> str:
    """The export with one more column, each of its cells made by cell(rng)."""
    rows = list(csv.reader(io.StringIO(text)))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*rows[0], name])
    for row in rows[1:]:
        writer.writerow([*row, cell(rng)])
    return out.getvalue()


def both_ways(tmp_path: Path, text: str, config: str = "berlin", output: str = "-q") -> Result:
    """check -q (or -f json) on the file (split) and on stdin (one pass, ordinary path) must print the same."""
    config_path = tmp_path / "config.yaml"
    config_path.write_text(CONFIGS[config])
    path = tmp_path / "issues.csv"
    path.write_text(text)
    args = [str(config_path) if a == "CONFIG" else a for a in ARGS]
    if output != "-q":
        args[args.index("-q") : args.index("-q") + 1] = ["-f", output]
    split = CliRunner().invoke(app, [*args, str(path)])
    ordinary = CliRunner().invoke(app, [*args, "-"], input=text)
    assert split.exit_code == ordinary.exit_code, split.output
    assert split.stdout.replace(str(path), "<stdin>") == ordinary.stdout
    assert split.stderr.replace(str(path), "<stdin>") == ordinary.stderr
    return split


def title(rng: random.Random) -> str:
    return rng.choice(["plain", 'said "hi", then left', "two\nlines", "three\n\nlines, with a comma", ""])


def used(seen: dict[str, list[object]]) -> bool:
    """Whether the export was split and the child's half counted."""
    return bool(seen["splits"]) and seen["splits"][0] is not None and any(h is not None for h in seen["halves"])


@pytest.mark.parametrize("config", sorted(CONFIGS))
@pytest.mark.parametrize("seed", range(2))
def test_split_counts_what_one_pass_counts(tmp_path, split_small, config, seed):
    rng = random.Random(seed)
    split = both_ways(tmp_path, with_column(export(rng, 4000), "title", title, rng), config)
    assert used(split_small)
    assert split.exit_code == 0 and " 0 errors" not in split.stdout  # odd rows in both halves


@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_split_json_writes_what_one_pass_writes(tmp_path, split_small, config):
    """With JSON output the child evaluates its half into a spool of its own, which follows this process's."""
    rng = random.Random(21)
    split = both_ways(tmp_path, with_column(export(rng, 4000), "title", title, rng), config, output="json")
    assert used(split_small)
    assert split.stdout.count('"issue": ') > 4000 and '"errors": []' not in split.stdout


def test_two_split_exports_keep_their_order(tmp_path, split_small, monkeypatch):
    """Each export's first half, then its second half, then the next export's: as with no split at all."""
    config = tmp_path / "config.yaml"
    config.write_text(CONFIGS["berlin"])
    paths = []
    for n in range(2):
        rng = random.Random(30 + n)
        paths.append(tmp_path / f"issues-{n}.csv")
        paths[-1].write_text(with_column(export(rng, 3000), "title", title, rng).replace("T-", f"F{n}-"))
    args = ["check", "-f", "json", "-c", str(config), "--as-of", AS_OF, "--fail-on", "never", "--allow-invalid"]
    split = CliRunner().invoke(app, [*args, *map(str, paths)])
    assert len([h for h in split_small["halves"] if h is not None]) == 2
    monkeypatch.setattr(halves, "MIN_BYTES", 1 << 40)
    one_pass = CliRunner().invoke(app, [*args, *map(str, paths)])
    assert split.exit_code == one_pass.exit_code
    assert (split.stdout, split.stderr) == (one_pass.stdout, one_pass.stderr)
    ids = [line.split('"')[3] for line in split.stdout.splitlines() if line.startswith('      "issue": ')]
    assert ids[0].startswith("F0-") and ids[-1].startswith("F1-")


@pytest.mark.parametrize("output", ["-q", "json"])
def test_a_split_that_parity_puts_inside_a_quoted_field_is_not_trusted(tmp_path, split_small, output):
    """A bare quote in an unquoted field (legal CSV) in the first row makes every line break inside a quoted
    field look like a boundary; every other row's note spans two lines, so the split lands inside one. The
    first half's reader runs across it, so the child is stopped and this process reads on."""
    rng = random.Random(5)
    text = with_column(export(rng, 4000), "note", lambda rng: f"first {rng.randrange(99)}\nsecond", rng)
    header, *rows = csv.reader(io.StringIO(text))
    first = ",".join([*rows[0][:-1], '5" screen'])  # written as is: csv.writer would quote it
    assert first.count('"') == 1 and "," not in "".join(rows[0][:-1])
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows[1:])
    both_ways(tmp_path, f"{','.join(header)}\n{first}\n{out.getvalue()}", output=output)
    assert split_small["splits"][0] is not None and not split_small["halves"]  # found, then not trusted


@pytest.mark.parametrize("output", ["-q", "json"])
def test_an_error_in_the_second_half_is_reported_as_one_pass_reports_it(tmp_path, split_small, output):
    rng = random.Random(7)
    lines = with_column(export(rng, 4000), "title", title, rng).split("\n")
    lines[-40] = 'T-bad,"P1"x,open,web,2026-03-01T10:00:00Z,,,'
    split = both_ways(tmp_path, "\n".join(lines), output=output)
    assert split.exit_code == 3 and "malformed CSV" in split.stderr
    assert split_small["splits"][0] is not None


def test_an_id_in_both_halves_takes_the_ordinary_path(tmp_path, split_small):
    rng = random.Random(9)
    lines = export(rng, 4000).split("\n")
    lines[-30] = "T-20," + lines[-30].split(",", 1)[1]  # T-20 is in the first half too
    both_ways(tmp_path, "\n".join(lines))
    assert used(split_small)


def test_the_split_is_where_the_reader_counts_its_line(tmp_path, split_small):
    """find_split's offset is just after a line break, and its line is the reader's line_num after the row
    that ends there (with a byte order mark, CRLF line breaks and the head the reader read to sniff)."""
    rng = random.Random(3)
    text = "\ufeff" + with_column(export(rng, 3000), "title", title, rng).replace("\n", "\r\n")
    path = tmp_path / "issues.csv"
    path.write_bytes(text.encode("utf-8"))
    rows = read_export(str(path), ReadOptions())
    assert rows.cells is not None and rows.cells.head_bytes is not None
    list(itertools.islice(rows.rows, 1000))  # as streaming reads the head before it splits
    split = halves.find_split(str(path), rows.cells.head_bytes, rows.cells.head_lines)
    assert split is not None
    data = path.read_bytes()
    assert data[split.offset - 1 : split.offset] == b"\n"
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    ends = {reader.line_num for _ in reader}
    assert split.line in ends
    after = next(csv.reader(io.StringIO(data[split.offset :].decode("utf-8"), newline="")))
    from_that_line = "\n".join(text.split("\n")[split.line :])  # its row may run on over several lines
    assert after == next(csv.reader(io.StringIO(from_that_line, newline="")))


def test_a_small_export_is_not_split(tmp_path):
    path = tmp_path / "issues.csv"
    path.write_text(export(random.Random(1), 3000))
    assert halves.find_split(str(path), 0, 0) is None  # far below MIN_BYTES


def test_forked_work_hands_back_its_value_its_exception_or_nothing():
    assert halves.Forked(lambda tell: {"n": 41 + 1}).result() == {"n": 42}
    with pytest.raises(ValueError, match="bad cell"):
        halves.Forked(lambda tell: int("bad cell")).result()

    def vanish(tell) -> int:
        os._exit(3)

    assert halves.Forked(vanish).result() is None
    slow = halves.Forked(lambda tell: __import__("time").sleep(30))
    slow.cancel()  # killed and reaped at once
    slow.cancel()


def test_forked_work_tells_one_value_early():
    def work(tell) -> str:
        tell(halves.Split(10, 2))
        return "counted"

    told = halves.Forked(work)
    assert told.heard() == halves.Split(10, 2)
    assert told.result() == "counted"
    unheard = halves.Forked(work)
    assert unheard.result() == "counted"  # told, never asked: the value is passed over
    silent = halves.Forked(lambda tell: "counted")
    assert silent.heard() is None  # finished without telling
    assert silent.result() == "counted"
    failing = halves.Forked(lambda tell: int("bad cell"))
    assert failing.heard() is None
    with pytest.raises(ValueError, match="bad cell"):
        failing.result()

    def vanish(tell) -> None:
        os._exit(3)

    assert halves.Forked(vanish).heard() is None
    waiting = halves.Forked(lambda tell: tell(1) or __import__("time").sleep(30))
    assert waiting.heard() == 1
    waiting.cancel()  # killed while at work after telling


def test_a_split_whose_line_count_is_off_is_caught_by_the_rows_read_there(tmp_path, split_small, monkeypatch):
    """If the line the parent stops at and the byte the child starts at disagree (say the file changed
    between the two reads), the row the parent holds is not the child's first row: the child's half is
    thrown away."""
    find = halves.find_split

    def off_by_one(*args):
        found = find(*args)
        return None if found is None else halves.Split(found.offset, found.line - 1)

    monkeypatch.setattr(halves, "find_split", off_by_one)
    rng = random.Random(11)
    both_ways(tmp_path, export(rng, 4000))
    assert split_small["halves"] and all(h is not None for h in split_small["halves"])
