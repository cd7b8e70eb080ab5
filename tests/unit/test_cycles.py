"""The cycles of defined clocks by columns (`engine.cycles`, `engine.clocks.measure_cycles`) are the scalar rules'
(`escalate_cli.cycles`, `sla.cycle_clocks`) on random histories with messages; and the built-in clocks written
as definitions give exactly the built-in clocks' results."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escalate_cli.cycles import Row, cycles_of
from escalate_cli.engine.frame import to_issues
from escalate_cli.history import looks_like_event_log
from escalate_cli.pipeline import evaluate_loaded, load
from escalate_cli.sla import cycle_clocks
from tests.cli.test_check import run

T0 = 1780304400  # Mon 2026-06-01 09:00 UTC
AS_OF = T0 + 4 * 86_400
CONFIG = """\
timezone: UTC
statuses: {closed: [closed], paused: [waiting]}
calendars:
  office: {hours: {mon-fri: ["09:00-17:00"]}}
clocks:
  own:
    start: {changes: group}
    stop: {changes: assignee}
    pause: {when: {status: [waiting]}}
  l2:
    start: {when: {group: L2}}
    stop: [{when: {status: [closed]}}, {message: agent}]
    cycles: first
    starts_after: 30m
  reply:
    start: {message: customer}
    stop: {message: agent}
    pause: [{when: {status: [waiting]}}, {when: {group: L3}}]
  loop:
    start: {message: agent, every: true}
    stop: {message: customer}
  taken:
    start: {at: created}
    stop: {when: {assignee: ~.+}}
policies:
  - name: p
    calendar: office
    targets: {own: 1h, l2: 2h, reply: 90m, loop: 3h, taken: 4h}
    escalate: [{after: 50%, level: L1}, {after: +1h, level: L2}]
"""

rows_of_fields = st.lists(
    st.tuples(
        st.integers(0, 40) if True else st.nothing(),  # 15-minute steps after the one before
        st.sampled_from(["open", "waiting", "closed"]),
        st.sampled_from(["L1", "L2", "L3", "", "?"]),
        st.sampled_from(["", "ann", "bob"]),
    ),
    min_size=1,
    max_size=7,
)
messages = st.lists(
    st.tuples(st.integers(0, 4 * 96), st.sampled_from(["customer", "agent"]), st.booleans()), max_size=6
)


def _files(tmp: Path, histories: list[tuple[list, list]]) -> list[str]:
    fields = ["id,created,updated,status,group,assignee"]
    said = ["id,created,author_role,public"]
    for n, (rows, notes) in enumerate(histories):
        moment = T0
        for step, status, group, assignee in rows:
            moment += step * 900
            fields.append(f"I-{n},{_iso(T0)},{_iso(moment)},{status},{group},{assignee}")
        for step, role, public in notes:
            said.append(f"I-{n},{_iso(T0 + step * 900)},{role},{'true' if public else 'false'}")
    (tmp / "log.csv").write_text("\n".join(fields) + "\n", encoding="utf-8")
    (tmp / "messages.csv").write_text("\n".join(said) + "\n", encoding="utf-8")
    (tmp / "c.yaml").write_text(CONFIG, encoding="utf-8")
    return [str(tmp / "log.csv"), str(tmp / "messages.csv")]


def _iso(moment: int) -> str:
    return datetime.fromtimestamp(moment, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _scalar_rows(loaded) -> dict[str, list[Row]]:
    """Every row read, as the scalar cycles take them: messages by their author_role, notes left out. Where the
    rows of fields are no event log, each issue's one row of fields is the issue as folded (copies merged)."""
    out: dict[str, list[Row]] = {}
    every = to_issues(loaded.rows, loaded.rows.frame)
    groups: dict[str, list] = {}
    for issue in every:
        if not issue.record.get("author_role"):
            groups.setdefault(issue.id, []).append(issue)
    if not looks_like_event_log(groups):
        kept = {issue.where: issue for issue in to_issues(loaded.frame, loaded.frame.frame)}
        every = [issue if issue.record.get("author_role") else kept.get(issue.where) for issue in every]
        every = [issue for issue in every if issue is not None]
    for order, issue in enumerate(every):
        at = issue.updated if issue.updated is not None else issue.created
        if at > loaded.as_of:
            continue
        role = issue.record.get("author_role")
        role = role[0] if isinstance(role, list) else role
        if role:
            public = issue.record.get("public")
            public = public[0] if isinstance(public, list) else public
            if str(public).lower() != "false":
                out.setdefault(issue.id, []).append(Row(at, order, issue.where, role=str(role)))
        else:
            out.setdefault(issue.id, []).append(Row(at, order, issue.where, issue=issue))
    return out


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(rows_of_fields, messages), min_size=1, max_size=6), st.integers(0, 4 * 96))
def test_cycles_and_clocks_by_columns_are_the_scalar_ones(tmp_path, histories, at):
    exports = _files(tmp_path, histories)
    as_of = datetime.fromtimestamp(T0 + at * 900, timezone.utc)
    loaded = load(exports, tmp_path / "c.yaml", as_of=as_of)
    config = loaded.config
    policy = config.policies[0]
    rows = _scalar_rows(loaded)
    report = evaluate_loaded(loaded, every_cycle=True)
    got = {(c.issue.id, c.metric, c.cycle): c for c in report.clocks}
    expected = {}
    for issue in to_issues(loaded.frame, loaded.frame.frame):
        scalar = {name: cycles_of(rows.get(issue.id, []), clock, issue) for name, clock in config.clocks.items()}
        assert {name: (issue.cycles[name], issue.clock_pauses.get(name, ())) for name in config.clocks} == scalar
        issue = replace(
            issue, cycles={n: c for n, (c, _) in scalar.items()}, clock_pauses={n: p for n, (_, p) in scalar.items()}
        )
        for name, target in policy.targets.items():
            for clock in cycle_clocks(issue, policy, name, target, loaded.as_of, str):
                expected[(issue.id, name, clock.cycle)] = clock
    assert set(got) == set(expected)
    for key, clock in expected.items():
        mine = got[key]
        fields = ("state", "started_at", "due_at", "stopped_at", "elapsed", "paused_seconds", "level")
        assert {f: getattr(mine, f) for f in fields} == {f: getattr(clock, f) for f in fields}, key


