"""The command line: options, the clock, wiring and the exit code. The only importer of typer."""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from escalate_cli import __version__
from escalate_cli.config_file import find_config
from escalate_cli.errors import ConfigErrors, EscalateError, ExitCode, readable
from escalate_cli.model import Severity
from escalate_cli.writers import OutputFormat

if TYPE_CHECKING:
    from escalate_cli.backtest import Outcome
    from escalate_cli.config import Config
    from escalate_cli.model import Problem, Report
    from escalate_cli.pipeline import Loaded

EXIT_CODES = (
    "Exit codes: 0 nothing at or above --fail-on; 1 running clocks at or above --fail-on; 2 usage; "
    "3 invalid config or input (rows that could not be evaluated, unless --allow-invalid); 4 internal error; "
    "5 a notification could not be delivered (only with --fail-on-delivery; 2, 3 and 4 come first)."
)
NAIVE_NOTE = (
    "Timestamps without an offset, in the export or --as-of, are read in the config's `timezone` (default UTC)."
)
MAX_PROBLEMS_SHOWN = 50

app = typer.Typer(
    add_completion=True,  # --install-completion / --show-completion for bash, zsh, fish and PowerShell
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=True,
    help="escalate: SLA breach monitor for exported issues.",
    epilog=EXIT_CODES,
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"escalate {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """escalate: SLA breach monitor for exported issues."""


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise typer.BadParameter(f"expected a number of seconds, got {value}")
    return value


def _parse_as_of(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(
            f"expected an ISO 8601 timestamp such as 2026-03-04T09:00:00+01:00, got {value!r}"
        ) from None


ConfigOption = Annotated[
    Optional[Path],  # noqa: UP045
    typer.Option(
        "--config",
        "-c",
        help="The SLA config (YAML); else ./escalate.yaml, $ESCALATE_CONFIG, ~/.config/escalate/escalate.yaml.",
        show_default=False,
    ),
]
AsOfOption = Annotated[
    Optional[datetime],  # noqa: UP045
    typer.Option(parser=_parse_as_of, metavar="TIMESTAMP", help="Evaluate as if now were this instant."),
]
SourceOption = Annotated[
    Optional[list[str]],  # noqa: UP045
    typer.Option(
        metavar="NAME[:EXPORT]",
        help="Export preset (jira, jira-json, github, gitlab, zendesk, servicenow, generic), for every export, or "
        "NAME:EXPORT for one (repeatable). Default: the config's source:, else each export's own columns tell.",
    ),
]
DebugOption = Annotated[bool, typer.Option("--debug", help="Show the traceback of an internal error.")]
DEFAULT_CONFIG = None  # found by config.find_config


class ColorChoice(str, Enum):
    AUTO = "auto"
    ALWAYS = "always"
    NEVER = "never"


@app.command(epilog=f"{NAIVE_NOTE} {EXIT_CODES}")
def check(
    exports: Annotated[
        list[str], typer.Argument(metavar="EXPORT...", help="CSV, JSON or NDJSON exports, optionally .gz; - is stdin.")
    ],
    config: ConfigOption = DEFAULT_CONFIG,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")] = OutputFormat.TABLE,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write the report here, not stdout.")] = None,  # noqa: UP045
    as_of: AsOfOption = None,
    fail_on: Annotated[Severity, typer.Option(help="Lowest running state that fails the run (exit 1).")] = (
        Severity.BREACH
    ),
    show_all: Annotated[bool, typer.Option("--all", help="Also list ok, met, missed and unmatched.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the one-line summary.")] = False,
    state: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(help="SQLite file remembering clocks and announcements between runs (created on first use)."),
    ] = None,
    changes_only: Annotated[
        bool,
        typer.Option(
            "--changes-only", help="Print only what changed since the last run (needs --state); nothing if nothing."
        ),
    ] = False,
    notify: Annotated[
        bool, typer.Option("--notify", help="Deliver escalation announcements to their channels (needs --state).")
    ] = False,
    fail_on_delivery: Annotated[
        bool,
        typer.Option("--fail-on-delivery", help="Exit 5 when a notification could not be delivered this run."),
    ] = False,
    lock_timeout: Annotated[
        float,
        typer.Option(help="Seconds to wait for another run holding the state file.", min=0, callback=_finite),
    ] = 60.0,
    summary: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(help="Append a markdown summary to this file (default: $GITHUB_STEP_SUMMARY when set)."),
    ] = None,
    source: SourceOption = None,
    delimiter: Annotated[Optional[str], typer.Option(help="CSV delimiter (default: sniffed).")] = None,  # noqa: UP045
    encoding: Annotated[Optional[str], typer.Option(help="Text encoding of the exports (default utf-8).")] = None,  # noqa: UP045
    allow_invalid: Annotated[
        bool, typer.Option("--allow-invalid", help="Report rows that cannot be evaluated without failing.")
    ] = False,
    wide: Annotated[
        bool, typer.Option("--wide", help="Table: every column whole, however long the lines get.")
    ] = False,
    color: Annotated[
        ColorChoice,
        typer.Option(help="Table colours. auto: at a terminal, off with NO_COLOR or TERM=dumb, on with FORCE_COLOR."),
    ] = ColorChoice.AUTO,
    debug: DebugOption = False,
) -> None:
    """Print warnings, breaches and escalation actions; exit 1 if any running clock reaches --fail-on."""
    undelivered = 0
    if (changes_only or notify or fail_on_delivery) and state is None:
        flag = "--changes-only" if changes_only else "--notify" if notify else "--fail-on-delivery"
        raise typer.BadParameter("needs --state FILE", param_hint=flag)
    with error_boundary(debug):
        config = find_config(config)
        from escalate_cli.pipeline import evaluate_loaded, export_sources, load_prepared, prepare, read_options
        from escalate_cli.writers import stream_for, writer_for

        summary_file = summary or _env_path("GITHUB_STEP_SUMMARY")
        cfg, now = prepare(config, as_of=as_of, source=source)
        options = read_options(cfg, encoding=encoding, delimiter=delimiter, keep=frozenset())
        plain = state is None and summary_file is None  # nothing but the output reads the clocks
        counts_only = quiet and plain  # nothing reads the clocks but their counts
        sources = export_sources(exports, cfg, source)
        loaded = load_prepared(exports, cfg, now, options, sources=sources)
        report = evaluate_loaded(loaded, keep_clocks=False, as_table=not counts_only)  # written from the frame
        _problems_to_stderr(report, quiet=quiet)
        if state is not None:
            from escalate_cli.watch import remember_and_notify

            undelivered = remember_and_notify(
                report, cfg, state, notify=notify, lock_timeout=lock_timeout, say=_say, sources=sources
            )
        whole = report
        if changes_only and fmt is not OutputFormat.JUNIT:  # a CI server keeps the JUnit file: every clock, always
            report = _changed(report)
        if quiet:
            from escalate_cli.writers import summary_line

            text: str | Iterable[str] = summary_line(report, cfg.timezone) + "\n"
        else:
            tty = output is None and sys.stdout.isatty()
            in_pieces = stream_for(fmt, tz=cfg.timezone, fail_on=fail_on)
            if in_pieces is not None:
                text = in_pieces(report)
            else:
                write = writer_for(
                    fmt,
                    tz=cfg.timezone,
                    color=_use_color(color, tty),
                    width=_width(tty),
                    wide=wide,
                    show_all=show_all,
                    fail_on=fail_on,
                    changes_only=changes_only,
                )
                text = write(report)
        _emit(text, output)
        if summary_file is not None:
            _append(writer_for(OutputFormat.MARKDOWN, tz=cfg.timezone)(whole), summary_file)
        code = _exit_code(whole, fail_on, allow_invalid)
        if fail_on_delivery and undelivered and code in (ExitCode.OK, ExitCode.FINDINGS):
            code = ExitCode.DELIVERY
        raise typer.Exit(code)


class ExplainFormat(str, Enum):
    TEXT = "text"
    JSON = "json"


@app.command(epilog=f"{NAIVE_NOTE} {EXIT_CODES}")
def explain(
    issue_id: Annotated[str, typer.Argument(metavar="ID", help="The issue to explain.")],
    exports: Annotated[list[str], typer.Argument(metavar="EXPORT...", help="The exports that hold it.")],
    config: ConfigOption = DEFAULT_CONFIG,
    fmt: Annotated[ExplainFormat, typer.Option("--format", "-f", help="Output format.")] = ExplainFormat.TEXT,
    as_of: AsOfOption = None,
    source: SourceOption = None,
    debug: DebugOption = False,
) -> None:
    """Explain one issue: the policy that matched and why, each clock's business segments and thresholds."""
    with error_boundary(debug):
        config = find_config(config)
        from escalate_cli.config import holiday_name
        from escalate_cli.explain import explain as explain_issue
        from escalate_cli.pipeline import find_issue, load
        from escalate_cli.presets import FIGURES
        from escalate_cli.writers import iso
        from escalate_cli.writers.explanation import render_json, render_text

        figures = frozenset(f.column for f in FIGURES)  # kept beside the columns the config uses
        loaded = load(exports, config, as_of=as_of, source=source, only=issue_id, keep=figures)
        cfg = loaded.config
        issue = find_issue(loaded, issue_id)
        story = explain_issue(
            issue,
            cfg.policies,
            loaded.as_of,
            lambda moment: iso(moment, cfg.timezone) or "",
            holiday_name,
            cfg.restart_on_reclassify,
            [(f.name, f.column, f.unit) for f in FIGURES],
        )
        render = render_json if fmt is ExplainFormat.JSON else render_text
        for note in loaded.warnings:
            if not note.issue or note.issue == issue.id:  # about the export, or this issue
                sys.stderr.write(f"warning: {note}\n")
        sys.stdout.write(render(story, tz=cfg.timezone))


@app.command("calendar", epilog=EXIT_CODES)
def calendar_command(
    name: Annotated[str, typer.Argument(metavar="NAME", help="A calendar of the config.")],
    config: ConfigOption = DEFAULT_CONFIG,
    first: Annotated[str, typer.Option("--from", metavar="DATE", help="First day (YYYY-MM-DD).")] = "",
    last: Annotated[str, typer.Option("--to", metavar="DATE", help="Last day (YYYY-MM-DD), included.")] = "",
    fmt: Annotated[ExplainFormat, typer.Option("--format", "-f", help="Output format.")] = ExplainFormat.TEXT,
    debug: DebugOption = False,
) -> None:
    """List a calendar's opening windows and holidays in a range, the clocks that count on it, and lint it."""
    from datetime import date, timedelta

    try:
        start = date.fromisoformat(first) if first else date.today()
        end = date.fromisoformat(last) if last else start + timedelta(days=13)
    except ValueError as exc:
        raise typer.BadParameter(f"expected dates such as 2026-12-01 ({exc})", param_hint="--from/--to") from None
    if end < start:
        raise typer.BadParameter("--to is before --from", param_hint="--to")
    with error_boundary(debug):
        config = find_config(config)
        from escalate_cli.calendar_view import days, lint
        from escalate_cli.config import holiday_name, holiday_years, load_config
        from escalate_cli.writers import calendar_days

        cfg = load_config(config)
        if name not in cfg.calendars:
            raise EscalateError(f"{config}: no calendar named {name!r}; it has {', '.join(cfg.calendars)}")
        calendar = cfg.calendars[name]
        views = days(calendar, start, end, holiday_name)
        notes = lint(calendar, start, end, holiday_name, holiday_years(calendar))
        render = calendar_days.render_json if fmt is ExplainFormat.JSON else calendar_days.render_text
        sys.stdout.write(render(name, str(calendar.tz), views, notes, cfg.policies))


class ReportFormat(str, Enum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"
    MARKDOWN = "markdown"


class Period(str, Enum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


@app.command(epilog=f"{NAIVE_NOTE} {EXIT_CODES}")
def report(
    exports: Annotated[list[str], typer.Argument(metavar="EXPORT...", help="History exports (open and closed).")],
    config: ConfigOption = DEFAULT_CONFIG,
    by: Annotated[Optional[list[str]], typer.Option(help="Group by this field or column (repeatable).")] = None,  # noqa: UP045
    period: Annotated[Period, typer.Option(help="Trend period.")] = Period.MONTH,
    fmt: Annotated[ReportFormat, typer.Option("--format", "-f", help="Output format.")] = ReportFormat.TABLE,
    html_file: Annotated[
        Optional[Path], typer.Option("--html", help="Also write a self-contained HTML page with charts.")  # noqa: UP045
    ] = None,
    as_of: AsOfOption = None,
    source: SourceOption = None,
    debug: DebugOption = False,
) -> None:
    """SLA attainment per policy and metric, median and p90 business times, breaches, and a trend."""
    with error_boundary(debug):
        config = find_config(config)
        from escalate_cli.pipeline import evaluate_loaded, load
        from escalate_cli.stats import Stats, period_of, summarize_table
        from escalate_cli.writers import iso
        from escalate_cli.writers import stats as out

        loaded = load(exports, config, as_of=as_of, source=source, keep=frozenset(by or ()))
        cfg = loaded.config
        evaluated = evaluate_loaded(loaded, keep_clocks=False, as_table=True, every_cycle=True)
        table = evaluated.table
        stats = summarize_table(table, by or [], period.value, cfg.timezone) if table else Stats((), "", [], {})
        stats.partial = period_of(loaded.as_of, period.value, cfg.timezone)
        if table is not None and (fmt is ReportFormat.JSON or html_file is not None):
            from escalate_cli.engine.review import review

            stats.review = review(table, by or [], period.value, cfg.timezone, loaded.as_of)
        _loaded_problems(loaded)
        render = {
            ReportFormat.TABLE: out.render_table,
            ReportFormat.JSON: lambda stats: out.render_json(stats, cfg.timezone),
            ReportFormat.CSV: out.render_csv,
            ReportFormat.MARKDOWN: out.render_markdown,
        }[fmt]
        sys.stdout.write(render(stats))
        if html_file is not None:
            from escalate_cli.writers import report_html

            title = f"SLA report as of {iso(loaded.as_of, cfg.timezone)}"
            _emit(report_html.render(out.document(stats, cfg.timezone), title), html_file)
        raise typer.Exit(ExitCode.INVALID_INPUT if loaded.errors else ExitCode.OK)


def _parse_every(value: str) -> str:
    """The interval as the user wrote it, once it reads as a duration (`15m`, `1h30m`; a bare number is seconds
    and gets its unit: `900s`)."""
    if _every_seconds(value) <= 0:
        raise typer.BadParameter(f'expected a duration such as "15m" or a number of seconds, got {value!r}')
    text = value.strip()
    return f"{text}s" if text.isdigit() else text


def _every_seconds(value: str) -> int:
    from escalate_cli.durations import parse_duration

    text = value.strip()
    try:
        return int(text) if text.isdigit() else parse_duration(text)
    except ValueError:
        return 0


@app.command(epilog=f"{NAIVE_NOTE} {EXIT_CODES}")
def backtest(
    exports: Annotated[list[str], typer.Argument(metavar="EXPORT...", help="History exports (an event log is best).")],
    config: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--config", "-c", help="The candidate SLA config (found as for check).", show_default=False),
    ] = None,
    baseline: Annotated[
        Optional[Path], typer.Option(help="The current config, to compare verdicts with.")  # noqa: UP045
    ] = None,
    first: Annotated[str, typer.Option("--from", metavar="DATE", help="Start of the window (date or instant).")] = "",
    last: Annotated[str, typer.Option("--to", metavar="DATE", help="End of the window; a date counts whole.")] = "",
    every: Annotated[
        str, typer.Option(callback=_parse_every, metavar="DURATION", help="Interval of the cron runs (or seconds).")
    ] = "15m",
    fmt: Annotated[ExplainFormat, typer.Option("--format", "-f", help="Output format.")] = ExplainFormat.TEXT,
    source: SourceOption = None,
    debug: DebugOption = False,
) -> None:
    """Replay a history as if escalate had run from cron: what the candidate policies would have done."""
    if not first or not last:
        raise typer.BadParameter("--from and --to are required", param_hint="--from/--to")
    with error_boundary(debug):
        config = find_config(config)
        from escalate_cli.backtest import combined, compare
        from escalate_cli.config import load_config
        from escalate_cli.engine.backtest import replay
        from escalate_cli.pipeline import clock_reading, export_sources, load, parse_day, source_folds
        from escalate_cli.writers import backtest_out, iso

        base_cfg = load_config(baseline) if baseline is not None else None
        keep = base_cfg.columns_used() if base_cfg is not None else frozenset()  # the baseline may match others
        loaded = load(exports, config, as_of=None, source=source, keep=keep, fold=False)
        cfg = loaded.config
        start, end = parse_day(first, cfg), parse_day(last, cfg, end_of_day=True) - 1
        if end <= start:
            raise EscalateError(f"--to ({last}) is not after --from ({first})")

        kinds = list(dict.fromkeys(export_sources(exports, cfg, source)))

        def run(policies_cfg: Config, label: str) -> Outcome:
            parts = []  # each source with its own status words, as `check` folds them
            for _, rows, statuses in source_folds(loaded.rows, cfg, kinds):
                parts.append(
                    replay(
                        rows,
                        policies_cfg.policies,
                        statuses,
                        cfg.history,
                        start,
                        end,
                        _every_seconds(every),
                        cfg.timezone,
                        label,
                        policies_cfg.restart_on_reclassify,
                        verdicts=base_cfg is not None,
                        messages=clock_reading(policies_cfg)[1],
                    )
                )
            return combined(parts)

        outcome = run(cfg, str(config))
        base = run(base_cfg, str(baseline)) if base_cfg is not None else None
        changed = compare(outcome, base) if base is not None else None
        header = f"backtest of {config}: {iso(start, cfg.timezone)} .. {iso(end, cfg.timezone)}, every {every}"
        render = backtest_out.render_json if fmt is ExplainFormat.JSON else backtest_out.render_text
        sys.stdout.write(render(outcome, header, changed, base))
        _loaded_problems(loaded)
        raise typer.Exit(ExitCode.INVALID_INPUT if loaded.errors else ExitCode.OK)


@app.command(epilog=EXIT_CODES)
def init(
    exports: Annotated[list[str], typer.Argument(metavar="EXPORT...", help="Exports to learn the config from.")],
    output: Annotated[
        str, typer.Option("--output", "-o", metavar="FILE", help="Where to write it; - is stdout.")
    ] = "escalate.yaml",
    timezone: Annotated[str, typer.Option(help="IANA zone of the business hours (and of naive timestamps).")] = "UTC",
    country: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help="Country code for public holidays (the holidays package), e.g. DE."),
    ] = None,
    source: SourceOption = None,
    force: Annotated[bool, typer.Option(help="Overwrite FILE if it exists.")] = False,
    debug: DebugOption = False,
) -> None:
    """Write a commented starter config from your exports: source, calendar, one policy per priority, with
    targets proposed from the history."""
    with error_boundary(debug):
        from escalate_cli.starter import starter_config

        target = Path(output)
        if output != "-" and target.exists() and not force:
            raise EscalateError(f"{output} exists; --force overwrites it, or -o names another file")
        if source is not None and (len(source) > 1 or ":" in source[0]):
            raise typer.BadParameter("init takes one preset for all its exports", param_hint="--source")
        text = starter_config(exports, source[0] if source else None, timezone, country)
        if output == "-":
            sys.stdout.write(text)
            return
        target.write_text(text, encoding="utf-8")
        sys.stderr.write(f"wrote {output}; try: escalate check {' '.join(exports)}\n")


