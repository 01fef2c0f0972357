"""What the CLV models share: time units, input checks, grouping of identical rows, the optimiser."""

# References (cited in comments as [n]):
# [1] Fader, P.S., Hardie, B.G.S. & Lee, K.L. (2005). "'Counting Your Customers' the
#     Easy Way: An Alternative to the Pareto/NBD Model." Marketing Science 24(2), 275-284.
# [2] Fader, P.S., Hardie, B.G.S. & Lee, K.L. (2008). "Computing P(alive) Using the
#     BG/NBD Model." http://www.brucehardie.com/notes/021/
# [3] Fader, P.S. & Hardie, B.G.S. (2013). "The Gamma-Gamma Model of Monetary Value."
#     http://www.brucehardie.com/notes/025/
# [4] Fader, P.S., Hardie, B.G.S. & Lee, K.L. (2005). "RFM and CLV: Using Iso-Value
#     Curves for Customer Base Analysis." Journal of Marketing Research 42(4), 415-430.
# [5] Fader, P.S. & Hardie, B.G.S. (2013). "Overcoming the BG/NBD Model's #NUM! Error
#     Problem." http://www.brucehardie.com/notes/027/
# [6] Abramowitz, M. & Stegun, I.A. (1964). Handbook of Mathematical Functions, 15.3.3
#     (Euler's transformation of the Gauss hypergeometric function).
# [7] Gupta, S. & Lehmann, D.R. (2003). "Customers as Assets." Journal of Interactive
#     Marketing 17(1), 9-24 (the retention-based CLV formula).
# [8] lifetimes 0.11.3 (C. Davidson-Pilon): `summary_data_from_transaction_data`,
#     `calibration_and_holdout_data`, `customer_lifetime_value` -- the data definitions
#     and the monthly CLV sum followed here.

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import optimize

TIME_UNIT_DAYS = {"D": 1.0, "W": 7.0}
DAYS_PER_MONTH = 365.25 / 12

# Log-parameter box for the optimiser: exp(+-25) is far outside any sensible value, so
# a parameter that ends on it means the data do not identify the model.
_LOG_PARAM_BOUND = 25.0


class ConvergenceError(RuntimeError):
    """A model could not be fitted: the optimiser failed or the data are degenerate.

    ``str(e)`` is the English message; ``e.code`` names its text in the i18n table
    (``clvfit.<code>``) and ``e.params`` fill it (plain values: ``model``, ``n``, ``names`` …;
    ``hint`` is the key of a sentence appended), so a page can say it in the reader's language.
    """

    def __init__(self, message: str = "", /, *, code: str = "", **params):
        super().__init__(message)
        self.code = code
        self.params = params


# --------------------------------------------------------------------------- helpers


def _unit_days(time_unit: str) -> float:
    try:
        return TIME_UNIT_DAYS[time_unit]
    except KeyError:
        raise ValueError(f"time_unit must be 'D' or 'W', got {time_unit!r}") from None


def _validate_columns(frame: pd.DataFrame, required: Sequence[str]) -> None:
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise ValueError(f"missing required column(s): {', '.join(map(str, missing))}")


def _as_float(values, name: str) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return arr


def _wrap(result: np.ndarray, *inputs):
    """Return a float for scalar results, a Series when an input was a Series of the same length."""
    result = np.asarray(result, dtype=float)
    if result.ndim == 0:
        return float(result)
    for value in inputs:
        if isinstance(value, pd.Series) and len(value) == result.shape[0] and result.ndim == 1:
            return pd.Series(result, index=value.index)
    return result


def _day(value) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    if ts.tzinfo is not None:
        ts = ts.tz_localize(None)
    return ts.normalize()


def _day_numbers(dates: pd.Series) -> np.ndarray:
    """Calendar days since 1970-01-01 as int64 (the time of day is dropped)."""
    if not pd.api.types.is_datetime64_any_dtype(dates):
        try:
            dates = pd.to_datetime(dates)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"order dates could not be parsed: {exc}") from None
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_localize(None)
    if dates.isna().any():
        raise ValueError(f"{int(dates.isna().sum())} order date(s) are missing")
    return dates.dt.normalize().to_numpy().astype("datetime64[D]").astype(np.int64)


def _timestamp_day_number(ts: pd.Timestamp) -> int:
    return int(np.datetime64(ts.date(), "D").astype(np.int64))


