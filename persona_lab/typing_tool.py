"""The typing tool: the few questions that best tell the personas apart, and a points table to
score a new respondent's answers by hand.

Why a points table from multinomial logistic regression, chosen by greedy forward selection,
rather than a shallow decision tree: a researcher asks every respondent the same short
questionnaire, so every answer should count. A points table uses all the answers (a tree reads
only those on one path and throws away the rest), degrades gracefully when one answer is odd
(a tree sends the respondent down a wrong branch), and is applied the same way by hand, in a
spreadsheet or in a survey tool: add up each persona's points for the answers given; the persona
with the most points is the respondent's. Greedy forward selection gives an ordered list of
questions, so one run answers "how many questions for how much accuracy?" for every length.

Questions are the data's raw columns, so a new respondent can answer them: a category column
asks "which of these" (rare levels and anything unseen fall under "other / not listed"), and so
does a column of numbers declared categorical (Kidhome's 0, 1, 2: its codes, or their value
labels); any other numeric column is offered as ranges cut at rounded quantiles of the training
data. Both become
0/1 answer indicators; the fitted log-odds, times :data:`POINTS_SCALE` and rounded, are the
points, shifted so that every answer's smallest entry is 0 (adding a constant to all personas
changes no decision). The rounded table *is* the tool: cross-validated accuracy, predictions and
the exported rule are all computed from it, and ties go to the persona listed first.

Accuracy per number of questions is stratified k-fold cross-validation (seeded), reported as
the mean and the standard deviation over folds, on a different split from the one the order of
questions was chosen on. The order itself was chosen on the same rows, so the figures for the
later, marginal questions may be a little optimistic; the tests check the figure against a fresh
sample from the same generator.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from .data.dictionary import DataDictionary, measure, says_year
from .errors import PersonaLabError
from .features import as_category_text, as_float, is_numeric

POINTS_SCALE = 10.0  # points per unit of log-odds: one decimal of the fitted coefficients
OTHER = "other / not listed"
MISSING_NUMBER = "don't know / no answer"


@dataclass(frozen=True)
class Question:
    """One raw column asked as a question, with its possible answers in order.

    ``kind`` is ``"category"`` (``levels``: the listed answers; anything else is the last answer,
    "other / not listed") or ``"number"`` (``edges``: the cut points; answer i is
    ``edges[i-1] <= x < edges[i]``, and a missing number is the last answer)."""

    column: str
    kind: str
    levels: tuple[str, ...] = ()
    edges: tuple[float, ...] = ()
    label: str = ""  # the column's label and unit in the data dictionary ("" when none)
    unit: str = ""

    @property
    def title(self) -> str:
        """What the question asks about: the column's label, else its name."""
        return self.label or self.column

    @property
    def answers(self) -> list[str]:
        if self.kind == "category":
            return [*self.levels, OTHER]
        e = [measure(x, self.column, self.label, self.unit) for x in self.edges]
        ranges = [f"under {e[0]}"] + [f"{a} to under {b}" for a, b in zip(e, e[1:])] + [f"{e[-1]} or more"]
        return [*ranges, MISSING_NUMBER]

    def encode(self, series: pd.Series) -> np.ndarray:
        """The index of each row's answer."""
        if self.kind == "category":
            text = _answer_text(series)
            index = {level: i for i, level in enumerate(self.levels)}
            return np.array([index.get(t, len(self.levels)) for t in text], dtype=int)
        values = as_float(series)
        codes = np.searchsorted(np.asarray(self.edges), values, side="right")
        return np.where(np.isnan(values), len(self.edges) + 1, codes).astype(int)

    def match(self, i: int) -> dict:
        """How a person recognises answer ``i`` (the JSON rule)."""
        if self.kind == "category":
            return {"equals": self.levels[i]} if i < len(self.levels) else {"other": True}
        if i > len(self.edges):
            return {"missing": True}
        return {"from": None if i == 0 else self.edges[i - 1], "below": None if i == len(self.edges) else self.edges[i]}

    def to_dict(self) -> dict:
        return {"column": self.column, "kind": self.kind, "text": self.text}

    @property
    def text(self) -> str:
        return f"{self.title}: " + ("choose one" if self.kind == "category" else "choose the range of the number")


