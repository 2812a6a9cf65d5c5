"""The Streamlit app, page by page, through streamlit.testing's AppTest (no browser)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")


def _app(**state) -> AppTest:
    """A new session, with ``state`` preset (app.py's defaults only fill in what is missing)."""
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def _open(at: AppTest, page: str) -> AppTest:
    at.switch_page(f"ui/pages/{page}.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _texts(at: AppTest) -> str:
    # AppTest (Streamlit 1.67) runs app.py, and so draws the sidebar, on a session's first run
    # only; later runs execute the page alone. So the sidebar is checked on first runs, and its
    # choices are read and set through session state afterwards (see _choose).
    parts = [e.value for kind in ("markdown", "caption", "subheader", "info", "error") for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts)


def _charts(at: AppTest) -> list:
    return list(at.get("vega_lite_chart")) + list(at.get("arrow_vega_lite_chart"))


def _choose(at: AppTest, **choices) -> AppTest:
    """Set sidebar choices the way its widgets' callbacks do: in their persistent state keys."""
    for key, value in choices.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.fixture(scope="module")
def app() -> AppTest:
    """One session walked through the pages in order (runs stay cached between tests)."""
    return _app()


def test_data_page_opens_on_the_apg_sample():
    at = _app()
    assert at.radio(key="_w_data_source").value == "sample_apg"
    assert "channel\\_views\\.csv" in at.sidebar.caption[0].value  # markdown-escaped
    assert at.sidebar.selectbox(key="_w_seg_method").value == "nmf"
    assert at.sidebar.number_input(key="_w_seg_k").value == 5
    preview, profile = at.dataframe[0].value, at.dataframe[1].value
    assert {"age_group", "gender", "country", "video_id", "video_title", "views"} <= set(preview.columns)
    assert len(preview) == 200
    assert list(profile["column"]) == list(preview.columns)
    assert {"role", "type", "missing", "distinct"} <= set(profile.columns)
    assert dict(zip(profile["column"], profile["role"]))["views"] == "value"
    assert _charts(at), "no column distribution chart"
    assert "Prepared matrix for NMF" in _texts(at)
    assert "112 rows x 200 features" in _texts(at)
    steps = at.dataframe[2].value
    assert steps["step"].str.contains("group x item matrix").any()


def test_distribution_follows_the_chosen_column(app):
    at = _open(app, "data")
    at.selectbox(key="_w_data_profile_column").set_value("views").run()
    assert not at.exception
    assert "views" in _charts(at)[0].proto.spec


def test_segments_page_shows_k_personas(app):
    at = _open(app, "segments")
    table = at.dataframe[0].value
    assert len(table) == 5 == at.session_state["seg_k"]
    assert table["share"].sum() == pytest.approx(100, abs=0.5)
    assert _charts(at), "no segment sizes chart"
    assert not at.error


def test_number_of_personas_shows_curves_and_picks(app):
    at = _open(app, "number_of_personas")
    assert at.slider(key="_w_nk_range").value == (2, 8)
    assert _charts(at), "no criterion curve"
    assert "The criteria's vote: k = 5" in _texts(at)  # the APG sample's five planted audiences
    votes = at.dataframe[0].value
    assert votes["k"].dropna().between(2, 8).all() and votes["counted"].any()


def test_number_of_personas_marks_k_with_too_small_segments(app):
    at = _open(app, "number_of_personas")
    at.session_state["nk_min_share"] = 10.0  # the smallest planted audience holds about 11%
    at.run()
    warnings = " ".join(w.value for w in at.warning)
    assert "k = 8" in warnings and "k = 5" not in warnings
    at.session_state["nk_min_share"] = 0.0


def test_compare_k_shows_two_columns_of_personas(app):
    at = _open(app, "compare_k")
    assert [n.value for n in at.number_input if n.key in ("_w_cmp_k_a", "_w_cmp_k_b")] == [3, 5]
    assert [s.value for s in at.subheader][:2] == ["k = 3", "k = 5"]
    names = [m.value for m in at.main.markdown if m.value.startswith("**")]
    assert len(names) == 3 + 5, "|".join(names)
    table = at.dataframe[0].value
    assert table.shape == (3, 5)
    assert len(_charts(at)) == 3 + 5 + 2  # a profile per card, the lineage and the contingency heatmap


def test_map_page_draws_the_segment_map(app):
    at = _open(app, "map")
    chart = _charts(at)[0]  # then the same map at other k (tests/test_app_map.py)
    assert '"persona"' in chart.proto.spec and "row" in chart.proto.spec


def test_personas_page_has_cards_and_downloads(app):
    at = _open(app, "personas")
    names = [s.value for s in at.subheader]
    assert names[0] == "All personas" and len(names) == 1 + 5 and all(names)
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["PDF report", "PowerPoint", "personas.json", "personas.md", "assignments.csv", "manifest.json"]


def _assess(at, **state):
    """Click "Assess stability" on the open Number of personas page with 10 resamples and 5
    reference sets (and ``state``), and follow the job (a worker process) as the page does, until
    it has ended. A loaded CI machine gets time to spare."""
    for key, value in {"nk_resamples": 10, "nk_references": 5, **state}.items():
        at.session_state[key] = value
    at.run()
    next(b for b in at.button if b.label == "Assess stability").click().run()
    deadline = time.monotonic() + 240
    while any(b.label == "Stop" for b in at.button):
        assert time.monotonic() < deadline, "the stability job did not end in 240 s"
        time.sleep(1)
        at.run()
    assert not at.exception, [e.value for e in at.exception]


def test_one_start_per_resample_is_another_assessment():
    at = _app(seg_method="kmeans")
    _open(at, "number_of_personas")
    _assess(at, nk_range=(2, 4))
    assert not any(b.label == "Assess stability" for b in at.button)
    at.checkbox(key="_w_nk_one_start").check().run()
    assert any(b.label == "Assess stability" for b in at.button)  # not the 10-start one just made
    at.checkbox(key="_w_nk_one_start").uncheck().run()
    assert not any(b.label == "Assess stability" for b in at.button)


def test_hdbscan_explains_that_k_is_its_output():
    at = _app(seg_method="hdbscan")
    assert at.sidebar.selectbox(key="_w_seg_method").value == "hdbscan"
    assert at.sidebar.number_input(key="_w_seg_k").proto.disabled
    _open(at, "number_of_personas")
    assert not at.error
    assert "finds the number of personas itself" in at.info[0].value
    assert not [s for s in at.slider if s.key == "_w_nk_range"]  # no range of k to choose
    # The stability of the number it finds is still assessed: its segment count over resamples.
    _assess(at)
    recommended = next(m for m in at.metric if m.label == "Recommended number of personas")
    assert int(recommended.value) >= 1
    assert "P(k_hat = k): each criterion's pick over resamples" in [s.value for s in at.subheader]
    _open(at, "segments")
    assert not at.error
    assert at.dataframe[0].value.shape[0] >= 1


def test_choices_persist_across_pages():
    at = _app()
    at.radio(key="_w_data_source").set_value("sample_customers").run()
    assert not at.exception
    assert "customers\\.csv" in _texts(at)
    _choose(at, seg_method="kmeans", seg_k=4)
    _open(at, "segments")
    assert "customers\\.csv" in _texts(at)
    assert len(at.dataframe[0].value) == 4
    _open(at, "data")
    assert at.radio(key="_w_data_source").value == "sample_customers"
    assert (at.session_state["seg_method"], at.session_state["seg_k"]) == ("kmeans", 4)
    assert "customer_id" in at.dataframe[0].value.columns
    assert "Prepared matrix for k-means" in _texts(at).replace("K-means", "k-means")


def test_changing_the_kind_reinfers_roles():
    at = _app()
    at.radio(key="_w_data_kind").set_value("entities").run()
    assert not at.exception
    profile = at.dataframe[1].value
    assert "value" not in set(profile["role"])
    assert "One row per customer" in _texts(at)


def test_bad_upload_shows_an_error_not_a_traceback():
    at = _app()
    at.radio(key="_w_data_source").set_value("upload").run()
    assert "Upload a file" in at.info[0].value
    at.file_uploader[0].set_value(("broken.csv", b"   \n", "text/csv")).run()
    assert not at.exception
    assert at.error and "empty" in at.error[0].value
    # The other pages say the same and point back to the Data page.
    _open(at, "segments")
    assert at.error and "empty" in at.error[0].value


def test_missing_path_shows_an_error_not_a_traceback():
    at = _app()
    at.radio(key="_w_data_source").set_value("path").run()
    at.text_input(key="_w_data_path").set_value("/no/such/folder/data.csv").run()
    assert not at.exception
    assert at.error and "File not found" in at.error[0].value


def test_a_good_path_loads(tmp_path):
    file = tmp_path / "panel.csv"
    file.write_text("id,age,spend,visits\n" + "".join(f"r{i},{20 + i % 40},{i * 3 % 97},{i % 7}\n" for i in range(60)))
    at = _app()
    at.radio(key="_w_data_source").set_value("path").run()
    at.text_input(key="_w_data_path").set_value(str(file)).run()
    assert not at.exception and not at.error
    assert len(at.dataframe[0].value) == 60
    _choose(at, seg_method="kmeans", seg_k=3)
    _open(at, "personas")
    assert not at.error
    assert len(at.subheader) == 1 + 3  # the overview's heading and three cards


def test_sidebar_shows_the_chosen_dataset():
    at = _app(data_source="sample_customers")
    assert "customers\\.csv" in at.sidebar.caption[0].value
    assert "3,000 rows" in at.sidebar.caption[0].value


def test_role_overrides_apply_and_persist():
    at = _app(data_source="sample_customers")
    _choose(at, data_roles={"noise_a": "ignore", "noise_b": "ignore"})
    assert "**Ignored:** noise\\_a, noise\\_b" in _texts(at)
    steps = at.dataframe[2].value["step"]
    assert not steps.str.startswith("noise_").any()
    _open(at, "segments")
    _open(at, "data")
    assert "**Ignored:** noise\\_a, noise\\_b" in _texts(at)
    # The roles table is drawn afresh on coming back, from the stored roles.
    assert dict(zip(at.dataframe[1].value["column"], at.dataframe[1].value["role"]))["noise_a"] == "ignore"


def test_excel_sheet_picker(tmp_path):
    import pandas as pd

    file = tmp_path / "book.xlsx"
    with pd.ExcelWriter(file) as writer:
        pd.DataFrame({"a": [1, 2]}).to_excel(writer, sheet_name="notes", index=False)
        pd.DataFrame({"age": range(30), "spend": [i * 7 % 31 for i in range(30)]}).to_excel(
            writer, sheet_name="panel", index=False
        )
    at = _app(data_source="path", data_path=str(file))
    assert at.selectbox(key="_w_data_sheet").options == ["notes", "panel"]
    at.selectbox(key="_w_data_sheet").set_value("panel").run()
    assert not at.exception
    assert list(at.dataframe[0].value.columns) == ["age", "spend"]


def test_user_text_is_shown_literally(tmp_path):
    file = tmp_path / "odd.csv"
    file.write_text("**bold** <b>x</b>,spend\n" + "".join(f"v{i % 3},{i}\n" for i in range(40)))
    at = _app(data_source="path", data_path=str(file))
    assert not at.exception
    text = _texts(at)
    assert "\\*\\*bold\\*\\* \\<b\\>x\\</b\\>" in text
    assert "<b>" not in text.replace("\\<b\\>", "")


def test_segments_page_compares_methods_side_by_side(app):
    at = _open(app, "segments")
    at.session_state["seg_compare_methods"] = ["nmf", "kmeans"]
    at.run()
    button = next(b for b in at.button if b.label == "Compare")
    button.click().run()
    assert not at.exception, [e.value for e in at.exception]
    frames = [d.value for d in at.dataframe]
    table = next(f for f in frames if "silhouette" in f.columns)
    assert list(table["method"]) == ["NMF", "k-means"]
    assert (table["segments"] == 5).all()
    assert "Agreement" in [s.value for s in at.subheader]
    pairs = next(f for f in frames if "ari" in f.columns)
    assert pairs.loc[0, "ari"] > 0.5  # both recover the planted audiences of the APG sample
    # Side by side: one heading per method and a matched contingency table.
    assert {"NMF", "k-means"} <= {s.value for s in at.subheader}
    assert at.dataframe[-1].value.shape == (5, 5)


def test_segments_page_refuses_a_bad_parameter_clearly(app):
    at = _open(app, "segments")
    at.session_state["seg_compare_methods"] = ["kmeans", "hdbscan"]
    at.session_state["seg_compare_params"] = {"kmeans": {"n_init": 0}}
    at.run()
    assert "n_init must be at least 1" in " ".join(e.value for e in at.error).replace("\\", "")
    assert next(b for b in at.button if b.label == "Compare").disabled


def test_number_of_personas_assesses_stability_on_request(app):
    at = _open(app, "number_of_personas")
    _assess(at, nk_range=(4, 6))
    assert "is the rule's answer on the full data" in " ".join(s.value for s in at.success)
    recommended = next(m for m in at.metric if m.label == "Recommended number of personas")
    assert recommended.value == "5"  # the APG sample's five planted audiences
    assert "P(k_hat = k): each criterion's pick over resamples" in [s.value for s in at.subheader]
    assert at.markdown[0].value.replace("\\", "").startswith("### 5 personas (the most reproducible stable k")  # the headline on top
    assert "Consensus CDF" in [s.value for s in at.subheader]
    survival = next(d.value for d in at.dataframe if "survival" in d.value.columns)
    assert len(survival) == 5
    # NMF restarts are not starts to cut: no one-start option. For k-means it is another assessment.
    assert not [c for c in at.checkbox if c.key == "_w_nk_one_start"]
    at.session_state["nk_range"] = (2, 8)
