"""End to end, a CSV file (read by columns, `engine.read_csv`) must give what the same text on stdin (read by
the Python reader) gives, whatever the rows hold.

Random exports mix timestamp forms, null markers, errors, issues from the future, unmatched ones and padded ids,
under configs that use pauses, the update metric, warnings, ladders and calendars with DST.
"""

from __future__ import annotations

import csv
import io
import json
import random
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from escalate_cli.cli import app
from escalate_cli.model import State

AS_OF = "2026-03-29T12:00:00Z"  # Europe/Berlin moved its clocks that morning
BASE = 1774785600  # AS_OF in epoch seconds

CONFIGS = {
    "berlin": """
timezone: Europe/Berlin
statuses: {closed: [done, closed], paused: [waiting, on hold]}
fields: {team: team}
calendars:
  office:
    timezone: Europe/Berlin
    hours: {mon-fri: ["08:00-12:00", "13:00-17:30"], sat: ["22:00-06:00"]}
    holidays: {country: DE, dates: ["2026-03-27"]}
policies:
  - {name: urgent, match: {priority: [P1, urgent]}, targets: {first_response: 30m, resolution: 4h, update: 2h},
     warn: [50%, 10m], pause: [first_response, resolution],
     escalate: [{after: "-10m", level: L1},
                {after: 100%, level: L2, notify: [lead, duty], action: "{id} ({priority}: {title}) {metric} {state},
                  over by {overdue}, due {due}; labels {labels}; {elapsed} of {target}, {remaining} left;
                  {team}, {calendar}/{policy} -> {notify} at {level} {{literal}}"}]}
  - {name: normal, match: {priority: P2, team: "~^web"}, calendar: office, targets: {resolution: 16h}, warn: [75%],
     escalate: [{after: 50%, level: L1, notify: [web], action: "{id}: {overdue} over, {remaining} left"},
                {after: 100%, level: L2}]}
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

HEADER = ["id", "priority", "status", "team", "labels", "created", "first_response", "resolved", "updated"]


def stamp(rng: random.Random, moment: int) -> str:
    """A timestamp cell: mostly ISO in UTC, often another form, sometimes one nothing reads."""
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
                rng.choice(["", "vip", "a;b", " eu , vip ;; ", "ünïcode"]),
                cell(created),
                cell(response),
                cell(resolved),
                cell(updated) if rng.random() < 0.9 else cell(resolved),
                *title,
            ]
        )
    return out.getvalue()


def file_and_stdin(tmp_path, text: str, *options: str, config: str = "berlin", exit_code: int = 0) -> tuple[str, str]:
    """`check` on the export as a file (read by columns) and on stdin (the Python reader) under one of
    CONFIGS: the same exit code, stdout and stderr (the file's name read as <stdin>), which it returns."""
    config_path = tmp_path / "config.yaml"
    config_path.write_text(CONFIGS[config])
    path = tmp_path / "issues.csv"
    path.write_bytes(text.encode())
    args = ["check", *options, "-c", str(config_path), "--as-of", AS_OF, "--fail-on", "never", "--allow-invalid"]
    columnar = CliRunner().invoke(app, [*args, str(path)])
    ordinary = CliRunner().invoke(app, [*args, "-"], input=text.encode())
    assert columnar.exit_code == ordinary.exit_code == exit_code, columnar.output
    named = {"<stdin>": str(path), "&lt;stdin&gt;": str(path)}  # as the text formats and XML write it
    for ours, theirs in ((columnar.stdout, ordinary.stdout), (columnar.stderr, ordinary.stderr)):
        for stdin, name in named.items():
            theirs = theirs.replace(stdin, name)
        assert ours == theirs
    return ordinary.stdout, ordinary.stderr


@pytest.mark.parametrize("name", sorted(CONFIGS))
@pytest.mark.parametrize("seed", range(3))
def test_columns_count_what_the_python_reader_counts(tmp_path, name, seed):
    text = export(random.Random(seed), 2500)
    summary, _ = file_and_stdin(tmp_path, text, "-q", config=name)
    assert "errors" in summary and " 0 errors" not in summary  # the odd rows really were there


@pytest.mark.parametrize("name", sorted(CONFIGS))
@pytest.mark.parametrize("seed", range(2))
@pytest.mark.parametrize("fmt", ["json", "csv", "table", "junit", "github", "markdown"])
def test_every_format_writes_from_columns_what_it_writes_from_the_python_reader(tmp_path, name, seed, fmt):
    """Byte for byte: every state, pauses, due times across the DST change, the mapped fields and labels,
    escalation levels and their messages (a template with every placeholder, and the default ones)."""
    text = export(random.Random(seed), 2500, titles=True)
    shown = [] if fmt == "table" else ["--all"]  # the table's list of unmatched issues is as wide as their file name
    report, _ = file_and_stdin(tmp_path, text, "-f", fmt, *shown, config=name)
    if fmt != "json":
        return
    results = json.loads(report)["results"]
    built_in = {s.value for s in State} - {State.NOT_STARTED.value}  # only a defined clock can be not started
    assert {r["state"] for r in results} == built_in - ({"warning"} if name == "utc-no-warn" else set())
    if name == "berlin":
        messages = {r["actions"][0]["message"] for r in results if r["actions"]}
        assert any(m.endswith("at L2 {literal}") for m in messages)
        assert any(m.endswith(" left") for m in messages) and any(m.startswith("Escalate ") for m in messages)
        assert any(r["paused_seconds"] for r in results) and any("ünïcode" in r["labels"] for r in results)


def test_a_percent_sign_in_a_policys_name_is_text_in_json(tmp_path, monkeypatch):
    monkeypatch.setitem(CONFIGS, "percent", CONFIGS["utc-no-warn"].replace("name: all", 'name: "all%s 100%%d"'))
    report, _ = file_and_stdin(tmp_path, export(random.Random(5), 1500), "-f", "json", config="percent")
    assert {r["policy"] for r in json.loads(report)["results"]} == {"all%s 100%%d"}


def test_json_results_agree_at_every_threshold_to_the_second(tmp_path):
    """Clocks that reach their target, a warning or an escalation step exactly at as_of or one second later,
    stop exactly at their due time or a second after it, or pause exactly when due: where `>=` and `>` part,
    the columns must still give the Python reader's results."""
    from datetime import datetime, timezone

    from escalate_cli.config import load_config
    from tests.reference import latest_start_reaching

    def stamp(moment: int) -> str:
        return datetime.fromtimestamp(moment, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    config_path = tmp_path / "berlin.yaml"
    config_path.write_text(CONFIGS["berlin"])
    cfg = load_config(config_path)
    filler = [f"F-{n},P3,open,api,,{stamp(BASE - 86_400)},,," for n in range(100)]
    rows = []
    for policy, (priority, team) in zip(cfg.policies, [("P1", "web"), ("P2", "web"), ("P3", "api")]):
        calendar = policy.calendar
        for metric, target in policy.targets.items():
            marks = {
                target,
                *(t.elapsed_at(target) for t in policy.warn),
                *(s.elapsed_at(target) for s in policy.steps),
            }
            for mark in sorted(marks):
                start = latest_start_reaching(calendar, mark, BASE, BASE - 400 * 86_400)
                assert start is not None and calendar.elapsed_ts(start, BASE) == mark
                for created in (start, start + 1):
                    due = calendar.add_ts(created, target)
                    for status, stop, updated in [
                        ("open", "", ""),
                        ("waiting", "", stamp(due)),  # paused from its due time on
                        ("open", stamp(due), stamp(due)),
                        ("open", stamp(due + 1), stamp(due + 1)),
                    ]:
                        first = stop if metric == "first_response" else ""
                        resolved = stop if metric != "first_response" else ""
                        row = [priority, status, team, "", stamp(created), first, resolved, updated]
                        rows.append(",".join([f"B-{len(rows)}", *row]))
    text = "\n".join([",".join(HEADER), *filler, *rows, ""])
    report, _ = file_and_stdin(tmp_path, text, "-f", "json")
    results = [r for r in json.loads(report)["results"] if r["issue"].startswith("B-")]
    assert {r["state"] for r in results} == {s.value for s in State} - {
        State.NOT_STARTED.value
    }  # built-in clocks start
    messages = {r["actions"][0]["message"].split(": ", 1)[-1] for r in results if r["actions"]}
    assert {"first_response due in 10m", "resolution overdue by 0s", "0s over, 8h left"} <= messages


def test_json_results_show_a_presets_codes_as_the_python_reader_does(tmp_path, monkeypatch):
    """A ServiceNow export with ISO timestamps: priority and state codes become their names in the results,
    in the policies' matching and in escalation messages, and "3" (On Hold) pauses the clocks."""
    monkeypatch.setitem(
        CONFIGS,
        "servicenow",
        """
source: servicenow
policies:
  - {name: critical, match: {priority: "1 - Critical"}, targets: {resolution: 4h}, warn: [50%],
     escalate: [{after: 100%, level: L2, action: "{id} is {priority}, {status}: {title}"}]}
  - {name: rest, targets: {resolution: 2d}}
""",
    )
    rng = random.Random(9)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["number", "short_description", "priority", "state", "opened_at", "resolved_at", "sys_updated_on"])
    for n in range(2500):
        created = BASE - rng.randrange(0, 3 * 86_400)
        resolved = created + rng.randrange(0, 86_400) if rng.random() < 0.3 else None
        writer.writerow(
            [
                f"INC{n:07d}",
                rng.choice(["Mail down", " VPN ", ""]),
                rng.choice(["1", "2", "3", "4", "5", " 1 ", "9"]),
                rng.choice(["1", "2", "3", "6", "7", "New"]),
                stamp_utc(created),
                "" if resolved is None else stamp_utc(resolved),
                stamp_utc(max(created, BASE - rng.randrange(0, 86_400))),
            ]
        )
    report, _ = file_and_stdin(tmp_path, out.getvalue(), "-f", "json", config="servicenow")
    results = json.loads(report)["results"]
    assert {r["priority"] for r in results} >= {"1 - Critical", "5 - Planning", "9"}
    assert "paused" in {r["state"] for r in results}
    assert any(r["actions"] and r["actions"][0]["message"].endswith("is 1 - Critical, On Hold: VPN") for r in results)


def stamp_utc(moment: int) -> str:
    from datetime import datetime, timezone

    return datetime.fromtimestamp(moment, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize(("delimiter", "newline"), [(",", "\r\n"), (";", "\n"), ("\t", "\r")])
def test_quoted_cells_and_line_breaks_read_as_the_csv_reader_reads_them(tmp_path, delimiter, newline):
    """Quoted delimiters, quotes and line breaks in cells, CRLF or CR line ends, blank lines, a tab or semicolon
    delimiter must all give the Python reader's counts and the same line numbers in its messages."""
    text = export(random.Random(5), 2500, delimiter=delimiter, newline=newline, titles=True)
    assert text.count(newline * 2) > 10 and text.count('"') > 1000
    file_and_stdin(tmp_path, text, "-q")
    report, _ = file_and_stdin(tmp_path, text, "-f", "json")  # every row's line, in its errors and results
    assert "two" + newline.replace("\r", "\\r").replace("\n", "\\n") + "lines" in report
    lines = text.split(newline)
    at = next(i for i in range(2000, len(lines)) if lines[i].startswith("T-"))  # a row starts there
    broken = newline.join([*lines[:at], f'X-1{delimiter}"ends"early{delimiter}' + lines[at], *lines[at + 1 :]])
    after, _ = file_and_stdin(tmp_path, broken, "-f", "json")  # a row error (allowed here), the rest evaluated
    errors = json.loads(after)["errors"]
    quote = f"malformed CSV: '{delimiter}' expected after '\"'"
    assert [e["message"] for e in errors if "CSV" in e["message"]] == [quote]
    assert json.loads(after)["summary"]["issues"] >= json.loads(report)["summary"]["issues"] - 1


REPO = Path(__file__).resolve().parents[2]
CONFIG_PATH = REPO / "benchmarks" / "config.yaml"


def _run_check(path, *options):
    args = ["check", str(path), "-c", str(CONFIG_PATH), "--as-of", AS_OF, "--fail-on", "never", *options]
    return args, CliRunner().invoke(app, args)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    sys.path.insert(0, str(CONFIG_PATH.parent))
    import generate

    return generate.write(tmp_path_factory.mktemp("gen") / "issues.csv", "csv", 2000, seed=3)


@pytest.mark.filterwarnings("error::ResourceWarning", "error::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("fmt", [["-q"], ["-f", "json"], ["-f", "table"]])
def test_the_export_file_is_closed_once_read(generated, fmt):
    """Read by columns or not, nothing is left for the garbage collector to close."""
    import gc

    _, result = _run_check(generated, *fmt)
    assert result.exit_code == 0, result.output
    gc.collect()


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_output_to_a_file_is_what_stdout_gets(generated, fmt, tmp_path):
    out = tmp_path / f"out.{fmt}"
    _, to_file = _run_check(generated, "-f", fmt, "-o", str(out))
    _, to_stdout = _run_check(generated, "-f", fmt)
    assert to_file.exit_code == to_stdout.exit_code == 0
    assert out.read_bytes() == to_stdout.stdout_bytes


@pytest.mark.parametrize("fmt", [["-f", "json"], ["-f", "csv"], ["-q"], ["--bogus"]])
def test_the_command_leaves_with_its_output_whole_and_its_exit_code(generated, fmt):
    """`main` ends the process with os._exit once the output is flushed: the command's stdout, stderr and exit
    code are those of the same run inside the test process."""
    import subprocess

    args, inside = _run_check(generated, *fmt)
    done = subprocess.run([sys.executable, "-m", "escalate_cli", *args], capture_output=True, cwd=REPO, check=False)
    assert done.returncode == inside.exit_code == (2 if "--bogus" in fmt else 0)
    if "--bogus" in fmt:
        assert b"No such option" in done.stderr
    else:
        assert done.stdout == inside.stdout_bytes and done.stdout.endswith(b"\n")


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"id,created\r\nA-1,2026-01-01\rB-2,2026-01-02\r\n", "a bare CR, which Python's reader takes as a line break"),
        (b'id,created\nA-1,"2026-01-01\n', "a quote left open"),
    ],
)
def test_the_columnar_reader_leaves_what_it_cannot_read_to_the_python_reader(tmp_path, data, why):
    from escalate_cli.engine.read_csv import read_cells

    assert read_cells("x.csv", data, None) is None, why


@pytest.mark.parametrize("case", ["event-log", "backtest-event-log"])
def test_explain_folds_only_its_issue_as_it_stands_among_the_others(case):
    """`explain ID` folds the rows of that id alone, the event-log decision taken over every id: the same
    issue, to the field and pause, as folding every issue."""
    from escalate_cli.pipeline import find_issue, load

    folder = Path("tests/cli/cases") / case
    export, config = [str(folder / "history.csv")], folder / "sla.yaml"
    as_of = datetime(2026, 3, 2, 16, tzinfo=timezone.utc)
    everything = load(export, config, as_of=as_of)
    ids = everything.rows.frame.get_column("id").unique(maintain_order=True).to_list()
    assert len(ids) >= 2 and everything.rows.frame.height > len(ids)  # a log
    for issue_id in ids:
        alone = load(export, config, as_of=as_of, only=issue_id)
        assert alone.frame.frame.height == 1
        assert find_issue(alone, issue_id) == find_issue(everything, issue_id)


@pytest.mark.parametrize("shape", ["ndjson", "list", "envelope"])
def test_a_lone_surrogate_is_replaced_on_the_way_in_with_one_located_warning(tmp_path, shape):
    """`"\\udfff"` is valid JSON but not text: every writer and the state file stopped on it (exit 4)."""
    records = [
        '{"id": "A-1", "created": "2026-11-02T09:00:00Z", "title": "pair \\ud83d\\ude00"}',
        '{"id": "A-2", "created": "2026-11-02T09:00:00Z", "title": "bad \\udfff", "team": "\\ud800"}',
        '{"id": "A-3", "created": "2026-11-02T09:00:00Z", "title": "again \\uDC00"}',
    ]
    text = {
        "ndjson": "\n".join(records) + "\n",
        "list": "[\n" + ",\n".join(records) + "\n]\n",
        "envelope": '{"issues": [\n' + ",\n".join(records) + "\n]}\n",
    }[shape]
    export = tmp_path / ("issues.ndjson" if shape == "ndjson" else "issues.json")
    export.write_text(text, encoding="utf-8")
    config = tmp_path / "sla.yaml"
    config.write_text(
        "fields: {team: team}\npolicies: [{name: all, match: {team: '~.*'}, targets: {resolution: 1h}}]\n"
    )
    base = ["check", str(export), "-c", str(config), "--as-of", "2026-11-02T11:00:00Z", "--fail-on", "never"]
    for extra in (
        ["-f", "json"],
        ["-f", "csv"],
        ["-f", "junit"],
        ["-f", "github"],
        [],
        ["--state", str(tmp_path / "s.db")],
    ):
        result = CliRunner().invoke(app, [*base, *extra])
        assert result.exit_code == 0, result.output
        assert result.stderr.count("lone UTF-16 surrogate") == 1
        line = 2 if shape == "ndjson" else 3  # the first record with one (a list opens on a line of its own)
        assert f"warning: {export}:{line}: 2 records of" in result.stderr
        assert "2 records of" in result.stderr
    document = json.loads(CliRunner().invoke(app, [*base, "-f", "json"]).stdout)
    assert [r["title"] for r in document["results"]] == ["pair 😀", "bad \ufffd", "again \ufffd"]


def test_exports_that_crashed_are_located_errors(tmp_path):
    """Each exited 4 with a traceback's last line (#21 point 17): now a located error, exit 3, the good rows
    still evaluated where the file can be read on."""

    config = tmp_path / "sla.yaml"
    config.write_text("policies: [{name: all, targets: {resolution: 4h}}]\n")
    huge = "9" * 5000  # past Python's limit on converting digits to an int: kept as its digits
    good = '{"id": "A-1", "created": "2026-11-02T09:00:00Z", "big": 1e400, "inf": Infinity, "n": ' + huge + "}"
    deep = '{"id": "A-2", "created": "2026-11-02T09:00:00Z", "x": ' + "[" * 100_000 + "]" * 100_000 + "}"
    cases = {
        "deep.ndjson": (f"{good}\n{deep}\n", "deep.ndjson:2: JSON nested too deeply to read", 1),
        "deep.json": (f"[{deep}]", "deep.json:1: JSON nested too deeply to read", 0),
        "digits.csv": (
            "id,created\nA-1,2026-11-02 09:00:00\nA-2,2026-11-02 09:" + "9" * 30 + "\n",
            "digits.csv:3: created: cannot parse '2026-11-02 09:999999999999999999999999999999'",
            1,
        ),
    }
    (tmp_path / "huge.json").write_text(f"[{good}]")
    result = CliRunner().invoke(app, ["check", str(tmp_path / "huge.json"), "-c", str(config), "-q"])
    assert result.exit_code in (0, 1) and "| 1 issue" in result.stdout, result.output
    for name, (text, message, evaluated) in cases.items():
        (tmp_path / name).write_text(text)
        result = CliRunner().invoke(app, ["check", str(tmp_path / name), "-c", str(config), "-q"])
        assert result.exit_code == 3 and message in result.stderr and "internal error" not in result.stderr
        assert f"| {evaluated} issue" in result.stdout or (evaluated == 0 and result.stdout == "")
    (tmp_path / "bad.csv.gz").write_bytes(b"not gzip at all")
    result = CliRunner().invoke(app, ["check", str(tmp_path / "bad.csv.gz"), "-c", str(config), "-q"])
    assert result.exit_code == 3 and f"{tmp_path / 'bad.csv.gz'}: cannot read: Not a gzipped file" in result.stderr


def test_a_partial_gzip_download_evaluates_the_rows_it_has_and_says_where_it_ends(tmp_path):
    """The ServiceNow log cut to 90% exited 4, then 3 with nothing evaluated (#21 point 5): the whole rows read
    before the cut are evaluated, the cut row is not, and the error names the line where the file ends."""
    import gzip

    config = tmp_path / "sla.yaml"
    config.write_text("policies: [{name: all, targets: {resolution: 4h}}]\n")
    rows = b"".join(b"A-%d,2026-11-02 09:00:00\n" % n for n in range(2000))
    packed = gzip.compress(b"id,created\n" + rows)
    cut = packed[: len(packed) * 9 // 10]
    (tmp_path / "cut.csv.gz").write_bytes(cut)
    whole_lines = zlib_prefix(cut).count(b"\n")
    result = CliRunner().invoke(app, ["check", str(tmp_path / "cut.csv.gz"), "-c", str(config), "-q"])
    assert result.exit_code == 3, result.output
    ends = f"{tmp_path / 'cut.csv.gz'}:{whole_lines + 1}: the compressed file ends too soon here"
    assert ends in result.stderr
    assert f"| {whole_lines - 1} issues" in result.stdout  # every whole row but the header


def zlib_prefix(data: bytes) -> bytes:
    """What a gzip that ends too soon decompresses to."""
    import zlib

    return zlib.decompressobj(wbits=31).decompress(data)


def test_a_byte_that_is_not_utf8_is_a_row_error_and_the_rest_of_the_file_is_read():
    """One bad byte at line 60,001 of the ServiceNow log evaluated none of its 20,769 incidents (#21 point 5): now
    its row is a located error (with the line it is on, for a cell that spans lines) and the others are read."""
    from escalate_cli.engine.read_csv import read_cells

    data = b'id,created,title\nA-1,2026-01-01,ok\nA-2,2026-01-01,"two\nli\xffnes"\nA-3,2026-01-01,\xfe\n'
    cells = read_cells("x.csv", data, None)
    assert cells is not None
    assert cells.frame.get_column("0").to_list() == ["A-1"]
    assert [str(e) for e in cells.errors] == [
        "x.csv:3: not UTF-8 text (byte 0xff on line 4)",
        "x.csv:5: not UTF-8 text (byte 0xfe)",
    ]


@pytest.mark.parametrize("shape", ["json", "ndjson"])
def test_a_partial_gzip_json_download_evaluates_the_records_before_the_cut(tmp_path, shape):
    """A JSON list or NDJSON export cut short: exit 3 with nothing evaluated (`gzip` lost what it had inflated of
    the last block); now every whole record is evaluated, the cut one is a located error, and the end is said."""
    import gzip

    config = tmp_path / "sla.yaml"
    config.write_text("policies: [{name: all, targets: {resolution: 4h}}]\n")
    records = [{"id": f"A-{n}", "created": "2026-11-02T09:00:00Z", "title": "x" * (n % 7)} for n in range(3000)]
    text = json.dumps(records, indent=1) if shape == "json" else "\n".join(json.dumps(r) for r in records)
    packed = gzip.compress(text.encode())
    cut = packed[: len(packed) * 9 // 10]
    path = tmp_path / f"cut.{shape}.gz"
    path.write_bytes(cut)
    inflated = zlib_prefix(cut).decode()
    whole = _whole_records(inflated, shape)
    assert 2000 < whole < 3000
    result = CliRunner().invoke(app, ["check", str(path), "-c", str(config), "-q"])
    assert result.exit_code == 3, result.output
    assert f"{path}: the compressed file ends too soon (a partial download?)" in result.stderr
    assert f"| {whole} issues" in result.stdout


def _whole_records(text: str, shape: str) -> int:
    """How many records of a JSON list or NDJSON text cut short are whole."""
    if shape == "ndjson":
        return sum(1 for line in text.splitlines() if line.rstrip().endswith("}"))
    decoder, pos, found = json.JSONDecoder(), text.index("[") + 1, 0
    while True:
        while pos < len(text) and text[pos] in " \n,":
            pos += 1
        try:
            _, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError:
            return found
        found += 1


@pytest.mark.parametrize("name", ["whole.json.gz", "members.ndjson.gz", "padded.ndjson.gz", "members.csv.gz"])
def test_a_whole_gzip_export_is_no_partial_download(tmp_path, name):
    """A whole file, of one member or several, or padded with zeros as some tools write it, ends where it should."""
    import gzip

    config = tmp_path / "sla.yaml"
    config.write_text("policies: [{name: all, targets: {resolution: 4h}}]\n")
    records = [{"id": f"A-{n}", "created": "2026-11-02T09:00:00Z"} for n in range(40)]
    if name.startswith("whole"):
        packed = gzip.compress(json.dumps(records).encode())
    elif name.endswith(".csv.gz"):
        lines = [b"id,created\n", *(f"{r['id']},{r['created']}\n".encode() for r in records)]
        packed = gzip.compress(b"".join(lines[:20])) + gzip.compress(b"".join(lines[20:]))
    else:
        text = [json.dumps(r).encode() + b"\n" for r in records]
        packed = gzip.compress(b"".join(text[:20])) + gzip.compress(b"".join(text[20:]))
        packed += b"\0" * 64 if name.startswith("padded") else b""
    (tmp_path / name).write_bytes(packed)
    result = CliRunner().invoke(app, ["check", str(tmp_path / name), "-c", str(config), "-q"])
    assert result.stderr == "" and "| 40 issues, 0 unmatched, 0 errors" in result.stdout, result.output