@dataclass
class TypingTool:
    """The chosen questions and their points table; ``curve`` holds every length tried."""

    questions: list[Question]
    persona_ids: list[int]
    persona_names: list[str]
    start_points: np.ndarray  # (personas,)
    points: list[np.ndarray]  # per question: (answers, personas), integers
    curve: list[dict]
    folds: int
    seed: int
    n_rows: int
    notes: list[str] = field(default_factory=list)

    @property
    def n_questions(self) -> int:
        return len(self.questions)

    @property
    def accuracy(self) -> float:
        return self.curve[self.n_questions - 1]["accuracy"]

    @property
    def accuracy_sd(self) -> float:
        return self.curve[self.n_questions - 1]["accuracy_sd"]

    def totals(self, frame: pd.DataFrame) -> np.ndarray:
        """Each row's points per persona."""
        _check_columns(frame, [q.column for q in self.questions])
        total = np.tile(self.start_points, (len(frame), 1))
        for question, table in zip(self.questions, self.points):
            total = total + table[question.encode(frame[question.column])]
        return total

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Persona id per row: the most points, ties to the persona listed first."""
        return np.asarray(self.persona_ids)[np.argmax(self.totals(frame), axis=1)]

    def renamed(self, names: dict[int, str]) -> "TypingTool":
        """The same tool with the personas called ``names`` (id -> name; the user's renames): a
        name is only a label, so nothing is refitted."""
        return replace(self, persona_names=[str(names.get(i, n)) for i, n in zip(self.persona_ids, self.persona_names)])

    def statement(self) -> str:
        plural = "" if self.n_questions == 1 else "s"
        return f"{self.n_questions} question{plural}, {100 * self.accuracy:.0f}% correct (cross-validated)"

    def to_dict(self) -> dict:
        return {
            "schema": "persona-lab typing tool",
            "schema_version": 1,
            "n_questions": self.n_questions,
            "accuracy": round(self.accuracy, 4),
            "accuracy_sd": round(self.accuracy_sd, 4),
            "statement": self.statement(),
            "folds": self.folds,
            "seed": self.seed,
            "n_rows": self.n_rows,
            "personas": [{"id": int(i), "name": n} for i, n in zip(self.persona_ids, self.persona_names)],
            "curve": [{**c, "accuracy": round(c["accuracy"], 4), "accuracy_sd": round(c["accuracy_sd"], 4)}
                      for c in self.curve],
            "rule": {
                "how": "Start each persona at its start points; for every question add the points of the "
                       "answer given (the first answer that matches; a category not listed is 'other'); the "
                       "persona with the most points is the respondent's, a tie goes to the one listed first.",
                "start_points": [int(p) for p in self.start_points],
                "questions": [
                    {**q.to_dict(), "answers": [{"answer": a, "match": q.match(i), "points": [int(p) for p in row]}
                                                for i, (a, row) in enumerate(zip(q.answers, table))]}
                    for q, table in zip(self.questions, self.points)
                ],
            },
            "notes": list(self.notes),
        }


def build_typing_tool(
    frame: pd.DataFrame,
    labels,
    columns: list[str],
    *,
    names: dict[int, str] | None = None,
    n_questions: int | None = None,
    max_questions: int = 10,
    folds: int = 5,
    bins: int = 4,
    max_rows: int = 5000,
    seed: int = 0,
    dictionary: DataDictionary | None = None,
    categorical: Collection[str] = (),
) -> TypingTool:
    """Choose questions among ``columns`` of ``frame`` that predict ``labels`` (persona ids;
    -1, unassigned rows, are left out) and fit their points table.

    ``n_questions`` fixes the length; by default it is the shortest whose cross-validated accuracy
    is within one point of the best length's. Above ``max_rows`` rows, a seeded random sample of
    that many is used (the hundreds of fits of the selection would otherwise take minutes); survey
    weights are not used: every respondent counts once. ``dictionary`` words the questions with
    the columns' labels and the answers with their units; the ``categorical`` columns (declared
    so: numbers that are codes) and those with value labels are asked as categories."""
    labels = np.asarray(labels, dtype=int)
    if len(labels) != len(frame):
        raise ValueError(f"{len(labels)} labels for {len(frame)} rows")
    _check_columns(frame, columns)
    notes = []
    keep = labels >= 0
    if not keep.all():
        notes.append(f"{int((~keep).sum())} rows that fit no persona left out: the tool types respondents into personas")
    frame, labels = frame.loc[keep].reset_index(drop=True), labels[keep]
    if len(labels) > max_rows:
        notes.append(f"questions chosen and scored on a random sample of {max_rows:,} of the {len(labels):,} rows")
        rows = np.sort(np.random.default_rng(seed).choice(len(labels), max_rows, replace=False))
        frame, labels = frame.iloc[rows].reset_index(drop=True), labels[rows]
    persona_ids = sorted(set(labels.tolist()))
    if len(persona_ids) < 2:
        raise PersonaLabError("A typing tool needs at least two personas with rows in the data",
                              fix="Use data that the model assigns to two or more personas")
    y = np.searchsorted(persona_ids, labels)
    smallest = int(np.bincount(y).min())
    if smallest < 2:
        raise PersonaLabError("A persona has fewer than 2 rows in the data, too few to cross-validate a typing tool",
                              fix="Use more data, or a model with fewer, larger personas")
    if smallest < folds:
        notes.append(f"{smallest} rows in the smallest persona: {smallest}-fold cross-validation instead of {folds}")
        folds = smallest
    dictionary = dictionary or DataDictionary()
    categorical = {str(c) for c in categorical} | set(dictionary.value_labels)
    questions = {c: make_question(frame[c], c, bins, categorical=c in categorical,
                                  years=says_year(c, dictionary.labels.get(c, ""), dictionary.unit(c)))
                 for c in columns}
    questions = {c: replace(q, label=dictionary.labels.get(c, ""), unit=dictionary.unit(c),
                            levels=_in_code_order(q.levels, dictionary.value_labels.get(c, {})))
                 for c, q in questions.items() if q is not None}
    if not questions:
        raise PersonaLabError("None of the columns varies between rows, so none can be a question",
                              fix="Use the data the personas were made from")
    blocks = {c: _one_hot(q.encode(frame[c]), len(q.answers)) for c, q in questions.items()}
    select_seed, report_seed = np.random.SeedSequence(seed).generate_state(2)
    select_split = _split(y, folds, select_seed)
    report_split = _split(y, folds, report_seed)

    longest = min(max(max_questions, n_questions or 0), len(questions))
    order, curve = forward_selection(blocks, y, longest, select_split, report_split)
    curve = [{**c, "title": questions[c["question"]].title} for c in curve]  # the question as it is asked
    if n_questions is None:
        best = max(c["accuracy"] for c in curve)
        n_questions = next(c["n_questions"] for c in curve if c["accuracy"] >= best - 0.01)
    elif not 1 <= n_questions <= len(curve):
        raise PersonaLabError(f"{n_questions} questions asked for, but there are {len(curve)} usable columns",
                              fix=f"Ask for 1 to {len(curve)} questions")
    chosen = order[:n_questions]
    start, tables = _points(np.hstack([blocks[c] for c in chosen]), y, [len(questions[c].answers) for c in chosen])
    names = names or {}
    return TypingTool(
        questions=[questions[c] for c in chosen], persona_ids=persona_ids,
        persona_names=[str(names.get(i, f"Persona {i + 1}")) for i in persona_ids],
        start_points=start, points=tables, curve=curve, folds=folds, seed=int(seed), n_rows=len(y), notes=notes,
    )


def forward_selection(blocks: dict[str, np.ndarray], y: np.ndarray, longest: int, select_split, report_split):
    """Greedy forward selection: add, one at a time, the question whose answers raise the mean
    accuracy over ``select_split`` most; report each length's accuracy over ``report_split``.

    Returns the questions in the order chosen and the accuracy curve."""
    order, curve, remaining = [], [], list(blocks)
    for _ in range(longest):
        scored = [(np.mean(_fold_accuracies([*order, c], blocks, y, select_split)), c) for c in remaining]
        best = max(scored, key=lambda t: t[0])[1]  # max keeps the first column on ties
        order.append(best)
        remaining.remove(best)
        accuracies = _fold_accuracies(order, blocks, y, report_split)
        curve.append({"n_questions": len(order), "question": best,
                      "accuracy": float(np.mean(accuracies)), "accuracy_sd": float(np.std(accuracies))})
    return order, curve


def typing_tool_for_model(model, frame: pd.DataFrame, **options) -> TypingTool:
    """The typing tool of a saved persona model (:class:`persona_lab.model_file.PersonaModel`):
    the model's own assignment of ``frame`` is what the questions learn to predict."""
    require_per_respondent(model.prepared.kind, "the model")
    _check_columns(frame, model.columns)
    labels = model.score(frame).labels
    names = {p.id: p.name for p in model.personas.personas}
    types = model.personas.manifest.get("types") or {}
    categorical = [c for c, kind in types.items() if kind in ("categorical", "boolean")]
    return build_typing_tool(frame, labels, list(model.columns), names=names, categorical=categorical, **options)


