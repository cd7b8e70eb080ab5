"""JUnit, markdown and GitHub annotations written by columns against the writers that built them one `Clock` at
a time (`tests.reference_writers`; JUnit as ElementTree writes it): from the clock frame and from `Clock`s, for
random exports whose titles hold the formats' special characters and control characters, in zones whose
offsets once had seconds, for every --fail-on."""

from __future__ import annotations

import random
import xml.etree.ElementTree as ET

import pytest
import yaml

from escalate_cli.config import parse_config
from escalate_cli.model import Severity
from escalate_cli.pipeline import evaluate_loaded, load_prepared, read_options
from escalate_cli.writers import github, junit, markdown
from tests import reference_writers
from tests.cli.test_columnar import BASE, CONFIGS, export

ODD = "a <b> & \"c\" 'd' | \\ % :, \x01 \t tab\r\n"


QUOTED = '"' + ODD.replace('"', '""') + '"'  # as a CSV cell


def reports(path, config):
    loaded = load_prepared([str(path)], config, BASE, read_options(config, keep=frozenset()))
    return evaluate_loaded(loaded), evaluate_loaded(loaded, keep_clocks=False, as_table=True)


@pytest.mark.parametrize("zone", ["Europe/Berlin", "Asia/Kolkata", "UTC"])
@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_junit_by_columns_is_elementtrees(tmp_path, zone, name):
    spec = yaml.safe_load(CONFIGS[name])
    spec["timezone"] = zone
    spec["policies"][0]["name"] = '<urgent & "co">'  # a suite name to escape, sorted first
    config = parse_config(spec)
    text = export(random.Random(len(zone) + len(name)), 900, titles=True).replace("Slow page", QUOTED)
    path = tmp_path / "issues.csv"
    path.write_text(text + "OLD-1,P1,open,web,,1901-01-01T10:00:00,,,,old\n", encoding="utf-8")
    from_clocks, from_frame = reports(path, config)
    assert from_clocks.clocks and any(c.issue.id == "OLD-1" for c in from_clocks.clocks)
    for fail_on in Severity:
        expected = reference_writers.junit(from_clocks, tz=config.timezone, fail_on=fail_on)
        assert "&lt;urgent &amp; &quot;co&quot;&gt;" in expected
        assert ("+05:21:10" in expected) is (zone == "Asia/Kolkata")
        if fail_on is Severity.WARNING:
            assert "&lt;b&gt; &amp; &quot;c&quot;" in expected and '&lt;b&gt; &amp; "c"' in expected
        assert junit.render(from_clocks, tz=config.timezone, fail_on=fail_on) == expected
        assert junit.render(from_frame, tz=config.timezone, fail_on=fail_on) == expected
        ET.fromstring(expected)  # control characters in titles no longer make it unparseable
    tz = config.timezone
    for show_all in (False, True):
        expected = reference_writers.markdown(from_clocks, tz=tz, show_all=show_all)
        assert "\\| \\\\ %" in expected
        assert markdown.render(from_clocks, tz=tz, show_all=show_all) == expected
        assert markdown.render(from_frame, tz=tz, show_all=show_all) == expected
    expected = reference_writers.github(from_clocks, tz=tz)
    assert "%25 %3A%2C" not in expected and "%25 :, " in expected and "title=escalate%3A bad input" in expected
    assert github.render(from_clocks, tz=tz) == github.render(from_frame, tz=tz) == expected


def test_a_report_without_clocks(tmp_path):
    config = parse_config({"policies": [{"name": "p", "match": {"priority": "P1"}, "targets": {"resolution": "4h"}}]})
    path = tmp_path / "issues.csv"
    path.write_text("id,created,priority\nA-1,2026-11-02 09:00:00,P9\nA-2,never,P1\n", encoding="utf-8")
    from_clocks, from_frame = reports(path, config)
    expected = reference_writers.junit(from_clocks, tz=config.timezone)
    assert 'errors="1" />' in expected
    assert junit.render(from_clocks, tz=config.timezone) == junit.render(from_frame, tz=config.timezone) == expected
    for writer in (reference_writers.markdown, reference_writers.github):
        expected = writer(from_clocks, tz=config.timezone)
        new = markdown if writer is reference_writers.markdown else github
        assert new.render(from_clocks, tz=config.timezone) == new.render(from_frame, tz=config.timezone) == expected


def test_markdown_cells_stay_text(tmp_path):
    """Raw HTML, autolinks, links and images in a title went into the step summary as they were, and a `--by`
    value with a line break or `|` broke `report -f markdown`'s table."""
    from escalate_cli.stats import summarize_table
    from escalate_cli.writers import stats as report_writer

    config = parse_config({"policies": [{"name": "all", "targets": {"resolution": "1h"}}]})
    path = tmp_path / "issues.csv"
    title = "<img src=x onerror=alert(1)> ![x](http://e.example/p.png) [a](http://e.example) <http://e.example>"
    path.write_text(f'id,created,title,team\nA-1,2026-03-02 09:00:00,"{title}","web|\nops"\n', encoding="utf-8")
    loaded = load_prepared([str(path)], config, BASE, read_options(config, keep=frozenset({"team"})))
    text = markdown.render(evaluate_loaded(loaded, keep_clocks=False, as_table=True), tz=config.timezone)
    row = text.splitlines()[-1]
    assert "<" not in row and "](" not in row.replace("\\](", "") and "&lt;img" in row and "!\\[x\\](" in row
    assert row.count(" | ") == 7  # one line, eight cells
    table = evaluate_loaded(loaded, keep_clocks=False, as_table=True).table
    assert table is not None
    stats = report_writer.render_markdown(summarize_table(table, ["team"], "month", config.timezone))
    assert "| all | resolution | web\\| ops |" in stats
