"""The columnar engine against the scalar oracle (`sla.evaluate`): random calendars (DST zones, overnight
windows, closed and special days), policies (targets, warnings, ladders, pauses, matching) and issues."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escalate_cli.business_time import DAY, Calendar
from escalate_cli.engine.evaluate import evaluate
from escalate_cli.engine.frame import from_issues
from escalate_cli.engine.kernel import Kernel
from escalate_cli.model import Condition, Issue, Metric, Pattern, Policy, Step, Target, Threshold, WorkingDays
from escalate_cli.sla import evaluate as scalar_evaluate
from tests.unit.test_business_time import ANCHORS, calendars

FIELDS = ("title", "priority", "status", "team")
SPANS = st.lists(st.tuples(st.integers(-9 * DAY, 9 * DAY), st.integers(0, 9 * DAY)))
SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
H = 3600


@st.composite
def target_specs(draw) -> Target:
    """Mostly business time on the quarter-hour grid; sometimes open days (`3wd`, `1wd` to the day's end)."""
    if draw(st.integers(0, 3)):
        return draw(st.integers(1, 60)) * 15 * 60
    end_of_day = draw(st.booleans())
    return WorkingDays(draw(st.integers(0 if end_of_day else 1, 4)), end_of_day)


@st.composite
def policies(draw, cal: Calendar) -> tuple[Policy, ...]:
    out = []
    for n in range(draw(st.integers(1, 3))):
        last = n == 2 or draw(st.booleans())  # a catch-all, so that most issues have clocks
        metrics = draw(st.sets(st.sampled_from(list(Metric)), min_size=1))
        targets = {m: draw(target_specs()) for m in sorted(metrics, key=list(Metric).index)}
        match: list[Condition] = []
        if not last and draw(st.booleans()):
            match.append(Condition("priority", frozenset(draw(st.sets(st.sampled_from(["p1", "p2", "p3"]))))))
        if not last and draw(st.booleans()):
            match.append(Condition("labels", frozenset({"vip"}), (Pattern("^sec"),), any_of_list=True))
        if not last and draw(st.booleans()):
            match.append(Condition("region", frozenset({"eu"})))  # an export column, not a field
        warn = draw(
            st.lists(
                st.one_of(
                    st.builds(Threshold, share=st.fractions(Fraction(1, 10), Fraction(1))),
                    st.builds(Threshold, left=st.integers(0, 10 * H)),
                ),
                max_size=2,
            )
        )
        steps = draw(
            st.lists(
                st.one_of(
                    st.builds(Step, level=st.sampled_from(["L1", "L2", "L3"]), share=st.fractions(Fraction(1, 2), 3)),
                    st.builds(Step, level=st.sampled_from(["L2", "exec"]), past_due=st.integers(-5 * H, 5 * H)),
                ),
                max_size=3,
            )
        )
        pause = frozenset(draw(st.sets(st.sampled_from(list(Metric)))))
        out.append(Policy(f"p{n}", cal, "cal", targets, tuple(match), tuple(warn), tuple(steps), pause))
        if last:
            break
    return tuple(out)


@st.composite
def issues(draw, cal: Calendar, around: int) -> list[Issue]:
    out = []

    def span(lo: int, hi: int) -> int:
        """Mostly on the quarter-hour grid that windows and targets use, so that instants meet exactly."""
        return draw(st.one_of(st.integers(lo // 900, hi // 900).map(lambda q: q * 900), st.integers(lo, hi)))

    for n in range(draw(st.integers(0, 20))):
        created = around + span(-6 * DAY, DAY)

        def later(base: int) -> int | None:
            """None, an instant, or one business time on the targets' grid after `base` (a due time, often)."""
            kind = draw(st.integers(0, 2))
            if kind == 0:
                return None
            if kind == 1:
                return base + span(0, 5 * DAY)
            return cal.add_ts(base, draw(st.integers(1, 60)) * 900) + draw(st.sampled_from([-1, 0, 0, 1]))

        first, resolved, updated = later(created), later(created), later(created)
        pauses: tuple[tuple[int, int | None], ...] = ()
        held: list[tuple[int, int]] = []
        if draw(st.booleans()):
            pauses = ((max(updated or created, created), None),)
        elif draw(st.integers(0, 3)) == 0:  # an event log's history: pauses that ended, one may still be open
            listed, cursor = [], created + span(-DAY, DAY)
            for _ in range(draw(st.integers(1, 4))):
                a = cursor + span(0, 2 * DAY)
                cursor = a + span(1, 2 * DAY)
                if draw(st.integers(0, 2)) == 0:
                    held.append((a, cursor))  # resolved, then reopened: no clock counts it
                else:
                    listed.append((a, cursor))
            if draw(st.booleans()):
                listed.append((cursor + span(0, DAY), None))
            pauses = tuple(listed)
        changed = later(created) if draw(st.booleans()) else None
        record = {"region": draw(st.sampled_from(["eu", "EU ", "us"]))} if draw(st.booleans()) else {}
        out.append(
            Issue(
                id=f"T-{n}",
                created=created,
                first_response=first,
                resolved=resolved,
                updated=updated,
                fields={
                    "title": "t",
                    "priority": draw(st.sampled_from(["P1", "p2 ", "P3", ""])),
                    "status": "open",
                    "team": "a",
                },
                labels=tuple(draw(st.lists(st.sampled_from(["vip", "security", "x"]), max_size=2))),
                record=record,
                where=f"f.csv:{n + 2}",
                pauses=pauses,
                held=tuple(held),
                policy_changed_at=changed,
                previous_policy="p0" if changed else None,
            )
        )
    return out


@st.composite
def cases(draw):
    cal = draw(calendars())
    around = int(draw(st.sampled_from(ANCHORS)).timestamp()) // 900 * 900
    as_of = around + draw(st.one_of(st.integers(0, 4 * DAY // 900).map(lambda q: q * 900), st.integers(0, 4 * DAY)))
    return cal, draw(policies(cal)), draw(issues(cal, around)), as_of, draw(st.booleans())


@SETTINGS
@given(cases())
def test_engine_gives_the_scalar_clocks(case):
    _, pols, items, as_of, restart = case
    show = str
    expected = scalar_evaluate(items, pols, as_of, show, restart_on_reclassify=restart)
    frame = from_issues(items, FIELDS, ("region",))
    actual = evaluate(frame, pols, as_of, show, restart_on_reclassify=restart)
    assert actual.clocks == expected.clocks
    assert actual.unmatched == expected.unmatched
    assert actual.issues == expected.issues
    counted = evaluate(frame, pols, as_of, show, restart_on_reclassify=restart, keep_clocks=False)
    assert counted.counts() == expected.counts()


@SETTINGS
@given(
    calendars(), st.sampled_from(ANCHORS), st.lists(st.tuples(st.integers(-9 * DAY, 9 * DAY), st.integers(0, 9 * DAY)))
)
def test_kernel_gives_the_calendars_elapsed_and_add(cal, anchor, spans):
    base = int(anchor.timestamp())
    start = np.array([base + a for a, _ in spans], dtype=np.int64)
    length = np.array([b for _, b in spans], dtype=np.int64)
    kernel = Kernel(cal)
    assert kernel.elapsed(start, start + length).tolist() == [
        cal.elapsed_ts(s, s + n) for s, n in zip(start.tolist(), length.tolist())
    ]
    assert kernel.add(start, length).tolist() == [cal.add_ts(s, n) for s, n in zip(start.tolist(), length.tolist())]


def test_kernel_on_empty_columns():
    kernel = Kernel(Calendar.always_open())
    empty = np.zeros(0, dtype=np.int64)
    assert kernel.elapsed(empty, empty).tolist() == kernel.add(empty, empty).tolist() == []


def test_a_pause_that_begins_at_the_due_time_leaves_it_there():
    cal = Calendar.always_open()
    policy = Policy("p", cal, "24x7", {Metric.RESOLUTION: H})
    issue = Issue(id="A-1", created=0, updated=H, pauses=((H, None),), fields=dict.fromkeys(FIELDS, ""))
    expected = scalar_evaluate([issue], (policy,), 3 * H, str)
    actual = evaluate(from_issues([issue], FIELDS, ()), (policy,), 3 * H, str)
    assert actual.clocks == expected.clocks
    assert actual.clocks[0].due_at == H and actual.clocks[0].state.value == "breached"
