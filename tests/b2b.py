"""B2B customer histories from a known buying process, to hold the engine's predictions to the future.

Test code, not engine code. ``b2b_history(n)`` draws ``n`` accounts from the process below and
returns the canonical tables for the whole period ``start .. end`` together with the truth per
account: the parameters each account was drawn with and what it actually did after ``split``.
A test scores ``cut(history.tables, history.split)`` as of ``split`` and compares the
predictions (CLV, tiers, ...) with ``history.truth`` (what happened in ``(split, end]``)::

    h = b2b_history(3000, seed=1)
    store = Store(":memory:")
    store.replace_dataset("b2b", cut(h.tables, h.split), source="b2b")
    scored = pipeline.run(store, "b2b", as_of=h.split)
    joined = scored.merge(h.truth, on="customer_id")

Deterministic per seed; numpy only, vectorised (3,000 accounts in a few tens of milliseconds,
100,000 in a few seconds); no network, no files.

The process (every parameter is a keyword argument of ``b2b_history``; defaults in brackets)
--------------------------------------------------------------------------------------------
Time is in days; an account's history is a continuous-time process whose events are dated by the
day they fall in. ``start <= order_date <= end``; ``split`` is the scoring date.

Acquisition
    Each account's first order is its acquisition. A share ``late_share`` [0.10] of accounts is
    acquired uniformly in ``(split, end]`` (they do not exist at the split), the others uniformly
    in ``[start, split)``. ``created_at`` is 0-30 days before the first order (so a few accounts
    are prospects without orders at the split).
One and done
    A share ``one_and_done`` [0.33] buys once (the first order) and never again.
Repeat purchases: Pareto/NBD (exponential lifetime, *not* BG/NBD's dropout after a purchase)
    The other accounts order as a Poisson process while alive, at an account-level rate
    ``purchase_rate`` ~ Gamma(shape ``rate_shape`` [0.8]) scaled so that its median is
    ``rate_median`` [6.0] orders a year (mean ~9.4, 10th percentile ~0.6, 90th ~23, 99th ~50: a
    heavy right tail). An account is alive from its first order for an exponential lifetime
    whose hazard ``churn_rate`` (per year) ~ Gamma(shape ``churn_shape`` [2.0], mean
    ``churn_mean`` [0.25]), independent of the purchase rate:
    ``(1 + t * churn_mean / churn_shape) ** -churn_shape`` of repeat accounts are alive ``t``
    years after acquisition (79% after one year, 64% after two). Dropout happens in calendar
    time, not at a purchase. So the right model is a Pareto/NBD with a one-and-done spike; the
    engine's BG/NBD (dropout only at a repeat purchase, one-time buyers always alive) is
    misspecified here, as it would be on real B2B data.
Order values
    Account mean ``mean_spend`` ~ LogNormal(log ``spend_median`` [20,000], ``spend_sigma``
    [1.4]); each order ~ LogNormal with mean ``mean_spend`` and log-sd ``order_sigma`` [0.5]
    (``mean_spend * exp(order_sigma * Z - order_sigma**2 / 2)``). The first order is drawn like
    every other (no small trial order). With ``spend_sigma = 1.4`` the 90th/10th percentile ratio
    of account means is ~36 and the 99th/1st ~680; at 1.2 that ratio would be ~22, too small for
    "ratio of realised average order values >= 30".
Margin
    ``margin_rate`` per account = ``lo + (hi - lo) * Beta`` on ``margin_range`` [(-0.4, 0.8)]
    with mean ``margin_mean`` [0.25] and sd ``margin_sd`` [0.15]: ~5% of accounts sell at a
    loss. Each order's rate is the account's plus Normal(0, ``order_margin_sd`` [0.05]);
    ``cost = amount * (1 - rate)``.
Returns
    Each order is returned in part (10-100% of its amount and cost, as a row with negative
    ``amount`` and ``cost``) with probability ``return_rate`` [0.03], 7-60 days later.
Cost to serve (service table: ``visit``, ``ticket``, ``complaint``, ``training``)
    An onboarding ``visit`` within 14 days of acquisition, then events as a Poisson process while
    alive at an account rate ~ Gamma(shape 2, mean ``service_rate`` [3.0] a year). Kinds with
    probabilities 0.30/0.45/0.15/0.10 and base costs 500/150/300/800, each cost times
    ``service_cost_scale`` [1.0] * (mean_spend / spend_median) ** ``service_size_power`` [0.7] *
    LogNormal (mean 1, log-sd 0.4): small accounts cost more to serve per yuan of spend. About 2%
    of all gross profit goes to service, but it turns ~4% of accounts (small ones) net-negative;
    with the loss-makers and bad debt ~11% of accounts have a negative net profit over the whole
    period (gross profit - service cost - never-paid invoices).
Payments (one invoice per order, invoiced on the order date)
    Terms of 60, 90 or 120 days (probabilities 0.40/0.35/0.25) per account. Payment is late by
    an account mean of ``late_days_small`` [5] rising linearly with the account's spend rank to
    ``late_days_large`` [60] days (large accounts pay systematically late), plus Normal(0, 10)
    per account and Normal(0, ``late_sd`` [20]) per invoice, never before the invoice date.
    Never paid (bad debt): each invoice with probability ``unpaid_rate`` [0.005]; a share
    ``bad_payer_share`` [0.03] of accounts leaves each invoice unpaid with probability
    ``bad_payer_unpaid`` [0.3] (~1.2% of invoices, ~1.3% of revenue in all). In ``tables``
    ``paid_date`` is the eventual payment date (it may fall after ``end``); empty means never
    paid. ``cut`` empties it where it is after the cut.
Customers
    ``region`` and ``industry`` drawn independently of behaviour; ``wallet_estimate`` = the
    account's potential yearly spend (``purchase_rate * mean_spend``, the rate drawn before the
    one-and-done flag) divided by a share of wallet ~ Beta(2, 3), rounded to 1,000.

Truth (one row per account, ``history.truth``)
----------------------------------------------
``customer_id``; ``alive_at_split`` (acquired before ``split``, not one-and-done and its
lifetime not over at ``split``); ``purchase_rate`` (orders a year while alive; 0 for
one-and-done); ``mean_spend`` (expected value of a purchase, before returns); ``margin_rate``;
``realised_orders_next`` (orders with a positive amount dated in ``(split, end]``),
``realised_revenue_next`` (sum of amounts there, returns included), ``realised_gross_profit_next``
(amount - cost there), ``realised_service_cost_next`` (service cost dated there),
``realised_bad_debt_next`` (invoices dated there that are never paid), and
``realised_net_profit_next`` = gross profit - service cost - bad debt. Also ``acquired_at``,
``one_time``, ``churn_rate`` (per year; NaN for one-and-done) and ``dropout_at`` (the date the
lifetime ends, possibly after ``end``; the first order's date for one-and-done).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy import special

YEAR_DAYS = 365.25
REGIONS = ("华东", "华南", "华北", "华中", "西南", "西北", "东北")
REGION_WEIGHTS = (0.34, 0.20, 0.17, 0.11, 0.09, 0.05, 0.04)
INDUSTRIES = ("制造业", "零售", "互联网", "医疗", "教育", "金融", "物流", "能源")
INDUSTRY_WEIGHTS = (0.25, 0.15, 0.14, 0.10, 0.08, 0.10, 0.10, 0.08)
CATEGORIES = ("原材料", "零部件", "设备", "耗材", "技术服务")
PRIMARY_CATEGORY_SHARE = 0.7  # an order is in the account's main category, else any category
SERVICE_KINDS = ("visit", "ticket", "complaint", "training")
SERVICE_KIND_P = (0.30, 0.45, 0.15, 0.10)
SERVICE_BASE_COST = (500.0, 150.0, 300.0, 800.0)
TERMS_DAYS = (60, 90, 120)
TERMS_P = (0.40, 0.35, 0.25)


@dataclass(frozen=True)
class Process:
    """The buying process's parameters (see the module docstring for what each one does)."""

    late_share: float = 0.10
    one_and_done: float = 0.33
    rate_median: float = 6.0
    rate_shape: float = 0.8
    churn_mean: float = 0.25
    churn_shape: float = 2.0
    spend_median: float = 20_000.0
    spend_sigma: float = 1.4
    order_sigma: float = 0.5
    margin_mean: float = 0.25
    margin_sd: float = 0.15
    margin_range: tuple[float, float] = (-0.4, 0.8)
    order_margin_sd: float = 0.05
    return_rate: float = 0.03
    service_rate: float = 3.0
    service_cost_scale: float = 1.0
    service_size_power: float = 0.7
    late_days_small: float = 5.0
    late_days_large: float = 60.0
    late_sd: float = 20.0
    unpaid_rate: float = 0.005
    bad_payer_share: float = 0.03
    bad_payer_unpaid: float = 0.3

    def rate_scale(self) -> float:
        """Gamma scale that puts the median purchase rate at ``rate_median``."""
        return self.rate_median / float(special.gammaincinv(self.rate_shape, 0.5))

    def margin_beta(self) -> tuple[float, float, float, float]:
        """(a, b, lo, hi): ``margin_rate = lo + (hi - lo) * Beta(a, b)``."""
        lo, hi = self.margin_range
        width = hi - lo
        m = (self.margin_mean - lo) / width
        v = (self.margin_sd / width) ** 2
        k = m * (1 - m) / v - 1
        if not (0 < m < 1 and k > 0):
            raise ValueError("margin_mean/margin_sd do not fit a Beta on margin_range")
        return m * k, (1 - m) * k, lo, hi


