"""The Score new data page through AppTest: upload a file, see persona counts, flags and notes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from persona_lab import pipeline
from persona_lab.data import load_dataset
from persona_lab.data.sample_data import APG_SAMPLE, CUSTOMER_SAMPLE, SAMPLE_DIR
from persona_lab.model_file import PersonaModel

from helpers import app_page

STATE = {"data_source": "sample_customers", "seg_method": "kmeans", "seg_k": 4, "seg_seed": 0}


def _page(**state):
    return app_page("score", **state)


@pytest.fixture(scope="module")
def new_rows() -> pd.DataFrame:
    frame = pd.read_csv(SAMPLE_DIR / CUSTOMER_SAMPLE).head(30).copy()
    frame.loc[0, "preferred_channel"] = "=carrier pigeon"  # unseen, and a formula to neutralise
    frame.loc[1, ["visits_per_month", "avg_basket_eur", "app_sessions_per_week"]] = [900.0, 90000.0, 700]
    frame.loc[2, "customer_id"] = "=1+1"
    return frame


def test_score_page_counts_flags_and_notes(new_rows):
    at = _page(**STATE)
    at.file_uploader(key="_w_score_upload").set_value(("new.csv", new_rows.to_csv(index=False).encode(), "text/csv"))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.subheader[0].value == "30 rows scored"
    model = PersonaModel.from_run(pipeline.run(load_dataset(SAMPLE_DIR / CUSTOMER_SAMPLE), "kmeans", 4, seed=0))
    expected = model.score(new_rows)
    counts = at.dataframe[0].value
    assert counts["rows"].sum() == 30
    assert counts["persona"].tolist()[:-1] == [p.name for p in model.personas.personas]
    assert counts["rows"].tolist()[:-1] == [int((expected.labels == p.id).sum()) for p in model.personas.personas]
    assert counts["rows"].iloc[-1] == int(expected.flagged.sum()) >= 1
    assert expected.flagged[1] and expected.labels[1] == -1
    warnings = " ".join(w.value for w in at.warning)
    assert "preferred\\_channel" in warnings and "carrier pigeon" in warnings and "no known category" in warnings
    table = at.dataframe[1].value
    assert table["row"].iloc[2] == "=1+1" and table["persona"].iloc[1] == "unassigned"
    np.testing.assert_array_equal(table["persona_id"].fillna(-1).astype(int), expected.labels)
    assert [b.label for b in at.get("download_button")] == ["model.json", "model.npz", "assignments.csv"]


def test_missing_column_is_an_error_line_not_a_traceback(new_rows):
    at = _page(**STATE)
    upload = new_rows.drop(columns=["avg_basket_eur"]).to_csv(index=False).encode()
    at.file_uploader(key="_w_score_upload").set_value(("new.csv", upload, "text/csv")).run()
    assert not at.exception
    assert "avg\\_basket\\_eur" in at.error[0].value and "lacks column" in at.error[0].value


def test_apg_groups_are_scored_from_interaction_data():
    at = _page(seg_method="kmeans", seg_k=3)  # the default data: the APG sample
    assert "demographic groups" in at.caption[0].value and "video\\_id" in at.caption[0].value
    raw = (SAMPLE_DIR / APG_SAMPLE).read_bytes()
    at.file_uploader(key="_w_score_upload").set_value(("views.csv", raw, "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    run = pipeline.run(load_dataset(SAMPLE_DIR / APG_SAMPLE), "kmeans", 3, seed=0)
    assert at.subheader[0].value == f"{run.prepared.n_rows} demographic groups scored"
    table = at.dataframe[1].value
    assert table["row"].tolist() == run.prepared.row_labels[:200]
    names = {p.id: p.name for p in run.personas.personas}
    assert table["nearest_persona"].tolist() == [names[label] for label in run.labels[:200]]


def test_a_rename_on_the_personas_page_names_the_scored_rows(new_rows):
    """The scored assignments (and model.json) are exports: they name the personas as renamed."""
    at = app_page("personas", **STATE)
    name_box = next(t for t in at.text_input if t.key.startswith("_w_pe_name_"))
    old = name_box.value
    name_box.set_value("Ada Lovelace").run()
    at.switch_page("ui/pages/score.py")
    at.run()
    at.file_uploader(key="_w_score_upload").set_value(("new.csv", new_rows.to_csv(index=False).encode(), "text/csv"))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    counts, table = at.dataframe[0].value, at.dataframe[1].value
    assert "Ada Lovelace" in counts["persona"].tolist() and old not in counts["persona"].tolist()
    assert old not in set(table["persona"])
