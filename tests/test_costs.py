"""Issue 19: the app's estimate of an analysis's time, which sends anything above a few seconds to
a job, covers every method it offers and grows with the analysis's size."""

from __future__ import annotations

import pytest

from persona_lab.methods import METHODS
from ui import costs


@pytest.mark.parametrize("kind", ["entities", "interactions"])
def test_every_offered_method_has_a_measured_rate_for_its_runs(kind):
    measured = {m for (analysis, on, m) in costs.RATES if analysis == costs.RUN and on == kind}
    # Latent classes and k-prototypes need categories, which an interaction matrix has not.
    assert set(METHODS) - ({"lca", "kprototypes"} if kind == "interactions" else set()) <= measured
    assert all(at_million > 0 and 0.5 <= exponent <= 3 for at_million, exponent in costs.RATES.values())


def test_an_estimate_grows_with_the_size_as_measured_and_an_unmeasured_analysis_counts_as_the_slowest():
    at_million, exponent = costs.rate(costs.RUN, "interactions", "gmm")
    assert costs.seconds(costs.RUN, "interactions", ["gmm"], 1e6) == pytest.approx(at_million)
    assert costs.seconds(costs.RUN, "interactions", ["gmm"], 4e6) == pytest.approx(at_million * 4 ** exponent)
    assert costs.rate(costs.RUN, "interactions", "no such method") == max(costs.RATES.values())


def test_a_comparison_costs_the_sum_of_its_methods_runs():
    methods = ["nmf", "kmeans", "gmm"]
    runs = sum(costs.seconds(costs.RUN, "entities", [m], 2e6) for m in methods)
    assert costs.seconds(costs.COMPARISON, "entities", methods, 2e6) == pytest.approx(runs)


def test_the_bundled_samples_default_analyses_are_computed_in_the_page():
    # The APG sample's run at the default k and its criterion curves, and the customer table's run,
    # must not wait for a button. (NMF's curves on the customer table do: tens of seconds.)
    from persona_lab.data.sample_data import APG_SAMPLE, SAMPLE_DIR
    from persona_lab.data.load import load_dataset
    from persona_lab.methods import get_method
    from persona_lab.prepare import prepare

    for name, analyses in ((APG_SAMPLE, (costs.RUN, costs.CURVES)), ("customers.csv", (costs.RUN,))):
        data = load_dataset(SAMPLE_DIR / name)
        cells = prepare(data, get_method("nmf").default_preparation(data.kind)).X.size
        for analysis in analyses:
            k_total = 5 if analysis == costs.RUN else sum(range(2, 9))
            assert costs.seconds(analysis, data.kind, ["nmf"], cells * k_total) < costs.CHEAP_SECONDS, (name, analysis)
