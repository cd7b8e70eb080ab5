"""The columnar CSV reader against the Python one (the oracle): the same issues, errors and warnings, on random
exports with the quirks real ones have."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escalate_cli.config import parse_config
from escalate_cli.engine.read import _columnar
from escalate_cli.history import resolve
from escalate_cli.pipeline import load_prepared, read_options
from escalate_cli.readers.issues import collect
from escalate_cli.sla import policy_name

AS_OF = int(datetime(2026, 11, 20, 12, tzinfo=timezone.utc).timestamp())
BASE = datetime(2026, 10, 25, 0, 30)  # Europe/Berlin's fall-back night


def stamp(draw) -> str:
    kind = draw(st.integers(0, 12))
    moment = BASE + timedelta(minutes=draw(st.integers(-3000, 3000)) * 7, seconds=draw(st.sampled_from([0, 0, 13])))
    if kind == 0:
        garbage = [
            "",
            "  ",
            "n/a",
            "NULL",
            "tomorrow",
            "2026-02-30 10:00:00",
            "1850-01-01",
            "2026-11-18T14:12:23+99:00",
        ]
        return draw(st.sampled_from([*garbage, "2026-11-18 14:12:23+2399", "2026-11-18T14:12:23+23:59"]))
    if kind == 1:
        return moment.strftime(
            draw(st.sampled_from(["%d/%b/%y %I:%M %p", "%d/%b/69 %I:%M %p", "%d/%b/%y %I:%M%p"]))
        )  # Jira
    if kind == 2:
        return moment.strftime("%Y-%m-%dT%H:%M:%S") + draw(st.sampled_from(["Z", "+01:00", "-0530", "+02"]))
    if kind == 3:
        return moment.strftime("%m/%d/%Y %H:%M")
    if kind == 4:
        return moment.strftime("%Y-%m-%d")
    if kind in (10, 11):  # day first (ServiceNow, Excel in Europe), which the field's vote may or may not take
        layout = draw(st.sampled_from(["%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y %H:%M:%S"]))
        return moment.strftime(layout)
    if kind == 12:
        return draw(st.sampled_from(["31/02/2026 10:00", "13/13/2026 10:00", "29/03/2026 02:30", "25/10/2026 02:30"]))
    if kind == 5:  # inside the hour that comes twice, or the one that never comes (Europe/Berlin)
        night = draw(st.sampled_from([datetime(2026, 10, 25, 2), datetime(2026, 3, 29, 2)]))
        return (night + timedelta(seconds=draw(st.integers(0, 3599)))).strftime("%Y-%m-%d %H:%M:%S")
    return moment.strftime("%Y-%m-%d %H:%M:%S") + draw(st.sampled_from(["", "", ".250"]))


TEXT = st.lists(st.sampled_from([*'ab ,;"\n\u00e9', "\r\n"]), max_size=8).map("".join)


@st.composite
def exports(draw):
    columns = ["id", "title", "priority", "status", "created", "first_response", "resolved", "updated", "team"]
    columns = [c for c in columns if c in ("id", "created") or draw(st.booleans())]
    labels = draw(st.integers(0, 3))
    header = [*columns, *(["labels"] * labels)]
    rows: list[list[str] | str] = []
    for n in range(draw(st.integers(0, 25))):
        shape = draw(st.integers(0, 20))
        if shape == 0:
            rows.append(draw(st.sampled_from(["", "   "])))  # a blank line
            continue
        cells = []
        for column in header:
            if column == "id":
                cells.append(draw(st.sampled_from([f"T-{n}", f"T-{n}", f" T-{n} ", ""])))
            elif column in ("created", "first_response", "resolved", "updated"):
                cells.append(stamp(draw))
            elif column == "priority":
                cells.append(draw(st.sampled_from(["P1", "p2", " P3 ", ""])))
            elif column == "status":
                cells.append(draw(st.sampled_from(["Open", "resolved", "Waiting for customer", "closed "])))
            elif column == "team":
                cells.append(draw(st.sampled_from(["eu", "us", ""])))
            else:
                cells.append(draw(TEXT))
        if shape == 1:
            cells = cells[: draw(st.integers(1, len(cells)))]  # a short row
        elif shape == 2:
            cells.append("extra")  # a long row
        rows.append(cells)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=draw(st.sampled_from(["\n", "\r\n"])))
    writer.writerow(header)
    for row in rows:
        if isinstance(row, str):
            out.write(row + "\n")
        else:
            writer.writerow(row)
    return ("\ufeff" if draw(st.booleans()) else "") + out.getvalue()


CONFIG = parse_config(
    {
        "timezone": "Europe/Berlin",
        "statuses": {"closed": ["resolved", "closed"], "paused": ["waiting for customer"]},
        "policies": [
            {"name": "p1", "match": {"priority": "p1", "team": "eu"}, "targets": {"resolution": "4h"}},
            {"name": "rest", "targets": {"first_response": "1h"}},
        ],
    }
)


def python_reading(path, config):
    options = read_options(config, keep=frozenset())
    collected = collect([str(path)], config, options)
    issues, notes = resolve(collected.groups, AS_OF, config.statuses, config.history, policy_name(config.policies))
    return issues, collected.errors, collected.warnings + notes


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(exports())
def test_columnar_reading_gives_what_the_python_reader_gives(tmp_path, text):
    path = tmp_path / "export.csv"
    path.write_bytes(text.encode("utf-8"))
    try:
        expected = python_reading(path, CONFIG)
    except Exception as exc:  # the whole export refused (a malformed quote): the same refusal
        try:
            load_prepared([str(path)], CONFIG, AS_OF, read_options(CONFIG, keep=frozenset()))
        except Exception as again:
            assert str(again) == str(exc)
            return
        raise AssertionError(f"the columnar path read what the Python reader refused: {exc}") from None
    loaded = load_prepared([str(path)], CONFIG, AS_OF, read_options(CONFIG, keep=frozenset()))
    assert (loaded.issues, loaded.errors, loaded.warnings) == expected


def test_the_columnar_reader_takes_a_plain_export(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text('id,created,title\nA-1,2026-11-02 09:00:00,"two\nlines"\n\nA-2,02/Nov/26 9:15 AM,x\n')
    fields, raw = ("title", "priority", "status"), ()
    frame = _columnar(str(path), CONFIG, read_options(CONFIG, keep=frozenset()), fields, raw, [], [])
    assert frame is not None and frame.frame.get_column("where").to_list() == [f"{path}:2", f"{path}:5"]


def test_json_records_whose_matched_values_are_not_text_keep_their_meaning(tmp_path):
    """Issues the Python readers build join the frame in chunks; a chunk whose kept values are all text is held
    by the columns alone, any other keeps its objects (a number matches as its text, a list by its items)."""
    import json

    records = [
        {"id": "A-1", "created": "2026-11-02T09:00:00Z", "team": 5},
        {"id": "A-2", "created": "2026-11-02T09:00:00Z", "team": "5"},
        {"id": "A-3", "created": "2026-11-02T09:00:00Z", "team": ["4", 5]},
        {"id": "A-4", "created": "2026-11-02T09:00:00Z", "team": "6"},
    ]
    config = parse_config({"policies": [{"name": "five", "match": {"team": "5"}, "targets": {"resolution": "1h"}}]})
    for name, rows in (("mixed.json", records), ("text.json", [records[1], records[3]])):
        path = tmp_path / name
        path.write_text(json.dumps(rows), encoding="utf-8")
        loaded = load_prepared([str(path)], config, AS_OF, read_options(config, keep=frozenset()))
        from escalate_cli.pipeline import evaluate_loaded

        report = evaluate_loaded(loaded)
        matched = sorted(c.issue.id for c in report.clocks)
        assert matched == (["A-1", "A-2", "A-3"] if name == "mixed.json" else ["A-2"])
        assert [i.id for i in report.unmatched] == ["A-4"]
