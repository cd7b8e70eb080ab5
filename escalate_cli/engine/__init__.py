"""The columnar engine: read -> parse -> fold -> match -> clocks -> report, on whole columns (see schema)."""
