"""Per-customer features as SQL over the store, as of a chosen date (the only feature SQL)."""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from valuation.data import purchase_days, schema, threads
from valuation.data.store import Store

BAD_DEBT_DAYS = 90  # an invoice unpaid this long past its due date counts as a loss
# The last 26 weeks before the as-of date are held out to choose the purchase model per dataset:
# the features carry each customer's history up to that start and what they bought after it.
SELECTION_HOLDOUT_DAYS = 182
# The shortest absence a comeback can end: the woken and won-back stages need a gap of at least the
# dormant (or churned) threshold, which managers may set as low as this.
RETURN_GAP_DAYS = 60

# The query reads four canonical tables, named by {orders} {customers} {payments} {service},
# and takes its dates as parameters. It keeps to SQL that DuckDB and Spark both accept: dates are
# compared, never subtracted, except through {days(a, b)}, which each engine renders its own way;
# day counts from the as-of date are computed in Python afterwards.
FINAL_ORDER = "ORDER BY k.customer_id"  # the query's last line (compute_features sorts in Arrow)

# A customer's categories are bits of a BIGINT mask (one BIT_OR per customer instead of a GROUP BY
# customer and category, 0.6 s at a million customers); categories numbered from this one on are
# counted as (customer, category) pairs, a relation that is empty when a dataset has fewer.
CATEGORY_BITS = 62

