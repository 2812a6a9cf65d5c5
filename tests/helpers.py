"""Small planted datasets shared by the core tests (generated, never read from ../shared)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from persona_lab.data.dataset import Dataset


def planted_blobs(n_per=60, k=3, d=4, spread=0.4, seed=0, noise=0):
    """Well-separated Gaussian blobs (and optionally uniform noise rows labelled -1)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 6, size=(k, d))
    X = np.vstack([rng.normal(c, spread, size=(n_per, d)) for c in centres])
    y = np.repeat(np.arange(k), n_per)
    if noise:
        low, high = X.min(axis=0) - 3, X.max(axis=0) + 3
        X = np.vstack([X, rng.uniform(low, high, size=(noise, d))])
        y = np.concatenate([y, -np.ones(noise, dtype=int)])
    return X, y


def blobs_dataset(category: bool = False, **kwargs) -> tuple[Dataset, np.ndarray]:
    """Blobs as a table; ``category`` adds a column naming the blob (10% of rows scrambled)."""
    X, y = planted_blobs(**kwargs)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    if category:
        rng = np.random.default_rng(1)
        scrambled = np.where(rng.random(len(y)) < 0.1, rng.integers(0, y.max() + 1, len(y)), y)
        frame["kind"] = [f"type {v}" for v in scrambled]
    frame.insert(0, "row_id", [f"r{i:04d}" for i in range(len(frame))])
    roles = {"row_id": "id", **{c: "feature" for c in frame.columns[1:]}}
    return Dataset(frame, roles, "entities", name="blobs"), y


def app_page(page: str, **state):
    """A new app session on ``ui/pages/<page>.py`` with ``state`` set after the first run (as a
    user's earlier choices would be), and no exception."""
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=120)
    at.run()
    for key, value in state.items():
        at.session_state[key] = value
    at.switch_page(f"ui/pages/{page}.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def hand_built_apg(rows, W, H, name: str = "hand"):
    """An APG dataset of (age_group, gender, country, item, views) rows and an NMF "fitted" by
    hand with ``W`` (groups x personas) and ``H`` (personas x items), so that every persona
    figure can be computed by hand from DESIGN.md's formulas."""
    from persona_lab.methods import NMF
    from persona_lab.prepare import Preparation, prepare

    frame = pd.DataFrame(rows, columns=["age_group", "gender", "country", "item", "views"])
    roles = {"age_group": "demographic", "gender": "demographic", "country": "demographic", "item": "item", "views": "value"}
    dataset = Dataset(frame, roles, "interactions", name=name)
    prepared = prepare(dataset, Preparation(interactions="counts"))
    method = NMF()
    method.W_, method.H_ = np.asarray(W, float), np.asarray(H, float)
    method.memberships_ = method._memberships(method.W_)
    method.labels_ = method.memberships_.argmax(axis=1)
    method.n_segments_ = method.W_.shape[1]
    return dataset, prepared, method


def titled_workbook(path, title: str, header: list, rows: list) -> None:
    """An .xlsx as people make them: a title in A1, a blank row, the real header in row 3."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet["A1"] = title
    sheet.append([])
    for row in [header, *rows]:
        sheet.append(row)
    book.save(path)
