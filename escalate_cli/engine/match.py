"""Which policy each issue falls under, for the whole frame: the first in file order whose every condition holds.

A condition is decided once per distinct value of its column (`Condition.accepted`, the scalar rule, each
`~pattern` in linear time), then applied to the column with `is_in`: exact, and as fast as the column has few
distinct values (priorities, statuses, teams).
"""

from __future__ import annotations

import polars as pl

from escalate_cli.engine import schema as S
from escalate_cli.engine.frame import IssueFrame
from escalate_cli.model import Condition, Policy

POLICY = "policy"  # Int32: index of the issue's policy in the config, null when none matches


def with_policy(issues: IssueFrame, policies: tuple[Policy, ...]) -> pl.DataFrame:
    """Reads the columns the policies match on; adds POLICY."""
    frame = issues.frame
    choice: pl.Expr | None = None
    for index, policy in reversed(list(enumerate(policies))):
        holds = pl.lit(True)
        for condition in policy.match:
            holds = holds & condition_holds(issues, condition)
        choice = (
            pl.when(holds)
            .then(pl.lit(index, pl.Int32))
            .otherwise(choice if choice is not None else pl.lit(None, pl.Int32))
        )
    return frame.with_columns((choice if choice is not None else pl.lit(None, pl.Int32)).alias(POLICY))


def condition_holds(issues: IssueFrame, condition: Condition) -> pl.Expr:
    """Where `condition` holds, for each row of `issues.frame` (false where its column is missing)."""
    key = condition.key
    if key in (S.ID, *issues.fields):
        column, is_list = key, False
    elif key == S.LABELS:
        column, is_list = S.LABELS, True
    elif key in issues.raw_keys:
        column, is_list = S.raw(key), True
    else:
        return pl.lit(False)
    values = issues.frame.get_column(column)
    if is_list:
        values = values.explode()
    distinct = values.drop_nulls().unique().to_list()
    accepted = [v for v, hit in zip(distinct, condition.accepted(distinct)) if hit]
    accepted_values = pl.Series(accepted, dtype=pl.Utf8)
    if is_list:
        found = pl.col(column).list.eval(pl.element().is_in(accepted_values.implode())).list.any()
    else:
        found = pl.col(column).is_in(accepted_values.implode())
    return found.fill_null(False)
