"""The steps every command shares: load the config, read the exports, fold each issue at the instant asked for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from escalate_cli.business_time import to_epoch
from escalate_cli.config import Config, load_config
from escalate_cli.model import Issue, Problem, Report
from escalate_cli.readers import ReadOptions
from escalate_cli.readers.issues import collect
from escalate_cli.sla import policy_name


@dataclass
class Loaded:
    config: Config
    as_of: int
    groups: dict[str, list[Issue]]  # every row, by id: what history needs to replay other instants
    issues: list[Issue]  # each issue as it stands at `as_of`
    errors: list[Problem]
    warnings: list[Problem]


def load(
    exports: list[str],
    config_path: Path,
    *,
    as_of: datetime | None,
    source: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    keep: frozenset[str] | None = None,
) -> Loaded:
    """`keep`: the raw columns issues keep beyond those the config uses (None keeps whole rows)."""
    config, now = prepare(config_path, as_of=as_of, source=source)
    return load_prepared(exports, config, now, read_options(config, encoding=encoding, delimiter=delimiter, keep=keep))


def load_prepared(exports: list[str], config: Config, now: int, options: ReadOptions) -> Loaded:
    """Read the exports and fold each issue at `now`, with a config already loaded."""
    from escalate_cli.history import resolve

    collected = collect(exports, config, options)
    issues, notes = resolve(collected.groups, now, config.statuses, config.history, policy_name(config.policies))
    return Loaded(config, now, collected.groups, issues, collected.errors, collected.warnings + notes)


def prepare(config_path: Path, *, as_of: datetime | None, source: str | None = None) -> tuple[Config, int]:
    """The config (with --source applied) and the instant to evaluate at, in epoch seconds."""
    config = load_config(config_path)
    if source is not None:
        config = config.with_source(source)
    moment = as_of or datetime.now().astimezone()
    return config, to_epoch(moment if moment.tzinfo is not None else moment.replace(tzinfo=config.timezone))


def read_options(
    config: Config, *, encoding: str | None = None, delimiter: str | None = None, keep: frozenset[str] | None = None
) -> ReadOptions:
    return ReadOptions(
        encoding=encoding or config.encoding,
        delimiter=delimiter or config.delimiter,
        records=config.records,
        keep=None if keep is None else keep | config.columns_used(),
    )


def evaluate_loaded(loaded: Loaded, *, keep_clocks: bool = True) -> Report:
    """Every clock of the loaded issues at the loaded instant, with the reading's errors and warnings."""
    from escalate_cli.engine.evaluate import evaluate
    from escalate_cli.engine.frame import from_issues
    from escalate_cli.writers import iso

    config = loaded.config
    report = evaluate(
        from_issues(loaded.issues, *frame_layout(config)),
        config.policies,
        loaded.as_of,
        lambda moment: iso(moment, config.timezone) or "",
        restart_on_reclassify=config.restart_on_reclassify,
        keep_clocks=keep_clocks,
    )
    report.errors, report.warnings = loaded.errors, loaded.warnings
    return report


def frame_layout(config: Config) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The issue frame's field columns (the text fields, then the config's extra ones) and its raw columns (the
    export columns policies match on or contacts route by that are not fields)."""
    from escalate_cli.config import STANDARD_FIELDS
    from escalate_cli.readers.issues import TEXT_FIELDS

    fields = (*TEXT_FIELDS, *(name for name in config.fields if name not in STANDARD_FIELDS))
    raw = tuple(sorted(key for key in config.columns_used() if key not in (*fields, "id", "labels")))
    return fields, raw


def parse_day(text: str, config: Config, *, end_of_day: bool = False) -> int:
    """A date (start of that day, or of the next with end_of_day) or an ISO instant, in the config's zone."""
    from datetime import date, timedelta

    try:
        day = date.fromisoformat(text)
    except ValueError:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return to_epoch(moment if moment.tzinfo else moment.replace(tzinfo=config.timezone))
    start = datetime.combine(day + timedelta(days=1 if end_of_day else 0), datetime.min.time())
    return to_epoch(start.replace(tzinfo=config.timezone))


def find_issue(loaded: Loaded, issue_id: str) -> Issue:
    """The issue with this id as it stands at the loaded instant; a located error otherwise."""
    from difflib import get_close_matches

    from escalate_cli.errors import InputError

    for issue in loaded.issues:
        if issue.id == issue_id:
            return issue
    if issue_id in loaded.groups:
        raise InputError(f"issue {issue_id!r} did not exist yet at the instant asked for (see --as-of)")
    close = get_close_matches(issue_id, list(loaded.groups), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise InputError(f"no issue {issue_id!r} in the exports{hint}")
