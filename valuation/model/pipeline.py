"""From a stored dataset to scored customers: prepare once per dataset and as-of date, score per setting."""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from valuation.data.features import SELECTION_HOLDOUT_DAYS, Availability, compute_features
from valuation.data.store import Store
from valuation.i18n.text import t
from valuation.model import clv as clv_models
from valuation.model import lifecycle, scoring, tiers
from valuation.model.settings import ClvSettings, Settings, Tilt

MIN_REPEAT_BUYERS = 20  # fewer than this and the purchase model has too little to learn from

CUSTOM_EXCLUDED = {"acquisition_cost"}


@dataclass
class ClvFit:
    """How the future-contribution CLV was obtained for a dataset."""

    method: str  # "model" (purchase model + log-normal spend) or "formula"
    purchase_model: str | None = None  # "bgnbd" or "mbgnbd", chosen per dataset (``selection``)
    purchase: dict | None = None  # the purchase model's parameters, log-likelihood, penalizer
    spend: dict | None = None  # the spend model's parameters (mu, tau2, s2) and log-likelihood
    margin: float = 1.0  # the dataset's gross margin rate (each customer's own is used where known)
    reason: str = ""  # why the formula was used instead of the models, in English (the command line)
    costs: tuple[str, ...] = ()  # what CLV is net of besides cost of goods: "service", "bad_debt"
    selection: dict | None = None  # the held-out comparison that chose the purchase model, if it ran
    reason_code: str = ""  # the reason's text in the i18n table: clvfit.<reason_code>
    reason_params: dict = field(default_factory=dict)  # plain values that fill it ("hint": a key)

    def __deepcopy__(self, memo) -> "ClvFit":
        # Read-only once made, and carried in scored frames' attrs, which pandas deep-copies on
        # every operation (about 2 ms of each slider move on the sample went to copying it).
        return self

    def reason_text(self, lang: str = "en") -> str:
        """Why the formula was used, in ``lang``; the English ``reason`` when it has no code."""
        if not self.reason_code:
            return self.reason
        params = dict(self.reason_params)
        params["hint"] = t(params["hint"], lang) if params.get("hint") else ""
        return t(f"clvfit.{self.reason_code}", lang, **params)


@dataclass
class Prepared:
    """The expensive part, cached per dataset and as-of date: features, CLV and dimension scores.

    Moving a weight slider re-runs only :func:`score` on this: no SQL, no model fit.
    """

    features: pd.DataFrame
    scores: pd.DataFrame
    report: scoring.DimensionReport
    clv_fit: ClvFit
    as_of: dt.date
    availability: Availability
    custom_candidates: tuple[str, ...] = field(default=())
    # What score() derives from the fields above once, and per setting it has seen (bounded):
    # RFM, loss drivers, the tier ranker, value classes, lifecycle stages. Not an argument.
    # Kind (a key's first item: ``("kept", name, inputs)`` is of kind "kept") -> key -> value, least
    # recently used first: what goes when a kind is full is found without comparing every key
    # (settings dataclasses compare field by field).
    _memo: dict = field(default_factory=dict, init=False, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)

    def memo(self, key, compute, limit: int | None = None):
        """``compute()`` once per ``key``; with ``limit``, keep at most that many keys of its kind, the
        least recently used going first (a chart asked for on every rerun stays while the slider
        settings it has seen go: first in, first out rebuilt it every few moves).

        Every session on the server shares the memo, so its bookkeeping holds a lock (reordering an
        OrderedDict while another thread lists it raises "mutated during iteration": seen in a
        ten-session load test); ``compute`` runs outside the lock, so two sessions asking for a new
        key at the same moment may both compute it, and the last one's value is kept.
        """
        with self._lock:
            kind = self._memo.get(_kind(key))
            if kind is not None and key in kind:
                kind.move_to_end(key)
                return kind[key]
        value = compute()
        self.put(key, value, limit)
        return value

    def put(self, key, value, limit: int | None = None) -> None:
        """Keep ``value`` under ``key`` (see :meth:`memo`)."""
        with self._lock:
            kind = self._memo.setdefault(_kind(key), OrderedDict())
            kind[key] = value
            kind.move_to_end(key)
            while limit is not None and len(kind) > max(limit, 1):
                kind.popitem(last=False)

    def memo_keys(self) -> list:
        """Every key the memo holds, least recently used first within a kind (tests, debugging)."""
        with self._lock:
            return [key for kind in self._memo.values() for key in kind]