@app.command(epilog=EXIT_CODES)
def validate(
    config: ConfigOption = DEFAULT_CONFIG,
    debug: DebugOption = False,
) -> None:
    """Check a config and summarise its calendars and policies."""
    with error_boundary(debug):
        config = find_config(config)
        from escalate_cli.config import describe, load_config

        loaded = load_config(config)
        sys.stdout.write(f"{config}: valid\n" + describe(loaded))
        for note in loaded.lint:
            sys.stderr.write(f"warning: {config}: {note}\n")


@app.command(epilog=EXIT_CODES)
def schema(
    output: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--output", "-o", help="Write it to this file (else stdout)."),
    ] = None,
    debug: DebugOption = False,
) -> None:
    """Print the JSON Schema of the config, for editors and CI: `escalate schema > escalate.schema.json`, then
    `# yaml-language-server: $schema=escalate.schema.json` at the top of escalate.yaml."""
    with error_boundary(debug):
        from escalate_cli.config_schema import render

        _emit(render(), output)


def _emit(text: str | Iterable[str], output: Path | None) -> None:
    """Write the output, which big formats give in pieces."""
    pieces = [text] if isinstance(text, str) else text
    if output is None:
        for piece in pieces:
            sys.stdout.write(piece)
        return
    try:
        with output.open("w", encoding="utf-8") as handle:
            for piece in pieces:
                handle.write(piece)
    except OSError as exc:
        raise EscalateError(f"{output}: cannot write the report: {exc.strerror or exc}") from exc


