"""Evidence beside the weight sliders: how well tiers cut with the weights as they stand, a year ago,
would have predicted the profit customers really brought since, and the weights that would have
predicted it best ("learned from your data", offered, never applied silently)."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from valuation.analysis.backtest import realised, scoring_date
from valuation.data import sources
from valuation.data.store import Store
from valuation.model import persist, pipeline, scoring, tiers
from valuation.model.settings import DIMENSIONS, ClvSettings, Settings, Weights

LEARN_STEP = 10  # learned weights are multiples of this, summing to 100
LEARN_SAMPLE = 20_000  # buyers the search ranks (seeded sample beyond this)
KEPT_FORMAT = 1  # in the kept files' names: raise when what they hold or the search changes
_TOP = (tiers.TIERS.index("A"), tiers.TIERS.index("B"))


@dataclass
class Evidence:
    """Last year's prepared dimension scores beside each customer's realised net profit since.

    Built once per dataset, as-of date and CLV settings (one feature query and model fit at the
    past date, one query for what followed); every slider move then costs a weighted sum, the
    tier cut (memoised per setting in ``past``), a bincount and one ranking. The realised profit
    and the learned weights' search are kept beside the past date's prepared file (``kept``), so a
    restarted server reads them instead of querying and searching again.
    """

    past: pipeline.Prepared
    scored_at: dt.date
    as_of: dt.date
    realised_profit: np.ndarray  # per row of past.features: net profit in (scored_at, as_of], 0 if none
    buyers: np.ndarray  # rows of past.features with orders by scored_at
    learned: np.ndarray | None = None  # the search's weights over DIMENSIONS (learned_weights), once made
    kept: Path | None = field(repr=False, default=None)  # the file the two above are kept in
    _ranks: np.ndarray = field(repr=False, default=None)  # realised profit's ranks among buyers

    def __post_init__(self):
        self._ranks = _rank(self.realised_profit[self.buyers])

    def keep(self) -> None:
        """Write what was computed for this evidence beside the past date's prepared file."""
        arrays = {"realised_profit": self.realised_profit}
        if self.learned is not None:
            arrays["learned"] = self.learned
        persist.save_arrays(self.kept, arrays)


def _rank(values: np.ndarray) -> np.ndarray:
    """Average ranks (ties share their mean rank), as Spearman's correlation needs them (pandas'
    ``rank(method="average")``, exactly: :func:`~valuation.model.scoring.average_ranks`)."""
    return scoring.average_ranks(np.asarray(values, dtype=float))


def _spearman(ranks_a: np.ndarray, ranks_b: np.ndarray) -> float:
    a, b = ranks_a - ranks_a.mean(), ranks_b - ranks_b.mean()
    denominator = np.sqrt((a * a).sum() * (b * b).sum())
    return float((a * b).sum() / denominator) if denominator > 0 else float("nan")


def build(store: Store, dataset: str, as_of: dt.date, clv_settings: ClvSettings = ClvSettings(),
          custom_columns: tuple[str, ...] = (), horizon_months: int = 12, wait: bool = True) -> Evidence | None:
    """The evidence base for ``dataset`` as of ``as_of``: prepared ``horizon_months`` earlier, with
    what each customer made since. None when there are no orders before that date or nothing after,
    or for a features dataset (computed elsewhere for one date).

    The past date is prepared as any date is (:func:`valuation.model.persist.prepare_dataset`): read
    from its file beside the database when any session, process or earlier run prepared it, so a
    restarted server does not prepare it again (9.9 s at a million customers). ``wait=False`` writes
    a new file in the background, as the dashboard does for the date it shows.
    """
    if sources.dataset_kind(store, dataset) == sources.KIND_FEATURES:
        return None  # features computed elsewhere for one date: no history to score a year back
    as_of = pd.Timestamp(as_of).date()
    scored_at = scoring_date(as_of, horizon_months)
    try:
        past = persist.prepare_dataset(store, dataset, scored_at, clv_settings, custom_columns, wait=wait)
    except ValueError:
        return None
    buyers = np.flatnonzero(past.features["has_orders"].to_numpy(dtype=bool))
    if len(buyers) < 10:
        return None
    path = persist.companion(store, dataset, scored_at, clv_settings, custom_columns,
                             f"evidence{KEPT_FORMAT}-{as_of.isoformat()}-{horizon_months}m")
    kept = persist.load_arrays(path)
    if kept is not None and kept.get("realised_profit", np.empty(0)).shape == (len(past.features),):
        learned = kept.get("learned")
        return Evidence(past, scored_at, as_of, kept["realised_profit"], buyers,
                        learned=learned if learned is not None and learned.shape == (len(DIMENSIONS),) else None,
                        kept=path)
    after = realised(store, dataset, scored_at, as_of, past.availability)
    if after.empty:
        return None
    # each past customer's row in ``after`` (one row per customer there), -1 for none: a merge without a frame
    found = pd.Index(after["customer_id"]).get_indexer(past.features["customer_id"])
    profit = np.where(found >= 0, after["net_profit"].to_numpy(dtype=float)[found], 0.0)
    built = Evidence(past, scored_at, as_of, profit, buyers, kept=path)
    built.keep()
    return built


