from __future__ import annotations

import gzip
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escalate_cli.errors import InputError
from escalate_cli.readers.timestamps import TimestampParser
from tests.helpers import config, read

UTC = timezone.utc


def epoch(*args, tz=UTC) -> int:
    return int(datetime(*args, tzinfo=tz).timestamp())


TIMESTAMPS = [
    pytest.param("2024-03-04T09:15:00Z", False, epoch(2024, 3, 4, 9, 15), id="iso-z"),
    pytest.param("2024-03-04T09:15:00+01:00", False, epoch(2024, 3, 4, 8, 15), id="iso-offset"),
    pytest.param("2016-03-03T13:40:01.000+0000", False, epoch(2016, 3, 3, 13, 40, 1), id="offset-without-colon"),
    pytest.param("2024-03-04 09:15:00", False, epoch(2024, 3, 4, 8, 15), id="naive-space"),
    pytest.param("2024-03-04", False, epoch(2024, 3, 3, 23, 0), id="date-only"),
    pytest.param("04/Mar/24 9:15 AM", False, epoch(2024, 3, 4, 8, 15), id="jira"),
    pytest.param("10/Jun/21 11:00 PM", False, epoch(2021, 6, 10, 21, 0), id="jira-pm-summer"),
    pytest.param("4/3/2024 09:15", True, epoch(2024, 3, 4, 8, 15), id="dayfirst"),
    pytest.param("4/3/2024 09:15", False, epoch(2024, 4, 3, 7, 15), id="monthfirst"),
    pytest.param("29/2/2016 01:16", True, epoch(2016, 2, 29, 0, 16), id="servicenow-dayfirst"),
    pytest.param("3/17/2025 6:04", False, epoch(2025, 3, 17, 5, 4), id="excel-us"),
    pytest.param("Tue, 04 Mar 2025 09:15:00 +0000", False, epoch(2025, 3, 4, 9, 15), id="rfc2822"),
    pytest.param("March 4th 2024 9:15", False, epoch(2024, 3, 4, 8, 15), id="dateutil-fallback"),
    pytest.param("18/jul/26 9:10 AM", False, epoch(2026, 7, 18, 7, 10), id="spanish-jira"),
    pytest.param("04/ago/25 4:05 PM", False, epoch(2025, 8, 4, 14, 5), id="spanish-agosto"),
    pytest.param("03/dic/25 9:10 AM", False, epoch(2025, 12, 3, 8, 10), id="spanish-diciembre"),
    pytest.param("12. Mär. 2024 10:00", False, epoch(2024, 3, 12, 9, 0), id="german"),
    pytest.param(1709543700, False, 1709543700, id="epoch-seconds"),
    pytest.param(1709543700000, False, 1709543700, id="epoch-millis"),
]


@pytest.mark.parametrize(("text", "dayfirst", "expected"), TIMESTAMPS)
def test_timestamp_forms(text, dayfirst, expected):
    assert TimestampParser(ZoneInfo("Europe/Berlin"), dayfirst=dayfirst).parse(text) == expected


@pytest.mark.parametrize("text", ["", "  ", "?", "-", "null", "NULL", "None", "n/a", None, "1900-01-01 00:00:00"])
def test_missing_markers(text):
    assert TimestampParser(UTC).parse(text) is None


@pytest.mark.parametrize("text", ["tomorrow", "1", "March", "2024-13-45 10:00", "12:30"])
def test_unparseable_timestamps_are_refused(text):
    with pytest.raises(ValueError, match=r"^cannot parse "):
        TimestampParser(UTC).parse(text)


@pytest.mark.parametrize("text", ["9999-12-31 00:00:00", "0001-01-01T00:00:00Z", 99_999_999_999])
def test_placeholder_dates_outside_the_covered_years_are_refused(text):
    with pytest.raises(ValueError, match=r"is outside the years 1900-2999$"):
        TimestampParser(UTC).parse(text)


