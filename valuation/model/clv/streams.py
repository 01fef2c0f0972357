"""Lifetime value from purchase streams: a customer's repeated purchases, each with its own price,
margin and cycle, as seed 003 values a car buyer over twenty years.

A stream is one kind of purchase repeated every ``every_years`` from ``first_year`` to
``last_year`` (a new car every four years, a trade-in at each replacement, yearly upkeep, the
family's cars the customer brings in). Year 1 is certain; each later year is reached with
probability ``retention`` per year, and each year's profit is discounted once per year, as the
formula CLV discounts its periods.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Stream:
    """One kind of purchase: ``revenue`` per purchase and ``profit`` per purchase (a trade-in
    brings profit without revenue of its own), every ``every_years`` in years ``first_year``
    to ``last_year`` (inclusive, within the horizon)."""

    name: str
    revenue: float
    profit: float
    every_years: int = 1
    first_year: int = 1
    last_year: int | None = None

    def years(self, horizon: int) -> np.ndarray:
        last = horizon if self.last_year is None else min(self.last_year, horizon)
        if self.every_years < 1 or self.first_year < 1 or self.first_year > last:
            return np.zeros(0, dtype=int)
        return np.arange(self.first_year, last + 1, int(self.every_years))


def _margin(price: float, rate: float) -> float:
    return round(price * rate, 2)


# Seed 003's car buyer (ages 1-20 of the relationship); stream names are keys, labelled in i18n (clv.car.*). The seed gives the first assumptions and
# cuts off in the middle of the last one (the daughter's TT: "¥75万元;利润…"): its margin (5%) and
# cycle (three years, from year 8) are ours, chosen so the totals land where the seed's do.
CAR_BUYER: tuple[Stream, ...] = (
    Stream("own_car", 500_000, _margin(500_000, 0.04), 4, 1, 20),
    Stream("own_trade_in", 0, 10_000, 4, 5, 20),
    Stream("own_upkeep", 2_800, _margin(2_800, 0.50), 1, 1, 20),
    Stream("wife_car", 450_000, _margin(450_000, 0.04), 6, 3, 20),
    Stream("wife_upkeep", 2_800, _margin(2_800, 0.50), 1, 3, 20),
    Stream("wife_trade_in", 0, 10_000, 6, 9, 20),
    Stream("daughter_car", 750_000, _margin(750_000, 0.05), 3, 8, 20),
    Stream("daughter_upkeep", 2_800, _margin(2_800, 0.50), 1, 8, 20),
    Stream("daughter_trade_in", 0, 10_000, 3, 11, 20),
)
CAR_BUYER_SEED = {"revenue": 8_000_000, "profit": 510_000}  # "总收入=~800万 总利润=~51万"


def stream_schedule(streams, horizon_years: int = 20, discount_rate: float = 0.10,
                    retention: float = 1.0) -> pd.DataFrame:
    """Year by year and stream by stream: revenue, profit, the chance the customer is still there
    (``retention ** (year - 1)``), the discount factor ``1 / (1 + d) ** year`` and the expected
    present value of the profit."""
    if not 0 <= retention <= 1:
        raise ValueError(f"retention must be between 0 and 1, got {retention}")
    if not 0 <= discount_rate <= 1:
        raise ValueError(f"discount_rate must be between 0 and 1, got {discount_rate}")
    if not 1 <= int(horizon_years) <= 100:
        raise ValueError(f"horizon_years must be 1 to 100, got {horizon_years}")
    rows = []
    for stream in streams:
        for year in stream.years(int(horizon_years)):
            rows.append((int(year), stream.name, float(stream.revenue), float(stream.profit)))
    frame = pd.DataFrame(rows, columns=["year", "stream", "revenue", "profit"])
    frame["survival"] = float(retention) ** (frame["year"] - 1)
    frame["discount_factor"] = 1.0 / (1.0 + float(discount_rate)) ** frame["year"]
    frame["present_value"] = frame["profit"] * frame["survival"] * frame["discount_factor"]
    return frame.sort_values(["year", "stream"], kind="mergesort").reset_index(drop=True)


def stream_totals(schedule: pd.DataFrame) -> dict:
    """Revenue and profit undiscounted (if the customer stays), and the profit's present value."""
    return {"revenue": float(schedule["revenue"].sum()), "profit": float(schedule["profit"].sum()),
            "present_value": float(schedule["present_value"].sum()),
            "purchases": int((schedule["revenue"] > 0).sum())}