def _group_rows(*columns: np.ndarray, weights: np.ndarray | None = None):
    """Collapse identical rows of ``columns`` into unique rows with summed weights.

    Each column is factorised (hashing, no sort) and the codes are packed into one int64
    key; the key is re-compressed whenever the next product could overflow. This avoids
    ``np.unique(axis=0)``, which sorts rows lexicographically and is ~2 s on 1M rows.

    Returns ``(unique_columns, group_weights, inverse)`` with ``inverse`` mapping each
    input row to its group.
    """
    n = len(columns[0])
    key = np.zeros(n, dtype=np.int64)
    cardinality = 1
    # sort=True sorts only the distinct values: the groups come out in the order of their values,
    # not of the rows, so a fit sums them in the same order however the customers are ordered.
    for col in columns:
        codes, uniques = pd.factorize(col, sort=True)
        if cardinality * max(len(uniques), 1) >= 2**62:
            key, kept = pd.factorize(key, sort=True)
            cardinality = len(kept)
        key = key * len(uniques) + codes
        cardinality *= max(len(uniques), 1)
    inverse, _ = pd.factorize(key, sort=True)
    n_groups = int(inverse.max()) + 1 if n else 0
    representative = np.empty(n_groups, dtype=np.int64)
    representative[inverse] = np.arange(n)  # any row of a group will do: they are equal
    group_weights = np.bincount(inverse, weights=weights, minlength=n_groups).astype(float)
    return [np.asarray(c)[representative] for c in columns], group_weights, inverse


def _dot(u: np.ndarray, v: np.ndarray) -> float:
    """Sum of u * v without BLAS: OpenBLAS threads its dot products, and on a busy
    two-core machine their synchronisation made a likelihood evaluation 10x slower."""
    return float(np.add.reduce(np.multiply(u, v), axis=None))


def _all_equal(*columns: np.ndarray) -> bool:
    """True when every row is the same (or there are no rows)."""
    return all(len(c) == 0 or bool(np.all(c == c[0])) for c in columns)


def _check_weights(weights, n: int) -> np.ndarray:
    if weights is None:
        return np.ones(n)
    w = _as_float(weights, "weights")
    if w.shape != (n,):
        raise ValueError(f"weights must have one value per customer ({n}), got shape {w.shape}")
    if np.any(w < 0):
        raise ValueError("weights must be non-negative")
    return w


def _check_rfm(frequency, recency, T):
    x = _as_float(frequency, "frequency")
    tx = _as_float(recency, "recency")
    age = _as_float(T, "T")
    x, tx, age = np.broadcast_arrays(x, tx, age)
    if np.any(x < 0) or np.any(tx < 0) or np.any(age < 0):
        raise ValueError("frequency, recency and T must be non-negative")
    if np.any(x != np.floor(x)):
        raise ValueError("frequency must be a whole number of repeat purchases")
    # Summary files round recency and T separately, so allow a rounding slack.
    slack = 1e-6 * np.maximum(1.0, age) + 1e-9
    if np.any(tx > age + slack):
        raise ValueError("recency cannot exceed T")
    return x, np.minimum(tx, age), age


def _minimize(
    objective, theta0: np.ndarray, data, model: str, names: Sequence[str], hint: str = "",
    hint_key: str = "",
):
    """Minimise a (value, gradient) objective on log-parameters with L-BFGS-B.

    Raises ConvergenceError (with ``hint`` appended; ``hint_key`` is its i18n key) when it
    fails or a parameter runs off to 0 or infinity.
    """
    bounds = [(-_LOG_PARAM_BOUND, _LOG_PARAM_BOUND)] * len(theta0)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        result = optimize.minimize(
            objective, theta0, args=(data,), jac=True, method="L-BFGS-B", bounds=bounds,
            options={"maxiter": 2000, "ftol": 1e-13, "gtol": 1e-9},
        )
    theta = result.x
    if not np.all(np.isfinite(theta)) or not np.isfinite(result.fun):
        raise ConvergenceError(f"{model} fit failed: the likelihood became non-finite", code="non_finite",
                               model=model)
    last = ", ".join(f"{n}={v:.3g}" for n, v in zip(names, np.exp(theta)))
    at_bound = [n for n, v in zip(names, theta) if abs(v) >= _LOG_PARAM_BOUND - 1e-6]
    if at_bound:
        raise ConvergenceError(
            f"{model} fit is degenerate: {', '.join(at_bound)} ran off to 0 or infinity "
            f"({last}); the data do not identify the model{hint}",
            code="degenerate", model=model, names=", ".join(at_bound), values=last, hint=hint_key,
        )
    if not result.success:
        # L-BFGS-B may stop on a line search at the optimum when the objective is flat to
        # machine precision; accept that only when the gradient is negligible.
        gradient = np.asarray(result.jac)
        if not np.max(np.abs(gradient)) < 1e-5:
            drifting = [n for n, v in zip(names, theta) if abs(v) > 10]
            message = str(result.message).strip() or "the line search failed"
            reason = (
                f"{', '.join(drifting)} drifting towards 0 or infinity, so the data do not "
                f"identify the model{hint}" if drifting else message
            )
            raise ConvergenceError(f"{model} fit did not converge ({last}): {reason}",
                                   code="drifting" if drifting else "no_converge", model=model,
                                   names=", ".join(drifting), values=last, message=message,
                                   hint=hint_key if drifting else "")
    return result
