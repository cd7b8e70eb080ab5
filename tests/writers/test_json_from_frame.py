"""JSON results and CSV rows written from the clock frame (`engine.results`) against those written from
`Clock`s (the scalar writers): the same bytes, for random exports under configs with pauses, ladders and
templates, in zones whose offsets once had seconds, with titles holding quotes, backslashes and control
characters."""

from __future__ import annotations

import random

import pytest
import yaml

from escalate_cli.config import parse_config
from escalate_cli.pipeline import evaluate_loaded, load_prepared, read_options
from escalate_cli.writers import csv_, json_
from tests.cli.test_columnar import BASE, CONFIGS, export


def both(path, config, as_of, writer=json_):
    options = read_options(config, keep=frozenset())
    loaded = load_prepared([str(path)], config, as_of, options)
    from_clocks = writer.render(evaluate_loaded(loaded), tz=config.timezone)
    from_frame = writer.render(evaluate_loaded(loaded, keep_clocks=False, as_table=True), tz=config.timezone)
    return from_clocks, from_frame


@pytest.mark.parametrize("zone", ["Europe/Berlin", "Asia/Kolkata", "America/New_York", "UTC"])
@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_results_from_the_frame_are_the_scalar_writers(tmp_path, zone, name):
    spec = yaml.safe_load(CONFIGS[name])
    spec["timezone"] = zone
    config = parse_config(spec)
    text = export(random.Random(len(zone) + len(name)), 1500, titles=True)
    text = text.replace("Slow page", 'Slow "page" \\ \x01 \x0c tab\t')  # escapes and a control character
    path = tmp_path / "issues.csv"
    path.write_text(text, encoding="utf-8")
    from_clocks, from_frame = both(path, config, BASE)
    assert "\\u0001" in from_clocks and "\\f" in from_clocks
    assert from_frame == from_clocks
    from_clocks, from_frame = both(path, config, BASE, csv_)
    assert '"Slow ""page""' in from_clocks and '"two\nlines"' in from_clocks
    assert from_frame == from_clocks


def test_an_offset_with_seconds_is_written_as_python_writes_it(tmp_path):
    """Kolkata's clocks were 5h21m10s ahead of UTC until 1906: Polars would print +05:21."""
    config = parse_config({"timezone": "Asia/Kolkata", "policies": [{"name": "all", "targets": {"resolution": "4h"}}]})
    path = tmp_path / "old.csv"
    path.write_text("id,created,resolved\nA-1,1901-01-01 10:00:00,1901-01-01 12:00:00\n", encoding="utf-8")
    from_clocks, from_frame = both(path, config, BASE)
    assert '"started_at": "1901-01-01T10:00:00+05:21:10"' in from_clocks
    assert from_frame == from_clocks
    from_clocks, from_frame = both(path, config, BASE, csv_)
    assert "1901-01-01T10:00:00+05:21:10" in from_clocks and from_frame == from_clocks


def test_every_placeholder_of_a_template_is_filled_in_by_columns_as_by_the_scalar_writer(tmp_path):
    """Every placeholder (a field the export lacks prints as nothing; nobody notified reads "nobody"), literal
    braces, and a template with a format spec, which the scalar writer fills in."""
    every = " ".join(f"{{{name}}}" for name in ("id", "metric", "policy", "calendar", "state", "level", "notify"))
    every += " {overdue} {remaining} {elapsed} {target} {due} {labels} {title} {team} {created} {{braces}}"
    config = parse_config(
        {
            "timezone": "Europe/Berlin",
            "fields": {"team": {"column": "team"}},
            "policies": [
                {
                    "name": "all",
                    "targets": {"first_response": "30m", "resolution": "4h", "update": "1d"},
                    "escalate": [
                        {"after": "25%", "level": "L1", "action": every},
                        {"after": "50%", "level": "L2", "notify": ["lead"]},
                        {"after": "100%", "level": "L3", "notify": ["head"], "action": "{id}: {elapsed:>12}"},
                    ],
                }
            ],
        }
    )
    path = tmp_path / "issues.csv"
    path.write_text(export(random.Random(11), 800, titles=True), encoding="utf-8")
    for writer in (json_, csv_):
        from_clocks, from_frame = both(path, config, BASE, writer)
        assert "nobody" in from_clocks and "{braces}" in from_clocks and ": " + " " * 4 in from_clocks
        assert from_frame == from_clocks


def test_a_report_without_clocks_is_written_from_the_frame_as_from_clocks(tmp_path):
    """No issue matches a policy: no clock at all (it stopped JSON and CSV output with an internal error)."""
    config = parse_config({"policies": [{"name": "p", "match": {"priority": "P1"}, "targets": {"resolution": "4h"}}]})
    path = tmp_path / "issues.csv"
    path.write_text("id,created,priority\nA-1,2026-11-02 09:00:00,P9\n", encoding="utf-8")
    for writer in (json_, csv_):
        from_clocks, from_frame = both(path, config, BASE, writer)
        assert from_frame == from_clocks


def test_csv_text_cells_a_spreadsheet_would_run_get_a_quote_first(tmp_path):
    """`=`, `+`, `-`, `@`, a tab or a carriage return starting a text cell (CSV injection): `'` first, by both
    writers; numbers (a negative remaining_seconds) stay numbers."""
    config = parse_config({"fields": {"team": "team"}, "policies": [{"name": "=all", "targets": {"resolution": "1h"}}]})
    path = tmp_path / "issues.csv"
    rows = [
        '"=HYPERLINK(""http://x"")",2026-03-02 09:00:00,+team',
        "-1+2,2026-03-02 09:00:00,@SUM(A1)",
        'ok,2026-03-02 09:00:00,"\tTab"',
    ]
    path.write_text("id,created,team\n" + "\n".join(rows) + "\n", encoding="utf-8")
    from_clocks, from_frame = both(path, config, BASE, csv_)
    assert from_frame == from_clocks
    assert '"\'=HYPERLINK(""http://x"")",resolution,\'=all' in from_clocks
    assert "'-1+2" in from_clocks and "'@SUM(A1)" in from_clocks and "'+team" in from_clocks
    assert ",Tab," in from_clocks  # fields are stripped: the tab never starts the cell
    assert ",-" in from_clocks  # remaining_seconds below zero, written as the number it is