@dataclass(frozen=True)
class B2BHistory:
    """Canonical tables for start..end, the scoring date, and what each account really was and did."""

    tables: dict[str, pd.DataFrame]
    split: pd.Timestamp
    truth: pd.DataFrame
    start: pd.Timestamp
    end: pd.Timestamp
    process: Process


def _dates(origin: np.datetime64, days: np.ndarray) -> np.ndarray:
    return origin + days.astype("timedelta64[D]")


def _text(words, codes: np.ndarray) -> pd.Series:
    """``words[codes]`` as a text column (through Arrow: building it from Python objects took seconds)."""
    return pa.array(words, pa.string()).take(pa.array(codes)).to_pandas()


def _numbered(prefix: str, numbers: np.ndarray, width: int = 8) -> pa.Array:
    """``prefix`` followed by each number zero-padded to ``width`` digits."""
    digits = pc.utf8_lpad(pc.cast(pa.array(numbers), pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, digits, "")


def _events(rng: np.random.Generator, rate_per_year: np.ndarray, begin: np.ndarray,
            stop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Poisson events per account on [begin, stop) (float days): (account index, time), vectorised."""
    length = np.clip(stop - begin, 0.0, None)
    counts = rng.poisson(rate_per_year * length / YEAR_DAYS)
    who = np.repeat(np.arange(len(begin)), counts)
    when = begin[who] + rng.random(len(who)) * length[who]
    return who, when


def b2b_history(n_customers: int = 3000, *, seed: int = 0, start="2023-01-01", split="2025-01-01",
                end="2026-01-01", **process) -> B2BHistory:
    """Draw ``n_customers`` accounts from the B2B process (module docstring) and their truth."""
    p = Process(**process)
    rng = np.random.default_rng(seed)
    n = int(n_customers)
    origin = np.datetime64(pd.Timestamp(start).date(), "D")
    S = int((np.datetime64(pd.Timestamp(split).date(), "D") - origin).astype(int))
    E = int((np.datetime64(pd.Timestamp(end).date(), "D") - origin).astype(int))
    if not 0 < S < E:
        raise ValueError("need start < split < end")
    ids = _numbered("C", np.arange(n), 6)

    # --- accounts --------------------------------------------------------------------------
    late = rng.random(n) < p.late_share
    acq = np.where(late, rng.integers(S + 1, E + 1, n), rng.integers(0, S, n))
    one = rng.random(n) < p.one_and_done
    potential_rate = rng.gamma(p.rate_shape, p.rate_scale(), n)
    rate = np.where(one, 0.0, potential_rate)
    churn = rng.gamma(p.churn_shape, p.churn_mean / p.churn_shape, n)
    lifetime = rng.exponential(1.0, n) / churn * YEAR_DAYS  # days
    dropout = np.where(one, acq.astype(float), acq + lifetime)
    alive_end = np.minimum(dropout, E + 1.0)  # events on [acq, alive_end) fall on days <= E
    mean_spend = p.spend_median * np.exp(p.spend_sigma * rng.standard_normal(n))
    a, b, lo, hi = p.margin_beta()
    margin = lo + (hi - lo) * rng.beta(a, b, n)
    primary = rng.integers(0, len(CATEGORIES), n)

    # --- orders: the first at acquisition, then Poisson while alive ----------------------------
    rep_who, rep_when = _events(rng, rate, acq.astype(float), alive_end)
    who = np.concatenate([np.arange(n), rep_who])
    day = np.concatenate([acq, np.floor(rep_when).astype(np.int64)])
    m = len(who)
    sig = p.order_sigma
    amount = np.round(mean_spend[who] * np.exp(sig * rng.standard_normal(m) - sig * sig / 2), 2)
    rate_o = margin[who] + p.order_margin_sd * rng.standard_normal(m)
    cost = np.round(amount * (1 - rate_o), 2)
    category = np.where(rng.random(m) < PRIMARY_CATEGORY_SHARE, primary[who],
                        rng.integers(0, len(CATEGORIES), m))
    order_no = np.arange(m)

    # returns: part of an order, later, as negative rows
    ret = np.flatnonzero(rng.random(m) < p.return_rate)
    frac = rng.uniform(0.1, 1.0, len(ret))
    ret_day = day[ret] + rng.integers(7, 61, len(ret))
    keep = ret_day <= E
    ret, frac, ret_day = ret[keep], frac[keep], ret_day[keep]

    o_who = np.concatenate([who, who[ret]])
    o_day = np.concatenate([day, ret_day])
    o_amount = np.concatenate([amount, -np.round(amount[ret] * frac, 2)])
    o_cost = np.concatenate([cost, -np.round(cost[ret] * frac, 2)])
    o_cat = np.concatenate([category, category[ret]])
    o_id = pa.concat_arrays([_numbered("O", order_no), _numbered("R", ret)])
    order_sort = np.lexsort((o_who, o_day))
    o_who, o_day, o_amount, o_cost, o_cat = (x[order_sort] for x in
                                             (o_who, o_day, o_amount, o_cost, o_cat))
    orders = pd.DataFrame({
        "order_id": _text(o_id, order_sort),
        "customer_id": _text(ids, o_who),
        "order_date": _dates(origin, o_day),
        "amount": o_amount,
        "cost": o_cost,
        "category": _text(CATEGORIES, o_cat),
    })

    # --- payments: one invoice per purchase -----------------------------------------------------
    terms = np.array(TERMS_DAYS)[rng.choice(len(TERMS_DAYS), n, p=TERMS_P)]
    size_rank = np.empty(n)
    size_rank[np.argsort(mean_spend, kind="stable")] = np.arange(n) / max(n - 1, 1)
    late_mean = (p.late_days_small + (p.late_days_large - p.late_days_small) * size_rank
                 + 10.0 * rng.standard_normal(n))
    bad_payer = rng.random(n) < p.bad_payer_share
    p_unpaid = np.where(bad_payer, p.bad_payer_unpaid, p.unpaid_rate)
    due = day + terms[who]
    delay = np.round(late_mean[who] + p.late_sd * rng.standard_normal(m)).astype(np.int64)
    paid = np.maximum(due + delay, day)
    unpaid = rng.random(m) < p_unpaid[who]
    paid_dates = _dates(origin, paid)
    paid_dates[unpaid] = np.datetime64("NaT")
    pay_sort = np.lexsort((who, day))
    payments = pd.DataFrame({
        "invoice_id": _text(_numbered("INV", order_no), pay_sort),
        "customer_id": _text(ids, who[pay_sort]),
        "invoice_date": _dates(origin, day[pay_sort]),
        "amount": amount[pay_sort],
        "due_date": _dates(origin, due[pay_sort]),
        "paid_date": paid_dates[pay_sort],
    })

    # --- service: onboarding visit, then events while alive --------------------------------------
    svc_rate = rng.gamma(2.0, p.service_rate / 2.0, n)
    ev_who, ev_when = _events(rng, svc_rate, acq.astype(float), alive_end)
    s_who = np.concatenate([np.arange(n), ev_who])
    s_day = np.concatenate([acq + rng.integers(0, 15, n), np.floor(ev_when).astype(np.int64)])
    k = len(s_who)
    kind = np.concatenate([np.zeros(n, dtype=np.int64),
                           rng.choice(len(SERVICE_KINDS), k - n, p=SERVICE_KIND_P)])
    size_factor = (mean_spend / p.spend_median) ** p.service_size_power
    s_cost = np.round(np.array(SERVICE_BASE_COST)[kind] * p.service_cost_scale * size_factor[s_who]
                      * np.exp(0.4 * rng.standard_normal(k) - 0.08), 2)
    keep = s_day <= E
    s_who, s_day, kind, s_cost = s_who[keep], s_day[keep], kind[keep], s_cost[keep]
    svc_sort = np.lexsort((s_who, s_day))
    service = pd.DataFrame({
        "customer_id": _text(ids, s_who[svc_sort]),
        "date": _dates(origin, s_day[svc_sort]),
        "kind": _text(SERVICE_KINDS, kind[svc_sort]),
        "cost": s_cost[svc_sort],
    })

    # --- customers ----------------------------------------------------------------------------
    share_of_wallet = rng.beta(2.0, 3.0, n)
    customers = pd.DataFrame({
        "customer_id": ids.to_pandas(),
        "region": _text(REGIONS, rng.choice(len(REGIONS), n, p=REGION_WEIGHTS)),
        "industry": _text(INDUSTRIES, rng.choice(len(INDUSTRIES), n, p=INDUSTRY_WEIGHTS)),
        "created_at": _dates(origin, acq - rng.integers(0, 31, n)),
        "wallet_estimate": np.round(potential_rate * mean_spend / share_of_wallet, -3),
    })

    # --- truth ----------------------------------------------------------------------------------
    nxt = (o_day > S)
    revenue = np.bincount(o_who[nxt], o_amount[nxt], minlength=n)
    gross = np.bincount(o_who[nxt], (o_amount - o_cost)[nxt], minlength=n)
    buys = np.bincount(o_who[nxt & (o_amount > 0)], minlength=n)
    svc_next = s_day > S
    svc_cost = np.bincount(s_who[svc_next], s_cost[svc_next], minlength=n)
    debt = (day > S) & unpaid
    bad_debt = np.bincount(who[debt], amount[debt], minlength=n)
    truth = pd.DataFrame({
        "customer_id": ids.to_pandas(),
        "alive_at_split": (acq < S) & ~one & (dropout > S),
        "purchase_rate": rate,
        "mean_spend": mean_spend,
        "margin_rate": margin,
        "realised_orders_next": buys,
        "realised_revenue_next": revenue,
        "realised_gross_profit_next": gross,
        "realised_service_cost_next": svc_cost,
        "realised_bad_debt_next": bad_debt,
        "realised_net_profit_next": gross - svc_cost - bad_debt,
        "acquired_at": _dates(origin, acq),
        "one_time": one,
        "churn_rate": np.where(one, np.nan, churn),
        "dropout_at": _dates(origin, np.floor(np.minimum(dropout, 200 * YEAR_DAYS)).astype(np.int64)),
    })
    tables = {"orders": orders, "customers": customers, "payments": payments, "service": service}
    return B2BHistory(tables=tables, split=pd.Timestamp(split), truth=truth,
                      start=pd.Timestamp(start), end=pd.Timestamp(end), process=p)


def cut(tables: dict[str, pd.DataFrame], date) -> dict[str, pd.DataFrame]:
    """The tables as an extract taken on ``date``: rows dated after it removed, later payments unpaid.

    Orders by ``order_date``, payments by ``invoice_date`` (``due_date`` where it is empty, as the
    engine does), service by ``date``, customers by ``created_at`` (kept where empty); a
    ``paid_date`` after ``date`` becomes empty. The input frames are not changed.
    """
    date = pd.Timestamp(date)
    out = {}
    for name, frame in tables.items():
        if name == "orders":
            frame = frame[frame["order_date"] <= date]
        elif name == "payments":
            when = frame["invoice_date"] if "invoice_date" in frame else frame["due_date"]
            if "invoice_date" in frame:
                when = when.fillna(frame["due_date"])
            frame = frame[when <= date].copy()
            if "paid_date" in frame:
                frame["paid_date"] = frame["paid_date"].where(frame["paid_date"] <= date)
        elif name == "service":
            frame = frame[frame["date"] <= date]
        elif name == "customers" and "created_at" in frame:
            frame = frame[frame["created_at"].isna() | (frame["created_at"] <= date)]
        out[name] = frame.reset_index(drop=True)
    return out
