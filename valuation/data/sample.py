"""Deterministic generator of the sample dataset (orders, customers, payments, service CSVs).

The buying process (parameters below; the vocabularies are in ``valuation.data.sample_vocab``):

- **Acquisition.** An account's first purchase is its acquisition, uniform over the history and
  the ``PRE_YEARS`` before it. Only accounts that buy inside the history are in the extract, so
  the older ones are survivors whose first order is not in the data.
- **Buying.** While alive, an account orders at its own rate (Gamma across accounts, larger
  firms buy more often): every ``REGULARITY``-th event of a Poisson process, so reorders keep a
  rhythm, thinned by the calendar (Spring Festival, summer, year-end flush). Some accounts
  change pace once in the last 18 months: a new project multiplies the rate, a lost budget cuts
  it (growth leans to 华中, 西南 and 互联网, decline to 零售).
- **Dropping out.** A share of accounts buy once and never again (the onboarding failed; old as
  well as recent). The others leave after an exponential lifetime whose hazard varies between
  accounts; a few of those who left are won back after a year or more of silence.
- **Value.** Order values are log-normal around an account mean that grows steeply with firm
  size. First orders carry an introductory discount and onboarding training and set-up visits,
  so a new account's first months earn little or lose money. A price-driven group buys at deep
  discounts, returns more, calls for service far more often, complains and pays badly.
- **Payments.** Terms of 60, 90 or 120 days (longer for larger firms); large accounts pay
  systematically late; a small group of bad payers leaves invoices unpaid.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from valuation.data import schema
from valuation.data.sample_vocab import (
    CATEGORIES, CATEGORY_COST, CATEGORY_PRICE, CATEGORY_UNIT_PRICE, CHANNELS, COMPLAINT, INDUSTRIES,
    PIPELINE, PIPELINE_WEIGHTS, PRODUCTS, REGIONS, SEASON_ACCEPT, SERVICE_COST_SHARE, SERVICE_KINDS,
    SIZES, TERMS_BY_SIZE, TERMS_DAYS, TRAINING, VISIT, acquisition_cost, firmographics, pick,
    uniform_int)

# Column order of each written file; every name is a canonical schema column
# (checked by _check_columns so the generator cannot drift from the contract).
FILE_COLUMNS: dict[str, tuple[str, ...]] = {
    "customers": ("customer_id", "name", "region", "industry", "city", "size", "channel",
                  "created_at", "pipeline_stage", "acquisition_cost", "wallet_estimate",
                  "satisfaction", "referrals", "importance", "reference_account"),
    "orders": ("order_id", "customer_id", "order_date", "amount", "cost", "product",
               "category", "quantity", "channel"),
    "payments": ("invoice_id", "customer_id", "invoice_date", "amount", "due_date",
                 "paid_date"),
    "service": ("customer_id", "date", "kind", "cost", "satisfaction"),
}


def _check_columns() -> None:
    for table, cols in FILE_COLUMNS.items():
        known = {c.name for c in schema.stored_columns(table)}
        unknown = set(cols) - known
        if unknown:
            raise AssertionError(f"sample {table} columns not in schema: {sorted(unknown)}")


_check_columns()

YEAR = 365.25

# --- the buying process -------------------------------------------------------------------

PRE_YEARS = 6.0  # accounts are acquired from this many years before the history starts
ONE_AND_DONE = np.array([0.15, 0.12, 0.22, 0.15])  # buy once and never again, by channel
RATE_MEAN = np.array([5.0, 6.5, 8.5])  # orders a year while alive, by size
RATE_SHAPE = 3.0  # Gamma shape of the rate across accounts
REGULARITY = 3  # purchases are every k-th event of a Poisson process (Erlang-k gaps)
CHURN_MEAN, CHURN_SHAPE = 0.12, 1.5  # yearly hazard of leaving: mean, Gamma shape across accounts
WIN_BACK = 0.25  # share of accounts that left and are won back after a silence of 1-2 years
VALUE_MEAN = np.array([3000.0, 9000.0, 24000.0])  # typical order value (yuan), by size
VALUE_SIGMA = 0.45  # log-sd of the account mean order value
PRICE_DRIVEN = 0.07  # share of price-driven, high-maintenance accounts (the loss-makers)
# Payer types 0 good, 1 average, 2 bad: on-time probability by size (columns), unpaid probability.
PAYER_WEIGHTS = (0.75, 0.19, 0.06)
PAYER_ON_TIME = np.array([[0.98, 0.96, 0.80], [0.85, 0.80, 0.60], [0.35, 0.35, 0.25]])
PAYER_UNPAID = np.array([0.0, 0.01, 0.22])


# --- Arrow columns ----------------------------------------------------------------------------

def _ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """Fixed-width ids like C000123 built straight into an Arrow buffer (no Python loop)."""
    pre = np.frombuffer(prefix.encode("ascii"), np.uint8)
    n, w = len(numbers), len(pre) + width
    buf = np.empty((n, w), np.uint8)
    buf[:, : len(pre)] = pre
    x = np.asarray(numbers, np.int64).copy()
    for k in range(w - 1, len(pre) - 1, -1):
        buf[:, k] = 48 + x % 10
        x //= 10
    offsets = np.arange(n + 1, dtype=np.int64) * w
    return pa.Array.from_buffers(pa.large_string(), n,
                                 [None, pa.py_buffer(offsets), pa.py_buffer(buf)])


def _labels(codes: np.ndarray, vocabulary, mask: np.ndarray | None = None) -> pa.Array:
    """Dictionary-encoded text column; ``mask`` marks missing values (written empty)."""
    indices = pa.array(np.asarray(codes, np.int32), mask=mask)
    return pa.DictionaryArray.from_arrays(indices, pa.array(list(vocabulary), pa.string()))


def _dates(days: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    return pa.array(np.asarray(days, np.int32), pa.int32(), mask=mask).cast(pa.date32())


def _money(values: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    # Decimal so the CSV shows exactly two decimals (1234.50), never 1234.5 or 1e+16.
    arr = pa.array(np.round(np.asarray(values, np.float64), 2), mask=mask)
    return pc.cast(arr, pa.decimal128(16, 2))


def _one_decimal(values: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    return pc.cast(pa.array(np.round(values, 1), mask=mask), pa.decimal128(4, 1))


def _month(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) % 12


def _purchases(rng: np.random.Generator, per_year: np.ndarray, begin: np.ndarray,
               stop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Purchase days at ``per_year`` on [begin, stop) (days as floats): (stretch index, day).

    Every ``REGULARITY``-th event of a Poisson process at that multiple of the rate, thinned by
    the calendar: B2B accounts reorder at a rhythm (an Erlang renewal process), slower at
    Spring Festival and in summer, faster in December."""
    length = np.clip(stop - begin, 0.0, None)
    k = REGULARITY
    counts = rng.poisson(k * per_year * length / YEAR / SEASON_ACCEPT.mean())
    who = np.repeat(np.arange(len(begin)), counts)
    t = begin[who] + rng.random(who.size) * length[who]
    day = np.floor(t).astype(np.int64)
    first = int(day.min()) if day.size else 0
    accept = SEASON_ACCEPT[_month(np.arange(first, int(day.max()) + 1 if day.size else first))]
    keep = rng.random(who.size) < accept[day - first]
    who, t = who[keep], t[keep]
    order = np.lexsort((t, who))
    who, t = who[order], t[order]
    rank = np.arange(who.size) - np.searchsorted(who, who)  # position within the stretch
    keep = (rank + rng.integers(0, k, len(begin))[who]) % k == 0
    return who[keep], np.floor(t[keep]).astype(np.int64)