def _kind(key):
    """A memo key's kind: its first item (``("kept", name, inputs)`` is of kind "kept")."""
    return key[0] if isinstance(key, tuple) and key else key


def _dataset_margin(features: pd.DataFrame, availability: Availability) -> float:
    if not availability.cost:
        return 1.0
    revenue = features["revenue_12m"].clip(lower=0).sum()
    if revenue <= 0:
        return 1.0
    return float(np.clip(features["gross_profit_12m"].sum() / revenue, 0.0, 1.0))


def _rate(numerator: pd.Series, revenue: pd.Series, fallback: float, low: float, high: float) -> np.ndarray:
    """A customer's own rate of ``numerator`` to 12-month revenue, ``fallback`` without revenue."""
    with np.errstate(divide="ignore", invalid="ignore"):
        own = numerator.to_numpy(dtype=float) / revenue.to_numpy(dtype=float)
    return np.clip(np.where(revenue.to_numpy(dtype=float) > 0, own, fallback), low, high)


def _select_purchase_model(features: pd.DataFrame):
    """BG/NBD or MBG/NBD for this dataset, by the held-out comparison on the features' last 26 weeks
    (:func:`~valuation.model.clv.choose_purchase_model`); None when the features lack the
    calibration columns (a features file from before them) or the calibration period has fewer
    than ``MIN_REPEAT_BUYERS`` repeat buyers or no model fits."""
    if "frequency_cal" not in features.columns:
        return None
    x_cal = features["frequency_cal"].to_numpy(dtype=float)
    known = ~np.isnan(x_cal)
    if int((x_cal[known] > 0).sum()) < MIN_REPEAT_BUYERS:
        return None
    weeks = lambda column: features[column].to_numpy(dtype=float)[known] / 7.0  # noqa: E731
    try:
        return clv_models.choose_purchase_model(
            x_cal[known], weeks("recency_cal_days"), weeks("T_cal_days"),
            features["frequency_holdout"].to_numpy(dtype=float)[known], SELECTION_HOLDOUT_DAYS / 7.0)
    except clv_models.ConvergenceError:
        return None


