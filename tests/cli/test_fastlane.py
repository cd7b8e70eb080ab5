"""The fast lane must count exactly what the ordinary path counts, whatever the rows hold.

Random exports mix the plain rows the lane reads itself with every kind of row it must hand back (other timestamp
forms, null markers, errors, issues from the future, unmatched ones, padded ids), under configs that use pauses,
the update metric, warnings and calendars with DST; `check -q` on the file (streamed, fast lane) must print what
`check -q` on stdin (the ordinary path) prints.
"""

from __future__ import annotations

import csv
import io
import json
import random
from typing import Any

import pytest
from typer.testing import CliRunner

from escalate_cli.cli import app
from escalate_cli.fastlane import Lane
from escalate_cli.lane_json import JsonResults
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


@pytest.fixture
def written(monkeypatch) -> list[int]:
    """One entry per issue whose results the lane writes itself (in this process: exports below the split size)."""
    issues: list[int] = []
    original = JsonResults.issue

    def counted(self: JsonResults, *args: Any) -> None:
        issues.append(1)
        original(self, *args)

    monkeypatch.setattr(JsonResults, "issue", counted)
    return issues


@pytest.mark.parametrize("name", sorted(CONFIGS))
@pytest.mark.parametrize("seed", range(2))
def test_the_lane_writes_the_json_results_the_ordinary_path_writes(tmp_path, written, name, seed):
    """The results of plain rows, which the lane writes from their cells (lane_json), must be the ordinary
    path's byte for byte: every state, pauses, due times across the DST change, the mapped fields and labels,
    escalation levels and their messages (a template with every placeholder, and the default ones)."""
    text = export(random.Random(seed), 2500, titles=True)
    report, _ = file_and_stdin(tmp_path, text, "-f", "json", config=name)
    assert len(written) > 500  # of the 1500 rows after the first 1000 (one in four timestamps is odd)
    results = json.loads(report)["results"]
    assert {r["state"] for r in results} == {s.value for s in State} - ({"warning"} if name == "utc-no-warn" else set())
    if name == "berlin":
        messages = {r["actions"][0]["message"] for r in results if r["actions"]}
        assert any(m.endswith("at L2 {literal}") for m in messages)
        assert any(m.endswith(" left") for m in messages) and any(m.startswith("Escalate ") for m in messages)
        assert any(r["paused_seconds"] for r in results) and any("ünïcode" in r["labels"] for r in results)


def test_a_percent_sign_in_a_policys_name_is_text_in_the_lanes_json(tmp_path, monkeypatch, written):
    """The writer's result template doubles a name's "%"; the lane reads "%%s" as a "%" and an "s", no slot."""
    monkeypatch.setitem(CONFIGS, "percent", CONFIGS["utc-no-warn"].replace("name: all", 'name: "all%s 100%%d"'))
    report, _ = file_and_stdin(tmp_path, export(random.Random(5), 1500), "-f", "json", config="percent")
    assert written
    assert {r["policy"] for r in json.loads(report)["results"]} == {"all%s 100%%d"}


def test_the_lanes_json_results_agree_at_every_threshold_to_the_second(tmp_path, written):
    """Clocks that reach their target, a warning or an escalation step exactly at as_of or one second later,
    stop exactly at their due time or a second after it, or pause exactly when due: where `>=` and `>` part,
    the lane must still write the ordinary path's results."""
    from datetime import datetime, timezone

    from escalate_cli.config import load_config
    from escalate_cli.sla import latest_start_reaching

    def stamp(moment: int) -> str:
        return datetime.fromtimestamp(moment, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    config_path = tmp_path / "berlin.yaml"
    config_path.write_text(CONFIGS["berlin"])
    cfg = load_config(config_path)
    filler = [f"F-{n},P3,open,api,,{stamp(BASE - 86_400)},,," for n in range(1000)]  # the head, read the usual way
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
                        first = stop if metric.value == "first_response" else ""
                        resolved = stop if metric.value != "first_response" else ""
                        row = [priority, status, team, "", stamp(created), first, resolved, updated]
                        rows.append(",".join([f"B-{len(rows)}", *row]))
    text = "\n".join([",".join(HEADER), *filler, *rows, ""])
    report, _ = file_and_stdin(tmp_path, text, "-f", "json")
    assert len(written) + 6 >= len(rows)  # the first row of each new combination of key fields teaches the lane
    results = [r for r in json.loads(report)["results"] if r["issue"].startswith("B-")]
    assert {r["state"] for r in results} == {s.value for s in State}
    messages = {r["actions"][0]["message"].split(": ", 1)[-1] for r in results if r["actions"]}
    assert {"first_response due in 10m", "resolution overdue by 0s", "0s over, 8h left"} <= messages


def test_the_lanes_json_results_show_a_presets_codes_as_the_ordinary_path_does(tmp_path, monkeypatch, written):
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
    assert len(written) > 1400
    results = json.loads(report)["results"]
    assert {r["priority"] for r in results} >= {"1 - Critical", "5 - Planning", "9"}
    assert "paused" in {r["state"] for r in results}
    assert any(r["actions"] and r["actions"][0]["message"].endswith("is 1 - Critical, On Hold: VPN") for r in results)


def stamp_utc(moment: int) -> str:
    from datetime import datetime, timezone

    return datetime.fromtimestamp(moment, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


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
