"""Traits are descriptive; "significant" only where a held-out half confirms the difference
(personas/holdout.py): never on structure-free data, always for a planted segment."""

import numpy as np
import pandas as pd
import pytest

import persona_lab as pl
from persona_lab.data.dataset import Dataset
from persona_lab.personas.holdout import held_out_tests
from persona_lab.personas.stats import mean_ci, summarise
from persona_lab.personas.traits import CONFIRMED, traits_note


def _table(frame: pd.DataFrame) -> Dataset:
    return Dataset(frame, {c: "feature" for c in frame.columns}, "entities", name="t")


def _gaussian(n=1500, d=5, seed=0, correlated=False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    if correlated:  # structure-free but with associated columns (one Gaussian, no segments)
        cov = 0.5 * np.ones((d, d)) + 0.5 * np.eye(d)
        X = rng.multivariate_normal(np.zeros(d), cov, size=n)
    else:
        X = rng.normal(size=(n, d))
    return pd.DataFrame(X, columns=[f"x{i}" for i in range(d)])


def _planted(n=1500, seed=0) -> tuple[pd.DataFrame, np.ndarray]:
    """A quarter of the rows higher on x0 and lower on x1; x2, x3 the same for everybody."""
    rng = np.random.default_rng(seed)
    segment = rng.random(n) < 0.25
    frame = pd.DataFrame(rng.normal(size=(n, 4)), columns=["x0", "x1", "x2", "x3"])
    frame["x0"] += 3 * segment
    frame["x1"] -= 2 * segment
    return frame, segment


@pytest.mark.parametrize("method", ["kmeans", "gmm", "hierarchical"])
@pytest.mark.parametrize("correlated", [False, True])
def test_structure_free_data_gets_descriptive_traits_but_no_significant_one(method, correlated):
    frame = _gaussian(seed=3, correlated=correlated)
    personas = pl.run(_table(frame), method=method, k=4, seed=0).personas.personas
    traits = [t for p in personas for t in p.traits]
    assert sum(bool(p.traits) for p in personas) >= 3  # regions of a Gaussian differ from the whole...
    # ...so the old rule (95% interval excluding the overall value) called most of them real.
    circular = [t for t in traits if not t.ci_low <= t.population <= t.ci_high]
    assert len(circular) >= len(personas) * 2
    assert all(t.q_value is not None for t in traits)
    assert not [t.text for t in traits if t.significant]
    assert not any(CONFIRMED in t.text for t in traits)


def test_the_planted_segment_is_confirmed_on_the_held_out_half_and_nothing_else_of_it():
    frame, segment = _planted(seed=2)
    run = pl.run(_table(frame), method="kmeans", k=4, seed=0)
    planted = max(run.personas.personas, key=lambda p: (run.labels[segment] == p.id).mean())
    assert (run.labels[segment] == planted.id).mean() > 0.8
    confirmed = {t.feature: t for t in planted.traits if t.significant}
    assert set(confirmed) == {"x0", "x1"}  # the planted columns; x2 and x3 never
    assert confirmed["x0"].effect > 0 > confirmed["x1"].effect
    assert confirmed["x0"].q_value < 1e-3 and confirmed["x0"].text.endswith(CONFIRMED)
    # Elsewhere, no null column is confirmed for any persona.
    assert not [t for p in run.personas.personas for t in p.traits if t.significant and t.feature in ("x2", "x3")]


def test_a_planted_category_level_is_confirmed_with_k_prototypes():
    frame, segment = _planted(n=1200, seed=2)
    rng = np.random.default_rng(7)
    frame["channel"] = np.where(segment, np.where(rng.random(len(frame)) < 0.85, "store", "web"),
                                rng.choice(["web", "app", "store"], len(frame), p=[0.45, 0.45, 0.1]))
    run = pl.run(_table(frame), method="kprototypes", k=3, seed=0)
    planted = max(run.personas.personas, key=lambda p: (run.labels[segment] == p.id).mean())
    store = next(t for t in planted.traits if (t.feature, t.level) == ("channel", "store"))
    assert store.significant and store.effect > 0


def test_weights_enter_the_held_out_differences():
    # The planted rows weigh nothing: by weight the data is one Gaussian, so nothing is confirmed
    # even though the rows themselves hold a segment.
    frame, segment = _planted(n=1600, seed=4)
    unweighted = pl.run(_table(frame), method="kmeans", k=2, seed=0)
    assert any(t.significant for p in unweighted.personas.personas for t in p.traits)
    weighted = _table(frame.assign(w=np.where(segment, 1e-6, 1.0))).with_roles({"w": "weight"})
    run = pl.run(weighted, method="kmeans", k=2, seed=0)
    held = held_out_tests(weighted.frame, run.prepared, run.method, seed=0)
    assert held.results and not any(q < 0.05 for q, _ in held.results.values())


def test_same_seed_same_q_values_and_the_split_depends_on_the_seed():
    frame, _ = _planted(n=600, seed=1)
    run = pl.run(_table(frame), method="kmeans", k=3, seed=0)
    first = held_out_tests(frame, run.prepared, run.method, seed=5).results
    assert first == held_out_tests(frame, run.prepared, run.method, seed=5).results
    assert first != held_out_tests(frame, run.prepared, run.method, seed=6).results


def test_too_few_rows_leave_traits_untested_and_the_note_says_so():
    frame, _ = _planted(n=60, seed=1)
    personas = pl.run(_table(frame), method="kmeans", k=2, seed=0).personas.personas
    traits = [t for p in personas for t in p.traits]
    assert traits and all(t.q_value is None and not t.significant for t in traits)
    assert "not tested on held-out rows" in traits_note(traits)
    assert all("too few to split" in p.explanation for p in personas)


def test_the_note_names_the_rule_and_the_mark():
    frame, _ = _planted()
    personas = pl.run(_table(frame), method="kmeans", k=3, seed=0).personas.personas
    note = traits_note(personas[0].traits)
    assert "descriptive" in note and CONFIRMED in note and "held-out" in note and "0.2" in note
    assert "descriptive" in personas[0].explanation


def test_interval_of_a_trait_still_describes_the_segment_mean():
    # Kept for what it says (how precisely the segment's mean is known), no longer as evidence.
    x = np.array([1.0, 2.0, 3.0, 4.0])
    low, high = mean_ci(summarise(x, np.ones(4)))
    assert (low, high) == pytest.approx((2.5 - 3.182446 * np.std(x, ddof=1) / 2, 2.5 + 3.182446 * np.std(x, ddof=1) / 2))
