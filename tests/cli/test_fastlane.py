"""The fast lane must count exactly what the ordinary path counts, whatever the rows hold.

Random exports mix the plain rows the lane reads itself with every kind of row it must hand back (other timestamp
forms, null markers, errors, issues from the future, unmatched ones, padded ids), under configs that use pauses,
the update metric, warnings and calendars with DST; `check -q` on the file (streamed, fast lane) must print what
`check -q` on stdin (the ordinary path) prints.
"""

from __future__ import annotations

import csv
import io
import random

import pytest
from typer.testing import CliRunner

from escalate_cli.cli import app
from escalate_cli.fastlane import Lane

AS_OF = "2026-03-29T12:00:00Z"  # Europe/Berlin moved its clocks that morning
BASE = 1774785600  # AS_OF in epoch seconds

CONFIGS = {
    "berlin": """
timezone: Europe/Berlin
statuses: {closed: [done, closed], paused: [waiting, on hold]}
calendars:
  office:
    timezone: Europe/Berlin
    hours: {mon-fri: ["08:00-12:00", "13:00-17:30"], sat: ["22:00-06:00"]}
    holidays: {country: DE, dates: ["2026-03-27"]}
policies:
  - {name: urgent, match: {priority: [P1, urgent]}, targets: {first_response: 30m, resolution: 4h, update: 2h},
     warn: [50%, 10m], pause: [first_response, resolution]}
  - {name: normal, match: {priority: P2, team: "~^web"}, calendar: office, targets: {resolution: 16h}, warn: [75%]}
  - {name: rest, match: {priority: [P2, P3]}, calendar: office, targets: {first_response: 8h, update: 1d}}
""",
    "utc-no-warn": """
timezone: UTC
statuses: {closed: [done], paused: [waiting]}
policies:
  - {name: all, match: {status: [open, waiting, done, in progress]}, targets: {first_response: 1h, resolution: 1d},
     warn: []}
""",
}

HEADER = ["id", "priority", "status", "team", "created", "first_response", "resolved", "updated"]


def stamp(rng: random.Random, moment: int) -> str:
    """A timestamp cell: mostly the plain form, sometimes one the lane must hand over."""
    from datetime import datetime, timedelta, timezone

    utc = datetime.fromtimestamp(moment, timezone.utc)
    roll = rng.random()
    if roll < 0.6:
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if roll < 0.7:
        return utc.astimezone(timezone(timedelta(hours=rng.choice([-5, 2, 5.5])))).isoformat()
    if roll < 0.78:
        return utc.strftime("%Y-%m-%d %H:%M:%S")  # naive: the config's zone
    if roll < 0.82:
        return utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if roll < 0.85:
        return utc.strftime("%m/%d/%Y %H:%M")
    if roll < 0.88:
        return utc.strftime("%Y-%m-%dT%H:%M:%S+0000")
    return rng.choice(["n/a", "tomorrow", " " + utc.strftime("%Y-%m-%dT%H:%M:%SZ"), "1800-01-01T00:00:00Z", "-"])