def add_clv(features: pd.DataFrame, settings: ClvSettings = ClvSettings(),
            availability: Availability | None = None) -> tuple[pd.DataFrame, ClvFit]:
    """Add ``clv``, ``p_alive``, ``expected_purchases_12m`` and ``expected_order_value`` per customer.

    ``clv`` is the net present value of the profit a customer is expected to bring over the
    horizon (seed 000's actual value): the purchase model's discounted expected purchases
    (BG/NBD in weeks on purchase days) × the log-normal spend model's expected order value
    (the first purchase counts; see :class:`~valuation.model.clv.LogNormalSpendModel`) × the
    customer's own gross margin rate (the dataset's without 12-month revenue; 100% without cost
    data), less expected bad debt (the customer's own bad-debt rate on that revenue) and the
    cost to serve (this year's service cost per month × P(alive), discounted). With too few
    repeat buyers the models are not identified; then CLV falls back to the formula on the last
    12 months' net profit with the dataset's repeat rate as retention, and says so.
    """
    availability = availability or features.attrs.get("availability") or Availability()
    f = features.copy(deep=False)  # copy-on-write: the columns added below never reach the caller
    has = f["has_orders"].to_numpy(dtype=bool)
    revenue = f["revenue_12m"].clip(lower=0)
    margin_all = settings.margin if settings.margin is not None else _dataset_margin(f, availability)
    if availability.cost and settings.margin is None:
        margin = _rate(f["gross_profit_12m"], revenue, margin_all, -1.0, 1.0)
    else:
        margin = np.full(len(f), margin_all)
    costs = tuple(c for c, on in (("service", availability.service), ("bad_debt", availability.payments)) if on)
    bad_debt_rate = (_rate(f["bad_debt_12m"], revenue, 0.0, 0.0, 1.0) if availability.payments
                     else np.zeros(len(f)))
    service_per_month = f["service_cost_12m"].to_numpy(dtype=float) / 12.0 if availability.service else 0.0
    x = f["frequency"].to_numpy(dtype=float)
    t_x = f["recency_days"].to_numpy(dtype=float) / 7.0
    T = f["T_days"].to_numpy(dtype=float) / 7.0
    purchases = f["purchase_days"].fillna(0).to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        average = np.where(purchases > 0, f["purchase_amount"].fillna(0).to_numpy(dtype=float) / purchases, 0.0)
    monthly_rate = (1 + settings.annual_discount_rate) ** (1 / 12) - 1
    repeat_buyers = int(((x > 0) & has).sum())
    # The columns are filled as arrays and set once (setting rows of a column of a
    # 1.5-million-row frame by a mask cost as much as the CLV itself).
    clv = np.zeros(len(f))
    p_alive = np.full(len(f), np.nan)
    expected = np.zeros(len(f))
    order_value = np.full(len(f), np.nan)
    fit = None
    if repeat_buyers >= MIN_REPEAT_BUYERS:
        xh, txh, Th = x[has], t_x[has], T[has]
        selection = _select_purchase_model(f)
        name = selection.chosen if selection is not None else "bgnbd"
        try:
            try:
                bg = clv_models.fit_purchase_model(name, xh, txh, Th)
            except clv_models.ConvergenceError:
                if name == "bgnbd":
                    raise
                name, bg = "bgnbd", clv_models.fit_purchase_model("bgnbd", xh, txh, Th)
            spend_model = clv_models.LogNormalSpendModel().fit(purchases[has], average[has])
        except clv_models.ConvergenceError as exc:
            reason, code, params = str(exc), exc.code, dict(exc.params)
        else:
            spend = np.asarray(spend_model.expected_customer_spend(purchases[has], average[has]), dtype=float)
            discounted = clv_models.discounted_expected_purchases(
                bg, xh, txh, Th, horizon_months=settings.horizon_months, monthly_discount_rate=monthly_rate,
                time_unit="W")
            alive = np.asarray(bg.probability_alive(xh, txh, Th), dtype=float)
            revenue_pv = discounted * spend
            months = np.arange(1, int(settings.horizon_months) + 1)
            annuity = float(np.sum((1.0 + monthly_rate) ** -months))
            service = np.broadcast_to(service_per_month, x.shape)[has] * alive * annuity
            clv[has] = revenue_pv * (margin[has] - bad_debt_rate[has]) - service
            p_alive[has] = alive
            expected[has] = np.asarray(bg.conditional_expected_purchases(52.18, xh, txh, Th), dtype=float)
            order_value[has] = spend
            fit = ClvFit("model", name, {**bg.params_, "loglik": bg.loglik_, "penalizer": bg.penalizer_},
                         {**spend_model.params_, "loglik": spend_model.loglik_}, float(margin_all), costs=costs,
                         selection=selection.as_dict() if selection is not None else None)
    else:
        reason = f"only {repeat_buyers} repeat buyers (at least {MIN_REPEAT_BUYERS} needed for the models)"
        code, params = "few_repeat_buyers", {"n": repeat_buyers, "needed": MIN_REPEAT_BUYERS}
    if fit is None:
        # Formula CLV: this year's net profit, retained at the share of customers who bought again.
        retention = float((f.loc[has, "purchase_days"] > 1).mean()) if has.any() else 0.0
        years = max(1, int(round(settings.horizon_months / 12)))
        per_year = (f["gross_profit_12m"] - (f["service_cost_12m"] if availability.service else 0.0)
                    - (f["bad_debt_12m"] if availability.payments else 0.0)).to_numpy(dtype=float)
        clv = np.where(has, clv_models.formula_clv(per_year, retention, settings.annual_discount_rate,
                                                   years), 0.0)
        fit = ClvFit("formula", margin=float(margin_all), reason=reason, costs=costs, reason_code=code,
                     reason_params=params)
    f["clv"] = clv
    f["p_alive"] = p_alive
    f["expected_purchases_12m"] = expected
    f["expected_order_value"] = order_value
    f["actual_value"] = clv  # seed 000's actual value in money: the net CLV
    f["wallet_profit_pv"] = _wallet_profit(f, margin - bad_debt_rate, p_alive, settings)
    return f, fit