FEATURE_SQL = """
WITH
day_revenue AS (
    -- Revenue per day: a few thousand rows, from which months and slow-month days are cheap.
    SELECT order_date, SUM(amount) AS revenue
    FROM {orders}
    WHERE order_date <= $as_of
    GROUP BY order_date
),
month_revenue AS (
    SELECT CAST(EXTRACT(MONTH FROM order_date) AS INTEGER) AS month, SUM(revenue) AS revenue
    FROM day_revenue
    GROUP BY CAST(EXTRACT(MONTH FROM order_date) AS INTEGER)
),
slow_months AS (
    SELECT month
    FROM (SELECT month, ROW_NUMBER() OVER (ORDER BY revenue ASC NULLS LAST, month ASC) AS rank_low
          FROM month_revenue) ranked
    WHERE rank_low <= 3 AND (SELECT COUNT(*) FROM month_revenue) = 12
),
slow_days AS (
    -- The days of the last 24 months that fall in a slow month: orders are matched on the date
    -- (extracting the month of 11 million order dates cost a third of a second).
    SELECT order_date
    FROM day_revenue
    WHERE order_date > $start_24m
      AND CAST(EXTRACT(MONTH FROM order_date) AS INTEGER) IN (SELECT month FROM slow_months)
),
categories AS (
    -- The categories anyone bought, numbered from 0.
    SELECT category, ROW_NUMBER() OVER (ORDER BY category) - 1 AS category_no
    FROM {orders}
    WHERE order_date <= $as_of AND category IS NOT NULL AND amount > 0
    GROUP BY category
),
totals AS (
    SELECT o.customer_id,
           COUNT(CASE WHEN amount > 0 THEN 1 END) AS orders,
           COUNT(CASE WHEN amount < 0 THEN 1 END) AS returns,
           SUM(amount) AS revenue_total,
           SUM(CASE WHEN order_date > $start_12m THEN amount ELSE 0 END) AS revenue_12m,
           COUNT(CASE WHEN order_date > $start_12m AND amount > 0 THEN 1 END) AS orders_12m,
           SUM(CASE WHEN order_date > $start_12m THEN amount - COALESCE(cost, 0) ELSE 0 END)
               AS margin_12m,
           COUNT(CASE WHEN order_date > $start_12m AND cost IS NULL THEN 1 END)
               AS rows_without_cost_12m,
           SUM(CASE WHEN order_date > $start_6m THEN amount ELSE 0 END) AS revenue_last_6m,
           SUM(CASE WHEN order_date > $start_12m AND order_date <= $start_6m THEN amount ELSE 0 END)
               AS revenue_prev_6m,
           SUM(CASE WHEN order_date > $start_24m THEN amount ELSE 0 END) AS revenue_24m,
           SUM(CASE WHEN order_date > $start_24m AND order_date IN (SELECT order_date FROM slow_days)
                    THEN amount ELSE 0 END) AS revenue_offseason_24m,
           BIT_OR(CASE WHEN amount > 0 AND k.category_no < {category_bits}
                       THEN CAST(1 AS BIGINT) << k.category_no END) AS category_mask
    FROM {orders} o
    LEFT JOIN categories k ON k.category = o.category
    WHERE order_date <= $as_of
    GROUP BY o.customer_id
),
more_categories AS (
    SELECT customer_id, COUNT(*) AS categories_bought
    FROM (SELECT o.customer_id, o.category
          FROM {orders} o
          JOIN categories k ON k.category = o.category AND k.category_no >= {category_bits}
          WHERE o.order_date <= $as_of AND o.amount > 0
          GROUP BY o.customer_id, o.category) pairs
    GROUP BY customer_id
),
purchase_gaps AS (
    -- Purchases dated up to the as-of date with the number of their purchase day (1 = the first)
    -- and, on a day's first row, the days since the purchase day before (purchase_days.py: stored
    -- at import where the dataset has the table, else numbered here).
    {purchase_rows}
),
purchase AS (
    SELECT customer_id,
           MAX(day_no) AS purchase_days,
           MIN(order_date) AS first_order_date,
           MAX(order_date) AS last_order_date,
           SUM(CASE WHEN day_no = 1 THEN amount ELSE 0 END) AS first_day_amount,
           SUM(amount) AS purchase_amount,
           MAX(CASE WHEN order_date <= $holdout_start THEN day_no END) AS purchase_days_cal,
           MAX(CASE WHEN order_date <= $holdout_start THEN order_date END) AS last_order_date_cal,
           MAX(gap_days) AS max_gap_days,
           -- The last comeback: the latest purchase after an absence of RETURN_GAP_DAYS or more, and
           -- how long that absence was (woken or won back, lifecycle.py).
           MAX(CASE WHEN gap_days >= $return_gap THEN order_date END) AS last_return_date,
           ARG_MAX(CASE WHEN gap_days >= $return_gap THEN gap_days END,
                   CASE WHEN gap_days >= $return_gap THEN order_date END) AS last_return_gap_days
    FROM purchase_gaps
    GROUP BY customer_id
),
category_count AS (
    SELECT COUNT(*) AS categories_total FROM categories
),
pay AS (
    SELECT customer_id,
           COUNT(*) AS invoices,
           COUNT(CASE WHEN due_date <= $as_of THEN 1 END) AS invoices_due,
           COUNT(CASE WHEN due_date <= $as_of AND paid_date IS NOT NULL AND paid_date <= due_date
                      THEN 1 END) AS invoices_on_time,
           AVG(CASE WHEN paid_date IS NOT NULL AND paid_date <= $as_of AND invoice_date IS NOT NULL
                    THEN {days(invoice_date, paid_date)} END) AS avg_days_to_pay,
           AVG(CASE WHEN paid_date IS NOT NULL AND paid_date <= $as_of
                    THEN {days(due_date, paid_date)} END) AS avg_days_late,
           SUM(CASE WHEN due_date < $as_of AND (paid_date IS NULL OR paid_date > $as_of)
                    THEN amount ELSE 0 END) AS overdue_amount,
           SUM(CASE WHEN due_date > $start_12m AND due_date <= $bad_debt_before
                     AND (paid_date IS NULL OR paid_date > $as_of)
                    THEN amount ELSE 0 END) AS bad_debt_12m
    FROM {payments}
    WHERE COALESCE(invoice_date, due_date) <= $as_of
    GROUP BY customer_id
),
svc AS (
    SELECT customer_id,
           SUM(CASE WHEN date > $start_12m THEN COALESCE(cost, 0) ELSE 0 END) AS service_cost_12m,
           COUNT(CASE WHEN date > $start_12m THEN 1 END) AS service_events_12m,
           COUNT(CASE WHEN date > $start_12m AND LOWER(kind) IN ('complaint', '投诉') THEN 1 END)
               AS complaints_12m,
           COUNT(CASE WHEN LOWER(kind) IN ('complaint', '投诉') THEN 1 END) AS complaints,
           AVG(satisfaction) AS avg_service_satisfaction
    FROM {service}
    WHERE date <= $as_of
    GROUP BY customer_id
),
known AS (
    SELECT customer_id FROM {customers} WHERE created_at IS NULL OR created_at <= $as_of
    UNION
    SELECT customer_id FROM totals
)
SELECT k.customer_id,
       c.name, c.region, c.industry, c.city, c.size, c.channel, c.created_at, c.pipeline_stage,
       c.acquisition_cost, c.wallet_estimate, c.satisfaction, c.referrals, c.importance,
       c.reference_account,
       t.orders, t.returns, t.revenue_total, t.revenue_12m, t.orders_12m, t.margin_12m,
       t.rows_without_cost_12m, t.revenue_last_6m, t.revenue_prev_6m, t.revenue_24m,
       t.revenue_offseason_24m,
       b.purchase_days, b.first_order_date, b.last_order_date, b.first_day_amount,
       b.purchase_amount, b.max_gap_days, b.purchase_days_cal, b.last_order_date_cal,
       b.last_return_date, b.last_return_gap_days,
       CASE WHEN t.category_mask IS NOT NULL OR m.categories_bought IS NOT NULL
            THEN COALESCE(BIT_COUNT(t.category_mask), 0) + COALESCE(m.categories_bought, 0)
       END AS categories_bought,
       n.categories_total,
       pay.invoices, pay.invoices_due, pay.invoices_on_time, pay.avg_days_to_pay, pay.avg_days_late,
       pay.overdue_amount, pay.bad_debt_12m,
       s.service_cost_12m, s.service_events_12m, s.complaints_12m, s.complaints,
       s.avg_service_satisfaction,
       (SELECT SUM(revenue) FROM month_revenue
         WHERE month IN (SELECT month FROM slow_months)) AS offseason_revenue_all,
       (SELECT SUM(revenue) FROM month_revenue) AS revenue_all
FROM known k
LEFT JOIN {customers} c ON c.customer_id = k.customer_id
LEFT JOIN totals t ON t.customer_id = k.customer_id
LEFT JOIN more_categories m ON m.customer_id = k.customer_id
LEFT JOIN purchase b ON b.customer_id = k.customer_id
CROSS JOIN category_count n
LEFT JOIN pay ON pay.customer_id = k.customer_id
LEFT JOIN svc s ON s.customer_id = k.customer_id
ORDER BY k.customer_id
"""