def test_explicit_format_is_the_only_one_tried():
    parser = TimestampParser(UTC, fmt="%d.%m.%Y %H:%M")
    assert parser.parse("04.03.2024 09:15") == epoch(2024, 3, 4, 9, 15)
    with pytest.raises(ValueError):
        parser.parse("2024-03-04T09:15:00Z")


def test_csv_with_bom_semicolons_and_located_errors(write):
    path = write(
        "issues.csv", "\ufeffid;created;priority\nA-1;2024-03-04 09:00;P1\nA-2;tomorrow;P2\nA-3;2024-03-04 10:00;P3\n"
    )
    got = read([path])
    assert [i.id for i in got.issues] == ["A-1", "A-3"]
    assert [str(e) for e in got.errors] == [f"{path}:3: created: cannot parse 'tomorrow'"]
    assert got.issues[1].fields["priority"] == "P3"


def test_csv_line_numbers_count_physical_lines(write):
    path = write("multi.csv", 'id,created,title\n1,2024-01-01,"two\nlines"\n2,soon,x\n')
    assert [str(e) for e in read([path]).errors] == [f"{path}:4: created: cannot parse 'soon'"]


def test_csv_delimiter_option_and_tab_sniffing(write):
    tsv = write("a.tsv", "id\tcreated\n1\t2024-01-01\n")
    pipe = write("b.csv", "id|created\n2|2024-01-01\n")
    assert [i.id for i in read([tsv, pipe]).issues] == ["1", "2"]
    forced = write("c.csv", "id;created;title,with,commas\n3;2024-01-01;a, b, c\n")  # sniffing would pick ","
    issue = read([forced], delimiter=";").issues[0]
    assert (issue.id, issue.record["title,with,commas"]) == ("3", "a, b, c")


def test_repeated_columns_are_merged_into_a_list(write):
    path = write("jira.csv", "Issue key,Created,Labels,Labels,Labels,Priority\nJ-1,2024-01-01,urgent,customer,,High\n")
    cfg = config(fields={"id": "Issue key", "created": "Created", "labels": "Labels", "priority": "Priority"})
    issue = read([path], cfg).issues[0]
    assert issue.labels == ("urgent", "customer")
    assert issue.record["Labels"] == ["urgent", "customer"]


def test_csv_row_with_the_wrong_number_of_cells(write):
    path = write("short.csv", "id,created,title\n1,2024-01-01\n2,2024-01-01,ok\n")
    got = read([path])
    assert [str(e) for e in got.errors] == [f"{path}:2: expected 3 columns as in the header, got 2"]
    assert [i.id for i in got.issues] == ["2"]


def test_malformed_csv_is_a_located_row_error_and_the_rest_is_read(write):
    """One bad spot does not drop the export (#21 point 5): the row is an error, the others are issues."""
    path = write("bad.csv", 'id,created\n1,2024-01-01\n2,"x"y,\n3,2024-01-02\n4,"2024-01-01\n')
    got = read([path])
    assert [i.id for i in got.issues] == ["1", "3"]
    assert [str(e) for e in got.errors] == [
        f"{path}:3: malformed CSV: ',' expected after '\"'",
        f"{path}:5: malformed CSV: unexpected end of data",
    ]


def test_missing_required_column_lists_what_exists(write):
    path = write("nocreated.csv", "id,opened,title\n1,2024-01-01,x\n")
    with pytest.raises(InputError) as caught:
        read([path])
    assert str(caught.value) == (
        f"{path}: required column 'created' for field created not found; the export has: 'id', 'opened', 'title'"
    )


def test_explicitly_mapped_column_must_exist(write):
    path = write("a.csv", "id,created\n1,2024-01-01\n")
    with pytest.raises(InputError, match="column 'first_reply' for field first_response not found"):
        read([path], config(fields={"first_response": "first_reply"}))