def _wallet_profit(f: pd.DataFrame, net_margin: np.ndarray, p_alive: np.ndarray,
                   settings: ClvSettings) -> np.ndarray:
    """Present value of the profit on a customer's whole untapped wallet over the CLV horizon.

    The untapped wallet (``wallet_headroom``: the yearly wallet estimate less the last 12 months'
    revenue) earns the customer's own margin net of bad debt (the dataset's without revenue;
    a loss-making margin wins nothing), month by month, discounted like the CLV and weighted by
    P(alive) where the purchase model gives one. Strategic value is the achievable share of it
    (:func:`valuation.model.tiers.strategic_value`); NaN without a wallet estimate.
    """
    if "wallet_headroom" not in f:
        return np.full(len(f), np.nan)
    monthly_rate = (1 + settings.annual_discount_rate) ** (1 / 12) - 1
    months = np.arange(1, int(settings.horizon_months) + 1)
    annuity = float(np.sum((1.0 + monthly_rate) ** -months))
    headroom = f["wallet_headroom"].to_numpy(dtype=float, na_value=np.nan)
    alive = np.where(np.isnan(p_alive), 1.0, p_alive)
    return headroom / 12.0 * annuity * np.clip(net_margin, 0.0, 1.0) * alive


def custom_candidates(features: pd.DataFrame) -> tuple[str, ...]:
    """Numeric customer columns a manager may add as a custom dimension."""
    cols = ("satisfaction", "referrals", "importance", "wallet_estimate") + tuple(
        features.attrs.get("extra_metrics", ()))
    return tuple(c for c in cols if c in features and features[c].notna().any())


def prepare(store: Store, dataset: str, as_of: dt.date | str | None = None,
            clv_settings: ClvSettings = ClvSettings(), custom_columns: tuple[str, ...] = ()) -> Prepared:
    """Features, CLV and dimension scores for a dataset as of a date (the cacheable step)."""
    features = add_customer_metrics(compute_features(store, dataset, as_of), store.customer_metrics(dataset))
    return prepare_features(features, clv_settings, custom_columns)


def add_customer_metrics(features: pd.DataFrame, metrics: pd.DataFrame) -> pd.DataFrame:
    """Join the extra numeric customer columns (long form) as columns named by their header."""
    if metrics is None or metrics.empty:
        return features
    wide = metrics.pivot_table(index="customer_id", columns="metric", values="value", aggfunc="last")
    wide = wide[[c for c in wide.columns if c not in features.columns]]
    out = features.merge(wide, left_on="customer_id", right_index=True, how="left")
    out.attrs.update(features.attrs)
    out.attrs["extra_metrics"] = tuple(wide.columns)
    return out


def prepare_features(features: pd.DataFrame, clv_settings: ClvSettings = ClvSettings(),
                     custom_columns: tuple[str, ...] = ()) -> Prepared:
    """:func:`prepare` for features that are already computed (by any engine)."""
    availability = features.attrs.get("availability") or Availability()
    as_of = features.attrs.get("as_of")
    with_clv, fit = add_clv(features, clv_settings, availability)
    with_clv.attrs.update(features.attrs)
    scores, report = scoring.dimension_scores(with_clv, availability, custom_columns)
    return Prepared(with_clv, scores, report, fit, as_of, availability, custom_candidates(with_clv))


SCORE_COLUMNS = ("composite", "tier", "strategic_value", "value_class", "r_score",
                 "f_score", "m_score", "rfm_segment", "rfm_class", "lifecycle_stage", "silent_beyond_usual",
                 "grade_profit", "grade_potential", "grade_loyalty",
                 "cost_to_serve", "thin_margin", "unpaid_invoices", "main_loss_driver")