def render_sql(tables: dict[str, str], engine: str = "duckdb", purchase_rows: str | None = None) -> str:
    """The feature query with table names filled in and date differences rendered for ``engine``.

    ``purchase_rows``: the SQL of the numbered purchase rows up to ``$as_of``
    (:func:`purchase_days.source_sql`); by default numbered in the query from the orders.
    """
    rows = purchase_rows or purchase_days.numbered_sql(tables["orders"], until_as_of=True, engine=engine)
    sql = purchase_days.render_days(FEATURE_SQL, engine)
    sql = sql.replace("{purchase_rows}", rows.strip().replace("\n", "\n    "))
    sql = sql.replace("{category_bits}", str(CATEGORY_BITS))
    for name in schema.TABLES:
        sql = sql.replace("{" + name + "}", tables[name])
    return sql


def window_params(as_of: dt.date) -> dict[str, dt.date]:
    """The query's date parameters: as-of and the starts of the 6, 12 and 24-month windows.

    A window is half-open: (start, as_of]. Months are calendar months back from the as-of date.
    """
    ts = pd.Timestamp(as_of)
    return {
        "as_of": ts.date(),
        "start_6m": (ts - pd.DateOffset(months=6)).date(),
        "start_12m": (ts - pd.DateOffset(months=12)).date(),
        "start_24m": (ts - pd.DateOffset(months=24)).date(),
        "bad_debt_before": (ts - pd.Timedelta(days=BAD_DEBT_DAYS)).date(),
        "holdout_start": (ts - pd.Timedelta(days=SELECTION_HOLDOUT_DAYS)).date(),
        "return_gap": RETURN_GAP_DAYS,
    }