def test_empty_file_and_header_only(write):
    with pytest.raises(InputError, match="the export is empty"):
        read([write("empty.csv", "")])
    got = read([write("header.csv", "id,created\n")])
    assert got.issues == [] and [p.message for p in got.warnings] == ["the export has no records"]


def test_resolved_before_created(write):
    path = write("a.csv", "id,created,resolved\n1,2024-01-02 10:00,2024-01-01 10:00\n")
    assert [str(e) for e in read([path]).errors] == [
        f"{path}:2: resolved: '2024-01-01 10:00' is before created ('2024-01-02 10:00')"
    ]


def test_duplicate_ids_are_merged_with_a_warning(write):
    path = write(
        "dup.csv", "id,created,title\n1,2024-01-01,old\n2,2024-01-01,other\n1,2024-01-01,new\n2,2024-01-01,again\n"
    )
    got = read([path])
    assert [(i.id, i.fields["title"]) for i in got.issues] == [("1", "new"), ("2", "again")]  # the last row wins
    assert [str(w) for w in got.warnings] == [
        f"{path}:4: 2 rows repeated the id of an earlier row (first: '1') and were merged, keeping the most "
        "recently updated"
    ]


def test_duplicates_keep_the_most_recently_updated(write):
    path = write("dup.csv", "id,created,updated,title\n1,2024-01-01,2024-02-01,newer\n1,2024-01-01,2024-01-15,older\n")
    got = read([path], config(history=False))
    assert [i.fields["title"] for i in got.issues] == ["newer"]


def test_json_array_envelopes_and_dotted_paths(write):
    jira = write(
        "jira.json",
        '{"startAt": 0, "issues": [\n {"key": "J-1", "fields": {"created": '
        '"2016-03-03T13:40:01.000+0000", "priority": {"name": "Major"}, "labels": ["a", "b"]}}\n]}',
    )
    cfg = config(
        fields={"id": "key", "created": "fields.created", "priority": "fields.priority.name", "labels": "fields.labels"}
    )
    issue = read([jira], cfg).issues[0]
    assert (issue.id, issue.fields["priority"], issue.labels) == ("J-1", "Major", ("a", "b"))
    assert issue.created == epoch(2016, 3, 3, 13, 40, 1)


@pytest.mark.parametrize("key", ["issues", "tickets", "data", "records", "results", "values"])
def test_json_envelope_keys_are_found(write, key):
    path = write("e.json", f'{{"count": 1, "{key}": [{{"id": 7, "created": "2024-01-01"}}]}}')
    assert read([path]).issues[0].id == "7"


def test_json_records_key_from_config(write):
    path = write("n.json", '{"page": {"rows": [{"id": 1, "created": "2024-01-01"}]}, "other": []}')
    assert read([path], config(records="page.rows")).issues[0].id == "1"


def test_github_label_objects_through_a_list_path(write):
    path = write(
        "gh.json", '[{"number": 5, "createdAt": "2026-09-20T18:37:15Z", "labels": [{"name": "bug"}, {"name": "p1"}]}]'
    )
    cfg = config(fields={"id": "number", "created": "createdAt", "labels": "labels.name"})
    assert read([path], cfg).issues[0].labels == ("bug", "p1")


def test_bad_json_record_is_located_by_line(write):
    path = write(
        "lines.json",
        '[\n  {"id": 1, "created": "2024-01-01"},\n  {"id": 2,\n   "created": "never"},\n  "not an object"\n]\n',
    )
    got = read([path])
    assert [str(e) for e in got.errors] == [
        f"{path}:3: created: cannot parse 'never'",
        f"{path}:5: expected a JSON object for an issue, got str",
    ]


def test_malformed_json_is_a_located_row_error_and_the_records_before_it_are_read(write):
    path = write("broken.json", '[\n{"id": 1, "created": "2024-01-01"},\n{"id": 2,\n "created": }\n]')
    got = read([path])
    assert [i.id for i in got.issues] == ["1"]
    assert [str(e) for e in got.errors] == [
        f"{path}:4: malformed JSON: Expecting value (column 13); nothing after it is read"
    ]