def _with_custom_scores(prepared: Prepared, settings: Settings) -> pd.DataFrame:
    """The prepared dimension scores, plus custom ones the settings weigh but prepare did not score."""
    scores = prepared.scores
    if any(c.startswith("custom:") for c in settings.weights.as_dict()) and settings.weights.custom:
        wanted = tuple(c for c, _ in settings.weights.custom)
        missing = [c for c in wanted if f"custom:{c}" not in scores]
        if missing:
            extra, _ = scoring.dimension_scores(prepared.features, prepared.availability, tuple(missing))
            scores = scores.join(extra[[c for c in extra.columns if c.startswith("custom:")]])
    return scores


def _static(prepared: Prepared) -> dict:
    """What scoring derives from the prepared data whatever the settings (computed once)."""
    def build():
        f = prepared.features
        has = f["has_orders"].astype(bool)
        rfm = tiers.rfm_scores(f["days_since_last_order"], f["purchase_days"], f["revenue_total"], has)
        rfm["rfm_segment"] = tiers.rfm_segment(rfm["r_score"], rfm["f_score"], rfm["m_score"])
        rfm["rfm_class"] = tiers.rfm_class(f["days_since_last_order"], f["purchase_days"], f["revenue_total"], has)
        return {
            "has": has,
            "ranker": tiers.TierRanker(f["net_profit_12m"], has, f["customer_id"], index=f.index),
            "rfm": rfm,
            "loss": scoring.loss_drivers(f),
        }
    return prepared.memo(("static",), build)


def derived(prepared: Prepared) -> tuple[pd.DataFrame, dict]:
    """What :func:`score` derives from ``prepared`` whatever the weights, as columns to keep with it:
    RFM, loss drivers and the ranker's id order (once per dataset), value classes and lifecycle
    stages under the default rules; with the rules they were made under (:func:`restore_derived`).

    About 1.2 s at a million customers, which a prepared file read back after a restart would
    otherwise spend again on its first score. Empty when the features take the plain way.
    """
    if _plain_way(prepared.features, prepared.scores):
        return pd.DataFrame(index=prepared.features.index), {}
    default = Settings()
    static = _static(prepared)
    classes = _value_classes(prepared, default.classes)
    stage = _stages(prepared, default.lifecycle)
    parts = {
        "rfm": static["rfm"], "loss": static["loss"], "lifecycle": stage,
        "ranker": pd.DataFrame({"id_order": static["ranker"].id_order()}, index=prepared.features.index),
        "classes": pd.DataFrame({"strategic_value": classes[0], "value_class": classes[1]}, copy=False),
    }
    frame = pd.concat([part.add_prefix(f"{name}:") for name, part in parts.items()], axis=1)
    return frame, {"classes": repr(default.classes), "lifecycle": repr(default.lifecycle)}


def restore_derived(prepared: Prepared, frame: pd.DataFrame, rules: dict) -> None:
    """Put :func:`derived`'s columns back into ``prepared``'s memo (the rules' parts only when
    today's default rules are the ones they were made under)."""
    if not rules or frame.empty:
        return
    f = prepared.features

    def part(name: str) -> pd.DataFrame:
        cols = [c for c in frame.columns if c.startswith(f"{name}:")]
        return frame[cols].set_axis([c.split(":", 1)[1] for c in cols], axis=1).set_axis(f.index)

    has = f["has_orders"].astype(bool)
    ranker = tiers.TierRanker.from_id_order(f["net_profit_12m"], has, part("ranker")["id_order"].to_numpy(),
                                            index=f.index)
    prepared.put(("static",), {"has": has, "ranker": ranker, "rfm": part("rfm"), "loss": part("loss")})
    default = Settings()
    if rules.get("classes") == repr(default.classes):
        classes = part("classes")
        prepared.put((_CLASSES, default.classes), (classes["strategic_value"], classes["value_class"]))
    if rules.get("lifecycle") == repr(default.lifecycle):
        prepared.put((_LIFECYCLE, default.lifecycle), part("lifecycle"))


def _composite(prepared: Prepared, scores: pd.DataFrame, weights, tilt: Tilt = Tilt()) -> pd.Series:
    """:func:`scoring.composite` plus the strategic tilt's points, kept per setting: the scored
    frame, the tier codes and the evidence beside the sliders all ask for it on a slider move."""
    if scores is not prepared.scores:  # custom scores added for these settings: not kept
        return _composite_now(prepared, scores, weights, tilt)
    return prepared.memo(("composite", weights, tilt), lambda: _composite_now(prepared, scores, weights, tilt),
                         limit=32)


