"""Reading exports: pick a reader by suffix or content; each yields positioned records."""

from __future__ import annotations

from dataclasses import dataclass

from escalate_cli.readers.records import Rows
from escalate_cli.readers.source import ended_too_soon, open_export


@dataclass(frozen=True)
class ReadOptions:
    encoding: str = "utf-8-sig"
    delimiter: str | None = None
    records: str | None = None  # key path of the list of records in a JSON envelope
    keep: frozenset[str] | None = None  # raw columns an issue keeps (None: the whole row), to save memory


def read_export(name: str, options: ReadOptions) -> Rows:
    """The rows of one export (`-` is stdin). Raises InputError when the file cannot be read at all."""
    kind, stream = open_export(name, options.encoding)
    from_stdin = name == "-"

    def closer() -> None:
        if not stream.closed:  # a reader that reads the export whole has closed it already
            if from_stdin:
                stream.detach()  # the text layer over stdin goes, stdin stays
            else:
                stream.close()

    name = "<stdin>" if from_stdin else name
    try:
        if kind == "json":
            from escalate_cli.readers.json_ import read_json

            rows = read_json(name, stream, options.records)
        elif kind == "ndjson":
            from escalate_cli.readers.json_ import read_ndjson

            rows = read_ndjson(name, stream)
        else:
            from escalate_cli.readers.csv_ import read_csv

            rows = read_csv(name, stream, options.delimiter)
    except UnicodeDecodeError as exc:
        closer()
        raise _encoding_error(name, options.encoding, exc) from exc
    except BaseException:
        closer()
        raise
    rows.closer = closer
    rows.cut = lambda: ended_too_soon(stream)
    return rows


def _encoding_error(name: str, encoding: str, exc: UnicodeDecodeError) -> Exception:
    from escalate_cli.errors import InputError

    return InputError(f"{name}: not {encoding_label(encoding)} text ({exc.reason} at byte {exc.start}); try --encoding")


def encoding_label(encoding: str) -> str:
    return "UTF-8" if encoding.lower().replace("_", "-") in ("utf-8-sig", "utf-8", "utf8") else encoding


__all__ = ["ReadOptions", "Rows", "encoding_label", "read_export"]