@dataclass(frozen=True)
class Availability:
    """Which data the dataset has, so scores can say what runs on real data and what is missing."""

    cost: bool = False
    payments: bool = False
    service: bool = False
    wallet: bool = False
    category: bool = False
    influence: bool = False
    satisfaction: bool = False
    notes: tuple[str, ...] = field(default=())

    def __deepcopy__(self, memo) -> "Availability":
        # Immutable, and carried in frames' attrs, which pandas deep-copies on every operation.
        return self

    @classmethod
    def from_provided(cls, provided: dict[str, list[str]]) -> "Availability":
        orders = provided.get("orders", [])
        customers = provided.get("customers", [])
        notes = []
        cost = "cost" in orders
        if not cost:
            notes.append("no_cost")
        return cls(
            cost=cost,
            payments={"amount", "due_date"} <= set(provided.get("payments", [])),
            service="service" in provided,
            wallet="wallet_estimate" in customers,
            category="category" in orders,
            influence=bool({"referrals", "importance", "reference_account"} & set(customers)),
            satisfaction="satisfaction" in customers or "satisfaction" in provided.get("service", []),
            notes=tuple(notes),
        )


def last_order_sql(orders_ref: str) -> str:
    """SQL for the default as-of date: the last order date on or before ``$today`` (an order typed
    as 2099 must not make every other customer look churned); the last date at all when every
    order is in the future (a test fixture, say). Runs on DuckDB and Spark alike."""
    return (f"SELECT COALESCE(MAX(CASE WHEN order_date <= $today THEN order_date END), MAX(order_date)) "
            f"FROM {orders_ref}")


def default_as_of(store: Store, dataset: str, today: dt.date | None = None) -> dt.date | None:
    """The default as-of date: the last order date that is not in the future."""
    return store.cursor().execute(last_order_sql(store.table_ref(dataset, "orders")),
                                  {"today": today or dt.date.today()}).fetchone()[0]


def future_orders(store: Store, dataset: str, today: dt.date | None = None) -> tuple[int, dt.date | None]:
    """How many orders are dated after today, and the latest date: almost always typing mistakes."""
    count, latest = store.cursor().execute(
        f"SELECT count(*), max(order_date) FROM {store.table_ref(dataset, 'orders')} WHERE order_date > $today",
        {"today": today or dt.date.today()}).fetchone()
    return int(count), latest


