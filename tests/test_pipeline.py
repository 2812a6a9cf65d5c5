"""The whole run on the bundled samples, against their planted truth."""

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linear_sum_assignment
from sklearn.discriminant_analysis import QuadraticDiscriminantAnalysis
from sklearn.metrics import adjusted_rand_score

import persona_lab as pl
from persona_lab.data.sample_data import APG_SAMPLE, CUSTOMER_SAMPLE, SAMPLE_DIR


@pytest.fixture(scope="module")
def channel_run():
    return pl.run(pl.load_dataset(SAMPLE_DIR / APG_SAMPLE), "nmf", 5, seed=0)


def test_nmf_recovers_the_planted_behaviours(channel_run):
    truth = pd.read_csv(SAMPLE_DIR / "channel_truth_H.csv").drop(columns=["behaviour", "name"])
    fitted = pd.DataFrame(channel_run.method.H_, columns=channel_run.prepared.feature_names)[truth.columns]
    A = fitted.to_numpy() / np.linalg.norm(fitted.to_numpy(), axis=1, keepdims=True)
    B = truth.to_numpy() / np.linalg.norm(truth.to_numpy(), axis=1, keepdims=True)
    cosine = A @ B.T
    rows, cols = linear_sum_assignment(-cosine)
    assert cosine[rows, cols].min() >= 0.95


def test_apg_skeletons_equal_the_planted_demographics(channel_run):
    planted = pd.read_csv(SAMPLE_DIR / "channel_truth_skeletons.csv")
    expected = {tuple(r) for r in planted[["age_group", "gender", "country"]].astype(str).to_numpy()}
    found = {(p.demographics["age_group"], p.demographics["gender"], p.demographics["country"]) for p in channel_run.personas.personas}
    assert found == expected
    assert sum(p.share for p in channel_run.personas.personas) == pytest.approx(1.0)
    assert all(p.interests and p.interests[0].label for p in channel_run.personas.personas)


def test_kmeans_on_the_customer_sample_comes_close_to_the_oracle():
    data = pl.load_dataset(SAMPLE_DIR / CUSTOMER_SAMPLE)
    truth = pd.read_csv(SAMPLE_DIR / "customers_truth.csv")["segment"].to_numpy()
    result = pl.run(data, "kmeans", 5, seed=0)
    # The oracle knows the planted labels: a quadratic discriminant trained on all rows.
    oracle = QuadraticDiscriminantAnalysis(reg_param=0.1).fit(result.prepared.X, truth).predict(result.prepared.X)
    oracle_ari = adjusted_rand_score(truth, oracle)
    ari = adjusted_rand_score(truth, result.labels)
    assert 0.78 <= oracle_ari <= 0.90
    assert ari >= oracle_ari - 0.12, (ari, oracle_ari)


def test_same_seed_same_personas_different_seed_may_differ():
    data = pl.load_dataset(SAMPLE_DIR / CUSTOMER_SAMPLE)
    a = pl.run(data, "kmeans", 4, seed=3).personas.to_json()
    b = pl.run(data, "kmeans", 4, seed=3).personas.to_json()
    assert a == b
