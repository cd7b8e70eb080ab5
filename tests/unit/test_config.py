from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from escalate_cli.config import load_config, parse_config
from escalate_cli.errors import ConfigError
from escalate_cli.model import Metric, Step, Threshold

BASE = {"policies": [{"name": "p", "targets": {"resolution": "4h"}}]}


def with_policy(**policy):
    return {"policies": [{"name": "first", "targets": {"resolution": "1h"}}, {"name": "second", **policy}]}


def with_calendar(**calendar):
    return {
        "calendars": {"office": calendar},
        "policies": [{"name": "p", "calendar": "office", "targets": {"resolution": "4h"}}],
    }


def with_hook(**hook):
    return {**BASE, "channels": {"hook": {"type": "webhook", **hook}}}


ERRORS = [
    pytest.param(  # every mistake at once: the misspelt key, and the key it left missing
        {"polices": []},
        "polices: unknown key (did you mean 'policies'?)\npolicies: required: a list of SLA policies",
        id="unknown-top-key",
    ),
    pytest.param(
        {
            **BASE,
            "channels": {
                "mail": {"type": "email", "host": "smtp.example.com", "from": "a@b", "to": "c@d", "username": "u"}
            },
        },
        "channels.mail.username: the password would cross the network in clear text: set starttls: true or "
        "ssl: true, or allow_plaintext: true for a server on this host or a trusted network",
        id="smtp-auth-in-clear",
    ),
    pytest.param(
        with_hook(url="http://[::1"), "channels.hook.url: not a URL (Invalid IPv6 URL)", id="webhook-url-broken"
    ),
    pytest.param(
        with_hook(url="https:///hooks?token=s3cret"),
        "channels.hook.url: expected a URL with a host and no spaces or control characters",
        id="webhook-url-no-host",
    ),
    pytest.param(
        with_hook(url="ftp://user:s3cret@host/x"),
        "channels.hook.url: expected an http:// or https:// URL, got ftp://",
        id="webhook-url-scheme",
    ),
    pytest.param(
        with_hook(url="https://hooks.example.com/x", headers={"Authorization": "Bearer s3cret\n"}),
        "channels.hook.headers.Authorization: the value holds a line break or control character",
        id="webhook-header-newline",  # the message never shows the value: it is usually a secret
    ),
    pytest.param(
        with_hook(url="https://hooks.example.com/x", headers={"Bad Name": "x"}),
        "channels.hook.headers: 'Bad Name' is not a header name",
        id="webhook-header-name",
    ),
    pytest.param(
        with_policy(targets={"resolution": "four hours"}),
        "policies[1].targets.resolution: expected a duration such as \"4h\", got 'four hours'",
        id="bad-duration",
    ),
    pytest.param(
        with_policy(targets={"resolution": 3600}),
        'policies[1].targets.resolution: expected a duration such as "4h", got 3600',
        id="bare-number",
    ),
    pytest.param(
        with_policy(targets={"resolve": "4h"}),
        "policies[1].targets.resolve: unknown key (did you mean 'resolution'?)",
        id="unknown-metric",
    ),
    pytest.param(
        with_policy(targets={}),
        "policies[1].targets: required: at least one of first_response, resolution, update",
        id="no-targets",
    ),
    pytest.param(
        with_policy(targets={"resolution": "0s"}),
        "policies[1].targets.resolution: a target must be longer than 0s",
        id="zero-target",
    ),
    pytest.param(
        with_policy(targets={"resolution": "1h"}, calendar="ofice"),
        "policies[1].calendar: no calendar named 'ofice' (expected one of: 24x7)",
        id="missing-calendar",
    ),
    pytest.param(
        with_policy(targets={"resolution": "1h"}, warn="75"),
        'policies[1].warn: expected a share such as "75%" or time left such as "1h", got \'75\'',
        id="bad-warn",
    ),
    pytest.param(
        with_policy(targets={"resolution": "1h"}, escalate=[{"after": "twice", "level": "L2"}]),
        'policies[1].escalate[0].after: expected a share of the target such as "100%", or time past due '
        "such as \"+2h\", got 'twice'",
        id="bad-after",
    ),
    pytest.param(
        with_policy(targets={"resolution": "1h"}, escalate=[{"after": "100%"}]),
        "policies[1].escalate[0].level: expected a level name such as L2, got nothing",
        id="step-no-level",
    ),
    pytest.param(
        with_policy(
            targets={"resolution": "1h"}, escalate=[{"after": "100%", "level": "L2", "action": "Ping {assigne}"}]
        ),
        "policies[1].escalate[0].action: unknown placeholder {assigne} (expected one of: calendar, created, "
        "due, elapsed, first_response, id, labels, level, metric, notify, overdue, policy, priority, "
        "remaining, resolved, state, status, target, title, updated)",
        id="unknown-placeholder",
    ),
    pytest.param(
        with_policy(targets={"resolution": "1h"}, escalate=[{"after": "100%", "level": "L2", "action": "{id"}]),
        "policies[1].escalate[0].action: invalid template '{id': expected '}' before end of string "
        "(write {{ and }} for braces)",
        id="broken-template",
    ),
    pytest.param(
        with_policy(targets={"resolution": "1h"}, escalate=[{"after": "100%", "level": "L2", "action": "{id:x}"}]),
        "policies[1].escalate[0].action: {id:x}: not a format for text (Unknown format code 'x' for object of "
        "type 'str')",
        id="template-spec-for-numbers",  # crashed every run at check time
    ),
    pytest.param(
        with_policy(
            targets={"resolution": "1h"},
            escalate=[{"after": "100%", "level": "L2", "action": "{id:{title.__class__}}"}],
        ),
        "policies[1].escalate[0].action: {id:{title.__class__}}: a format spec cannot hold a placeholder",
        id="template-spec-lookup",  # ran an attribute lookup at check time
    ),
    pytest.param(
        with_policy(targets={"resolution": "1h"}, escalate=[{"after": "100%", "level": "L2", "action": "{id!x}"}]),
        "policies[1].escalate[0].action: {id!x}: unknown conversion !x (use !r, !s or !a, or none)",
        id="template-conversion",
    ),
    pytest.param(
        with_policy(targets={"resolution": "1h"}, match={"priority": "~[unclosed"}),
        "policies[1].match.priority: invalid regular expression '[unclosed': unclosed character class (patterns are "
        "matched in linear time: no lookaround or backreferences)",
        id="bad-regex",
    ),
    pytest.param(
        {"policies": [{"name": "a", "targets": {"resolution": "1h"}}, {"name": "a", "targets": {"resolution": "1h"}}]},
        "policies[1].name: duplicate policy name 'a'",
        id="duplicate-policy",
    ),
    pytest.param(
        {"policies": [{"targets": {"resolution": "1h"}}]},
        "policies[0].name: expected a policy name, got nothing",
        id="policy-without-name",
    ),
    pytest.param({"calendars": {}}, "policies: required: a list of SLA policies", id="no-policies"),
    pytest.param({"timezone": "Mars/Olympus", **BASE}, "timezone: unknown time zone 'Mars/Olympus'", id="bad-zone"),
    pytest.param(
        with_calendar(timezone="Europe/Berln", hours={"mon": "09:00-17:00"}),
        "calendars.office.timezone: unknown time zone 'Europe/Berln'",
        id="calendar-zone",
    ),
    pytest.param(
        with_calendar(hours={"mon": ["9-17"]}),
        "calendars.office.hours.mon[0]: expected a window such as \"09:00-17:00\", got '9-17'",
        id="bad-window",
    ),
    pytest.param(
        with_calendar(hours={"mon": ["09:00-25:00"]}),
        "calendars.office.hours.mon[0]: no such time of day in '09:00-25:00'",
        id="hour-25",
    ),
    pytest.param(
        with_calendar(hours={"mon": ["09:00-09:00"]}),
        "calendars.office.hours.mon[0]: empty window '09:00-09:00'",
        id="empty-window",
    ),
    pytest.param(
        with_calendar(hours={"mon-fri": ["09:00-13:00", "12:00-17:00"]}),
        "calendars.office.hours.mon-fri: windows 09:00-13:00 and 12:00-17:00 overlap",
        id="overlap",
    ),
    pytest.param(
        with_calendar(hours={"sun": ["22:00-08:00"], "mon": ["07:00-17:00"]}),
        "calendars.office.hours: sun 22:00-08:00 overlaps mon 07:00-17:00",
        id="overnight-overlap",
    ),
    pytest.param(
        with_calendar(hours={1: ["09:00-17:00"]}),
        "calendars.office.hours.1: expected a weekday such as mon, a range such as mon-fri, or daily, got 1",
        id="weekday-number",
    ),
    pytest.param(
        with_calendar(hours={"mon": []}),
        "calendars.office.hours: the calendar is never open in a normal week",
        id="never-open",
    ),
    pytest.param(
        with_calendar(timezone="UTC"),
        'calendars.office.hours: required: weekly opening hours, e.g. {mon-fri: ["09:00-17:00"]}',
        id="no-hours",
    ),
    pytest.param(
        with_calendar(hours={"mon": "09:00-17:00"}, holidays={"country": "XX"}),
        "calendars.office.holidays.country: unknown country 'XX'",
        id="unknown-country",
    ),
    pytest.param(
        with_calendar(hours={"mon": "09:00-17:00"}, holidays={"country": "DE", "subdivision": "ZZ"}),
        "calendars.office.holidays.subdivision: unknown subdivision 'ZZ' of 'DE'",
        id="unknown-subdivision",
    ),
    pytest.param(
        with_calendar(hours={"mon": "09:00-17:00"}, holidays={"dates": ["24.12.2026"]}),
        "calendars.office.holidays.dates[0]: expected a date such as 2026-12-24, got '24.12.2026'",
        id="bad-holiday-date",
    ),
    pytest.param(
        with_calendar(hours={"mon": "09:00-17:00"}, holiday={"country": "DE"}),
        "calendars.office.holiday: unknown key (did you mean 'holidays'?)",
        id="calendar-typo",
    ),
    pytest.param(
        {"fields": {"creatd": "opened"}, **BASE},
        "fields.creatd: unknown field (did you mean 'created'?)",
        id="field-typo",
    ),
    pytest.param(
        {"fields": {"state": "status"}, **BASE},
        "fields.state: the name is taken by a result key; call the field something else",
        id="reserved",
    ),
    pytest.param(
        {"fields": {"paused_seconds": "on_hold_for"}, **BASE},
        "fields.paused_seconds: the name is taken by a result key; call the field something else",
        id="field-named-like-a-json-only-result-key",
    ),
    pytest.param(
        {"fields": {"title": {"column": "x", "format": "%d"}}, **BASE},
        "fields.title.format: only timestamp fields take a format",
        id="format-on-text",
    ),
    pytest.param([1, 2], "config: expected a mapping, got a list", id="not-a-mapping"),
    pytest.param(None, "config: expected a mapping, got nothing", id="empty-file"),
]


