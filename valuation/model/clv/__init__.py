"""Customer lifetime value: formula CLV, BG/NBD purchase counts, Gamma-Gamma spend, diagnostics.

One module per model, as in pymc-marketing's ``clv/``; this package names the public API
so that callers write ``clv.BetaGeoModel`` whichever module holds it.
"""

from valuation.model.clv.base import DAYS_PER_MONTH, TIME_UNIT_DAYS, ConvergenceError
from valuation.model.clv.diagnostics import (
                                             cumulative_repeat_transactions,
                                             holdout_by_frequency,
                                             probability_alive_matrix,
)
from valuation.model.clv.formula import formula_clv, formula_clv_table
from valuation.model.clv.mbgnbd import ModifiedBetaGeoModel
from valuation.model.clv.purchase import BetaGeoModel, simulate_bgnbd
from valuation.model.clv.selection import PURCHASE_MODELS, Selection, choose_purchase_model, fit_purchase_model
from valuation.model.clv.spend import GammaGammaModel, LogNormalSpendModel
from valuation.model.clv.streams import CAR_BUYER, CAR_BUYER_SEED, Stream, stream_schedule, stream_totals
from valuation.model.clv.summary import calibration_holdout_summary, rfm_summary
from valuation.model.clv.value import customer_lifetime_value, discounted_expected_purchases, fit_clv

__all__ = [
    "ConvergenceError",
    "DAYS_PER_MONTH",
    "TIME_UNIT_DAYS",
    "BetaGeoModel",
    "ModifiedBetaGeoModel",
    "GammaGammaModel",
    "LogNormalSpendModel",
    "PURCHASE_MODELS",
    "Selection",
    "choose_purchase_model",
    "fit_purchase_model",
    "formula_clv",
    "formula_clv_table",
    "rfm_summary",
    "calibration_holdout_summary",
    "customer_lifetime_value",
    "discounted_expected_purchases",
    "fit_clv",
    "holdout_by_frequency",
    "probability_alive_matrix",
    "cumulative_repeat_transactions",
    "simulate_bgnbd",
    "Stream",
    "CAR_BUYER",
    "CAR_BUYER_SEED",
    "stream_schedule",
    "stream_totals",
]