def _say(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def _width(tty: bool) -> int:
    """The terminal's width, else COLUMNS when set, else 120."""
    if tty:
        with suppress(OSError):
            return os.get_terminal_size(sys.stdout.fileno()).columns
    columns = os.environ.get("COLUMNS", "")
    return int(columns) if columns.isdigit() and int(columns) > 0 else 120


def _use_color(choice: ColorChoice, tty: bool) -> bool:
    """--color always/never as given; auto: NO_COLOR (non-empty) turns colour off, FORCE_COLOR (non-empty) on,
    then TERM=dumb off, then on at a terminal only (no-color.org, force-color.org)."""
    if choice is not ColorChoice.AUTO:
        return choice is ColorChoice.ALWAYS
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return tty and os.environ.get("TERM") != "dumb"


def _changed(report: Report) -> Report:
    """The report with only the clocks that changed (the changes themselves include the disappeared ones); its
    counts, summary and exit code stay those of every clock."""
    from dataclasses import replace

    from escalate_cli.engine.cells import only

    if report.table is None:
        return report
    return replace(report, table=only(report.table, [(c.issue, c.metric) for c in report.changes or ()]))


def _env_path(name: str) -> Path | None:
    value = os.environ.get(name)
    return Path(value) if value else None


def _append(text: str, path: Path) -> None:
    try:
        with path.open("a", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise EscalateError(f"{path}: cannot append the summary: {exc.strerror or exc}") from exc


def _loaded_problems(loaded: Loaded) -> None:
    """`report` and `backtest`: the rows that could not be read, and what the exports cannot tell (such as no
    first-reply column, which leaves first_response out), as `check` says them."""
    _say_problems(loaded.errors, loaded.warnings)


def _problems_to_stderr(report: Report, *, quiet: bool) -> None:
    _say_problems(report.errors, [] if quiet else report.warnings, " (all of them are in --format json)")


def _say_problems(errors: Iterable[Problem], warnings: Iterable[Problem], more: str = "") -> None:
    """Errors, then warnings, on stderr: the first MAX_PROBLEMS_SHOWN, each cut to a readable length."""
    shown = [("error", p) for p in errors] + [("warning", p) for p in warnings]
    for kind, problem in shown[:MAX_PROBLEMS_SHOWN]:
        sys.stderr.write(f"{kind}: {readable(str(problem))}\n")
    if len(shown) > MAX_PROBLEMS_SHOWN:
        sys.stderr.write(f"... and {len(shown) - MAX_PROBLEMS_SHOWN} more{more}\n")


def _exit_code(report: Report, fail_on: Severity, allow_invalid: bool) -> ExitCode:
    from escalate_cli.model import State

    if report.errors and not allow_invalid:
        return ExitCode.INVALID_INPUT
    if any(n and fail_on.fails(State(state)) for state, n in report.counts().items()):
        return ExitCode.FINDINGS
    return ExitCode.OK


@contextmanager
def error_boundary(debug: bool = False) -> Iterator[None]:
    """A user's mistake -> one message and exit 3; a bug -> a short message (traceback with --debug) and exit 4."""
    try:
        yield
    except (typer.Exit, typer.Abort):
        raise
    except EscalateError as exc:
        each = exc.problems if isinstance(exc, ConfigErrors) else [exc]  # a config's mistakes, one a line
        sys.stderr.write("".join(f"error: {readable(str(problem))}\n" for problem in each))
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        raise typer.Exit(130) from None
    except BrokenPipeError:  # whatever read the output stopped (`| head`): stop too, quietly, as SIGPIPE would
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the exit's flush cannot fail again
        raise typer.Exit(141) from None
    except Exception as exc:
        if debug:
            import traceback

            traceback.print_exc()
        sys.stderr.write(
            f"internal error: {type(exc).__name__}: {exc}\nThis is a bug in escalate; "
            "please report it (run with --debug for the traceback).\n"
        )
        raise typer.Exit(ExitCode.INTERNAL) from None


def main() -> None:
    """The `escalate` command. Once it has finished and its output is flushed, it leaves at once (`os._exit`)
    instead of having the interpreter free every object one by one, which took 0.05 s of each run. Nothing is
    left to clean up by then: files, the state database and its lock are closed by their `with` blocks, and no
    thread or atexit handler is started. Under a tracer (coverage, a debugger) it exits the usual way."""
    try:
        app()
    except SystemExit as exc:
        code = exc.code
    else:
        code = 0
    if not isinstance(code, int) or sys.gettrace() is not None:
        raise SystemExit(code)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed pipe: exit the usual way, which reports it as before
        raise SystemExit(code) from None
    os._exit(code)
