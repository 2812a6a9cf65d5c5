"""The Map and Compare k pages through AppTest (the UMAP warm-up is off: tests/conftest.py)."""

from __future__ import annotations

import json
import os

import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from helpers import app_page



_CHART_KINDS = ("vega_lite_chart", "arrow_vega_lite_chart")


def _charts(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for kind in _CHART_KINDS for c in at.get(kind)]


def _page(page: str, **state) -> AppTest:
    return app_page(page, **state)


@pytest.fixture(scope="module")
def map_page() -> AppTest:
    return _page("map")


def test_warm_up_is_off_in_tests():
    assert os.environ["PERSONA_LAB_UMAP_WARMUP"] == "0"


def test_map_shows_pca_at_once_and_offers_umap(map_page):
    at = map_page
    caption = at.caption[0].value
    assert caption.startswith("PCA of each group's content mix") and "(112 rows x 200 features)" in caption
    assert "k = 5" in caption
    assert "UMAP is being computed" not in " ".join(i.value for i in at.info), "nothing runs in the background"
    assert [b.label for b in at.main.button] == ["Compute the UMAP map"]
    main = _charts(at)[0]
    assert main["encoding"]["color"]["field"] == "colour" and main["encoding"]["color"]["title"] == "persona"
    assert len(main["encoding"]["color"]["scale"]["domain"]) == 5
    tooltips = [t["title"] if "title" in t else t["field"] for t in main["encoding"]["tooltip"]]
    assert tooltips == ["persona", "group", "interactions", "top item"]


def test_map_small_multiples_share_one_embedding(map_page):
    at = map_page
    assert at.multiselect(key="_w_map_ks").value == [4, 5, 6]
    panels = _charts(at)[1]["concat"]
    assert [p["title"] for p in panels] == ["k = 4", "k = 5", "k = 6"]
    assert [len(p["encoding"]["color"]["scale"]["domain"]) for p in panels] == [4, 5, 6]
    main_colours = dict(zip(*(_charts(at)[0]["encoding"]["color"]["scale"][f] for f in ("domain", "range"))))
    at5 = dict(zip(panels[1]["encoding"]["color"]["scale"]["domain"], panels[1]["encoding"]["color"]["scale"]["range"]))
    assert at5 == main_colours, "the sidebar's k keeps the colours of the map above"
    at.multiselect(key="_w_map_ks").set_value([3, 8]).run()
    assert not at.exception
    assert [p["title"] for p in _charts(at)[1]["concat"]] == ["k = 3", "k = 8"]


def test_compare_k_with_three_solutions():
    at = _page("compare_k", cmp_count=3)
    assert [s.value for s in at.subheader][:3] == ["k = 3", "k = 5", "k = 8"]
    names = [m.value for m in at.main.markdown if m.value.startswith("**")]
    assert len(names) == 3 + 5 + 8
    (lineage,) = [c for kind in _CHART_KINDS for c in at.get(kind) if '"rule"' in c.proto.spec]
    tables = [pa.ipc.open_stream(d.data.data).read_all().to_pandas() for d in lineage.proto.datasets]
    nodes = next(t for t in tables if "label" in t.columns)
    assert sorted(nodes["k"].unique()) == [3, 4, 5, 6, 7, 8]
    for k, level in nodes.groupby("k"):
        assert len(level) <= k and level["share"].sum() == pytest.approx(1.0)
    edges = next(t for t in tables if "to_id" in t.columns)
    assert (edges["share"] >= 0.1).all() and (edges["k_to"] == edges["k_from"] + 1).all()
    table = at.dataframe[0].value
    assert table.shape[0] == 3, "who goes where: k = 3 (rows) against k = 8 (columns)"
    at.selectbox(key="_w_cmp_pair_a").set_value(1).run()
    assert at.dataframe[0].value.shape[0] == 5


def test_the_map_of_100_personas_is_coloured_readably_or_by_an_attribute():
    at = _page("map", seg_k=100, map_ks=[100])
    scale = _charts(at)[0]["layer"][-1]["encoding"]["color"]["scale"] if "layer" in _charts(at)[0] \
        else _charts(at)[0]["encoding"]["color"]["scale"]
    assert len(scale["domain"]) == 20 and scale["domain"][-1] == "81 other personas"
    at.selectbox(key="_w_map_colour_by").set_value("gender").run()
    assert not at.exception
    spec = _charts(at)[0]
    view = spec["layer"][-1] if "layer" in spec else spec
    assert set(view["encoding"]["color"]["scale"]["domain"]) <= {"female", "male"}


def test_compare_k_at_50_against_100_stays_readable():
    """The APG sample (112 groups) at k = 50 and 100: a table of matched personas instead of 150
    cards, a lineage of the two chosen k that follows one persona, one row persona's flows."""
    at = _page("compare_k", cmp_k_a=50, cmp_k_b=100)
    matched = at.dataframe[0].value
    assert len(matched) >= 100 and list(matched.columns[:2]) == ["k = 50", "k = 50: share"]
    assert matched["k = 50: share"].sum() == pytest.approx(100.0, abs=0.5)
    assert not [m for m in at.main.markdown if m.value.startswith("**")], "no persona cards"
    (lineage,) = [c for kind in _CHART_KINDS for c in at.get(kind) if '"rule"' in c.proto.spec]
    tables = [pa.ipc.open_stream(d.data.data).read_all().to_pandas() for d in lineage.proto.datasets]
    nodes = next(t for t in tables if "label" in t.columns)
    assert sorted(nodes["k"].unique()) == [50, 100] and (nodes["k"] == 50).sum() == 1  # one persona followed
    followed = at.selectbox(key="_w_cmp_focus")
    assert len(followed.options) == 50
    (heatmap,) = [c for kind in _CHART_KINDS for c in at.get(kind) if '"rect"' in c.proto.spec]
    cells = pa.ipc.open_stream(heatmap.proto.datasets[0].data.data).read_all().to_pandas()
    # One row persona, and only the columns it shares rows with; the whole table stays below, scrollable.
    assert cells["a"].nunique() == 1 and (cells["rows"] > 0).all() and cells["b"].nunique() < 100
    assert at.dataframe[1].value.shape[1] >= 46
    followed.set_value(followed.options[3]).run()
    assert not at.exception