def composite(prepared: Prepared, settings: Settings = Settings()) -> np.ndarray:
    """The composite score (0-100, the tilt included) per prepared customer under ``settings``."""
    return _composite(prepared, _with_custom_scores(prepared, settings), settings.weights, settings.tilt).to_numpy()


def _composite_now(prepared: Prepared, scores: pd.DataFrame, weights, tilt: Tilt) -> pd.Series:
    """:func:`_composite` computed, with the score matrix of the weighted dimensions and the
    tilt's points kept."""
    eff = scoring.effective_weights(weights, tuple(scores.columns))
    if not eff:
        values = np.zeros(len(scores))
    else:
        cols = list(eff)
        if scores is prepared.scores:
            # column-major: weighted_sum reads it a column at a time
            matrix = prepared.memo(("matrix", tuple(cols)), lambda: np.asfortranarray(scores[cols].to_numpy()),
                                   limit=8)
        else:
            matrix = scores[cols].to_numpy()
        values = scoring.weighted_sum(matrix, [eff[c] for c in cols])
    if tilt.rules:
        values = scoring.tilted(values, tilt_points(prepared, tilt))
    return pd.Series(values, index=scores.index, name="composite")


def tilt_points(prepared: Prepared, tilt: Tilt) -> np.ndarray:
    """:func:`scoring.tilt_points` on the prepared customers, kept per tilt."""
    return prepared.memo(("tilt", tilt), lambda: scoring.tilt_points(prepared.features, tilt), limit=8)


def tilt_options(prepared: Prepared) -> dict[str, list[str]]:
    """:func:`scoring.tilt_options` of the prepared customers, computed once."""
    return prepared.memo(("tilt_options",), lambda: scoring.tilt_options(prepared.features))


def tier_codes(prepared: Prepared, settings: Settings = Settings()) -> np.ndarray:
    """Tier per customer as codes into ``tiers.TIERS`` (what :func:`score` labels), kept per setting.

    Chart data for a slider move (tier counts, the migration against a baseline) come from
    these codes in microseconds instead of grouping a million labels again.
    """
    scores = _with_custom_scores(prepared, settings)

    def compute():
        composite = _composite(prepared, scores, settings.weights, settings.tilt)
        return _static(prepared)["ranker"].codes(composite.to_numpy(), settings.tiers)
    key = ("tiers", settings.weights, settings.tilt, settings.tiers, tuple(scores.columns))
    return prepared.memo(key, compute, limit=32)


_CLASSES, _LIFECYCLE = "classes", "lifecycle"  # memo kinds, per rule set


def _value_classes(prepared: Prepared, rules) -> tuple[pd.Series, pd.Series]:
    """:func:`_classes` of the prepared customers, kept per rule set."""
    return prepared.memo((_CLASSES, rules), lambda: _classes(prepared.features, prepared.scores,
                                                             _static(prepared)["has"], rules), limit=8)


def _stages(prepared: Prepared, rules) -> pd.DataFrame:
    """Lifecycle stage, silent-beyond-usual and the three grades per customer, kept per rule set."""
    def build():
        f = prepared.features
        frame = pd.DataFrame({"lifecycle_stage": lifecycle.lifecycle_stage(f, rules),
                              "silent_beyond_usual": lifecycle.silent_beyond_usual(f, rules)}, copy=False)
        return pd.concat([frame, tiers.grades(prepared.scores, _static(prepared)["has"], f["net_profit_12m"],
                                              frame["lifecycle_stage"])], axis=1)
    return prepared.memo((_LIFECYCLE, rules), build, limit=8)


def _classes(f: pd.DataFrame, scores: pd.DataFrame, has: pd.Series, rules) -> tuple[pd.Series, pd.Series]:
    """Strategic value (¥) and value class per customer under ``rules`` (money, seed 000)."""
    wallet_profit = f["wallet_profit_pv"] if "wallet_profit_pv" in f else pd.Series(np.nan, index=f.index)
    strategic = tiers.strategic_value(wallet_profit, rules)
    actual = f["actual_value"] if "actual_value" in f else f["clv"]
    growth = scores["growth"] if "growth" in scores else None
    return strategic, tiers.assign_value_class(actual, strategic, f["net_profit_12m"], has, rules, growth)


