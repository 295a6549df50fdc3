"""The fast readers of quote-free CSV text give exactly what the ``csv`` module gives."""

from __future__ import annotations

import csv
import io

from hypothesis import example, given, settings
from hypothesis import strategies as st

from ipt_network.io.tidy import _plain_records, _plain_table, _records

#: Text of commas, line breaks, spaces and a few letters (one outside ASCII), no quotes.
PLAIN = st.text(alphabet=st.sampled_from(["a", "b", "é", " ", ",", "\n"]), max_size=60)


def _by_csv(text: str) -> tuple[list[list[str]], list[int]]:
    """The non-blank records of ``text`` and the line each starts on, by the csv module."""
    records, starts = [], []
    reader = csv.reader(io.StringIO(text), strict=True)
    line = 0
    for record in reader:
        if record:
            records.append(record)
            starts.append(line + 1)
        line = reader.line_num
    return records, starts


@settings(max_examples=300, deadline=None)
@given(PLAIN)
@example("a,b\n\nc,,d\n e")
@example("\n\n")
@example(",")
def test_plain_records_are_the_csv_modules(text: str) -> None:
    records, starts = _by_csv(text)
    for cells, widths, lines in (_plain_records(text), _records(text)):
        assert widths.tolist() == [len(r) for r in records]
        assert cells.to_pylist() == [c for r in records for c in r]
        assert lines.tolist() == starts


@settings(max_examples=300, deadline=None)
@given(PLAIN)
@example("a,b\nx,\ny,z\n")
@example("a,b\nx\n")
@example("a\n\nb\n")
@example("a,a\n1,2")
def test_plain_table_is_the_csv_modules_or_declines(text: str) -> None:
    records, starts = _by_csv(text)
    table = _plain_table(text)
    simple = (
        bool(text)
        and "\n\n" not in text
        and not text.startswith("\n")
        and len({len(r) for r in records}) == 1
        and len(set(records[0])) == len(records[0])
    )
    assert (table is not None) == simple  # it declines a blank line, widths apart, a name twice
    if table is None:
        return
    header, frame = table
    assert records and header == records[0]
    assert starts == list(range(1, len(records) + 1))
    rows = [list(row) for row in frame.itertuples(index=False, name=None)]
    assert rows == records[1:]
    assert all(str(frame[c].dtype) == "string" for c in frame.columns)
