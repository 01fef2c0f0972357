"""Small checks the analysis modules share on scored frames."""

from __future__ import annotations

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