# --- accounts and their purchases -------------------------------------------------------------

def _draw_accounts(rng: np.random.Generator, n: int, start: int, end: int):
    """``n`` candidate accounts and their purchase days in [start, end]: (accounts, who, day).

    ``accounts`` holds one array per trait; an account with no purchase in the history is not in
    the extract (``accounts["seen"]`` is False)."""
    a = firmographics(rng, n)
    size, region, industry, channel = a["size"], a["region"], a["industry"], a["channel"]
    acq = uniform_int(rng, np.full(n, start - int(PRE_YEARS * YEAR)), end)
    one = rng.random(n) < ONE_AND_DONE[channel]
    price_driven = rng.random(n) < PRICE_DRIVEN
    rate = RATE_MEAN[size] * rng.gamma(RATE_SHAPE, 1.0 / RATE_SHAPE, n)
    hazard = rng.gamma(CHURN_SHAPE, CHURN_MEAN / CHURN_SHAPE, n)
    leave = np.where(one, acq + 0.5, acq + rng.exponential(1.0, n) / hazard * YEAR)
    # Won back: some of those who left return after a silence of one to two years.
    back = ~one & (rng.random(n) < WIN_BACK)
    back_at = leave + rng.uniform(380.0, 730.0, n)
    back_until = back_at + rng.exponential(1.0, n) / hazard * YEAR
    # One change of pace inside the last 18 months: a new project or a lost budget.
    lean_up = np.isin(region, [REGIONS.index("华中"), REGIONS.index("西南")]) | (
        industry == INDUSTRIES.index("互联网"))
    lean_down = industry == INDUSTRIES.index("零售")
    u = rng.random(n)
    grow = u < np.where(lean_up, 0.25, 0.06)
    shrink = ~grow & (u > 1.0 - np.where(lean_down, 0.25, 0.08))
    pace = np.select([grow, shrink], [rng.uniform(2.0, 4.0, n), rng.uniform(0.1, 0.35, n)], 1.0)
    turn = end - rng.uniform(60.0, 540.0, n)

    first = np.maximum(acq + 0.5, start)
    stop = np.minimum(leave, end + 1.0)
    stop_b = np.minimum(back_until, end + 1.0)
    begin_b = np.where(back, np.clip(back_at, start, end + 1.0), end + 1.0)
    # Four stretches per account: alive before the turn, after it, and the same once won back.
    lo = np.concatenate([first, np.maximum(first, turn), begin_b, np.maximum(begin_b, turn)])
    hi = np.concatenate([np.minimum(stop, turn), stop, np.minimum(stop_b, turn), stop_b])
    per_year = np.concatenate([rate, rate * pace, rate, rate * pace])
    who, day = _purchases(rng, per_year, lo, np.maximum(lo, hi))
    who %= n
    # The acquisition purchase, where it falls inside the history; a won-back account's return
    # is a purchase too.
    opening = np.flatnonzero(acq >= start)
    returning = np.flatnonzero(back & (back_at >= start) & (back_at <= end))
    who = np.concatenate([opening, returning, who])
    day = np.concatenate([acq[opening], np.floor(back_at[returning]).astype(np.int64), day])
    first_purchase = np.zeros(who.size, bool)
    first_purchase[: opening.size] = True
    seen = np.bincount(who, minlength=n) > 0
    a.update(acq=acq, one=one, price_driven=price_driven, rate=rate, pace=pace, leave=leave,
             back=back, seen=seen)
    return a, who, day, first_purchase


