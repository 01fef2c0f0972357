"""Action lists for sales: valuable customers at risk, most valuable ones in decline, growable ones to cross-sell to."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from valuation.analysis import frames, upsell
from valuation.data.features import fetch_frame
from valuation.data.store import Store
from valuation.i18n.format import format_money, format_pct
from valuation.i18n.text import t
from valuation.model import lifecycle, persist

LISTS = ("at_risk", "declining", "wake_up", "growable", "convert", "let_go")
DRIFTED = ("at_risk", "dormant", "churned")  # stages that need winning back, not a cross-sell
ONBOARDING_DAYS = 365  # a below-zero customer this new may be losing money on onboarding: convert
HIGH_VALUE_TIERS = ("A", "B")
TOP_K = 3  # cross-sell suggestions per customer

# The facts a salesperson needs on every row, in this order (those the frame has).
FACTS = ("customer_id", "name", "region", "industry", "city", "tier", "value_class", "lifecycle_stage")
FIGURES = ("clv", "revenue_12m", "net_profit_12m", "days_since_last_order", "mean_gap_days", "last_order_date")
EXTRA = {
    "at_risk": ("composite",),
    "declining": ("revenue_prev_6m", "revenue_last_6m", "revenue_drop", "revenue_trend"),
    "growable": ("strategic_value", "share_of_wallet", "wallet_headroom", "categories_bought"),
    "wake_up": ("revenue_total", "actual_value", "strategic_value"),
    "convert": ("actual_value", "strategic_value", "tenure_days"),
    "let_go": ("actual_value", "cost_to_serve", "thin_margin", "unpaid_invoices"),
}
_REQUIRED = ("customer_id", "tier", "value_class", "lifecycle_stage", "silent_beyond_usual",
             "days_since_last_order", "mean_gap_days", "clv")
CROSS_SELL_COLUMNS = ("customer_id", "tier", "rank", "category", "peers_buying", "peers", "peer_share")


_require = frames.require
_has_orders = frames.has_orders


# --------------------------------------------------------------------------- data


def customer_categories(store: Store, dataset: str, as_of: dt.date | str | None = None) -> pd.DataFrame:
    """Every (customer_id, category) pair bought on or before ``as_of`` (returns and blank categories left out).

    Empty when the dataset's orders have no category column (``availability.category``
    tells the two cases apart). ``as_of`` None takes every order.
    """
    ref = store.table_ref(dataset, "orders")
    sql = (f"SELECT customer_id, category FROM {ref} "
           "WHERE ($as_of IS NULL OR order_date <= $as_of) AND amount > 0 AND category IS NOT NULL "
           "GROUP BY 1, 2 ORDER BY 1, 2")
    day = None if as_of is None else pd.Timestamp(as_of).date()
    # through Arrow (.df() took 1.4 s at 1M), kept beside the date's prepared file for restarts
    return persist.kept_frame(store, dataset, day, "categories1",
                              lambda: fetch_frame(store.cursor(), sql, {"as_of": day}))


# --------------------------------------------------------------------------- cross-selling


def cross_sell(scored: pd.DataFrame, customer_categories: pd.DataFrame | None, customers=None,
               top_k: int = TOP_K) -> pd.DataFrame:
    """The categories a customer's tier peers buy and the customer does not, most widely bought first.

    Peers are the other customers with orders in the same tier. For each
    customer in ``customers`` (default: every customer with orders) and each
    category they have never bought, ``peer_share`` = peers who bought it /
    peers; the ``top_k`` largest shares are kept (ties by category name).

    Parameters
    ----------
    scored : DataFrame
        Needs ``customer_id`` and ``tier`` (and ``has_orders``, else tier ≠ prospect).
    customer_categories : DataFrame or None
        ``customer_id``, ``category``: one row per category a customer bought
        (:func:`customer_categories`). None or empty gives no suggestions.
    customers : iterable of customer ids, optional
    top_k : int

    Returns
    -------
    DataFrame with ``customer_id``, ``tier``, ``rank`` (1 = best), ``category``,
    ``peers_buying``, ``peers`` and ``peer_share``, sorted by customer and rank.
    """
    _require(scored, ["customer_id", "tier"], "cross_sell")
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in CROSS_SELL_COLUMNS})
    if customer_categories is None or customer_categories.empty or top_k < 1:
        return empty
    _require(customer_categories, ["customer_id", "category"], "cross_sell (customer categories)")
    buyers = scored.loc[_has_orders(scored), ["customer_id", "tier"]].astype({"customer_id": str})
    owned = (customer_categories[["customer_id", "category"]].dropna()
             .astype({"customer_id": str, "category": str}))
    offers = _offers_by_codes(buyers, owned, customers)
    if offers is not None:
        if offers.empty:
            return empty
        return _rank_offers(offers, top_k)
    owned = owned.drop_duplicates()
    tier_size = buyers.groupby("tier").size()
    counts = (owned.merge(buyers, on="customer_id").groupby(["tier", "category"]).size()
              .rename("peers_buying").reset_index())
    targets = buyers if customers is None else buyers[buyers["customer_id"].isin([str(c) for c in customers])]
    offers = targets.merge(counts, on="tier")
    offers = offers.merge(owned.assign(_owned=True), on=["customer_id", "category"], how="left")
    offers = offers[offers["_owned"].isna()].drop(columns="_owned")
    # The customer does not buy the category, so every buyer counted is a peer; peers exclude the customer.
    offers["peers"] = offers["tier"].map(tier_size).astype("int64") - 1
    offers = offers[offers["peers"] > 0]
    if offers.empty:
        return empty
    offers["peer_share"] = offers["peers_buying"] / offers["peers"]
    return _rank_offers(offers, top_k)


def _rank_offers(offers: pd.DataFrame, top_k: int) -> pd.DataFrame:
    offers = offers.sort_values(["customer_id", "peer_share", "category"], ascending=[True, False, True],
                                kind="mergesort")
    offers["rank"] = offers.groupby("customer_id").cumcount() + 1
    offers = offers[offers["rank"] <= top_k]
    return offers[list(CROSS_SELL_COLUMNS)].reset_index(drop=True)


def _sorted_distinct(values: np.ndarray) -> np.ndarray:
    """``np.unique`` of integers by sorting (numpy 2's hashing unique took seconds on millions)."""
    values = np.sort(values, kind="stable")
    return values[np.r_[True, values[1:] != values[:-1]]] if len(values) else values


def _offers_by_codes(buyers: pd.DataFrame, owned: pd.DataFrame, customers) -> pd.DataFrame | None:
    """The candidate offers of :func:`cross_sell` (before ranking) from integer codes instead of merges
    on text ids (a million customers: ~1 s instead of ~6 s). None when the ids of ``buyers`` repeat or
    a tier is missing: :func:`cross_sell` then takes the plain merges.

    Rows: every target customer × every category a tier peer bought, less the categories the customer
    owns and tiers without other peers; ``peer_share`` = peers_buying / peers.
    """
    ids = pd.Index(buyers["customer_id"])
    if not ids.is_unique or buyers["tier"].isna().any():
        return None
    tier_code, tier_values = pd.factorize(buyers["tier"], sort=False)
    n_tiers = len(tier_values)
    tier_size = np.bincount(tier_code, minlength=n_tiers).astype("int64")
    pos = ids.get_indexer(owned["customer_id"])
    cat_code, cat_values = pd.factorize(owned["category"], sort=False)
    found = pos >= 0
    n_cats = max(len(cat_values), 1)
    owned_keys = _sorted_distinct(pos[found].astype("int64") * n_cats + cat_code[found])  # distinct pairs
    owner, owned_cat = owned_keys // n_cats, owned_keys % n_cats
    counts = np.bincount(tier_code[owner] * n_cats + owned_cat, minlength=n_tiers * n_cats).reshape(n_tiers, n_cats)
    if customers is None:
        targets = np.arange(len(ids))
    else:
        wanted = ids.get_indexer(pd.Index(pd.unique(pd.Series([str(c) for c in customers], dtype=object))))
        targets = _sorted_distinct(wanted[wanted >= 0])  # in the buyers' order, each once
    cands = [np.flatnonzero(counts[k] > 0) for k in range(n_tiers)]
    lengths = np.array([len(c) for c in cands], dtype="int64")
    starts = np.r_[0, np.cumsum(lengths)[:-1]].astype("int64")
    flat = np.concatenate(cands) if cands else np.array([], dtype="int64")
    t_tier = tier_code[targets]
    reps = lengths[t_tier] if len(targets) else np.array([], dtype="int64")
    total = int(reps.sum())
    row_pos = np.repeat(targets, reps)
    row_tier = np.repeat(t_tier, reps)
    within = np.arange(total) - np.repeat(np.cumsum(reps) - reps, reps)
    row_cat = flat[np.repeat(starts[t_tier], reps) + within] if total else np.array([], dtype="int64")
    keys = row_pos.astype("int64") * n_cats + row_cat
    at = np.minimum(np.searchsorted(owned_keys, keys), max(len(owned_keys) - 1, 0))
    is_owned = owned_keys[at] == keys if len(owned_keys) else np.zeros(len(keys), dtype=bool)
    keep = ~is_owned & (tier_size[row_tier] - 1 > 0)
    row_pos, row_tier, row_cat = row_pos[keep], row_tier[keep], row_cat[keep]
    peers_buying = counts[row_tier, row_cat].astype("int64")
    peers = tier_size[row_tier] - 1
    return pd.DataFrame({
        # Series keep their dtype (an array of text would be read as the string dtype).
        "customer_id": buyers["customer_id"].take(row_pos).reset_index(drop=True),
        "tier": buyers["tier"].take(row_pos).reset_index(drop=True),
        "category": pd.Series(cat_values, dtype=owned["category"].dtype).take(row_cat).reset_index(drop=True),
        "peers_buying": peers_buying,
        "peers": peers,
        "peer_share": peers_buying / peers,
    })


def suggestion_text(offers: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Per customer: ``suggested_categories`` (names) and ``suggestions`` ("云服务 (72% of tier B peers); …")."""
    if offers.empty:
        return pd.DataFrame({"customer_id": pd.Series(dtype=str), "suggested_categories": pd.Series(dtype=str),
                             "suggestions": pd.Series(dtype=str)})
    # The text depends on (category, share, tier) only: each distinct triple is formatted once
    # (a million offers have a few dozen), and the per-customer joins run over plain lists
    # (pandas' per-group join took ~15 s for 300,000 customers).
    triples = offers[["category", "peer_share", "tier"]]
    which = triples.groupby(list(triples.columns), sort=False, dropna=False).ngroup().to_numpy()
    distinct = triples.drop_duplicates()
    labels = np.array([t("actions.suggestion", lang, category=c, share=format_pct(s), tier=tier)
                       for c, s, tier in zip(distinct["category"], distinct["peer_share"], distinct["tier"])],
                      dtype=object)
    text = labels[which]
    # Customers in order of first appearance, each one's offers in their order (groupby(sort=False)).
    codes, customers = pd.factorize(offers["customer_id"], sort=False)
    keep = codes >= 0  # a missing id belongs to no group
    order = np.flatnonzero(keep)[np.argsort(codes[keep], kind="stable")]
    sorted_codes = codes[order]
    starts = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]]) if len(order) else np.array([], int)
    ends = np.r_[starts[1:], len(order)].astype(int)
    categories = offers["category"].to_numpy(dtype=object)[order].tolist()
    texts = text[order].tolist()
    list_sep, sep = t("actions.list_separator", lang), t("actions.separator", lang)
    ids = customers[sorted_codes[starts]] if len(order) else customers[:0]
    return pd.DataFrame({
        "customer_id": ids,
        "suggested_categories": [list_sep.join(categories[a:b]) for a, b in zip(starts, ends)],
        "suggestions": [sep.join(texts[a:b]) for a, b in zip(starts, ends)],
    })


# --------------------------------------------------------------------------- the three lists


def _facts(rows: pd.DataFrame, name: str, middle: tuple[str, ...]) -> pd.DataFrame:
    cols = [c for c in FACTS + middle + FIGURES + EXTRA[name] if c in rows]
    out = rows[cols].reset_index(drop=True)
    out.attrs = {}  # the scored frame's metadata does not describe a list
    return out


def high_value_at_risk(scored: pd.DataFrame) -> pd.DataFrame:
    """Rows of ``scored`` on the at-risk alert list that are tier A or B, or most valuable; highest CLV first.

    The alert rule is ``lifecycle.at_risk_alerts``: at risk by silence, or silent
    beyond k × the customer's own usual gap. High value means tier A or B (the
    top 20% by composite with the default cut-offs) or value class most_valuable
    (actual value ≥ 80 by default), so a valuable customer in tier C by a low
    credit score still shows.
    """
    alerts = lifecycle.at_risk_alerts(scored)
    high = alerts["tier"].isin(HIGH_VALUE_TIERS) | (alerts["value_class"] == "most_valuable")
    ids = alerts.loc[high, ["customer_id"]]
    return ids.merge(scored, on="customer_id", how="left")


def _at_risk(scored: pd.DataFrame, lang: str) -> pd.DataFrame:
    rows = high_value_at_risk(scored)
    reasons = []
    for days, gap, beyond in zip(rows["days_since_last_order"], rows["mean_gap_days"], rows["silent_beyond_usual"]):
        d = int(round(days)) if pd.notna(days) else 0
        if bool(beyond) and pd.notna(gap) and gap > 0:
            reasons.append(t("actions.reason.silent_beyond_usual", lang, days=d, gap=int(round(gap)),
                             times=f"{days / gap:.1f}"))
        else:
            reasons.append(t("actions.reason.silent", lang, days=d))
    rows = rows.assign(action=t("actions.action.at_risk", lang), reason=reasons)
    return _facts(rows, "at_risk", ("action", "reason"))


def _declining(scored: pd.DataFrame, lang: str) -> pd.DataFrame:
    if not {"revenue_trend", "revenue_last_6m", "revenue_prev_6m"} <= set(scored.columns):
        rows = scored.iloc[0:0].assign(action="", reason="", revenue_drop=0.0)
        return _facts(rows, "declining", ("action", "reason"))
    found = lifecycle.declining_valuable(scored)[["customer_id", "revenue_drop"]]
    rows = found.merge(scored, on="customer_id", how="left")
    reasons = [t("actions.reason.declining", lang, last=format_money(last, lang), prev=format_money(prev, lang),
                 pct=format_pct(drop / prev) if prev else "—")
               for last, prev, drop in zip(rows["revenue_last_6m"], rows["revenue_prev_6m"], rows["revenue_drop"])]
    rows = rows.assign(action=t("actions.action.declining", lang), reason=reasons)
    return _facts(rows, "declining", ("action", "reason"))


def _wake_up(scored: pd.DataFrame, lang: str, churned_days: int) -> pd.DataFrame:
    """Customers gone quiet who were worth something: dormant, or churned for less than another
    ``churned_days`` (longer gone is another acquisition), not losing money; most revenue first."""
    silent = scored["days_since_last_order"]
    stage = scored["lifecycle_stage"]
    mask = _has_orders(scored) & (scored["net_profit_12m"] >= 0) & (
        (stage == "dormant") | ((stage == "churned") & (silent <= 2 * churned_days)))
    rows = scored[mask]
    order = "revenue_total" if "revenue_total" in rows else "clv"
    rows = rows.sort_values([order, "customer_id"], ascending=[False, True], kind="mergesort")
    reasons = [t("actions.reason.silent", lang, days=int(round(d)) if pd.notna(d) else 0)
               for d in rows["days_since_last_order"]]
    rows = rows.assign(action=t("actions.action.wake_up", lang), reason=reasons)
    return _facts(rows, "wake_up", ("action", "reason"))


def below_zero_split(scored: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """(convert, let go) masks of the below-zero customers (seed 000: 战略性放弃, analyse first).

    Convert those with a future: a positive actual value (net CLV) or strategic value, or a first
    year's onboarding losses (tenure under ``ONBOARDING_DAYS``); let the rest go gracefully.
    """
    below = (scored["value_class"] == "below_zero") & _has_orders(scored)
    future = pd.Series(False, index=scored.index)
    for column in ("actual_value", "strategic_value"):
        if column in scored:
            future |= scored[column].fillna(0) > 0
    if "tenure_days" in scored:
        future |= scored["tenure_days"] < ONBOARDING_DAYS
    return below & future, below & ~future


def _below_zero_list(scored: pd.DataFrame, mask: pd.Series, name: str, lang: str) -> pd.DataFrame:
    rows = scored[mask].sort_values(["net_profit_12m", "customer_id"], kind="mergesort")  # largest loss first
    drivers = rows["main_loss_driver"] if "main_loss_driver" in rows else pd.Series("", index=rows.index)
    reasons = [t(f"loss.{d}", lang) if d else "" for d in drivers.fillna("")]
    rows = rows.assign(action=t(f"actions.action.{name}", lang), reason=reasons)
    return _facts(rows, name, ("action", "reason"))


def _growable(scored: pd.DataFrame, categories: pd.DataFrame | None, lang: str, top_k: int,
              purchases: pd.DataFrame | None = None) -> pd.DataFrame:
    # A growable customer who has gone quiet needs winning back first (the wake-up and at-risk lists).
    rows = scored[(scored["value_class"] == "growable") & _has_orders(scored)
                  & ~scored["lifecycle_stage"].isin(DRIFTED)]
    if "strategic_value" in rows:
        rows = rows.sort_values(["strategic_value", "customer_id"], ascending=[False, True], kind="mergesort")
    else:
        rows = rows.sort_values("customer_id", kind="mergesort")
    # None: the orders have no category column; empty: no category bought up to the as-of date.
    no_data = categories is None or categories.empty
    note = t("actions.no_categories" if categories is None else "actions.no_category_data", lang)
    if no_data:
        rows = rows.assign(action=t("action.growable", lang), suggestions=note, suggested_categories="")
    else:
        offers = suggestion_text(cross_sell(scored, categories, rows["customer_id"], top_k), lang)
        rows = rows.astype({"customer_id": str}).merge(offers, on="customer_id", how="left")
        found = rows["suggestions"].notna()
        rows["action"] = [t("actions.action.growable", lang, categories=c) if ok else t("action.growable", lang)
                          for c, ok in zip(rows["suggested_categories"], found)]
        rows["suggestions"] = rows["suggestions"].where(found, t("actions.no_suggestion", lang))
        rows["suggested_categories"] = rows["suggested_categories"].where(found, "")
    # Buy more of what they buy (seed 000): a shorter cycle, a higher price band, a fuller margin per order.
    more = upsell.buy_more(scored, purchases, rows["customer_id"], lang)
    rows = rows.astype({"customer_id": str}).merge(more, on="customer_id", how="left")
    out = _facts(rows, "growable", ("action", "suggestions", "suggested_categories", "buy_more",
                                    *upsell.BUY_MORE_FIGURES))
    if no_data:
        out.attrs["note"] = note
    return out


def action_lists(scored: pd.DataFrame, customer_categories: pd.DataFrame | None, lang: str = "en", *,
                 top_k: int = TOP_K, churned_days: int = 365,
                 purchases: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """The lists a sales team works through, each row with the action to take in ``lang``.

    - ``at_risk``: high-value customers at risk (:func:`high_value_at_risk`),
      highest CLV first, with why (days silent against their usual gap);
    - ``declining``: most valuable customers whose revenue fell
      (``lifecycle.declining_valuable``), largest drop first;
    - ``wake_up``: dormant customers, and churned ones gone less than another
      ``churned_days``, not losing money; most revenue first (唤醒);
    - ``growable``: growable customers with orders who are still active (not at risk,
      dormant or churned), highest strategic value first, with up to ``top_k``
      cross-sell suggestions from :func:`cross_sell` and, in ``buy_more`` with its figures,
      a shorter reorder cycle, a higher price band and a thin margin per order
      (``upsell.buy_more``; the price band needs ``purchases``);
    - ``convert`` / ``let_go``: below-zero customers split by :func:`below_zero_split`,
      largest loss first, with the main loss driver.
      Without category data (``customer_categories`` None: no category column;
      empty: nothing bought with a category) every row says so, and so does the
      frame's ``attrs["note"]``.

    Every row carries the customer's id, name, region, tier, value class,
    lifecycle stage, CLV, 12-month revenue and net profit, days silent, usual gap
    and last order date (those ``scored`` has), codes untranslated;
    ``exports.labelled`` turns them into a reader's table.

    Parameters
    ----------
    scored : DataFrame
        ``pipeline.score`` output (needs customer_id, tier, value_class,
        lifecycle_stage, silent_beyond_usual, days_since_last_order, mean_gap_days, clv).
    customer_categories : DataFrame or None
        ``customer_id``, ``category`` pairs (:func:`customer_categories`); None
        when the dataset has no category column.
    lang : {"zh", "en"}
    purchases : DataFrame, optional
        ``upsell.category_purchases`` output, for the up-sell (price band) suggestions.
    """
    _require(scored, _REQUIRED, "action_lists")
    convert, let_go = below_zero_split(scored)
    return {
        "at_risk": _at_risk(scored, lang),
        "declining": _declining(scored, lang),
        "wake_up": _wake_up(scored, lang, churned_days),
        "growable": _growable(scored, customer_categories, lang, top_k, purchases),
        "convert": _below_zero_list(scored, convert, "convert", lang),
        "let_go": _below_zero_list(scored, let_go, "let_go", lang),
    }
