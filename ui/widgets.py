"""Widgets and cached helpers that return plain values for the pages."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from valuation import ingest, schema
from valuation.exports import csv_bytes
from valuation.i18n import format_money, t

NOT_USED = ""


@st.cache_data(show_spinner=False, max_entries=16)
def cached_sniff(data: bytes, name: str) -> dict:
    return ingest.sniff(data, name=name)


@st.cache_data(show_spinner=False, max_entries=16)
def cached_read(data: bytes, name: str, table: str, mapping: tuple[tuple[str, str], ...]):
    return ingest.read_table(data, name=name, table=table, mapping=dict(mapping) or None)


def guess_table(file_name: str) -> str:
    """A file named like a table (payments.csv, 客户.xlsx) goes to that table; else orders."""
    lowered = file_name.lower()
    hints = {"customers": ("customer", "client", "客户"), "payments": ("payment", "invoice", "回款", "发票"),
             "service": ("service", "ticket", "服务", "工单"), "orders": ("order", "订单")}
    for table in ("orders", "payments", "service", "customers"):
        if any(h in lowered for h in hints[table]):
            return table
    return "orders"


def delimiter_label(delimiter: str | None) -> str:
    return {",": "“,”", "\t": "Tab", ";": "“;”", "|": "“|”", None: "—"}.get(delimiter, repr(delimiter))


def mapping_editor(file_name: str, table: str, headers: list[str], lang: str) -> dict[str, str]:
    """One select box per canonical column, preset to the detected header; returns canonical -> header."""
    detected = ingest.detect_mapping(headers, table)
    missing_required = [c for c in schema.required(table) if c not in detected]
    mapping: dict[str, str] = {}
    with st.expander(t("data.mapping", lang), expanded=bool(missing_required)):
        cols = st.columns(3)
        for i, column in enumerate(schema.columns(table)):
            options = [NOT_USED] + list(headers)
            default = detected.get(column.name, NOT_USED)
            label = column.name + (" *" if column.required else "")
            choice = cols[i % 3].selectbox(
                label, options, index=options.index(default) if default in options else 0,
                format_func=lambda h: t("data.mapping_none", lang) if h == NOT_USED else h,
                key=f"map::{file_name}::{table}::{column.name}")
            if choice != NOT_USED:
                mapping[column.name] = choice
    return mapping


def validation_report(result, lang: str) -> None:
    """Counts, warnings and the rejected rows of one imported file, with a download."""
    s = result.summary()
    st.markdown("**" + t("data.report", lang, rows_read=f"{s['rows_read']:,}",
                         rows_loaded=f"{s['rows_loaded']:,}",
                         rows_rejected=f"{s['rows_rejected']:,}") + "**")
    if s.get("amount_total") is not None:
        st.caption(t("data.report_detail", lang, customers=f"{s['customers']:,}",
                     amount=format_money(s["amount_total"], lang)))
    for warning in s.get("warnings", []):
        st.warning(warning)
    if len(result.rejects):
        st.markdown(t("data.rejects", lang))
        st.dataframe(result.rejects.head(1000), hide_index=True)
        st.download_button(t("data.rejects_download", lang), csv_bytes(result.rejects),
                           file_name=f"rejects_{result.source_name}.csv", mime="text/csv",
                           key=f"rejects::{result.source_name}")
    else:
        st.caption(t("data.no_rejects", lang))


def table_summary_frame(summary: pd.DataFrame, provided: dict[str, list[str]], lang: str) -> pd.DataFrame:
    """The store's per-table summary with translated headers and the columns each file provided."""
    out = summary.copy()
    out["columns_provided"] = [", ".join(provided.get(name, [])) or "—" for name in out["table"]]
    out["table"] = [t(f"table.{name}", lang) for name in out["table"]]
    return out.rename(columns={c: t(f"col.{c}", lang) for c in out.columns})
