import json

import numpy as np

from persona_lab.assess.methods_at_k import compare_methods

from helpers import blobs_dataset


def test_methods_side_by_side_on_planted_blobs():
    dataset, truth = blobs_dataset(n_per=60, k=3, d=3, seed=4)
    calls = []
    result = compare_methods(dataset, ["kmeans", "hdbscan", "nmf"], 3, seed=0, progress=lambda f, m: calls.append(f))
    assert calls[-1] == 1.0 and len(calls) == 4
    kmeans = result.result("kmeans")
    assert kmeans.error is None and kmeans.n_segments == 3 and sum(kmeans.sizes) == 180
    assert kmeans.runtime_s > 0
    assert kmeans.quality["silhouette"] > 0.7 and kmeans.quality["davies_bouldin"] < 0.5
    agreement = result.agreement_table().set_index(["method_a", "method_b"])
    assert agreement.loc[("kmeans", "hdbscan"), "ari"] > 0.9
    table = result.contingency("kmeans", "hdbscan")
    assert np.trace(table.to_numpy()[:3, :3]) >= 170
    doc = json.loads(json.dumps(result.to_dict()))
    assert {m["method"] for m in doc["methods"]} == {"kmeans", "hdbscan", "nmf"}
    assert len(doc["pairs"]) == 3 and doc["pairs"][0]["matching"]


def test_a_method_that_cannot_run_is_reported_and_the_rest_go_on():
    dataset, _ = blobs_dataset(n_per=3, k=2, d=2)
    result = compare_methods(dataset, ["kmeans", "nmf"], 8, seed=0)
    assert all(r.error and "fewer than the 8 personas" in r.error for r in result.results)
    assert result.agreement_table().empty
