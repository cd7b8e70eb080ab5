"""The steps every command shares: load the config, read the exports, fold each issue at the instant asked for."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import polars as pl

from escalate_cli.business_time import to_epoch
from escalate_cli.config import Config, load_config
from escalate_cli.engine import schema as S
from escalate_cli.engine.frame import IssueFrame
from escalate_cli.errors import UsageError
from escalate_cli.model import ClockDef, Condition, Issue, Problem, Report, Statuses
from escalate_cli.presets import PRESETS
from escalate_cli.readers import ReadOptions


@dataclass
class Loaded:
    config: Config
    as_of: int
    rows: IssueFrame  # every row of the exports, statuses unapplied: what history needs to replay other instants
    frame: IssueFrame  # each issue as it stands at `as_of`
    errors: list[Problem]
    warnings: list[Problem]

    @property
    def groups(self) -> dict[str, list[Issue]]:
        """Every row as an issue, by id in order of first appearance."""
        from escalate_cli.engine.fold import groups

        return groups(self.rows)

    @property
    def issues(self) -> list[Issue]:
        """Each issue as it stands at `as_of`, as objects."""
        from escalate_cli.engine.frame import to_issues

        return to_issues(self.frame, self.frame.frame)


def load(
    exports: list[str],
    config_path: Path,
    *,
    as_of: datetime | None,
    source: str | list[str] | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    keep: frozenset[str] | None = None,
    only: str | None = None,
    fold: bool = True,
) -> Loaded:
    """`keep`: the raw columns issues keep beyond those the config uses (None keeps whole rows); `only`: the id of
    the one issue to fold; without `fold`, `frame` is the rows as read (`backtest` folds each instant itself)."""
    config, now = prepare(config_path, as_of=as_of, source=source)
    options = read_options(config, encoding=encoding, delimiter=delimiter, keep=keep)
    return load_prepared(exports, config, now, options, only, fold, sources=export_sources(exports, config, source))


def load_prepared(
    exports: list[str],
    config: Config,
    now: int,
    options: ReadOptions,
    only: str | None = None,
    fold: bool = True,
    sources: list[str] | None = None,
) -> Loaded:
    """Read the exports and fold each issue at `now`, with a config already loaded; with `only`, fold just the
    issue of that id (`explain`). `sources`: each export's preset (`export_sources`), else the config's."""
    from escalate_cli.engine.fold import at_instant
    from escalate_cli.engine.read import concat, read_exports

    fields, raw_keys = frame_layout(config, options.keep)
    read = read_exports(exports, config, options, fields, raw_keys, sources)
    if not fold:
        return Loaded(config, now, read.rows, read.rows, read.errors, read.warnings)
    kinds = list(dict.fromkeys(sources or [config.source]))
    clocks = clock_reading(config)
    folds = source_folds(read.rows, config, kinds)
    if len(folds) == 1:
        kind, rows, statuses = folds[0]
        key = config.with_source(kind).preset.record_key
        frame, notes = at_instant(rows, now, statuses, config.history, config.policies, only, key, *clocks)
        if len(kinds) == 1:
            frame = _sourced(frame, kind)
        return Loaded(config, now, read.rows, frame, read.errors, read.warnings + notes)
    parts, notes = [], []
    for kind, mine, statuses in folds:
        key = config.with_source(kind).preset.record_key
        folded, said = at_instant(mine, now, statuses, config.history, config.policies, only, key, *clocks)
        parts.append(_sourced(folded, kind))
        notes += said
    columns = parts[0].frame.columns
    aligned = [IssueFrame(p.frame.select(columns), p.fields, p.raw_keys, p.objects, p.single) for p in parts]
    return Loaded(config, now, read.rows, concat(aligned, fields, raw_keys), read.errors, read.warnings + notes)


def source_folds(rows: IssueFrame, config: Config, kinds: list[str]) -> list[tuple[str, IssueFrame, Statuses]]:
    """The rows to fold together, each part with the status words it is folded with: all of them with the
    config's `statuses:` (or the one source's preset words); else each source's own rows with its preset's,
    an id of one source being no id of another."""
    if len(kinds) == 1 or config.status_words is not None:
        statuses = config.statuses if config.status_words is not None else config.with_source(kinds[0]).statuses
        return [(kinds[0], rows, statuses)]
    return [
        (
            kind,
            IssueFrame(
                rows.frame.filter(pl.col(S.SOURCE) == kind), rows.fields, rows.raw_keys, rows.objects, rows.single
            ),
            config.with_source(kind).statuses,
        )
        for kind in kinds
    ]


def clock_reading(
    config: Config,
) -> tuple[tuple[ClockDef, ...], Mapping[str, tuple[tuple[Condition, ...], ...]] | None]:
    """What the fold needs for the defined clocks: their definitions, and which rows are messages (None: none
    is read, no clock starting or stopping at messages)."""
    return tuple(config.clocks.values()), config.messages if config.reads_messages else None


def _sourced(rows: IssueFrame, source: str) -> IssueFrame:
    """The frame with its SOURCE column (a fold that builds issues anew does not keep it)."""
    if S.SOURCE in rows.frame.columns:
        return rows
    frame = rows.frame.with_columns(pl.lit(source).alias(S.SOURCE))
    return IssueFrame(frame, rows.fields, rows.raw_keys, rows.objects, rows.single)


def prepare(config_path: Path, *, as_of: datetime | None, source: str | list[str] | None = None) -> tuple[Config, int]:
    """The config (with a --source for every export applied) and the instant to evaluate at, in epoch seconds."""
    config = load_config(config_path)
    every = [s for s in _source_args(source) if ":" not in s or s.split(":", 1)[0] not in PRESETS]
    if every:
        config = config.with_source(every[-1])
    moment = as_of or datetime.now().astimezone()
    return config, to_epoch(moment if moment.tzinfo is not None else moment.replace(tzinfo=config.timezone))


def _source_args(source: str | list[str] | None) -> list[str]:
    return [] if source is None else [source] if isinstance(source, str) else list(source)


def export_sources(exports: list[str], config: Config, source: str | list[str] | None = None) -> list[str]:
    """Each export's preset: `--source NAME:EXPORT` for that export, else a `--source NAME` or the config's
    `source:` for all, else the one its columns say (`readers.sniff`; stdin: the config's)."""
    from escalate_cli.readers.sniff import detect

    named: dict[str, str] = {}
    for arg in _source_args(source):
        preset, _, export = arg.partition(":")
        if export and preset in PRESETS:
            if export not in exports:
                raise UsageError(f"--source {arg}: {export!r} is not one of the exports given")
            named[export] = preset
    out = []
    for name in exports:
        if name in named:
            out.append(named[name])
        elif config.source_given or name == "-":
            out.append(config.source)
        else:
            out.append(detect(name, config.encoding))
    return out


def read_options(
    config: Config, *, encoding: str | None = None, delimiter: str | None = None, keep: frozenset[str] | None = None
) -> ReadOptions:
    return ReadOptions(
        encoding=encoding or config.encoding,
        delimiter=delimiter or config.delimiter,
        records=config.records,
        keep=None if keep is None else keep | config.columns_used(),
    )


def evaluate_loaded(
    loaded: Loaded, *, keep_clocks: bool = True, as_table: bool = False, every_cycle: bool = False
) -> Report:
    """Every clock of the loaded issues at the loaded instant, with the reading's errors and warnings. A defined
    clock gives its latest cycle, or with `every_cycle` each, with the fields that stood when it started."""
    from escalate_cli.engine.evaluate import evaluate
    from escalate_cli.writers import iso

    config = loaded.config
    report = evaluate(
        loaded.frame,
        config.policies,
        loaded.as_of,
        lambda moment: iso(moment, config.timezone) or "",
        restart_on_reclassify=config.restart_on_reclassify,
        keep_clocks=keep_clocks,
        as_table=as_table,
        every_cycle=every_cycle,
        history=loaded.rows if every_cycle and config.clocks else None,
    )
    report.errors, report.warnings = loaded.errors, loaded.warnings
    return report


def frame_layout(config: Config, keep: frozenset[str] | None = None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The issue frame's field columns (the text fields, then the config's extra ones) and its raw columns: the
    export columns kept (`keep`; by default those policies match on or contacts route by) as they are."""
    from escalate_cli.config import STANDARD_FIELDS
    from escalate_cli.readers.issues import TEXT_FIELDS

    fields = (*TEXT_FIELDS, *(name for name in config.fields if name not in STANDARD_FIELDS))
    kept = keep if keep is not None else config.columns_used()
    raw = tuple(sorted(kept))
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

    import polars as pl

    from escalate_cli.engine.frame import to_issues
    from escalate_cli.errors import InputError

    for issue in to_issues(loaded.frame, loaded.frame.frame.filter(pl.col("id") == issue_id)):
        return issue
    if issue_id in loaded.rows.frame.get_column("id").to_list():
        raise InputError(f"issue {issue_id!r} did not exist yet at the instant asked for (see --as-of)")
    close = get_close_matches(issue_id, loaded.rows.frame.get_column("id").unique(maintain_order=True).to_list(), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise InputError(f"no issue {issue_id!r} in the exports{hint}")