def compute_features(store: Store, dataset: str, as_of: dt.date | str | None = None) -> pd.DataFrame:
    """One row per customer (prospects without orders included), as of ``as_of``.

    Only rows dated on or before ``as_of`` count. ``as_of`` defaults to the
    last order date. The frame's ``attrs`` hold ``as_of`` and ``availability``.

    Returns
    -------
    DataFrame with ``customer_id``, customer attributes and the features listed
    in docs/scoring.md (days_since_last_order, orders, tenure_days, revenue_total,
    revenue_12m, gross_profit_12m, service_cost_12m, net_profit_12m, …).
    """
    if as_of is None:
        as_of = default_as_of(store, dataset)
        if as_of is None:
            as_of = dt.date.today()
    as_of = pd.Timestamp(as_of).date()
    tables = {name: store.canonical_ref(dataset, name) for name in schema.TABLES}
    sql = render_sql(tables, purchase_rows=purchase_days.source_sql(store, dataset))
    if FINAL_ORDER not in sql:
        raise AssertionError(f"the feature query no longer ends with {FINAL_ORDER!r}")
    # The same query and the same row order, sorted here: DuckDB's final sort of 1.5 million
    # wide rows held a second copy of the result (~0.5 GB of peak memory at a million
    # customers) and took longer than sorting the ids in Arrow and gathering each column.
    with small_pages():
        raw = fetch_frame(store.cursor(), sql.replace(FINAL_ORDER, ""), window_params(as_of),
                          sort_by="customer_id", zeros=COUNT_COLUMNS + MONEY_COLUMNS)
        availability = Availability.from_provided(store.provided_columns(dataset))
        return finish_features(raw, as_of, availability)


@contextlib.contextmanager
def small_pages():
    """NumPy without its transparent huge-page advice for a while (``NUMPY_MADVISE_HUGEPAGE=0``, for
    these lines only). The features' finishing step makes about a hundred new arrays of a column
    each and fills every one once: where the kernel compacts memory to give each a huge page
    (``defrag=madvise``, this machine's and many a VM's setting) that was most of its time. The CLV
    fit and the scores, which work over their arrays many times, are faster with the advice, so it
    is off only here (docs/benchmarks.md, the features row). Process-wide while it lasts: another
    session allocating at the same moment only gets small pages, never other results. Sessions
    computing features at once share it: the first one in turns the advice off, the last one out
    puts back what the first found."""
    setter = getattr(np._core.multiarray, "_set_madvise_hugepage", None)
    if setter is None:  # not this NumPy's: nothing to change
        yield
        return
    with _SMALL_PAGES_LOCK:
        if _SMALL_PAGES["inside"] == 0:
            _SMALL_PAGES["before"] = setter(False)
        _SMALL_PAGES["inside"] += 1
    try:
        yield
    finally:
        with _SMALL_PAGES_LOCK:
            _SMALL_PAGES["inside"] -= 1
            if _SMALL_PAGES["inside"] == 0:
                setter(_SMALL_PAGES["before"])


_SMALL_PAGES_LOCK = threading.Lock()
_SMALL_PAGES = {"inside": 0, "before": True}  # how many are in small_pages, the advice the first found


def fetch_frame(cursor, sql: str, params: dict, sort_by: str | None = None,
                zeros: tuple[str, ...] = ()) -> pd.DataFrame:
    """Run ``sql`` and return its result as a DataFrame through Arrow.

    Arrow is the fast lane out of DuckDB: at a million customers ``.df()`` took ~6 s, Arrow
    plus ``to_pandas`` well under one. Dates come out as ``datetime64``, text as ``str``.
    ``sort_by``: order the rows by this column as ``ORDER BY column`` would (byte order of
    text, missing values last), sorting in Arrow instead of in the query. ``zeros`` (with
    ``sort_by``): numeric columns whose missing values become 0, as the finishing step would
    make them; filled in Arrow while gathering, they need no second array of their own.
    """
    try:
        # Give memory back to the system when a big query is done (DuckDB keeps it otherwise):
        # at a million customers this lowers the peak of features + scoring by ~0.5 GB.
        cursor.execute("SET allocator_background_threads = true")
    except Exception:  # noqa: BLE001 - a tuning knob, never a reason to fail
        pass
    table = cursor.sql(sql, params=params).to_arrow_table()
    n = table.num_rows
    # As .df() does: a text column with no value at all holds None (object), not an empty str column.
    empty_text = [name for name, col in zip(table.column_names, table.columns)
                  if (pa.types.is_string(col.type) or pa.types.is_large_string(col.type))
                  and col.null_count == n]
    if sort_by is None:
        # One thread: with two cores the threaded conversion was 3x slower; split blocks avoid a copy.
        frame = table.to_pandas(date_as_object=False, split_blocks=True, self_destruct=True,
                                use_threads=False)
    else:
        order = pc.sort_indices(table[sort_by])  # stable; nulls at the end
        columns = {}
        names, step = table.column_names, threads.workers()
        # A few columns at a time, one per core (the gathers release the GIL), each released from
        # the table once taken: the peak stays the table plus a few columns.
        for i in range(0, len(names), step):
            batch = names[i:i + step]
            taken = [table[name] for name in batch]
            table = table.drop_columns(batch)
            converted = threads.map_threads(
                lambda item: _gathered(item[1], order, zero=item[0] in zeros),
                list(zip(batch, taken)))
            del taken
            columns.update(zip(batch, converted))
        frame = pd.DataFrame(columns, copy=False)
    for name in empty_text:
        frame[name] = pd.Series([None] * n, index=frame.index, dtype=object)
    return frame