def _select(parts, m: int):
    """The first ``m`` accounts seen in the history, from successive draws, renumbered 0..m-1."""
    picked, events = [], []
    got = 0
    for a, who, day, opening in parts:
        keep = np.flatnonzero(a["seen"])[: m - got]
        new_index = np.full(len(a["seen"]), -1, np.int64)
        new_index[keep] = got + np.arange(keep.size)
        e = new_index[who] >= 0
        events.append((new_index[who[e]], day[e], opening[e]))
        picked.append({k: (v.take(pa.array(keep)) if isinstance(v, pa.Array) else v[keep])
                       for k, v in a.items() if k != "city_vocab"})
        got += keep.size
    acc = {k: (pa.concat_arrays([p[k] for p in picked]) if isinstance(picked[0][k], pa.Array)
               else np.concatenate([p[k] for p in picked])) for k in picked[0]}
    acc["city_vocab"] = parts[0][0]["city_vocab"]
    who, day, opening = (np.concatenate([e[i] for e in events]) for i in range(3))
    return acc, who, day, opening


class _Counter:
    """Running numbers shared by chunks (order / invoice sequence)."""

    def __init__(self) -> None:
        self.orders = 0


def _customer_chunk(rng: np.random.Generator, first_number: int, m: int, start: int, end: int,
                    id_width: int, order_width: int, counter: _Counter) -> dict[str, pa.Table]:
    """All four tables for ``m`` ordering customers numbered from ``first_number``."""
    parts, got = [], 0
    while got < m:  # most candidates buy inside the history; the rest left before it began
        parts.append(_draw_accounts(rng, 2 * (m - got) + 16, start, end))
        got += int(parts[-1][0]["seen"].sum())
    a, o_cust, o_day, opening = _select(parts, m)
    size, channel, acq, rate = a["size"], a["channel"], a["acq"], a["rate"]
    # The last order of the extract falls on end_date (the dashboard's default as-of date): the
    # account that bought last buys on end_date too.
    if o_day.max() < end:
        last = np.full(m, -1, np.int64)
        np.maximum.at(last, o_cust, o_day)
        o_cust = np.append(o_cust, np.argmax(last))
        o_day = np.append(o_day, end)
        opening = np.append(opening, False)
    order = np.lexsort((~opening, o_day, o_cust))
    o_cust, o_day, opening = o_cust[order], o_day[order], opening[order]
    n = o_cust.size

    # --- order lines: the account's category mix, log-normal values, discounts ------------------
    price_driven = a["price_driven"]
    value = VALUE_MEAN[size] * rng.lognormal(-VALUE_SIGMA ** 2 / 2, VALUE_SIGMA, m)
    pref = rng.gamma(0.35, 1.0, (m, len(CATEGORIES))) + 1e-12
    pref_cum = np.cumsum(pref / pref.sum(axis=1, keepdims=True), axis=1)
    cat = np.minimum((rng.random(n)[:, None] > pref_cum[o_cust]).sum(axis=1), len(CATEGORIES) - 1)
    product = cat * 3 + rng.integers(0, 3, n)
    list_value = value[o_cust] * CATEGORY_PRICE[cat] * rng.lognormal(-0.125, 0.5, n)
    discount = rng.uniform(0.0, 0.15, m)
    discount[price_driven] = rng.uniform(0.35, 0.55, price_driven.sum())  # deep discounts buy volume
    # A first order carries an introductory discount: thin or negative margin.
    line_discount = np.where(opening, np.minimum(discount[o_cust] + rng.uniform(0.1, 0.3, n), 0.7),
                             discount[o_cust])
    amount = list_value * (1.0 - line_discount)
    cost = list_value * CATEGORY_COST[cat] * rng.lognormal(0.0, 0.08, n)
    quantity = np.maximum(1, np.round(list_value / CATEGORY_UNIT_PRICE[cat])).astype(np.int64)
    o_channel = np.where(rng.random(n) < 0.9, channel[o_cust], rng.integers(0, len(CHANNELS), n))
    # Returns: part of a line, never a customer's first line in the extract (so every customer
    # has a purchase) nor a line on end_date (so the last order is a purchase).
    first_line = np.r_[True, o_cust[1:] != o_cust[:-1]]
    ret = ~first_line & (o_day < end) & (rng.random(n) < np.where(price_driven[o_cust], 0.04, 0.016))
    frac = np.where(ret, rng.uniform(0.2, 1.0, n), 1.0)
    sign = np.where(ret, -1.0, 1.0)
    amount = np.round(amount * frac, 2) * sign
    cost = np.round(cost * frac, 2) * sign
    quantity = np.where(ret, -np.maximum(1, np.round(quantity * frac)).astype(np.int64), quantity)

    numbers = counter.orders + 1 + np.arange(n, dtype=np.int64)
    counter.orders += n
    if counter.orders >= 10 ** order_width:
        raise OverflowError("order number overflow: raise order_width")
    cust_ids = _ids("C", first_number + np.arange(m), id_width)
    orders = pa.table({
        "order_id": _ids("SO", numbers, order_width),
        "customer_id": pc.take(cust_ids, pa.array(o_cust)),
        "order_date": _dates(o_day),
        "amount": _money(amount),
        "cost": _money(cost),
        "product": _labels(product, PRODUCTS),
        "category": _labels(cat, CATEGORIES),
        "quantity": pa.array(quantity),
        "channel": _labels(o_channel, CHANNELS),
    })

    # --- payments: one invoice per purchase line, 60-120 days' terms ---------------------------
    payer = pick(rng, PAYER_WEIGHTS, m)
    payer[price_driven & (rng.random(m) < 0.75)] = 2
    p = ~ret
    p_cust, p_day, p_amount = o_cust[p], o_day[p], amount[p]
    pn = p_cust.size
    terms = TERMS_DAYS[pick(rng, TERMS_BY_SIZE[size], m)][p_cust]
    due = p_day + terms
    pt, ps = payer[p_cust], size[p_cust]
    r = rng.random(pn)
    on_time = r < PAYER_ON_TIME[pt, ps]
    unpaid = r > 1.0 - PAYER_UNPAID[pt]
    # Large accounts pay late as a habit (the next payment run, a long approval chain).
    late_by = np.select([pt == 2, ps == 2], [uniform_int(rng, np.full(pn, 10), 150),
                                             uniform_int(rng, np.full(pn, 15), 75)],
                        uniform_int(rng, np.full(pn, 1), 45))
    paid = np.where(on_time, due - uniform_int(rng, np.zeros(pn), 30), due + late_by)
    # Invoices are paid in the future relative to the extract, so are still open in it.
    paid_missing = unpaid | (paid > end)
    payments = pa.table({
        "invoice_id": _ids("INV", numbers[p], order_width),
        "customer_id": pc.take(cust_ids, pa.array(p_cust)),
        "invoice_date": _dates(p_day),
        "amount": _money(p_amount),
        "due_date": _dates(due),
        "paid_date": _dates(np.minimum(paid, end), mask=paid_missing),
    })

    # --- service: events while the account is alive, onboarding after the first order ----------
    last_buy = np.full(m, start, np.int64)
    np.maximum.at(last_buy, o_cust, o_day)
    svc_rate = np.array([0.8, 1.2, 2.0])[size] * rng.lognormal(0.0, 0.5, m)
    svc_rate[price_driven] = rng.uniform(10.0, 20.0, price_driven.sum())
    svc_begin = np.maximum(acq, start).astype(np.float64)
    svc_stop = np.minimum(last_buy + 60.0, end + 1.0)
    sn = rng.poisson(svc_rate * (svc_stop - svc_begin).clip(0) / YEAR)
    s_cust = np.repeat(np.arange(m), sn)
    s_day = np.floor(svc_begin[s_cust] + rng.random(s_cust.size)
                     * (svc_stop - svc_begin)[s_cust]).astype(np.int64)
    kind_p = np.where(price_driven[s_cust, None], [[0.55, 0.25, 0.15, 0.05]],
                      [[0.62, 0.07, 0.21, 0.10]])
    s_kind = pick(rng, kind_p, s_cust.size)
    # Onboarding: a set-up visit and user training in the first weeks after the first order.
    new_acc = np.flatnonzero(acq >= start)
    ob_cust = np.concatenate([new_acc, new_acc])
    ob_day = acq[ob_cust] + np.concatenate([uniform_int(rng, np.full(new_acc.size, 1), 14),
                                            uniform_int(rng, np.full(new_acc.size, 7), 45)])
    ob_kind = np.repeat([VISIT, TRAINING], new_acc.size)
    ok = (ob_day <= end) & (rng.random(ob_cust.size) < np.repeat([0.5, 0.7], new_acc.size))
    s_cust = np.concatenate([s_cust, ob_cust[ok]])
    s_day = np.concatenate([s_day, ob_day[ok]])
    s_kind = np.concatenate([s_kind, ob_kind[ok]])
    order = np.lexsort((s_day, s_cust))
    s_cust, s_day, s_kind = s_cust[order], s_day[order], s_kind[order]
    sv = s_cust.size
    s_cost = np.maximum(100.0, value[s_cust] * SERVICE_COST_SHARE[s_kind]
                        * rng.lognormal(0.0, 0.4, sv))
    s_cost = np.round(s_cost, 2)

    # Account-level satisfaction: unhappy where the relationship is going wrong.
    sat_mu = np.select([price_driven, a["pace"] < 1.0, a["one"], a["leave"] <= end],
                       [2.8, 3.4, 3.5, 3.4], default=4.1)
    sat = np.clip(sat_mu + rng.normal(0.0, 0.5, m), 1.0, 5.0)
    s_sat = np.clip(np.round(sat[s_cust] + rng.normal(0.0, 0.7, sv) - 1.2 * (s_kind == COMPLAINT)),
                    1, 5)
    service = pa.table({
        "customer_id": pc.take(cust_ids, pa.array(s_cust)),
        "date": _dates(s_day),
        "kind": _labels(s_kind, SERVICE_KINDS),
        "cost": _money(s_cost),
        "satisfaction": pa.array(s_sat.astype(np.int64), mask=rng.random(sv) < 0.1),
    })

    # --- customers ---------------------------------------------------------------------------
    created = acq - uniform_int(rng, np.zeros(m), 180)
    annual = rate * value  # what the account would buy a year while it stays
    share = rng.beta(4.0, 3.0, m)  # our share of their budget
    growable = rng.random(m) < np.array([0.10, 0.20, 0.30])[size]
    share[growable] = rng.uniform(0.05, 0.2, growable.sum())
    wallet = np.round(annual / share, -2)
    referrals = rng.poisson(np.select([price_driven, rate > 8.0], [0.1, 1.0], default=0.35))
    importance = np.clip(np.round(size + 1.5 + rng.normal(0.0, 0.8, m)), 1, 5).astype(np.int64)
    customers = pa.table({
        "customer_id": cust_ids,
        "name": a["name"],
        "region": _labels(a["region"], REGIONS),
        "industry": _labels(a["industry"], INDUSTRIES),
        "city": _labels(a["city"], a["city_vocab"]),
        "size": _labels(size, SIZES),
        "channel": _labels(channel, CHANNELS),
        "created_at": _dates(created),
        "pipeline_stage": pa.array(["customer"] * m, pa.string()),
        "acquisition_cost": _money(acquisition_cost(rng, channel, size)),
        "wallet_estimate": _money(wallet, mask=rng.random(m) < 0.1),
        "satisfaction": _one_decimal(sat, mask=rng.random(m) < 0.15),
        "referrals": pa.array(referrals),
        "importance": pa.array(importance, mask=rng.random(m) >= 0.15),
        # Reference accounts (标杆客户): large accounts that already refer others; drawn from
        # nothing random, so adding the column changed no other figure of the sample.
        "reference_account": pa.array(((size == 2) & (referrals >= 2)).astype(np.int64)),
    })
    return {"customers": customers, "orders": orders, "payments": payments, "service": service}


