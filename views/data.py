"""Data page: the current dataset's tables, uploads with mapping and validation, saving."""

from __future__ import annotations

import streamlit as st

from ui import state, widgets
from ui.safe import md
from valuation import ingest, schema
from valuation.i18n import t
from valuation.ingest import IngestError
from valuation.store import SAMPLE_DATASET, StoreError, merge_tables

ctx = state.context()
lang = ctx.lang
st.title(t("page.data", lang))

# ---- the current dataset ---------------------------------------------------------
info = ctx.store.info(ctx.dataset)
label = t("sidebar.session_only", lang, name=ctx.dataset) if ctx.scope == state.SESSION else ctx.dataset
st.subheader(t("data.current", lang, name=label))
st.caption(t("data.source", lang, source=md(info.source or "—")))
summary = widgets.table_summary_frame(ctx.store.table_summary(ctx.dataset), info.provided, lang)
st.dataframe(summary, hide_index=True)
missing = [t(f"table.{name}", lang) for name in schema.TABLES if name not in info.provided]
if missing:
    st.info(t("data.missing_tables", lang, tables="、".join(missing) if lang == "zh" else ", ".join(missing)))

if not (ctx.scope == state.DB and ctx.dataset == SAMPLE_DATASET):
    if st.button(t("data.delete", lang, name=ctx.dataset), key="delete_dataset"):
        ctx.store.delete_dataset(ctx.dataset)
        state.clear_dataset_caches()
        st.session_state.pop("dataset", None)
        st.toast(t("data.deleted", lang, name=ctx.dataset))
        st.rerun()

st.divider()

# ---- upload ----------------------------------------------------------------------
st.subheader(t("data.upload", lang))
files = st.file_uploader(t("data.upload", lang), type=["csv", "tsv", "txt", "xlsx"],
                         accept_multiple_files=True, help=t("data.upload_help", lang),
                         key="upload", label_visibility="collapsed")

results = []
for upload in files or []:
    data = upload.getvalue()
    with st.container(border=True):
        table = st.selectbox(t("data.table_for_file", lang, file=md(upload.name)), list(schema.TABLES),
                             index=list(schema.TABLES).index(widgets.guess_table(upload.name)),
                             format_func=lambda name: t(f"table.{name}", lang),
                             key=f"table::{upload.name}")
        sheet = None
        try:
            sniffed = widgets.cached_sniff(data, upload.name)
            sheets = sniffed.get("sheets") or []
            if len(sheets) > 1:  # a workbook: the table may be on any sheet
                sheet = st.selectbox(t("data.sheet", lang, file=md(upload.name)), sheets,
                                     key=f"sheet::{upload.name}")
                if sheet != sheets[0]:
                    sniffed = widgets.cached_sniff(data, upload.name, sheet)
        except IngestError as exc:
            state.show_error(exc, lang, file=upload.name)
            continue
        st.caption(t("data.detected", lang, encoding=sniffed["encoding"],
                     delimiter=widgets.delimiter_label(sniffed["delimiter"])))
        mapping = widgets.mapping_editor(upload.name if sheet is None else f"{upload.name}::{sheet}",
                                         table, sniffed["headers"], lang)
        with st.expander(t("data.preview", lang)):
            st.dataframe(sniffed["preview"], hide_index=True)
        try:
            result = widgets.cached_read(data, upload.name, table, tuple(sorted(mapping.items())), sheet)
        except IngestError as exc:
            state.show_error(exc, lang, file=upload.name)
            continue
        widgets.validation_report(result, lang)
        try:
            ingest.check_loadable(result)  # every row rejected: nothing to save
        except IngestError as exc:
            state.show_error(exc, lang)
            continue
        results.append(result)

if results:
    if not any(r.table == "orders" for r in results):
        st.info(t("data.no_orders_file", lang))
    else:
        # A customers file first, so its values win over attributes lifted from orders.
        ordered = sorted(results, key=lambda r: r.table != "customers")
        tables = merge_tables([r.tables for r in ordered])
        default_name = next(r for r in results if r.table == "orders").source_name.rsplit(".", 1)[0]
        name = st.text_input(t("data.save_name", lang), value=default_name[:64], key="save_name")
        sources = ", ".join(r.source_name for r in results)
        left, right = st.columns(2)
        scope = None
        if left.button(t("data.use_session", lang), key="use_session", type="primary"):
            scope = state.SESSION
        if right.button(t("data.save", lang), key="save_dataset"):
            scope = state.DB
        if scope is not None:
            try:
                state.store_for(scope).replace_dataset(name, tables, source=sources)
            except StoreError as exc:
                state.show_error(exc, lang)
                st.warning(t("data.failed_nothing_changed", lang))
            else:
                state.clear_dataset_caches()
                state.select_dataset_next_run(scope, name.strip())
                key = "data.session_ready" if scope == state.SESSION else "data.saved"
                st.session_state["_flash"] = t(key, lang, name=name.strip())
                st.rerun()

if "_flash" in st.session_state:
    st.success(st.session_state.pop("_flash"))