@pytest.mark.parametrize(("data", "message"), ERRORS)
def test_config_errors_name_the_key_and_what_was_expected(data, message):
    with pytest.raises(ConfigError) as caught:
        parse_config(data)
    assert str(caught.value) == message


def test_yaml_that_is_not_a_mapping(write):
    """Every config message names the file, this one too (#18 point 10)."""
    path = write("c.yaml", "just text\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == f"{path}: expected a mapping, got 'just text'"


def test_yaml_syntax_error_is_located(write):
    with pytest.raises(ConfigError) as caught:
        load_config(write("c.yaml", "policies:\n  - name: [unclosed\n"))
    assert str(caught.value).startswith(f"{caught.value.where.split(':')[0]}:3: invalid YAML")


def test_yaml_alias_bomb_is_refused(write):
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):  # the classic billion laughs: 72 aliases that expand to 9**9 values
        lines.append(f"a{i}: &a{i} [{','.join([f'*a{i - 1}'] * 9)}]")
    path = write("bomb.yaml", "\n".join(lines) + "\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == f"{path}: YAML aliases expand to more than 100,000 values; refusing"


def test_yaml_anchors_for_reuse_are_fine(write):
    path = write(
        "c.yaml",
        "ladder: &ladder [{after: 100%, level: L2}]\n"
        "policies: [{name: a, targets: {resolution: 1h}, escalate: *ladder}]\n",
    )
    with pytest.raises(ConfigError, match=r"c\.yaml:1: ladder: unknown key"):  # anchors parse; the extra key is refused
        load_config(path)


def test_duplicate_yaml_key_is_refused(write):
    path = write("c.yaml", "policies: []\npolicies: []\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == f"{path}:2: duplicate key 'policies'"


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "none.yaml")
    assert str(caught.value) == f"{tmp_path / 'none.yaml'}: cannot read the config: No such file or directory"


def test_a_full_policy_is_parsed_into_typed_objects():
    config = parse_config(
        {
            "timezone": "Europe/Berlin",
            "fields": {"created": {"column": "opened", "format": "%d.%m.%Y %H:%M"}, "team": "Team"},
            "calendars": {"office": {"hours": {"mon-fri": ["09:00-17:00"]}}},
            "policies": [
                {
                    "name": "critical",
                    "match": {"priority": ["P1", "~^urgent"]},
                    "calendar": "office",
                    "targets": {"first_response": "30m", "resolution": "1h30m"},
                    "warn": ["80%", "15m"],
                    "escalate": [
                        {"after": "100%", "level": "L2", "notify": "lead"},
                        {"after": "+2h", "level": "L3"},
                        {"after": "-10m", "level": "L1"},
                    ],
                }
            ],
        }
    )
    policy = config.policies[0]
    assert policy.targets == {Metric.FIRST_RESPONSE: 1800, Metric.RESOLUTION: 5400}
    assert policy.warn == (Threshold(share=Fraction(4, 5)), Threshold(left=900))
    assert policy.steps == (
        Step("L2", share=Fraction(1), notify=("lead",)),
        Step("L3", past_due=7200),
        Step("L1", past_due=-600),
    )
    assert policy.match[0].values == frozenset({"p1"}) and policy.match[0].patterns[0].pattern == "^urgent"
    assert config.fields["created"].format == "%d.%m.%Y %H:%M" and config.column("team") == "Team"
    assert config.calendars["office"].tz == config.timezone  # a calendar's zone defaults to the top-level one


def test_defaults():
    config = parse_config(BASE)
    policy = config.policies[0]
    assert policy.calendar_name == "24x7" and policy.warn == (Threshold(share=Fraction(3, 4)),)
    assert str(config.timezone) == "UTC" and config.column("created") == "created"


def test_day_ranges_wrap_and_later_keys_win():
    config = parse_config(with_calendar(hours={"fri-mon": ["09:00-10:00"], "sun": []}))
    week = config.calendars["office"].week
    assert [bool(day) for day in week] == [True, False, False, False, True, True, False]


def test_example_config_is_valid():
    config = load_config(Path(__file__).resolve().parents[2] / "config.example.yaml")
    assert [p.name for p in config.policies] == ["critical", "standard", "internal"]


def test_validate_warns_when_days_are_used_on_a_business_calendar():
    """`3d` is 72 business hours: nine working days on an 8-hour calendar, not three (#20). Valid, but linted;
    on 24x7 a day is a day, and hours say what they mean."""
    office = {"office": {"hours": {"mon-fri": ["09:00-17:00"]}}}
    config = parse_config(
        {
            "calendars": office,
            "policies": [
                {"name": "a", "calendar": "office", "targets": {"resolution": "3d", "first_response": "4h"}},
                {"name": "b", "targets": {"resolution": "3d"}},
                {"name": "c", "calendar": "office", "targets": {"resolution": "1w"}},
            ],
        }
    )
    assert config.lint == (
        "policies[0].targets.resolution: '3d' counts d as 24 hours: 72h of business time, 9 working days of 8h on "
        "calendar 'office'; write hours, such as 24h for three working days, or open days such as '3wd'",
        "policies[2].targets.resolution: '1w' counts d as 24 hours: 168h of business time, 21 working days of 8h "
        "on calendar 'office'; write hours, such as 24h for three working days, or open days such as '3wd'",
    )


def test_every_mistake_in_a_config_is_reported_at_once_with_its_line(write):
    """`validate` (and every command) lists each mistake with its key path and YAML line, in file order: one
    mistake does not hide the next, and a wrong calendar or channel does not make what names it wrong too."""
    path = write(
        "c.yaml",
        """timezone: Mars/Olympus
colour: blue
calendars:
  office:
    hours: {mon-fri: ["09:00-17:00", "16:00-18:00"]}
    holidays: {country: XX}
policies:
  - name: first
    calendar: office
    targets: {resolution: 4h}
    goal: lots
  - name: second
    calendar: offce
    targets:
      resolution: four hours
  - name: first
    targets: {first_response: 1h}
    escalate:
      - {after: 100%, level: L2, notify: [lead]}
  - targets: {}
channels:
  chat: {type: webhook, url: "ftp://x"}
contacts:
  lead: chat
""",
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value).splitlines() == [
        f"{path}:1: timezone: unknown time zone 'Mars/Olympus'",
        f"{path}:2: colour: unknown key (did you mean 'source'?)",
        f"{path}:5: calendars.office.hours.mon-fri: windows 09:00-17:00 and 16:00-18:00 overlap",
        f"{path}:6: calendars.office.holidays.country: unknown country 'XX'",
        f"{path}:11: policies[0].goal: expected a percentage above 0% and at most 100%, such as \"95%\", got 'lots'",
        f"{path}:13: policies[1].calendar: no calendar named 'offce' (did you mean 'office'?)",
        f"{path}:15: policies[1].targets.resolution: expected a duration such as \"4h\", got 'four hours'",
        f"{path}:16: policies[2].name: duplicate policy name 'first'",
        f"{path}:20: policies[3].name: expected a policy name, got nothing",
        f"{path}:20: policies[3].targets: required: at least one of first_response, resolution, update",
        f"{path}:22: channels.chat.url: expected an http:// or https:// URL, got ftp://",
    ]


def test_validate_prints_each_mistake_on_its_own_line(write):
    from typer.testing import CliRunner

    from escalate_cli.cli import app

    path = write("c.yaml", "colour: blue\npolicies: [{name: a, targets: {resolution: soon}}]\n")
    result = CliRunner().invoke(app, ["validate", "-c", str(path)])
    assert result.exit_code == 3
    assert result.stderr.splitlines() == [
        f"error: {path}:1: colour: unknown key (did you mean 'source'?)",
        f"error: {path}:2: policies[0].targets.resolution: expected a duration such as \"4h\", got 'soon'",
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            'policies:\n  - name: "a\x01b"\n    targets: {resolution: 4h}\n',
            ":2: invalid YAML: control character #x0001; remove it",
            id="control character",
        ),
        pytest.param(
            "calendars:\n  o:\n    hours: {mon-fri: ['09:00-17:00']}\n    holidays: {dates: [2026-13-45]}\n",
            ":4: no such date '2026-13-45' (month must be in 1..12)",
            id="no such date",
        ),
        pytest.param("? [a, b]\n: 1\npolicies: []\n", ":1: a list or mapping cannot be a key", id="list as key"),
        pytest.param(
            "policies: " + "[" * 5000 + "]" * 5000 + "\n",
            ": invalid YAML: nested too deeply to read",
            id="deeply nested",
        ),
    ],
)
def test_yaml_that_crashed_is_a_located_config_error(write, text, message):
    """#21 point 18: each exited 4 with a traceback's last line."""
    path = write("c.yaml", text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == f"{path}{message}"


def test_a_big_config_without_aliases_is_no_alias_bomb(write):
    """#21 point 22: the alias guard refused 30,000 policies written out in full."""
    import yaml

    policies = [
        {"name": f"p{i}", "match": {"priority": [f"P{i}", f"Q{i}"]}, "targets": {"resolution": "4h"}}
        for i in range(8_000)
    ]
    path = write("c.yaml", yaml.safe_dump({"policies": policies}))
    assert len(load_config(path).policies) == 8_000
