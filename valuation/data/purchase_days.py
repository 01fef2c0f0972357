"""Each customer's purchases numbered by purchase day, once per import instead of once per date.

A purchase is an order line with a positive amount (returns and credit notes are not purchases).
Each purchase row gets the number of its purchase day (1 = the customer's first day with a purchase)
and, on the first row of a day, the days since the customer's purchase day before. Both depend only
on earlier purchases, so they are the same for every as-of date on or after the row: the feature
query (features.py) and the lifecycle's purchase history (analysis/funnel.py) keep the rows dated
on or before their date and read the numbers as they are.

An import stores them as a table beside the orders (:func:`build`, in the import's transaction):
numbering the rows is a window sort that cost 2.2 CPU-seconds of the 8 in the feature query at a
million customers (11.4M purchase rows), for every date. Where a dataset has no such table (a
Parquet folder read in place, the Spark engine, a dataset imported by an older version) the queries
number the rows themselves with the same SQL (:func:`numbered_sql`).
"""

from __future__ import annotations

import re

TABLE = "purchase_days"
COLUMNS = ("customer_id", "order_date", "amount", "day_no", "gap_days")

# Day differences, the one piece of date arithmetic each engine writes its own way.
DAYS_SQL = {
    "duckdb": "date_diff('day', {a}, {b})",
    "spark": "datediff({b}, {a})",
}

NUMBERED_SQL = """
SELECT customer_id, order_date, amount, day_no,
       CASE WHEN prev_date < order_date THEN {days(prev_date, order_date)} END AS gap_days
FROM (SELECT customer_id, order_date, amount,
             DENSE_RANK() OVER (PARTITION BY customer_id ORDER BY order_date) AS day_no,
             LAG(order_date) OVER (PARTITION BY customer_id ORDER BY order_date) AS prev_date
      FROM {orders}
      WHERE amount > 0{until}) numbered
"""


def render_days(sql: str, engine: str = "duckdb") -> str:
    """``sql`` with each ``{days(a, b)}`` (whole days from a to b) written for ``engine``."""
    days = DAYS_SQL[engine]

    def days_macro(match: re.Match) -> str:
        a, b = (part.strip() for part in match.group(1).split(","))
        return days.format(a=a, b=b)

    return re.sub(r"\{days\(([^)]*)\)\}", days_macro, sql)


def numbered_sql(orders_ref: str, *, until_as_of: bool = False, engine: str = "duckdb") -> str:
    """The purchase rows of ``orders_ref`` with ``day_no`` and ``gap_days`` (:data:`COLUMNS`);
    ``until_as_of``: only rows dated on or before the parameter ``$as_of`` (numbered the same)."""
    sql = NUMBERED_SQL.replace("{orders}", orders_ref)
    sql = sql.replace("{until}", " AND order_date <= $as_of" if until_as_of else "")
    return render_days(sql, engine)


def stored_sql(table_ref: str) -> str:
    """The same rows, dated on or before ``$as_of``, read from a table :func:`build` made."""
    return f"SELECT {', '.join(COLUMNS)} FROM {table_ref} WHERE order_date <= $as_of"


def build(cursor, schema_ref: str) -> None:
    """Store the numbered purchase rows of the orders in the quoted schema ``schema_ref`` as its
    ``purchase_days`` table (inside the caller's transaction: an import that fails leaves no table
    of its own behind)."""
    orders = schema_ref + '."orders"'
    cursor.execute(f'CREATE TABLE {schema_ref}."{TABLE}" AS {numbered_sql(orders)}')


def source_sql(store, dataset: str) -> str:
    """What a query reads for the purchase rows of ``dataset`` dated on or before ``$as_of``:
    the stored table where the dataset has one, else the numbering done in the query."""
    ref = store.derived_ref(dataset, TABLE)
    if ref is not None:
        return stored_sql(ref)
    return numbered_sql(store.canonical_ref(dataset, "orders"), until_as_of=True)