def _prospect_chunk(rng: np.random.Generator, first_number: int, m: int, end: int,
                    id_width: int) -> pa.Table:
    """Pipeline accounts: a customers row, no orders."""
    firm = firmographics(rng, m)
    size, channel = firm["size"], firm["channel"]
    stage = pick(rng, PIPELINE_WEIGHTS, m)
    created = end - uniform_int(rng, np.zeros(m), 400)
    # Acquisition spend so far grows with how far down the funnel the account is.
    spent = acquisition_cost(rng, channel, size) * np.array([0.1, 0.4, 0.8])[stage]
    wallet = np.round(np.array([30000.0, 110000.0, 400000.0])[size]
                      * rng.lognormal(0.0, 0.9, m), -2)
    importance = np.clip(np.round(size + 1.5 + rng.normal(0.0, 0.8, m)), 1, 5).astype(np.int64)
    return pa.table({
        "customer_id": _ids("P", first_number + np.arange(m), id_width),
        "name": firm["name"],
        "region": _labels(firm["region"], REGIONS),
        "industry": _labels(firm["industry"], INDUSTRIES),
        "city": _labels(firm["city"], firm["city_vocab"]),
        "size": _labels(size, SIZES),
        "channel": _labels(channel, CHANNELS),
        "created_at": _dates(created),
        "pipeline_stage": _labels(stage, PIPELINE),
        "acquisition_cost": _money(spent, mask=rng.random(m) < 0.3),
        "wallet_estimate": _money(wallet, mask=rng.random(m) < 0.2),
        "satisfaction": pa.nulls(m, pa.decimal128(4, 1)),
        "referrals": pa.array(np.zeros(m, np.int64)),
        "importance": pa.array(importance, mask=rng.random(m) >= 0.1),
        "reference_account": pa.array(np.zeros(m, np.int64)),
    })


