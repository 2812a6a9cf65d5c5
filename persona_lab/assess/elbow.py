"""The elbow of a monotone curve by Kneedle (Satopaa, Albrecht, Irwin & Raghavan 2011).

Inertia, reconstruction error and k-prototypes cost fall with k by construction, so their minimum
is always the largest k; the only defensible pick from the curve alone is where it stops falling
steeply. Kneedle finds that point as the largest distance between the normalised curve and the
straight line through its ends, and declines to answer when no point stands out.
"""

from __future__ import annotations

import warnings

import numpy as np
from kneed import KneeLocator

#: Kneedle's sensitivity: 1 is the authors' recommendation for offline use.
SENSITIVITY = 1.0


def knee(values, curve: str = "convex", direction: str = "decreasing") -> int | None:
    """The k at the elbow of ``values`` (k -> value), or None when the curve has no knee.

    ``curve``/``direction`` as in ``kneed``: inertia-like curves are convex and decreasing,
    variance explained is concave and increasing.
    """
    points = sorted((int(k), float(v)) for k, v in dict(values).items() if np.isfinite(v))
    if len(points) < 3:  # two points are always a straight line
        return None
    x, y = map(np.asarray, zip(*points))
    if np.ptp(y) == 0:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # kneed warns "No knee/elbow found"; None says that
        found = KneeLocator(x, y, S=SENSITIVITY, curve=curve, direction=direction).knee
    return None if found is None else int(found)