def test_compare_k_across_methods_has_no_lineage_at_one_k():
    at = _page("compare_k", cmp_method_b="kmeans", cmp_k_b=3)
    assert [s.value for s in at.subheader][:2] == ["NMF, k = 3", "k-means, k = 3"]
    assert any("Choose two different k" in i.value for i in at.info)
    assert at.dataframe[0].value.shape[0] == 3


def test_umap_runs_once_in_the_background_and_then_replaces_pca(monkeypatch):
    """ui.runs' UMAP polling, with a thread and a stand-in for UMAP (no numba in this test)."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    import numpy as np

    from ui import runs
    from persona_lab import embed

    release, calls = threading.Event(), []

    def fake_umap(X, seed):
        calls.append(seed)
        release.wait(10)
        if X.shape[0] == 3:
            raise ValueError("broken")
        return embed.Embedding(np.zeros((X.shape[0], 2)), "umap", X.shape[0], 0.0)

    executor = ThreadPoolExecutor(1)
    monkeypatch.setattr(runs, "_worker", lambda: runs.Worker(executor, executor.submit(int)))
    monkeypatch.setattr(embed, "umap_embedding", fake_umap)
    prepared = type("P", (), {"X": np.ones((5, 2))})()
    key = ("test-dataset", (), 4)
    assert runs.umap_map(key, prepared, start=False) == runs.UmapStatus(), "not asked: nothing runs"
    assert runs.umap_map(key, prepared, start=True).running
    assert runs.umap_map(key, prepared, start=True).running
    release.set()
    executor.shutdown(wait=True)
    done = runs.umap_map(key, prepared, start=False)
    assert done.embedding is not None and done.embedding.coords.shape == (5, 2) and not done.running
    assert calls == [4], "one job, however often the page polls"

    executor = ThreadPoolExecutor(1)
    broken = type("P", (), {"X": np.ones((3, 2))})()
    runs.umap_map(("broken", (), 0), broken, start=True)
    executor.shutdown(wait=True)
    failed = runs.umap_map(("broken", (), 0), broken, start=False)
    assert failed.embedding is None and "UMAP failed (ValueError: broken)" in failed.error


def _lineage_nodes(at: AppTest):
    (chart,) = [c for kind in _CHART_KINDS for c in at.get(kind) if '"rule"' in c.proto.spec]
    tables = [pa.ipc.open_stream(d.data.data).read_all().to_pandas() for d in chart.proto.datasets]
    return json.loads(chart.proto.spec), next(t for t in tables if "label" in t.columns)


def test_compare_k_keeps_names_of_matched_personas_and_spans_exactly_the_asked_k():
    # Asked 3, 5 and 12: ten numbers of personas, more than a lineage shows, so exactly those three.
    at = _page("compare_k", cmp_count=3, cmp_k_c=12, cmp_pair_a=1, cmp_pair_b=1)
    spec, nodes = _lineage_nodes(at)
    assert sorted(nodes["k"].unique()) == [3, 5, 12]
    assert spec["layer"][0]["encoding"]["x"]["axis"]["values"] == [3, 5, 12]
    assert any("k = 3, 5, 12, the k asked for" in c.value for c in at.caption)
    names = {k: set(level["label"]) for k, level in nodes.groupby("k")}
    # The sidebar's k = 5 keeps its names; k = 3's personas are all matched into it, k = 12 holds all of k = 5's.
    assert names[3] <= names[5] <= names[12]
    # A lineage level holds the personas that are some row's first (NMF at k = 12 on the APG sample:
    # fewer than 12); each has its own name and first name.
    assert len(names[12]) == (nodes["k"] == 12).sum() and len({n.split()[0] for n in names[12]}) == len(names[12])
    cards = [m.value.strip("*").replace("\\", "") for m in at.main.markdown if m.value.startswith("**")]
    assert names[12] <= set(cards) and len(cards) == 3 + 5 + 12
    # "Who goes where" stored on one column twice opens on two different solutions.
    assert (at.session_state["cmp_pair_a"], at.session_state["cmp_pair_b"]) == (1, 2)
    table = at.dataframe[0].value
    assert table.shape[0] == 5 and table.shape[1] == (nodes["k"] == 12).sum()  # personas that hold groups


def test_small_segments_are_flagged_on_segments_and_compare_k():
    state = {"data_source": "sample_customers", "seg_method": "kmeans", "seg_k": 4, "seg_seed": 0, "pe_min_size": 500}
    at = _page("segments", **state)
    table = at.dataframe[0].value
    flagged = table[table["flag"] != ""]
    assert len(flagged) == 1 and flagged["persona"].iloc[0].startswith("Small segment")
    assert flagged["persona"].iloc[0].endswith(" rows") and int(flagged["persona"].iloc[0].split("· ")[1].split()[0]) < 500
    assert any("smaller than 500 rows" in w.value for w in at.warning)
    at = _page("compare_k", cmp_k_a=4, cmp_k_b=3, cmp_method_a="kmeans", cmp_method_b="kmeans", **state)
    assert any("smaller than 500 rows" in w.value for w in at.warning)
    small = [m.value for m in at.main.markdown if m.value.startswith(":material/lock:")]
    assert small and all("Small segment" in m for m in small)
    assert any("not a persona" in c.value for c in at.caption)