ONE, TWO = (1, {"id": 1}), (1, {"id": 2})
JSON_LISTS = [  # the text, and for a malformed one the records (line, record) read before its bad spot
    pytest.param(
        '[\n  {"id": 1, "t": "a]b,c"},\n  {"id": 2,\n   "n": [1, 23]},\n  "x", 12345, [],\n  {"id": 3}\n]\n',
        None,
        id="ok",
    ),
    pytest.param("  [ ]  \n", None, id="empty"),
    pytest.param('[{"id": 1}, 2345678]', None, id="number-last"),
    pytest.param('[\n{"id": 1,\n "created": }\n]', [], id="bad-value"),
    pytest.param('[{"id": 1} {"id": 2}]', [ONE], id="no-comma"),
    pytest.param('[{"id": 1}]\n{"id": 2}', [ONE], id="extra-data"),
    pytest.param('[{"id": 1},\n{"id": 2', [ONE], id="cut-in-a-record"),
    pytest.param('[{"id": 1},\n{"id": 2}\n', [ONE, (2, {"id": 2})], id="no-closing-bracket"),
    pytest.param('[{"id": 1},\n', [ONE], id="cut-after-a-comma"),
]


@pytest.mark.parametrize("chunk", [5, 64, 1 << 20])
@pytest.mark.parametrize(("text", "before"), JSON_LISTS)
def test_a_json_list_is_streamed_as_json_loads_reads_it(write, monkeypatch, text, before, chunk):
    """Records (and the line each starts on) however the text falls into chunks, from a file or a pipe; in a
    malformed list, the records before the bad spot and then the error json.loads gives, as a row error of its
    own (a cut file is said to be one), so that what was read is still evaluated."""
    import io
    import json

    from escalate_cli.readers import ReadOptions, read_export
    from escalate_cli.readers import json_ as reader

    monkeypatch.setattr(reader, "_CHUNK", chunk)
    path = str(write("list.json", text))

    def rows(stream_of: object) -> object:
        try:
            if stream_of is None:
                got = read_export(path, ReadOptions())
                return [(got.where(n), record) for n, record in got.rows]
            got = reader.read_json(path, stream_of, None)  # type: ignore[arg-type]
            return [(got.where(n), record) for n, record in got.rows]
        except InputError as exc:
            return str(exc)

    try:
        items = json.loads(text)
        lines = reader._element_lines(text, [])
        expected: object = [
            (
                f"{path}:{line}",
                item if isinstance(item, dict) else reader.Malformed(reader._NOT_AN_OBJECT % type(item).__name__),
            )
            for line, item in zip(lines, items)
        ]
    except json.JSONDecodeError as exc:
        ends_open = exc.msg != "Extra data" and not text.rstrip().endswith("]")  # the list never closes
        cut = "; the file ends before its list does: cut short?" if ends_open else ""
        spot = reader.Malformed(f"malformed JSON: {exc.msg} (column {exc.colno}{cut}); nothing after it is read")
        expected = [(f"{path}:{line}", record) for line, record in before] + [(f"{path}:{exc.lineno}", spot)]
    assert rows(None) == expected

    class Pipe(io.StringIO):
        def seek(self, *args: object) -> int:
            raise io.UnsupportedOperation("not seekable")

    assert rows(Pipe(text)) == expected


def test_json_without_a_list_says_how_to_name_it(write):
    path = write("odd.json", '{"a": 1, "b": {"c": 2}}')
    with pytest.raises(InputError, match=r"no list of records found .keys: 'a', 'b'.; name it with `records:`"):
        read([path])


