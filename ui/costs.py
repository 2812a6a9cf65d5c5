"""How long an analysis will take, before it is started: whether the page computes it at once or
it waits for a button and runs as a job (``ui/analyses.py``).

An analysis's size is counted in million *units*: a persona run's prepared matrix cells times k;
criterion curves' cells times the sum of their k (a fit's cost grows with k); a comparison's
common-space cells times k, per method. Its time is a power of its size, measured per analysis,
kind of data and method on a 2-core machine (:data:`RATES`). A size is a poor clock for some
methods (agglomerative clustering is quadratic in its rows up to its sample, GMM on an
interaction matrix in its items), so each power was fitted through a size near the page's limit,
where the decision is made; benchmarks/results/job_threshold.md times every analysis at that
limit, and an analysis nobody measured counts as the slowest that was.
"""

from __future__ import annotations

#: The analyses that can be long (also the kinds of their jobs).
RUN, COMPARISON, CURVES = "persona_run", "method_comparison", "criterion_curves"

#: Computed in the page at most this long (seconds, estimated); longer analyses wait for a button
#: and run as jobs. Issue 17 asks that k = 100 personas show within 10 s; a job costs a worker's
#: start (imports, compiled code loaded) on top, so runs up to that long are not worth one.
CHEAP_SECONDS = 10.0

#: (seconds at 1 million units, exponent) by (analysis, kind of data, method), on a 2-core
#: machine: an analysis of u million units takes about seconds x u ** exponent. Each pair is
#: fitted to two measurements, at 1 million units and at the limit of a first linear estimate
#: (``benchmarks/job_threshold.py --fit``; tables in benchmarks/results/job_rates.md): GMM on an
#: interaction matrix grows with the square of its items, k-means less than linearly in rows.
#: Latent classes and k-prototypes refuse interaction matrices (no categories).
RATES: dict[tuple[str, str, str], tuple[float, float]] = {
    (RUN, 'entities', 'archetypes'): (71.4, 1.27),
    (RUN, 'entities', 'gmm'): (1.55, 1.08),
    (RUN, 'entities', 'hdbscan'): (4.08, 1.31),
    (RUN, 'entities', 'hierarchical'): (5.58, 1.24),
    (RUN, 'entities', 'kmeans'): (0.189, 0.62),
    (RUN, 'entities', 'kprototypes'): (37.3, 1.33),
    (RUN, 'entities', 'lca'): (3.81, 1.07),
    (RUN, 'entities', 'nmf'): (2.85, 0.96),
    (RUN, 'entities', 'spectral'): (3.92, 1.19),
    (CURVES, 'entities', 'archetypes'): (7.93, 0.62),
    (CURVES, 'entities', 'gmm'): (1.31, 0.69),
    (CURVES, 'entities', 'hierarchical'): (0.262, 2.28),
    (CURVES, 'entities', 'kmeans'): (0.112, 0.68),
    (CURVES, 'entities', 'kprototypes'): (16.6, 1.15),
    (CURVES, 'entities', 'lca'): (0.849, 1.63),
    (CURVES, 'entities', 'nmf'): (7.74, 1.11),
    (CURVES, 'entities', 'spectral'): (1.46, 0.54),
    (RUN, 'interactions', 'archetypes'): (2.11, 0.97),
    (RUN, 'interactions', 'gmm'): (2.08, 2.60),
    (RUN, 'interactions', 'hdbscan'): (0.0814, 0.88),
    (RUN, 'interactions', 'hierarchical'): (0.0593, 0.84),
    (RUN, 'interactions', 'kmeans'): (0.0698, 1.00),
    (RUN, 'interactions', 'nmf'): (0.123, 1.06),
    (RUN, 'interactions', 'spectral'): (0.0625, 0.82),
    (CURVES, 'interactions', 'archetypes'): (2.31, 0.66),
    (CURVES, 'interactions', 'gmm'): (7.41, 1.63),
    (CURVES, 'interactions', 'hierarchical'): (0.518, 0.68),
    (CURVES, 'interactions', 'kmeans'): (0.744, 0.96),
    (CURVES, 'interactions', 'nmf'): (1.81, 0.69),
    (CURVES, 'interactions', 'spectral'): (0.108, 0.71),
}


def rate(analysis: str, kind: str, method: str) -> tuple[float, float]:
    """(seconds at 1 million units, exponent) of ``analysis`` by ``method`` on ``kind`` of data;
    an analysis nobody measured counts as the one with the most seconds at 1 million units."""
    return RATES.get((analysis, kind, method)) or max(RATES.values())


def seconds(analysis: str, kind: str, methods: list[str] | tuple[str, ...], units: float) -> float:
    """Estimated seconds of ``analysis`` on ``units`` (per method, for a comparison: the sum of
    its methods' runs, which measured within 3% of the comparison itself)."""
    total = 0.0
    for m in methods:
        at_million, exponent = rate(RUN if analysis == COMPARISON else analysis, kind, m)
        total += at_million * (units / 1e6) ** exponent
    return total