BUILT_IN_AS_DEFINED = """\
timezone: UTC
statuses: {closed: [closed, done], paused: [waiting]}
calendars:
  office: {hours: {mon-fri: ["09:00-12:00", "13:00-17:00"]}}
clocks:
  my_resolution: {start: {at: created}, pause: {when: {status: [waiting]}}}
  my_update: {start: {at: updated}, pause: {when: {status: [waiting]}}}
  my_first_response: {start: {at: created}, stop: {at: first_reply}}
policies:
  - name: p
    calendar: office
    targets: {resolution: 3h, update: 2h, first_response: 1h, my_resolution: 3h, my_update: 2h, my_first_response: 1h}
    escalate: [{after: 50%, level: L1}, {after: +30m, level: L2}]
"""

histories = st.lists(
    st.tuples(
        st.lists(st.tuples(st.integers(0, 30), st.sampled_from(["open", "waiting", "closed", "done"])), max_size=6),
        st.one_of(st.none(), st.integers(0, 4 * 96)),
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(histories, st.integers(0, 4 * 96), st.sampled_from(["pause", "continue"]))
def test_the_built_in_clocks_written_as_definitions_give_the_built_in_results(tmp_path, logs, at, reopen):
    lines = ["id,created,updated,status,first_response"]
    last = T0  # evaluated after every row (a snapshot's update after the instant starts a built-in clock in the future)
    for n, (events, reply) in enumerate(logs):
        moment, first = T0, _iso(T0 + reply * 900) if reply is not None else ""
        lines.append(f"I-{n},{_iso(T0)},{_iso(T0)},open,{first}")
        for step, status in events:
            moment += step * 900
            lines.append(f"I-{n},{_iso(T0)},{_iso(moment)},{status},{first}")
        last = max(last, moment)
    (tmp_path / "log.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "c.yaml").write_text(BUILT_IN_AS_DEFINED + f"reopen: {reopen}\n", encoding="utf-8")
    result = run(
        [
            "check",
            str(tmp_path / "log.csv"),
            "-c",
            str(tmp_path / "c.yaml"),
            "-f",
            "json",
            "--all",
            "--as-of",
            _iso(last + at * 900),
        ]
    )
    assert result.exit_code in (0, 1), result.output
    results = json.loads(result.stdout)["results"]
    by = {(r["issue"], r["metric"]): r for r in results}
    keys = ("state", "started_at", "due_at", "stopped_at", "elapsed_seconds", "paused_seconds", "level", "actions")
    compared = 0
    for (issue, metric), built_in in by.items():
        if metric.startswith("my_"):
            continue
        mine = by[(issue, f"my_{metric}")]
        actions = [a["message"].replace(f"my_{metric}", metric) for a in mine["actions"]]
        assert {**{k: mine[k] for k in keys}, "actions": actions} == {
            **{k: built_in[k] for k in keys},
            "actions": [a["message"] for a in built_in["actions"]],
        }, (issue, metric)
        compared += 1
    assert compared == 3 * len(logs)
