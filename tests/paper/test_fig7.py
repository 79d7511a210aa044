"""Fig 7's own helpers, on cases with known answers."""

import numpy as np

from usvlib.paper import fig7


def test_recall_by_quartile_of_a_set_missed_only_at_its_top():
    values = np.arange(100.0)  # centre frequencies 0..99 kHz
    found = values < 75
    table = fig7.recall_by_quartile(found, values)
    assert list(table.n) == [25, 25, 25, 25]
    assert list(table.recall) == [1.0, 1.0, 1.0, 0.0]
    assert table.low.iloc[3] == 75 and table.high.iloc[2] == 74


def test_the_verdict_names_where_the_calls_are_missed():
    table = fig7.recall_by_quartile(np.arange(100.0) < 75, np.arange(100.0))
    result = fig7.Fig7Result.__new__(fig7.Fig7Result)
    result.recall_by_frequency = table
    verdict = fig7.recall_verdict(result)
    assert "100 % of the two-part calls centred at or below 74.0 kHz" in verdict
    assert "0 % of those above (75.0-99.0 kHz)" in verdict
    result.recall_by_frequency = None
    assert fig7.recall_verdict(result) is None