def require_per_respondent(kind: str, where: str) -> None:
    """Refuse APG interaction data: its rows are demographic groups, and nobody answers for a group."""
    if kind != "entities":
        raise PersonaLabError(
            "A typing tool needs per-respondent data, and this is group x item interaction data (the "
            "APG shape), where a row is a demographic group, not a person", where=where,
            fix="Build personas from a table with one row per respondent to get a typing tool",
        )


def make_question(series: pd.Series, column: str, bins: int = 4, max_levels: int = 12,
                  categorical: bool = False, years: bool = False) -> Question | None:
    """The question a raw column asks; None when every row gives the same answer. A number
    column ``categorical`` (codes such as 0, 1, 2 children; 0/1) lists its codes in their order;
    a column of ``years`` is cut at whole years (1957, 1968), not at two significant digits."""
    numbers = is_numeric(series) and not pd.api.types.is_bool_dtype(series)
    if numbers and not categorical:
        values = as_float(series)
        values = values[~np.isnan(values)]
        if values.size == 0:
            return None
        cuts = np.quantile(values, np.linspace(0, 1, bins + 1)[1:-1])
        cut = (lambda x: float(round(x))) if years else _round
        edges = tuple(sorted({cut(c) for c in cuts if values.min() < cut(c) <= values.max()}))
        return Question(column, "number", edges=edges) if edges else None
    counts = pd.Series(_answer_text(series)).value_counts()
    counts = counts.drop(_NO_ANSWER, errors="ignore")
    # Rare levels would be answers almost nobody picks: they go under "other".
    levels = [str(v) for v, n in counts.items() if n >= max(2, 0.02 * len(series))][:max_levels]
    if numbers:  # codes in their own order: 0, 1, 2 children
        levels.sort(key=float)
    if len(levels) < 2 and not (levels and counts.sum() < len(series)):
        return None
    return Question(column, "category", levels=tuple(levels))


