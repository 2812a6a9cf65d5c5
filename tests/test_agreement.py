import numpy as np
import pytest

from persona_lab.agreement import agreement, align_labels, contingency, match_segments
from persona_lab.errors import PersonaLabError


def test_match_recovers_a_permutation():
    a = np.array([0, 0, 1, 1, 2, 2, 2])
    b = np.array([2, 2, 0, 0, 1, 1, 1])
    assert match_segments(a, b) == {0: 2, 1: 0, 2: 1}
    assert agreement(a, b) == pytest.approx({"ari": 1.0, "ami": 1.0})


def test_match_maximises_shared_rows_not_greedy():
    # Greedy on the largest cell (a0-b0: 5) would force a1-b1 (0); the optimum pairs a0-b1, a1-b0.
    table_rows = [(0, 0)] * 5 + [(0, 1)] * 4 + [(1, 0)] * 4
    a, b = map(np.array, zip(*table_rows))
    assert match_segments(a, b) == {0: 1, 1: 0}


def test_unassigned_rows_take_no_part_in_matching():
    a = np.array([-1, -1, 0, 0, 1, 1])
    b = np.array([1, 1, 1, 1, 0, 0])
    assert match_segments(a, b) == {0: 1, 1: 0}
    assert -1 in contingency(a, b).index


def test_align_labels_gives_matched_ids_and_fresh_ids_to_the_rest():
    reference = np.array([0, 0, 1, 1, 1, 1])
    labels = np.array([2, 2, 0, 0, 1, 1])  # segment 0 and 1 of `labels` both sit inside ref 1
    aligned = align_labels(reference, labels)
    assert list(aligned[:2]) == [0, 0]
    assert set(aligned[2:]) == {1, 2}


def test_lengths_must_agree():
    with pytest.raises(PersonaLabError, match="different lengths"):
        agreement([0, 1], [0, 1, 1])


def test_matched_contingency_puts_matched_pairs_on_the_diagonal():
    from persona_lab.agreement import matched_contingency

    a = np.array([0, 0, 0, 1, 1, 2, 2, 2, -1])
    b = np.array([2, 2, 2, 0, 0, 1, 1, 3, 1])
    table = matched_contingency(a, b)
    assert list(table.index) == [0, 1, 2, -1]
    assert list(table.columns[:3]) == [2, 0, 1] and 3 in table.columns
    assert [table.iloc[i, i] for i in range(3)] == [3, 2, 2]