def test_ndjson_and_gzip(write, tmp_path):
    text = '{"id": "n1", "created": "2024-01-01"}\n\n{"id": "n2", "created": "x"}\n{broken\n'
    plain = write("a.ndjson", text)
    packed = tmp_path / "b.jsonl.gz"
    packed.write_bytes(gzip.compress(text.replace("n1", "g1").encode()))
    got = read([plain, packed])
    assert [i.id for i in got.issues] == ["n1", "g1"]
    assert [e.where for e in got.errors] == [f"{plain}:3", f"{plain}:4", f"{packed}:3", f"{packed}:4"]


def test_content_sniffing_without_a_suffix(write):
    assert read([write("export", '[{"id": 1, "created": "2024-01-01"}]')]).issues[0].id == "1"
    assert (
        read([write("export2", '{"id": 1, "created": "2024-01-01"}\n{"id": 2, "created": "2024-01-01"}\n')])
        .issues[1]
        .id
        == "2"
    )


def test_encoding_option(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("id,created,title\n1,2024-01-01,Störung\n".encode("latin-1"))
    with pytest.raises(InputError, match=r"not UTF-8 text .*try --encoding"):
        read([path])
    assert read([path], encoding="latin-1").issues[0].fields["title"] == "Störung"


def test_id_falls_back_to_the_location(write):
    path = write("noid.csv", "created\n2024-01-01\n")
    assert read([path]).issues[0].id == f"{path}:2"


def test_naive_timestamps_use_the_configured_zone(write):
    path = write("a.csv", "id,created\n1,2024-07-01 12:00\n")
    assert read([path], config(timezone="America/New_York")).issues[0].created == epoch(2024, 7, 1, 16, 0)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["Europe/Berlin", "America/New_York", "Australia/Lord_Howe"]),
    st.integers(int(datetime(2020, 1, 1).timestamp()), int(datetime(2030, 1, 1).timestamp())),
    st.booleans(),
)
def test_fast_iso_path_agrees_with_datetime(zone, moment, naive):
    tz = ZoneInfo(zone)
    parser = TimestampParser(tz)
    moment -= moment % 60 if moment % 3 == 0 else 0
    if naive:
        text = datetime.fromtimestamp(moment, tz).strftime("%Y-%m-%d %H:%M:%S")
        expected = int(datetime.fromisoformat(text).replace(tzinfo=tz).timestamp())
    else:
        text = datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        expected = moment
    assert parser.parse(text) == expected
    assert parser.parse(text) == expected  # again, from the caches


@pytest.mark.parametrize("odd", ["\u2028", "\x0c", "\x1e", "\x85"])
def test_csv_breaks_lines_only_where_the_file_does(write, odd):
    """Only \\n, \\r and \\r\\n end a line; a form feed or a Unicode line separator in a title (pasted text) is part
    of the cell, whether it sits in the first 64 KB the reader sniffs or after it."""
    rows = [f"{n},2024-01-01,plain {n}" for n in range(1500)]
    rows[2] = f"2,2024-01-01,pasted{odd}title"
    rows[1400] = f"1400,2024-01-01,pasted{odd}title"
    path = write("pasted.csv", "id,created,title\n" + "\n".join(rows) + "\n2000,soon,x\n")
    got = read([path])
    assert len(got.issues) == 1500
    assert got.issues[2].fields["title"] == got.issues[1400].fields["title"] == f"pasted{odd}title"
    assert [str(e) for e in got.errors] == [f"{path}:1502: created: cannot parse 'soon'"]


def test_a_naive_time_in_an_hour_whose_offset_changes_inside_it_is_placed_exactly():
    """Lord Howe moves its clocks by 30 minutes: 02:30 on 2021-10-03 follows a gap from 02:00, so the hour's
    02:00 offset must not be reused for it (the fast path cached one offset per wall-clock hour)."""
    tz = ZoneInfo("Australia/Lord_Howe")
    parser = TimestampParser(tz)
    for text in ("2021-10-03 02:45:00", "2021-10-03 02:30:00", "2021-10-03 03:00:00"):
        assert parser.parse(text) == int(datetime.fromisoformat(text).replace(tzinfo=tz).timestamp())
