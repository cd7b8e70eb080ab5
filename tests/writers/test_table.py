"""The terminal table: written from the clock frame as from `Clock`s, one line per clock at any width from 60,
columns dropped in their stated order, nothing from an export that breaks a line or reaches the terminal as a
control sequence, and colour and width as the environment asks."""

from __future__ import annotations

import random

import pytest
import yaml
from rich.cells import cell_len

from escalate_cli.cli import ColorChoice, _use_color, _width
from escalate_cli.config import parse_config
from escalate_cli.pipeline import evaluate_loaded, load_prepared, read_options
from escalate_cli.writers import table
from tests.cli.test_check import EXAMPLE, run
from tests.cli.test_columnar import BASE, CONFIGS, export

ODD_TITLES = ("日本語のタイトルがとても長い場合の表示", "two\nlines\r\n", "\x1b[31mred\x1b[0m", "tab\there", "é" * 70)


SPEC = """
timezone: UTC
policies:
  - {name: all, targets: {first_response: 1h, resolution: 1d},
     escalate: [{after: 50%, level: L1, action: "{id}: {elapsed:>12} of {target}"}, {after: 100%, level: L2}]}
"""  # a template with a format spec: the scalar code fills it in


def reports(tmp_path, name="berlin", zone="Europe/Berlin", rows=600):
    spec = yaml.safe_load({**CONFIGS, "spec": SPEC}[name])
    spec["timezone"] = zone
    config = parse_config(spec)
    rng = random.Random(rows)
    text = export(rng, rows, titles=True)
    text = text.replace("Slow page", ODD_TITLES[0]).replace('say "hi"', ODD_TITLES[2]).replace("a, b", ODD_TITLES[4])
    path = tmp_path / "issues.csv"
    path.write_text(text, encoding="utf-8")
    loaded = load_prepared([str(path)], config, BASE, read_options(config, keep=frozenset()))
    return config, evaluate_loaded(loaded), evaluate_loaded(loaded, keep_clocks=False, as_table=True)


@pytest.mark.parametrize("name", [*sorted(CONFIGS), "spec"])
@pytest.mark.parametrize("width", [60, 80, 120, None])
def test_the_table_from_the_frame_is_the_table_from_clocks(tmp_path, name, width):
    config, from_clocks, from_frame = reports(tmp_path, name)
    assert from_clocks.table is None and from_frame.table is not None and not from_frame.clocks
    if name == "spec":
        assert any(": " + " " * 6 in a.message for c in from_clocks.clocks for a in c.actions)
    for show_all in (False, True):
        options = {"tz": config.timezone, "show_all": show_all, "width": width or 120, "wide": width is None}
        expected = table.render(from_clocks, **options)
        assert table.render(from_frame, **options) == expected
        assert table.render(from_frame, color=True, **options) == table.render(from_clocks, color=True, **options)


@pytest.mark.parametrize("width", range(60, 181, 7))
def test_one_line_per_clock_within_the_width(tmp_path, width):
    config, report, _ = reports(tmp_path)
    lines = table.render(report, tz=config.timezone, width=width, show_all=True).splitlines()
    unmatched = len(report.unmatched) + 2 if report.unmatched else 0
    assert len(lines) == 1 + len(report.clocks) + unmatched + 1  # heading, clocks, unmatched, summary
    assert all(cell_len(line) <= width for line in lines[:-1])
    assert not any(char in "".join(lines) for char in "\x1b\r\t")
    assert "日本語" in "".join(lines) or width < 80


def test_columns_are_dropped_in_their_stated_order(tmp_path):
    config, report, _ = reports(tmp_path)
    seen = []
    for width in range(200, 59, -1):
        heading = table.render(report, tz=config.timezone, width=width).splitlines()[0]
        kept = [c.heading for c in table.CLOCKS if c.heading in heading or c.heading[:6] in heading]
        if not seen or kept != seen[-1]:
            seen.append(kept)
    dropped = [next(h for h in before if h not in after) for before, after in zip(seen, seen[1:])]
    assert dropped == ["Policy", "Due", "Level"]
    assert seen[-1] == ["State", "Issue", "Metric", "Business time", "Action / title"]


def test_the_last_column_is_cut_with_an_ellipsis_and_wide_keeps_it(tmp_path):
    config, report, _ = reports(tmp_path)

    def clock_lines(**options):
        text = table.render(report, tz=config.timezone, width=100, **options)
        return text.split("Matched by no policy")[0]

    narrow, wide = clock_lines(), clock_lines(wide=True)
    assert "…" in narrow and "é" * 70 in wide and "é" * 70 not in narrow
    assert max(cell_len(line) for line in wide.splitlines()) > 100
    assert "two lines" in wide  # a line break in a title prints as a space


def test_wide_characters_are_padded_by_the_cells_they_take():
    cells = table.pl.DataFrame({"issue": ["日本", "ab"], "where": ["x", "y"], "title": ["t", "u"]})
    lines = table.layout(cells, table.UNMATCHED, None, False).splitlines()
    assert [cell_len(line[: line.index(mark)]) for line, mark in zip(lines, "Wxy")] == [7, 7, 7]


def test_under_60_columns_the_table_is_60_wide(tmp_path):
    config, report, _ = reports(tmp_path)
    assert table.render(report, tz=config.timezone, width=20) == table.render(report, tz=config.timezone, width=60)


AT = ["--as-of", "2026-11-20T14:00:00+01:00"]


@pytest.mark.parametrize(
    ("env", "args", "colored"),
    [
        ({}, [], False),  # not a terminal
        ({"FORCE_COLOR": "1"}, [], True),
        ({"FORCE_COLOR": ""}, [], False),
        ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, [], False),
        ({"FORCE_COLOR": "1", "NO_COLOR": ""}, [], True),  # an empty NO_COLOR is not set
        ({}, ["--color", "always"], True),
        ({"FORCE_COLOR": "1"}, ["--color", "never"], False),
        ({"NO_COLOR": "1"}, ["--color", "always"], True),
    ],
)
def test_colour_follows_the_flag_then_the_environment(env, args, colored):
    result = run([*EXAMPLE, *AT, *args], env=env)
    assert result.exit_code == 1
    assert ("\x1b[1;31mbreached\x1b[0m" in result.stdout) is colored
    assert ("\x1b[" in result.stdout) is colored


def test_colour_rules(monkeypatch):
    for name in ("NO_COLOR", "FORCE_COLOR", "TERM"):
        monkeypatch.delenv(name, raising=False)
    assert _use_color(ColorChoice.AUTO, tty=True) and not _use_color(ColorChoice.AUTO, tty=False)
    monkeypatch.setenv("TERM", "dumb")
    assert not _use_color(ColorChoice.AUTO, tty=True) and _use_color(ColorChoice.ALWAYS, tty=False)


def test_the_width_is_columns_when_not_a_terminal(monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    assert _width(tty=False) == 120
    monkeypatch.setenv("COLUMNS", "80")
    assert _width(tty=False) == 80
    monkeypatch.setenv("COLUMNS", "eighty")
    assert _width(tty=False) == 120
    narrow = run([*EXAMPLE, *AT], env={"COLUMNS": "80"}).stdout.splitlines()
    assert narrow[0].split() == ["State", "Issue", "Metric", "Business", "time", "Action", "/", "title"]
    assert all(len(line) <= 80 for line in narrow[:-1])
    wide = run([*EXAMPLE, *AT, "--wide"], env={"COLUMNS": "80"}).stdout
    assert "Escalate OPS-101 (P1) to the team lead: resolution overdue by 1h30m" in wide
