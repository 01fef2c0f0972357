"""Small checks and helpers the analysis modules share on scored frames."""

from __future__ import annotations

import numpy as np
import pandas as pd


def require(frame: pd.DataFrame, columns, what: str) -> None:
    """ValueError naming the columns ``what`` needs that ``frame`` lacks."""
    missing = [c for c in columns if c not in frame]
    if missing:
        raise ValueError(f"{what} needs column(s) {', '.join(missing)}")


def has_orders(scored: pd.DataFrame) -> pd.Series:
    """Which customers bought: ``has_orders``, or (a frame without it) every tier but prospect."""
    if "has_orders" in scored:
        return scored["has_orders"].astype(bool)
    return scored["tier"] != "prospect"


def top_threshold(values: np.ndarray, n: int) -> float | None:
    """The n-th largest of ``values`` (NaN left out) when filtering the rows below it before a sort
    is worth it (n under a quarter of them); None when sorting them all is as good. Only rows at
    or above it can be among the first n, ties included."""
    known = values[~np.isnan(values)]
    if 0 < n < len(known) // 4:
        return float(np.partition(known, len(known) - n)[len(known) - n])
    return None
