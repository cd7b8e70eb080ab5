"""Exports -> the rows of every issue, as one frame: the read and parse stages.

A CSV export (a file, gzipped or not, or stdin, in UTF-8) is read by Polars (`read_csv`) and built by columns
(`build`); any other export, or a CSV this reader does not take, by the Python readers (`readers.issues`), whose
issues join the frame as objects. Rows keep their statuses unapplied: `fold.at_instant` decides what they mean.
"""

from __future__ import annotations

import itertools
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

import polars as pl

from escalate_cli.config import Config
from escalate_cli.engine import schema as S
from escalate_cli.engine.build import build
from escalate_cli.engine.frame import IssueFrame, from_issues
from escalate_cli.engine.read_csv import Cells, read_cells
from escalate_cli.engine.read_records import read_records
from escalate_cli.errors import InputError
from escalate_cli.model import Issue, Problem
from escalate_cli.readers import ReadOptions, encoding_label, read_export
from escalate_cli.readers.issues import IssueBuilder, issues_from
from escalate_cli.readers.records import Record, Rows
from escalate_cli.readers.source import open_export

_UTF8 = ("utf-8", "utf-8-sig", "utf8", "utf_8", "utf-8_sig", "utf_8_sig")


@dataclass
class Read:
    rows: IssueFrame  # every row that became an issue, in file order, exports one after another
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def read_exports(
    exports: list[str],
    config: Config,
    options: ReadOptions,
    fields: tuple[str, ...],
    raw_keys: tuple[str, ...],
    sources: list[str] | None = None,
) -> Read:
    """One export that cannot be read at all (missing, not the format it claims, without a required column) is
    that export's error: the others are still read. When none can be, the first one's error is the run's.
    `sources`: each export's preset (else the config's); its rows carry it in the SOURCE column."""
    parts: list[IssueFrame] = []
    errors: list[Problem] = []
    warnings: list[Problem] = []
    failed: list[InputError] = []
    for n, name in enumerate(exports):
        source = sources[n] if sources is not None else config.source
        preset = config if source == config.source else config.with_source(source)
        try:
            frame = _columnar(name, preset, options, fields, raw_keys, errors, warnings)
            read = [frame] if frame is not None else _records(name, preset, options, fields, raw_keys, errors, warnings)
            parts += [_from(part, source) for part in read]
        except InputError as exc:
            failed.append(exc)
            errors.append(_located(name, str(exc)))
    if failed and len(failed) == len(exports):
        raise failed[0]
    return Read(concat(parts, fields, raw_keys), errors, warnings)


def _from(part: IssueFrame, source: str) -> IssueFrame:
    rows = part.frame.with_columns(pl.lit(source).alias(S.SOURCE))
    return IssueFrame(rows, part.fields, part.raw_keys, part.objects, part.single)


_CHUNK = 50_000  # issues the Python readers hand over at a time, so that only that many are objects at once


def _located(name: str, text: str) -> Problem:
    """An export's error as a problem located at the export (and line) its text begins with."""
    label = "<stdin>" if name == "-" else name
    found = re.match(re.escape(label) + r"(:\d+)?: ", text)
    if found is None:
        return Problem("", text, whole_export=True)
    return Problem(label + (found[1] or ""), text[found.end() :], whole_export=True)


def _chunk_frame(issues: list[Issue], fields: tuple[str, ...], raw_keys: tuple[str, ...]) -> IssueFrame:
    """Issues the Python readers built, as a frame. Where every raw value kept is text (as in most JSON exports'
    matched columns), the columns hold all of them and the objects go; otherwise they stay, for their records."""
    frame = from_issues(issues, fields, raw_keys)
    if all(type(value) is str for issue in issues for value in issue.record.values()):
        rows = frame.frame.with_columns(pl.lit(None, pl.Int64).alias(S.OBJECT))
        return IssueFrame(rows, fields, raw_keys, single=frozenset(raw_keys))
    return frame


def concat(parts: list[IssueFrame], fields: tuple[str, ...], raw_keys: tuple[str, ...]) -> IssueFrame:
    """One frame of several; objects renumbered after those of the frames before."""
    objects: list[Issue] = []
    frames = []
    single: frozenset[str] = frozenset(raw_keys)
    for part in parts:
        frames.append(part.frame.with_columns(pl.col(S.OBJECT) + len(objects)))
        objects += part.objects
        if not part.objects:  # rows of objects take their records from the objects
            single &= part.single
    frame = pl.concat(frames) if frames else S.empty(fields, raw_keys)
    return IssueFrame(frame, fields, raw_keys, objects, single)