def _score_names(scores: pd.DataFrame) -> list[str]:
    return [f"score_{dim}" if dim.startswith("custom:") else dim for dim in scores.columns]


def _plain_way(f: pd.DataFrame, scores: pd.DataFrame) -> bool:
    """Features whose columns :func:`score` cannot assemble the fast way (names that clash, twice
    the same, another index): :func:`_score_by_columns` scores them on a copy."""
    names = _score_names(scores)
    return bool((set(names) | set(SCORE_COLUMNS)) & set(f.columns)) or f.columns.has_duplicates \
        or len(set(names)) != len(names) or not scores.index.equals(f.index)


def score(prepared: Prepared, settings: Settings = Settings()) -> pd.DataFrame:
    """Composite, tier, value class, RFM segment and lifecycle stage for every customer.

    Cheap: runs on the cached :class:`Prepared` only (vectorised, no SQL, no fit). What
    does not depend on the settings (RFM, loss drivers, the id order that breaks ties) is
    derived once per prepared dataset; value classes and lifecycle stages once per rule
    set; a weight change costs one matrix product, a linear-time tier cut and assembling
    the frame from columns already computed (no copy of the features).
    """
    f = prepared.features
    scores = _with_custom_scores(prepared, settings)
    names = _score_names(scores)
    if _plain_way(f, scores):
        return _score_by_columns(prepared, scores, settings)  # unusual columns: the plain way
    static = _static(prepared)
    composite = _composite(prepared, scores, settings.weights, settings.tilt)
    codes = prepared.memo(("tiers", settings.weights, settings.tilt, settings.tiers, tuple(scores.columns)),
                          lambda: static["ranker"].codes(composite.to_numpy(), settings.tiers), limit=32)
    strategic, value_class = _value_classes(prepared, settings.classes)  # growth is never a custom score
    stage = _stages(prepared, settings.lifecycle)
    dims = scores.set_axis(names, axis=1)
    middle = pd.DataFrame({"composite": composite, "tier": static["ranker"].labels(codes),
                           "strategic_value": strategic, "value_class": value_class},
                          copy=False)
    out = pd.concat([f, dims, middle, static["rfm"], stage, static["loss"]], axis=1)
    out.attrs = {**f.attrs, "dimensions": prepared.report, "clv_fit": prepared.clv_fit}
    return out