def export(rng: random.Random, rows: int, *, delimiter: str = ",", newline: str = "\n", titles: bool = False) -> str:
    """With `titles`, a last column, title, whose cells may need quotes (the delimiter, quotes, line breaks),
    and blank lines between some rows."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=newline)
    writer.writerow([*HEADER, "title"] if titles else HEADER)
    for n in range(rows):
        if titles and rng.random() < 0.02:
            out.write(newline)
        created = BASE - int(rng.expovariate(1 / (6 * 86_400))) + (3 * 86_400 if rng.random() < 0.03 else 0)
        response = created + rng.randrange(0, 20 * 3600) if rng.random() < 0.6 else None
        resolved = created + rng.randrange(-3600, 9 * 86_400) if rng.random() < 0.5 else None
        updated = max(created, BASE - rng.randrange(0, 8 * 86_400)) if rng.random() < 0.8 else None
        ident = f"T-{n}" if rng.random() < 0.97 else rng.choice([f" T-{n} ", ""])

        def cell(moment: int | None) -> str:
            return "" if moment is None else stamp(rng, moment)

        texts = ["Slow page", f"a{delimiter} b", 'say "hi"', f"two{newline}lines", "one\nmore\r\n", ""]
        title = [rng.choice(texts)] if titles else []
        writer.writerow(
            [
                ident,
                rng.choice(["P1", "P2", "P3", "p2", "urgent", "P9", ""]),
                rng.choice(["open", "Open", "in progress", "waiting", "On Hold", "done", "closed", " DONE "]),
                rng.choice(["web", "webshop", "api", ""]),
                cell(created),
                cell(response),
                cell(resolved),
                cell(updated) if rng.random() < 0.9 else cell(resolved),
                *title,
            ]
        )
    return out.getvalue()


def file_and_stdin(tmp_path, text: str, *options: str, config: str = "berlin", exit_code: int = 0) -> tuple[str, str]:
    """`check` on the export as a file (streamed: the lane) and on stdin (the ordinary path) under one of
    CONFIGS: the same exit code, stdout and stderr (the file's name read as <stdin>), which it returns."""
    config_path = tmp_path / "config.yaml"
    config_path.write_text(CONFIGS[config])
    path = tmp_path / "issues.csv"
    path.write_bytes(text.encode())
    args = ["check", *options, "-c", str(config_path), "--as-of", AS_OF, "--fail-on", "never", "--allow-invalid"]
    lane = CliRunner().invoke(app, [*args, str(path)])
    ordinary = CliRunner().invoke(app, [*args, "-"], input=text.encode())
    assert lane.exit_code == ordinary.exit_code == exit_code, lane.output
    assert lane.stdout.replace(str(path), "<stdin>") == ordinary.stdout
    assert lane.stderr.replace(str(path), "<stdin>") == ordinary.stderr
    return ordinary.stdout, ordinary.stderr


@pytest.mark.parametrize("name", sorted(CONFIGS))
@pytest.mark.parametrize("seed", range(3))
def test_fast_lane_counts_what_the_ordinary_path_counts(tmp_path, name, seed):
    text = export(random.Random(seed), 2500)  # the first 1000 rows always take the ordinary path
    summary, _ = file_and_stdin(tmp_path, text, "-q", config=name)
    assert "errors" in summary and " 0 errors" not in summary  # the odd rows really were there


@pytest.mark.parametrize(("delimiter", "newline"), [(",", "\r\n"), (";", "\n"), ("\t", "\r")])
def test_quoted_cells_and_line_breaks_read_as_the_csv_reader_reads_them(tmp_path, delimiter, newline):
    """The lane splits a line without quotes itself and hands a line with them to a csv reader: quoted
    delimiters, quotes and line breaks in cells, CRLF or CR line ends, blank lines, a tab or semicolon
    delimiter must all give the ordinary path's counts and the same line numbers in its messages. JSON output
    (whose lane hands every row over) must be the same too."""
    text = export(random.Random(5), 2500, delimiter=delimiter, newline=newline, titles=True)
    assert text.count(newline * 2) > 10 and text.count('"') > 1000
    file_and_stdin(tmp_path, text, "-q")
    report, _ = file_and_stdin(tmp_path, text, "-f", "json")  # every row's line, in its errors and results
    assert "two" + newline.replace("\r", "\\r").replace("\n", "\\n") + "lines" in report
    lines = text.split(newline)
    at = next(i for i in range(2000, len(lines)) if lines[i].startswith("T-"))  # a row starts there
    broken = newline.join([*lines[:at], f'X-1{delimiter}"ends"early{delimiter}' + lines[at], *lines[at + 1 :]])
    _, stderr = file_and_stdin(tmp_path, broken, "-q", exit_code=3)
    assert "malformed CSV" in stderr


def test_a_dialect_the_lane_cannot_split_goes_to_the_csv_reader_line_by_line(tmp_path, monkeypatch):
    """With no quote character to look for (a dialect that escapes or skips spaces), every line goes to the csv
    reader; the counts, and every row's line in JSON output, are still those of the ordinary path."""
    original = Lane.__init__

    def without_splitting(self: Lane, *args: object, **kwargs: object) -> None:
        original(self, *args, **kwargs)  # type: ignore[arg-type]
        assert self.quote == '"'
        self.quote = ""

    monkeypatch.setattr(Lane, "__init__", without_splitting)
    text = export(random.Random(6), 2000, newline="\r\n", titles=True)
    file_and_stdin(tmp_path, text, "-q")
    file_and_stdin(tmp_path, text, "-f", "json")


def test_the_lane_takes_plain_csv_and_leaves_what_it_cannot_read(tmp_path):
    from escalate_cli.config import load_config
    from escalate_cli.readers import ReadOptions, read_export
    from escalate_cli.readers.issues import IssueBuilder

    config_path = tmp_path / "config.yaml"
    config_path.write_text(CONFIGS["berlin"])
    cfg = load_config(config_path)
    for text, taken in [
        (",".join(HEADER) + "\n", True),
        (",".join([*HEADER, "team"]) + "\n", False),  # a repeated column the policies read
        (",".join(h for h in HEADER if h != "id") + "\n", False),  # no id column: ids are file:line
    ]:
        path = tmp_path / "head.csv"
        path.write_text(text)
        rows = read_export(str(path), ReadOptions())
        builder = IssueBuilder(cfg, str(path), rows, [])
        assert (Lane.for_export(cfg, builder, rows.cells, BASE) is not None) is taken, text
    json_path = tmp_path / "issues.json"
    json_path.write_text('[{"id": "1", "created": "2026-01-01T00:00:00Z"}]')
    rows = read_export(str(json_path), ReadOptions())
    assert Lane.for_export(cfg, IssueBuilder(cfg, "j", rows, []), rows.cells, BASE) is None