def _columnar(
    name: str,
    config: Config,
    options: ReadOptions,
    fields: tuple[str, ...],
    raw_keys: tuple[str, ...],
    errors: list[Problem],
    warnings: list[Problem],
) -> IssueFrame | None:
    """The export read by columns; None for the Python readers to read."""
    if options.encoding.lower() not in _UTF8 or not _is_csv(name, options):
        return None
    data, cut = _bytes(name)
    if data is None or (cut and not data):
        return None
    label = "<stdin>" if name == "-" else name
    if cut:  # a partial download: the rows it has are evaluated, and where it ends is said
        ends = data.count(b"\n") + 1
        errors.append(
            Problem(
                f"{label}:{ends}",
                "the compressed file ends too soon here (a partial download?); the rows before it are evaluated",
            )
        )
    cells = read_cells(label, data, options.delimiter, _wanted(config, raw_keys))
    del data  # the cells hold what is needed; a million issues' bytes need not stay for the build
    if cells is None:
        return None
    builder = IssueBuilder(config, label, Rows(iter(()), str, columns=cells.header), _sample(cells), options.keep)
    if builder.skip_key is not None and builder.skip_key in cells.header:
        return None  # rows to skip and count: the Python reader does that
    warnings += builder.notes()
    built = build(label, cells, builder, fields, raw_keys)
    errors += sorted([*cells.errors, *built.errors], key=_line)
    if cells.records == 0:
        warnings.append(Problem(label, "the export has no records"))
    return built.issues


def _records(
    name: str,
    config: Config,
    options: ReadOptions,
    fields: tuple[str, ...],
    raw_keys: tuple[str, ...],
    errors: list[Problem],
    warnings: list[Problem],
) -> list[IssueFrame]:
    """An export the columnar CSV reader does not take: a JSON list or NDJSON built by columns (`read_records`),
    anything else (an envelope, whose records have no lines of their own; whole records kept; a CSV it
    refused) by the Python builder, 50,000 issues at a time."""
    label = "<stdin>" if name == "-" else name
    rows: Rows | None = None
    try:
        rows = read_export(name, options)
        if rows.by_line and options.keep is not None:
            parts = list(read_records(label, rows, config, options.keep, fields, raw_keys, errors, warnings))
        else:
            issues = issues_from(label, rows, config, errors, warnings, options.keep)
            parts = []
            while chunk := list(itertools.islice(issues, _CHUNK)):
                parts.append(_chunk_frame(chunk, fields, raw_keys))
        if rows.cut():  # a partial download: what it holds is evaluated, its cut record is an error of its own
            errors.append(
                Problem(
                    label,
                    "the compressed file ends too soon (a partial download?); the records before the cut are evaluated",
                )
            )
        return parts
    except UnicodeDecodeError as exc:
        what = encoding_label(options.encoding)
        raise InputError(f"{label}: not {what} text ({exc.reason}); try --encoding") from exc
    except EOFError as exc:
        raise InputError(f"{label}: the compressed file ends too soon (a partial download?): {exc}") from exc
    except (zlib.error, OSError) as exc:  # gzip.BadGzipFile is an OSError
        raise InputError(f"{label}: cannot read: {getattr(exc, 'strerror', None) or exc}") from exc
    finally:
        if rows is not None:
            rows.close()


def _wanted(config: Config, raw_keys: tuple[str, ...]) -> Callable[[list[str]], set[str]]:
    """The columns a field may be read from (every candidate the header has: the builder picks the first) and
    the raw columns kept."""
    from escalate_cli.config import STANDARD_FIELDS

    names = (*STANDARD_FIELDS, *config.fields)
    talk = config.preset.conversation if config.reads_messages else None
    packed = {*talk.cells, *talk.requester} if talk is not None else set()

    def wanted(header: list[str]) -> set[str]:
        return {column for name in names for column in config.columns(name)} | set(raw_keys) | packed

    return wanted


def _is_csv(name: str, options: ReadOptions) -> bool:
    if name == "-":
        return False  # stdin's kind is sniffed from bytes the Python reader has to see again
    try:
        kind, stream = open_export(name, options.encoding)
    except InputError:
        return False
    stream.close()
    return kind == "csv"


def _bytes(name: str) -> tuple[bytes | None, bool]:
    """The export's bytes, decompressed, and whether a gzip ended too soon (a partial download: its whole lines
    are kept); None for the Python reader to say what is wrong with it. Past MAX_EXPORT_BYTES it is refused
    (`source.too_big`), a gzip as soon as it decompresses to more."""
    from escalate_cli.readers import source

    limit = source.MAX_EXPORT_BYTES
    try:
        if not name.endswith(".gz"):
            with open(name, "rb") as handle:
                data = handle.read(limit + 1)
            if len(data) > limit:
                raise source.too_big(name)
            return data, False
        parts, size = [], 0
        with source.Inflating(open(name, "rb")) as inflating:
            while part := inflating.read(1 << 20):
                size += len(part)
                if size > limit:  # never more than the bound in memory
                    raise source.too_big(name)
                parts.append(part)
        data = b"".join(parts)
        return (data[: data.rfind(b"\n") + 1], True) if inflating.cut else (data, False)
    except (OSError, EOFError, zlib.error):
        return None, False


def _sample(cells: Cells) -> list[Record]:
    header = cells.header
    repeated = {c for c in header if header.count(c) > 1}
    out: list[Record] = []
    sampled = cells.frame.head(cells.sample).drop("line")
    names = [header[int(position)] for position in sampled.columns]
    for row in sampled.iter_rows():
        record: Record = {}
        for column, value in zip(names, row):
            if column in repeated:
                values = record.setdefault(column, [])
                if isinstance(values, list) and str(value).strip():
                    values.append(value)
            else:
                record[column] = value
        out.append(record)
    return out


def _line(problem: Problem) -> int:
    return int(problem.where.rsplit(":", 1)[1])
