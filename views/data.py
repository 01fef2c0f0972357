"""Data page: the current dataset's tables, uploads with mapping and validation, saving."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from ui import auth, state, widgets
from ui.safe import md
from valuation.data import currency, ingest, schema, sources
from valuation.data.files import IngestError
from valuation.data.reading import PARQUET
from valuation.data.store import SAMPLE_DATASET, StoreError, audit_log, merge_tables
from valuation.i18n.format import CURRENCIES, DEFAULT_CURRENCY, currency_name, format_date
from valuation.i18n.text import t
from valuation.model import persist

ctx = state.context()
lang = ctx.lang
st.title(t("page.data", lang))

# ---- the current dataset ---------------------------------------------------------
info = ctx.store.info(ctx.dataset)
label = t("sidebar.session_only", lang, name=ctx.dataset) if ctx.scope == state.SESSION else ctx.dataset
st.subheader(t("data.current", lang, name=md(label)))
st.caption(t("data.source", lang, source=md(widgets.source_label(info.source, lang))))
st.caption(t("data.current_currency", lang, currency=currency_name(ctx.currency, lang)))
kind = sources.kind_info(ctx.store, ctx.dataset)
if kind and kind["kind"] == sources.KIND_FEATURES:
    st.info(t("scale.current_features", lang, engine=md(kind["detail"].get("engine") or "—"),
              source=md(kind["detail"].get("source") or kind["location"] or "—"),
              as_of=format_date(kind["as_of"], lang)))
elif kind and kind["kind"] == sources.KIND_PARQUET:
    st.caption(t("scale.current_parquet", lang, path=md(kind["location"] or "—")))
damaged = sources.features_problem(ctx.store, ctx.dataset)
if damaged is not None:  # a damaged features record: said here, where the dataset can be deleted
    state.show_error(damaged, lang)
summary = widgets.table_summary_frame(ctx.store.table_summary(ctx.dataset), info.provided, lang)
st.dataframe(summary, hide_index=True, placeholder="—",  # an empty table has no dates
             column_config=widgets.count_columns(summary))
missing = [t(f"table.{name}", lang) for name in schema.TABLES if name not in info.provided]
if missing:
    st.info(t("data.missing_tables", lang, tables="、".join(missing) if lang == "zh" else ", ".join(missing)))

may_delete = auth.can("upload") if ctx.scope == state.SESSION else auth.can("delete_dataset")
if may_delete and not (ctx.scope == state.DB and ctx.dataset == SAMPLE_DATASET):
    if st.button(t("data.delete", lang, name=md(ctx.dataset)), key="delete_dataset"):
        ctx.store.delete_dataset(ctx.dataset)
        persist.forget(ctx.store, ctx.dataset)  # its prepared files beside the database go with it
        state.clear_dataset_caches()
        st.session_state.pop("dataset", None)
        st.toast(t("data.deleted", lang, name=md(ctx.dataset)))
        st.rerun()

st.divider()


def saved(scope: str, name: str, flash: str) -> None:
    """A dataset was stored: stale figures go, the uploader empties, the sidebar switches to it."""
    state.clear_dataset_caches()
    widgets.reset_upload()
    state.select_dataset_next_run(scope, name)
    st.session_state["_flash"] = flash
    st.rerun()


def currency_picker(key: str, detected: str = DEFAULT_CURRENCY, container=st) -> str:
    """The currency of the amounts: the one found in the files first (CNY when none is)."""
    codes = list(CURRENCIES)
    return container.selectbox(t("data.currency", lang), codes, index=codes.index(detected),
                               format_func=lambda code: currency_name(code, lang),
                               help=t("data.currency_help", lang), key=key)


def save_buttons(key_prefix: str = "", detected: str = DEFAULT_CURRENCY) -> tuple[str | None, str]:
    """The currency of the amounts (the one found in the files first) and the two buttons, use in this
    session only / save as a dataset: the scope chosen (or None) and the currency."""
    picker, left, right = st.columns(3, vertical_alignment="bottom")
    # the key names the detection: a new detection resets the choice
    picked = currency_picker(f"{key_prefix}currency::{detected}", detected, picker)
    chosen = None
    if left.button(t("data.use_session", lang), key=f"{key_prefix}use_session", type="primary"):
        chosen = state.SESSION
    if right.button(t("data.save", lang), key=f"{key_prefix}save_dataset",
                    disabled=state.shared_store().read_only or not auth.can("save_dataset")):
        chosen = state.DB
    return chosen, picked


def ready_message(scope: str, name: str) -> str:
    return t("data.session_ready" if scope == state.SESSION else "data.saved", lang, name=md(name))


if auth.can("audit"):
    with st.expander(t("data.audit", lang)):
        audit = auth.audit_frame(audit_log(state.shared_store(), 200), lang)
        st.dataframe(audit, hide_index=True, placeholder="—", column_config=widgets.count_columns(audit))

if not auth.can("upload"):  # a viewer: see and export only
    st.info(t("data.viewer_only", lang))
    st.stop()

# ---- upload ----------------------------------------------------------------------
st.subheader(t("data.upload", lang))
if state.shared_store().read_only:  # a file published read-only: browse and score, keep uploads in the session
    st.info(t("data.read_only_db", lang, path=md(state.shared_store().path)))
files = st.file_uploader(t("data.upload", lang), type=["csv", "tsv", "txt", "xlsx", "parquet"],
                         accept_multiple_files=True,
                         help=t("data.upload_help", lang) + " " + t("scale.upload_help", lang),
                         key=widgets.upload_key(), label_visibility="collapsed")

results = []
features_files = []  # (upload, features frame): datasets as they are, not tables to merge
names = [u.name for u in files or []]


def upload_id(upload) -> str:
    """What the widgets of one upload are keyed by: its name, with its file id when two share the name."""
    return upload.name if names.count(upload.name) == 1 else f"{upload.name}::{upload.file_id}"


for upload in files or []:
    if widgets.is_parquet(upload):
        try:
            features = widgets.cached_features(upload)
        except StoreError as exc:
            state.show_error(exc, lang, file=upload.name, path=upload.name)
            continue
        if features is not None:
            features_files.append((upload, features))
            continue
    with st.container(border=True):
        table = st.selectbox(t("data.table_for_file", lang, file=md(upload.name)), list(schema.TABLES),
                             index=list(schema.TABLES).index(widgets.guess_table(upload.name)),
                             format_func=lambda name: t(f"table.{name}", lang),
                             key=f"table::{upload_id(upload)}")
        sheet = None
        try:
            sniffed = widgets.cached_sniff(upload)
            sheets = sniffed.get("sheets") or []
            if len(sheets) > 1:  # a workbook: the table may be on any sheet
                first = sniffed.get("sheet") or sheets[0]  # the first visible one
                sheet = st.selectbox(t("data.sheet", lang, file=md(upload.name)), sheets,
                                     index=sheets.index(first), key=f"sheet::{upload_id(upload)}")
                if sheet != first:
                    sniffed = widgets.cached_sniff(upload, sheet)
                else:
                    sheet = None  # read as the default sheet: its notes name the hidden sheets skipped
        except IngestError as exc:
            state.show_error(exc, lang, file=upload.name)
            continue
        detected = st.empty()  # the whole file's encoding replaces the preview's once it is read

        def show_detected(encoding: str) -> None:
            if sniffed["kind"] == PARQUET:
                detected.caption(t("scale.parquet_detected", lang, columns=len(sniffed["headers"])))
            else:
                detected.caption(t("data.detected", lang, encoding=encoding,
                                   delimiter=widgets.delimiter_label(sniffed["delimiter"], lang)))

        show_detected(sniffed["encoding"])
        for note in sniffed.get("notes") or ():  # a unit in a header, a Big5 file: said before the import
            st.caption(md(note.text(lang)))
        mapping = widgets.mapping_editor(upload_id(upload) if sheet is None else f"{upload_id(upload)}::{sheet}",
                                         table, sniffed["headers"], lang)
        with st.expander(t("data.preview", lang)):
            st.dataframe(sniffed["preview"], hide_index=True, placeholder="—")
        try:
            result = widgets.cached_read(upload, table, tuple(sorted(mapping.items())), sheet)
        except IngestError as exc:
            state.show_error(exc, lang, file=upload.name)
            continue
        show_detected(result.encoding)
        widgets.validation_report(result, lang, key=upload_id(upload))
        try:
            ingest.check_loadable(result)  # every row rejected: nothing to save
        except IngestError as exc:
            state.show_error(exc, lang, reason=widgets.reject_reason(exc.params.get("reason_code", ""),
                                                                     exc.params.get("column", ""),
                                                                     exc.params.get("reason", ""), lang))
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
        source_names = ", ".join(r.source_name for r in results)
        counts = currency.combined([r.currency_counts for r in results])
        if len({r.currency for r in results}) > 1:  # each file's own note said what it holds
            st.warning(t("data.currency_files_differ", lang, found=md(", ".join(
                f"{r.source_name}: {currency_name(r.currency, lang)}" for r in results))))
        scope, chosen_currency = save_buttons(detected=currency.decide(counts))
        if scope is not None:
            try:
                state.store_for(scope).replace_dataset(name, tables, source=source_names, currency=chosen_currency)
            except StoreError as exc:
                state.show_error(exc, lang)
                st.warning(t("data.failed_nothing_changed", lang))
            else:
                saved(scope, name.strip(), ready_message(scope, name.strip()))

# ---- features files: scored as they are ------------------------------------------
for upload, features in features_files:
    with st.container(border=True):
        st.markdown("**" + t("scale.features_file", lang, file=md(upload.name)) + "**")
        as_of = format_date(features.attrs.get("as_of"), lang)
        buyers = int((features["purchase_days"].fillna(0) > 0).sum()) if "purchase_days" in features else 0
        st.markdown(t("scale.features_detail", lang, engine=md(features.attrs.get("engine") or "—"),
                      source=md(features.attrs.get("source") or "—"), as_of=as_of,
                      customers=f"{len(features):,}", buyers=f"{buyers:,}"))
        provided = [name for name in schema.TABLES if name in (features.attrs.get("provided") or {})]
        if provided:
            st.caption(t("scale.features_tables", lang, tables=("、" if lang == "zh" else ", ").join(
                t(f"table.{name}", lang) for name in provided)))
        st.caption(t("scale.features_fixed", lang, as_of=as_of))
        name = st.text_input(t("data.save_name", lang), value=Path(upload.name).stem[:64],
                             key=f"features::{upload_id(upload)}::save_name")
        scope, chosen_currency = save_buttons(f"features::{upload_id(upload)}::")
        if scope is not None:
            try:
                stored = sources.attach_features(state.store_for(scope), name, features, currency=chosen_currency)
            except StoreError as exc:
                state.show_error(exc, lang, file=upload.name, path=upload.name)
                st.warning(t("data.failed_nothing_changed", lang))
            else:
                saved(scope, stored["dataset"], ready_message(scope, stored["dataset"]))

# ---- a Parquet folder read in place ------------------------------------------------
if auth.can("attach"):  # reading folders on the server: administrators only
    roots = sources.attach_roots()
    with st.expander(t("scale.attach_title", lang)):
        st.caption(t("scale.attach_help", lang))
        if not roots:  # reading server paths is an administrator's decision (docs/scale-out.md)
            st.info(t("scale.attach_disabled", lang, env=sources.ATTACH_ROOTS_ENV))
        else:
            st.caption(t("scale.attach_roots", lang, roots=md(" · ".join(roots))))
        folder = st.text_input(t("scale.attach_path", lang), key="attach_path",
                               placeholder="/data/sales_lake · s3://bucket/sales_lake")
        attach_name = st.text_input(t("scale.attach_name", lang), key="attach_name")
        attach_currency = currency_picker("attach_currency")  # Parquet files do not say their currency
        if st.button(t("scale.attach_button", lang), key="attach_parquet", disabled=not roots):
            folder = folder.strip()
            if not folder:
                st.warning(t("scale.attach_no_path", lang))
            elif not sources.within_roots(folder, roots):
                state.show_error(StoreError("attach_outside_roots", f"{folder} is outside {roots}",
                                            path=folder, roots=" · ".join(roots)), lang)
                st.warning(t("scale.attach_failed", lang))
            else:
                name = attach_name.strip() or Path(folder.rstrip("/")).name
                try:
                    attached = sources.attach_parquet(state.store_for(state.DB), name, folder,
                                                      currency=attach_currency)
                except StoreError as exc:
                    state.show_error(exc, lang)
                    st.warning(t("scale.attach_failed", lang))
                else:
                    state.clear_dataset_caches()
                    state.select_dataset_next_run(state.DB, attached["dataset"])
                    st.session_state["_flash"] = t("scale.attached", lang, name=md(attached["dataset"]),
                                                   orders=f"{attached['orders']:,}", path=md(attached["path"]))
                    st.rerun()

if "_flash" in st.session_state:
    st.success(st.session_state.pop("_flash"))