def _points(X: np.ndarray, y: np.ndarray, widths: list[int]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Start points and one (answers x personas) points table per question."""
    fit = LogisticRegression(C=1.0, max_iter=2000).fit(X, y)
    coef, intercept = fit.coef_.T, fit.intercept_
    if coef.shape[1] == 1:  # two personas: sklearn fits one column of log-odds for the second
        coef, intercept = np.hstack([-coef / 2, coef / 2]), np.array([-intercept[0] / 2, intercept[0] / 2])
    points = np.rint(coef * POINTS_SCALE).astype(int)
    start = np.rint(intercept * POINTS_SCALE).astype(int)
    bounds = np.cumsum([0, *widths])
    tables = [points[a:b] - points[a:b].min(axis=1, keepdims=True) for a, b in zip(bounds, bounds[1:])]
    return start - start.min(), tables


def _fold_accuracies(order: list[str], blocks: dict, y: np.ndarray, split) -> list[float]:
    X = np.hstack([blocks[c] for c in order])
    widths = [blocks[c].shape[1] for c in order]
    out = []
    for train, test in split:
        start, tables = _points(X[train], y[train], widths)
        total = start + X[test] @ np.vstack(tables)
        out.append(float(np.mean(np.argmax(total, axis=1) == y[test])))
    return out


def _split(y: np.ndarray, folds: int, seed) -> list:
    return list(StratifiedKFold(folds, shuffle=True, random_state=int(seed) % 2**31).split(np.zeros(len(y)), y))


def _one_hot(codes: np.ndarray, width: int) -> np.ndarray:
    out = np.zeros((codes.size, width))
    out[np.arange(codes.size), codes] = 1.0
    return out


def _check_columns(frame: pd.DataFrame, columns: list[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise PersonaLabError(f"The data lacks the column(s) the typing tool asks about: {', '.join(map(repr, missing))}",
                              fix="Use data with the same columns as the data the personas were made from")


def _round(x: float) -> float:
    """Two significant digits: cut points a respondent can read."""
    if x == 0 or not math.isfinite(x):
        return float(x)
    digits = 1 - int(math.floor(math.log10(abs(x))))
    return float(round(x, digits))


#: A missing answer, never a level of its own: it is "other / not listed".
_NO_ANSWER = "\0missing"


def _answer_text(series: pd.Series) -> np.ndarray:
    """Each row's answer to a category question: codes read as 1.0 and as 1 alike."""
    if is_numeric(series) and not pd.api.types.is_bool_dtype(series):
        return np.where(series.isna().to_numpy(), _NO_ANSWER, as_category_text(series))
    return series.astype("string").fillna(_NO_ANSWER).astype(str).to_numpy()


def _in_code_order(levels: tuple[str, ...], value_labels: dict[str, str]) -> tuple[str, ...]:
    """Levels that are value labels ("none", "one", "two") in their codes' order."""
    order = {label: i for i, label in enumerate(value_labels.values())}
    return tuple(sorted(levels, key=lambda v: order.get(v, len(order)))) if order else levels