def _score_by_columns(prepared: Prepared, scores: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """:func:`score` step by step on a copy of the features (any column names; slower)."""
    f = prepared.features
    has = f["has_orders"].astype(bool)
    out = f.copy()
    for dim in scores.columns:
        out[f"score_{dim}" if dim.startswith("custom:") else dim] = scores[dim]
    out["composite"] = scoring.composite(scores, settings.weights)
    if settings.tilt.rules:
        out["composite"] = scoring.tilted(out["composite"].to_numpy(), scoring.tilt_points(f, settings.tilt))
    out["tier"] = tiers.assign_tiers(out["composite"], out["net_profit_12m"], has, settings.tiers,
                                     out["customer_id"])
    out["strategic_value"], out["value_class"] = _classes(out, scores, has, settings.classes)
    rfm = tiers.rfm_scores(out["days_since_last_order"], out["purchase_days"], out["revenue_total"], has)
    out = pd.concat([out, rfm], axis=1)
    out["rfm_segment"] = tiers.rfm_segment(rfm["r_score"], rfm["f_score"], rfm["m_score"])
    out["rfm_class"] = tiers.rfm_class(out["days_since_last_order"], out["purchase_days"], out["revenue_total"], has)
    out["lifecycle_stage"] = lifecycle.lifecycle_stage(out, settings.lifecycle)
    out["silent_beyond_usual"] = lifecycle.silent_beyond_usual(out, settings.lifecycle)
    out = pd.concat([out, tiers.grades(scores, has, out["net_profit_12m"], out["lifecycle_stage"])], axis=1)
    out = pd.concat([out, scoring.loss_drivers(out)], axis=1)
    out.attrs.update(f.attrs)
    out.attrs["dimensions"] = prepared.report
    out.attrs["clv_fit"] = prepared.clv_fit
    return out


def run(store: Store, dataset: str, as_of=None, settings: Settings = Settings()) -> pd.DataFrame:
    """Prepare and score in one call (command line, scheduled jobs, tests)."""
    custom = tuple(c for c, _ in settings.weights.custom)
    return score(prepare_dataset(store, dataset, as_of, settings.clv, custom), settings)


def prepare_dataset(store: Store, dataset: str, as_of: dt.date | str | None = None,
                    clv_settings: ClvSettings = ClvSettings(),
                    custom_columns: tuple[str, ...] = ()) -> Prepared:
    """:func:`prepare` for any kind of dataset: imported or Parquet views run the feature SQL;
    a features dataset (computed on Spark or elsewhere, valuation/sources.py) is scored as stored."""
    from valuation.data import sources

    if sources.dataset_kind(store, dataset) == sources.KIND_FEATURES:
        features = add_customer_metrics(sources.load_features(store, dataset, as_of),
                                         store.customer_metrics(dataset))
        return prepare_features(features, clv_settings, custom_columns)
    return prepare(store, dataset, as_of, clv_settings, custom_columns)


OUTPUT_COLUMNS = (
    "customer_id", "name", "region", "industry", "current", "future", "credit", "loyalty", "growth",
    "influence", "composite", "tier", "value_class", "grade_profit", "grade_potential", "grade_loyalty", "rfm_class",
    "rfm_segment", "lifecycle_stage", "clv", "p_alive",
    "revenue_total", "revenue_12m", "gross_profit_12m", "service_cost_12m", "bad_debt_12m",
    "net_profit_12m", "orders", "purchase_days", "days_since_last_order", "tenure_days",
    "avg_order_value", "mean_gap_days", "revenue_trend", "categories_bought", "category_coverage",
    "share_of_wallet", "wallet_headroom", "on_time_payment_ratio", "avg_days_to_pay", "overdue_amount",
    "complaints_12m", "avg_service_satisfaction", "pipeline_stage", "silent_beyond_usual",
    "main_loss_driver", "r_score", "f_score", "m_score", "actual_value", "strategic_value",
)


def output_frame(scored: pd.DataFrame) -> pd.DataFrame:
    """The columns of an export, in a stable order (custom dimension scores appended)."""
    cols = [c for c in OUTPUT_COLUMNS if c in scored] + [c for c in scored if c.startswith("score_custom:")]
    return scored[cols]


def summary(scored: pd.DataFrame) -> dict:
    """JSON-able counts per classification and each tier's share of revenue and profit.

    ``customers`` counts everyone scored, prospects (no orders yet) included, as the tier counts
    do; ``buyers`` and ``prospects`` split them."""
    conc = tiers.concentration(scored)
    report = scored.attrs.get("dimensions")
    fit = scored.attrs.get("clv_fit")
    buyers = int(scored["has_orders"].astype(bool).sum()) if "has_orders" in scored else int(len(scored))
    return {
        "customers": int(len(scored)),
        "buyers": buyers,
        "prospects": int(len(scored)) - buyers,
        "as_of": str(scored.attrs.get("as_of")),
        "tier": {k: int(v) for k, v in scored["tier"].value_counts().items()},
        "value_class": {k: int(v) for k, v in scored["value_class"].value_counts().items()},
        "rfm_segment": {k: int(v) for k, v in scored["rfm_segment"].value_counts().items()},
        "rfm_class": {k: int(v) for k, v in scored["rfm_class"].value_counts().items()},
        "lifecycle_stage": {k: int(v) for k, v in scored["lifecycle_stage"].value_counts().items()},
        "tier_share": {row.tier: {"customers": float(row.customer_share), "revenue": float(row.revenue_share),
                                  "profit": float(row.profit_share)} for row in conc.itertuples()},
        "whale": tiers.whale_reading(scored.loc[scored["has_orders"], "net_profit_12m"]),
        "dimensions": {"available": list(report.available), "missing": list(report.missing)} if report else {},
        "clv_method": fit.method if fit else None,
    }