def weight_evidence(evidence: Evidence, settings: Settings) -> dict:
    """What the weights in ``settings`` would have said a year ago, against what happened.

    Returns
    -------
    dict
        ``top_share``: share of the buyers' realised net profit earned by tiers A and B;
        ``spearman``: rank correlation of the composite with realised net profit among buyers;
        ``by_tier``: realised net profit per tier (``tiers.TIERS`` order); ``scored_at``, ``as_of``.
    """
    past = evidence.past
    codes = pipeline.tier_codes(past, settings)
    by_tier = np.bincount(codes, weights=evidence.realised_profit, minlength=len(tiers.TIERS))
    total = float(evidence.realised_profit[evidence.buyers].sum())
    composite = pipeline.composite(past, settings)  # the tiers' own, tilt included (kept per setting)
    return {
        "top_share": float(by_tier[list(_TOP)].sum() / total) if total else float("nan"),
        "spearman": _spearman(_rank(composite[evidence.buyers]), evidence._ranks),
        "by_tier": dict(zip(tiers.TIERS, map(float, by_tier))),
        "scored_at": evidence.scored_at,
        "as_of": evidence.as_of,
    }


def learned_weights(evidence: Evidence, base: Weights = Weights(), seed: int = 0) -> tuple[Weights, float]:
    """Non-negative weights (multiples of ``LEARN_STEP``, summing to 100) over the five dimensions
    scored on real data, whose composite a year ago ranked the realised profit best (Spearman).

    An exhaustive search of the grid (1,001 settings for five dimensions), on a seeded sample of at
    most ``LEARN_SAMPLE`` buyers; ``base``'s influence and custom weights are kept as they are.
    Returns the weights and their Spearman correlation on all buyers. The search's result (seed 0)
    is kept with the evidence and its file: about 2 s at a million customers, made once.
    """
    if seed == 0 and evidence.learned is not None:
        found = evidence.learned
    else:
        found = _search(evidence, seed)
        if seed == 0:
            evidence.learned = found
            evidence.keep()
    values = dict(zip(DIMENSIONS, map(float, found)))
    learned = Weights(**values, influence=base.influence, custom=base.custom)
    return learned, weight_evidence(evidence, Settings(weights=learned))["spearman"]


def _search(evidence: Evidence, seed: int) -> np.ndarray:
    """:func:`learned_weights`' grid search: the best weights, in ``DIMENSIONS`` order (0 for a
    dimension without scores)."""
    dims = [d for d in DIMENSIONS if d in evidence.past.scores.columns]
    rows = evidence.buyers
    if len(rows) > LEARN_SAMPLE:
        rows = np.sort(np.random.default_rng(seed).choice(rows, LEARN_SAMPLE, replace=False))
    matrix = np.asfortranarray(evidence.past.scores[dims].to_numpy()[rows])
    target = _rank(evidence.realised_profit[rows])
    steps = 100 // LEARN_STEP
    best, best_rho = None, -np.inf
    for cut in itertools.combinations(range(steps + len(dims) - 1), len(dims) - 1):
        # stars and bars: the gaps between the cuts are the weights
        parts = np.diff(np.array((-1,) + cut + (steps + len(dims) - 1,))) - 1
        if not parts.any():
            continue
        rho = _spearman(_rank(scoring.weighted_sum(matrix, parts)), target)
        if rho > best_rho + 1e-12:
            best, best_rho = parts * LEARN_STEP, rho
    values = dict(zip(dims, best))
    return np.array([float(values.get(d, 0.0)) for d in DIMENSIONS])