def _gathered(column: pa.ChunkedArray, order: pa.Array, zero: bool = False) -> pd.Series:
    """``column`` as ``to_pandas`` converts it, its rows taken in ``order``; ``zero``: a numeric
    column's missing values as 0. Taken in Arrow, which makes one new array of the taken rows
    (one chunk, handed to pandas without a copy where it has no nulls): converting the column
    first and taking from that made two (at a million customers the gather alone took 0.4-1.0 s
    instead of 0.5-1.6 s; the whole feature step is the same within this machine's noise)."""
    taken = pc.take(column, order)
    if zero and (pa.types.is_integer(column.type) or pa.types.is_floating(column.type)):
        taken = pc.fill_null(taken, 0)
    return taken.to_pandas(date_as_object=False)


_US_PER_DAY = 86_400_000_000
_NAT = np.iinfo(np.int64).min  # a missing datetime64 value, seen as int64


def _micros(s: pd.Series) -> np.ndarray:
    """A datetime64[us] column (see :func:`_dates`) as int64 microseconds, no copy; missing = ``_NAT``."""
    return s.to_numpy().view(np.int64)


def _whole_days(later, earlier) -> np.ndarray:
    """Whole days from ``earlier`` to ``later`` (int64 microseconds, arrays or one value), rounded
    down as ``Timedelta.days`` rounds them; float64, NaN where either is missing. Subtracting the
    columns as datetimes took 4 pandas copies and an overflow check each (0.2 s at a million)."""
    later, earlier = np.asarray(later), np.asarray(earlier)
    missing = (later == _NAT) | (earlier == _NAT)
    with np.errstate(over="ignore"):
        out = ((later - earlier) // _US_PER_DAY).astype(np.float64)
    out[missing] = np.nan
    return out


def _ratio(num, den, where, default: float) -> np.ndarray:
    """``num / den`` where ``where`` holds, ``default`` elsewhere (float64; nothing is divided
    where it does not hold, so no division by zero)."""
    out = np.full(len(where), default, dtype=np.float64)
    np.divide(num, den, out=out, where=where)
    return out


def _counts(s: pd.Series) -> pd.Series:
    """Counts as int64, missing (no rows to count) as 0: ``to_numeric().fillna(0).astype(int64)``
    without its intermediate copies for the usual float64 (NULLs) or int64 columns."""
    if s.dtype == np.int64:
        return s
    if s.dtype == np.float64:
        values = s.to_numpy()
        missing = np.isnan(values)
        with np.errstate(invalid="ignore"):
            out = values.astype(np.int64)
        out[missing] = 0
        return pd.Series(out, index=s.index, name=s.name, copy=False)
    return pd.to_numeric(s).fillna(0).astype("int64")


def _floats(s: pd.Series) -> pd.Series:
    """``to_numeric().astype(float)``, which copies a float64 column twice, without a copy for one."""
    return s if s.dtype == np.float64 else pd.to_numeric(s).astype(float)


def _dates(s: pd.Series) -> pd.Series:
    """``to_datetime().astype("datetime64[us]")`` with one conversion at most (none for [us])."""
    if s.dtype == "datetime64[us]":
        return s
    if not (isinstance(s.dtype, np.dtype) and s.dtype.kind == "M"):
        s = pd.to_datetime(s)
    return s.astype("datetime64[us]")


def _amounts(s: pd.Series) -> pd.Series:
    """Sums as float64, missing as 0.0 (``to_numeric().astype(float).fillna(0.0)``, one copy at most)."""
    if s.dtype == np.float64:
        values = s.to_numpy()
        missing = np.isnan(values)
        if not missing.any():
            return s
        return pd.Series(np.where(missing, 0.0, values), index=s.index, name=s.name, copy=False)
    return pd.to_numeric(s).astype(float).fillna(0.0)


# The query's counts and sums: missing (no rows to count or sum) means 0 once finished.
COUNT_COLUMNS = ("orders", "returns", "orders_12m", "purchase_days", "categories_bought",
                 "invoices", "invoices_due", "invoices_on_time", "service_events_12m",
                 "complaints_12m", "complaints", "rows_without_cost_12m", "purchase_days_cal")
MONEY_COLUMNS = ("revenue_total", "revenue_12m", "margin_12m", "revenue_last_6m", "revenue_prev_6m",
                 "revenue_24m", "revenue_offseason_24m", "first_day_amount", "purchase_amount",
                 "service_cost_12m", "overdue_amount", "bad_debt_12m")


def finish_features(raw: pd.DataFrame, as_of: dt.date, availability: Availability) -> pd.DataFrame:
    """Derive day counts, ratios and profit from the query's sums (pandas and NumPy, any engine's output)."""
    f = raw.copy(deep=False)  # copy-on-write: new columns never touch the caller's frame
    for col in ("first_order_date", "last_order_date", "created_at", "last_order_date_cal", "last_return_date"):
        f[col] = _dates(f[col])
    for col in COUNT_COLUMNS:
        f[col] = _counts(f[col])
    for col in MONEY_COLUMNS:
        f[col] = _amounts(f[col])
    for col in ("max_gap_days", "last_return_gap_days", "avg_days_to_pay", "avg_days_late", "categories_total",
                "acquisition_cost", "wallet_estimate", "satisfaction", "referrals", "importance",
                "reference_account", "avg_service_satisfaction", "offseason_revenue_all", "revenue_all"):
        f[col] = _floats(f[col])

    v = {name: f[name].to_numpy() for name in (
        "purchase_days", "orders", "revenue_total", "categories_bought", "categories_total", "revenue_last_6m",
        "revenue_prev_6m", "wallet_estimate", "revenue_12m", "invoices_due", "invoices_on_time",
        "offseason_revenue_all", "revenue_all", "revenue_24m", "revenue_offseason_24m", "purchase_amount",
        "first_day_amount", "purchase_days_cal")}
    as_of_us = int(pd.Timestamp(as_of).as_unit("us").asm8.astype(np.int64))
    first, last = _micros(f["first_order_date"]), _micros(f["last_order_date"])
    created = _micros(f["created_at"])
    days_bought = v["purchase_days"]
    has_orders = days_bought > 0
    f["days_since_last_order"] = _whole_days(as_of_us, last)
    # Tenure counts from the customer's creation when it precedes the first order in the data: ERP
    # extracts often start years after a customer was created. Customers without orders have none.
    since = np.where((created != _NAT) & (first != _NAT) & (created < first), created, first)
    f["tenure_days"] = _whole_days(as_of_us, since)
    first_order_age = _whole_days(as_of_us, first)
    f["days_since_return"] = _whole_days(as_of_us, _micros(f["last_return_date"]))  # NaN: never came back
    f["gross_profit_12m"] = f["margin_12m"] if availability.cost else f["revenue_12m"]
    f["net_profit_12m"] = f["gross_profit_12m"] - f["service_cost_12m"] - f["bad_debt_12m"]
    # Ratios: np.divide where the denominator is positive, the default elsewhere, no temporaries.
    f["avg_order_value"] = _ratio(v["revenue_total"], v["orders"], v["orders"] > 0, np.nan)
    span = _whole_days(last, first)
    f["mean_gap_days"] = _ratio(span, days_bought - 1, days_bought > 1, np.nan)
    f["category_coverage"] = _ratio(v["categories_bought"], v["categories_total"],
                                    v["categories_total"] > 0, np.nan)
    last6, prev6 = v["revenue_last_6m"], v["revenue_prev_6m"]
    denom = np.abs(last6) + np.abs(prev6)
    # Symmetric change in [-1, 1]: +1 = all revenue is new, -1 = it stopped, 0 = flat or none.
    f["revenue_trend"] = _ratio(last6 - prev6, denom, denom > 0, 0.0)
    wallet = v["wallet_estimate"]
    bought_12m = np.maximum(v["revenue_12m"], 0.0)
    has_wallet = wallet > 0
    f["share_of_wallet"] = _ratio(bought_12m, wallet, has_wallet, np.nan)
    f["wallet_headroom"] = np.where(has_wallet, np.maximum(wallet - bought_12m, 0.0), np.nan)
    f["on_time_payment_ratio"] = _ratio(v["invoices_on_time"], v["invoices_due"], v["invoices_due"] > 0,
                                        np.nan)
    # Off-season support: the customer's share of revenue in the business's three slowest months,
    # against the business's own share (1 = like everyone, 2 = twice as much off-season).
    with np.errstate(divide="ignore", invalid="ignore"):
        overall = v["offseason_revenue_all"] / v["revenue_all"]
    revenue_24m = v["revenue_24m"]
    own = _ratio(v["revenue_offseason_24m"], revenue_24m, revenue_24m > 0, np.nan)
    f["offseason_index"] = _ratio(own, overall, overall > 0, np.nan)
    # BG/NBD inputs in days: repeat purchase days, first→last span, first purchase→as-of.
    frequency = np.maximum(days_bought - 1, 0)
    f["frequency"] = frequency
    f["recency_days"] = np.where(np.isnan(span), 0.0, span)
    # The models' age T stays measured from the first order in the data (not from created_at): the
    # purchase process they fit starts at the first purchase.
    f["T_days"] = np.where(np.isnan(first_order_age), 0.0, first_order_age)
    repeat_amount = v["purchase_amount"] - v["first_day_amount"]
    f["monetary_value"] = _ratio(repeat_amount, frequency, frequency > 0, 0.0)
    # The same inputs at the start of the selection holdout, and the repeat purchase days after it,
    # for customers who had bought by then (NaN for the others).
    holdout_us = as_of_us - SELECTION_HOLDOUT_DAYS * _US_PER_DAY
    cal = has_orders & (first != _NAT) & (first <= holdout_us)
    days_cal = v["purchase_days_cal"]
    f["frequency_cal"] = np.where(cal, days_cal - 1, np.nan)
    f["recency_cal_days"] = np.where(cal, _whole_days(_micros(f["last_order_date_cal"]), first), np.nan)
    f["T_cal_days"] = np.where(cal, _whole_days(holdout_us, first), np.nan)
    f["frequency_holdout"] = np.where(cal, days_bought - days_cal, np.nan)
    f["has_orders"] = has_orders
    f = f.drop(columns=["offseason_revenue_all", "revenue_all", "margin_12m", "purchase_days_cal",
                        "last_order_date_cal"])
    f.attrs["as_of"] = as_of
    f.attrs["availability"] = availability
    return f