# --- writing ---------------------------------------------------------------------------------

def _plain(table: pa.Table, columns: tuple[str, ...]) -> pa.Table:
    # Fixed column order and plain string columns so every chunk has the same schema.
    cols = []
    for name in columns:
        col = table.column(name)
        if pa.types.is_dictionary(col.type) or pa.types.is_large_string(col.type):
            col = col.cast(pa.string())
        cols.append(col)
    return pa.table(cols, names=list(columns))


class _Writers:
    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.writers: dict[str, pacsv.CSVWriter] = {}
        self.rows = {t: 0 for t in FILE_COLUMNS}

    def write(self, name: str, table: pa.Table) -> None:
        table = _plain(table, FILE_COLUMNS[name])
        if name not in self.writers:
            # quoting "none": no value contains a comma, quote or newline, so the files read
            # as plain CSV in Excel and any parser (checked by the tests).
            self.writers[name] = pacsv.CSVWriter(
                str(self.out_dir / f"{name}.csv"), table.schema,
                write_options=pacsv.WriteOptions(quoting_style="none", quoting_header="none",
                                                batch_size=65536))
        self.writers[name].write_table(table)
        self.rows[name] += table.num_rows

    def close(self) -> None:
        for w in self.writers.values():
            w.close()


def generate(out_dir: str | Path, customers: int = 2000, prospects: int | None = None,
             seed: int = 7, end_date: str = "2026-09-30", years: float = 3.0,
             chunk_customers: int = 50_000) -> dict:
    """Write a synthetic, deterministic dataset of the four canonical tables.

    Ordering customers come from a buying process (module docstring): Poisson-like purchases at
    heterogeneous rates, one-time buyers and dropout over time, won-back accounts, changes of
    pace, seasonality, onboarding costs, a loss-making price-driven group and 60-120 days'
    payment terms. So the dashboard has a story to reveal: heavy-tailed value, a loss-making
    group, every lifecycle stage, growth and decline, seasonality and bad payers. Work is done
    in chunks of customers, each with its own random stream seeded by ``(seed, chunk_index)``,
    and appended to the files, so memory stays bounded at any size.

    Parameters
    ----------
    out_dir : str or Path
        Folder to write ``orders.csv``, ``customers.csv``, ``payments.csv`` and
        ``service.csv`` into (created if absent; existing files are replaced).
    customers : int
        Number of ordering customers (ids ``C…``); about 13 order lines each on average.
    prospects : int, optional
        Number of pipeline accounts without orders (ids ``P…``); default ``customers // 2``.
    seed : int
        Random seed; the same arguments give byte-identical files.
    end_date : str
        ISO date of the end of the history; the last order in the data falls on it.
    years : float
        Length of the order history in years (2 or more keeps every lifecycle stage).
    chunk_customers : int
        Customers generated and written per chunk (bounds memory; part of the output's
        identity, since each chunk has its own random stream).

    Returns
    -------
    dict
        Rows written per table (header excluded), keyed ``customers``, ``orders``,
        ``payments`` and ``service``.
    """
    if customers < 1:
        raise ValueError("customers must be at least 1")
    if prospects is None:
        prospects = customers // 2
    if prospects < 0 or chunk_customers < 1:
        raise ValueError("prospects must be >= 0 and chunk_customers >= 1")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    end = int(np.datetime64(end_date, "D").astype(np.int64))
    start = end - int(round(years * 365.25))
    id_width = max(6, len(str(customers)))
    p_width = max(6, len(str(prospects)))
    order_width = max(8, len(str(customers * 40)))
    counter = _Counter()
    writers = _Writers(out)
    try:
        for c, first in enumerate(range(0, customers, chunk_customers)):
            m = min(chunk_customers, customers - first)
            rng = np.random.default_rng([seed, 0, c])
            tables = _customer_chunk(rng, first + 1, m, start, end, id_width, order_width, counter)
            for name in ("customers", "orders", "payments", "service"):
                writers.write(name, tables[name])
        for c, first in enumerate(range(0, prospects, chunk_customers)):
            m = min(chunk_customers, prospects - first)
            rng = np.random.default_rng([seed, 1, c])
            writers.write("customers", _prospect_chunk(rng, first + 1, m, end, p_width))
    finally:
        writers.close()
    return dict(writers.rows)
