"""Widgets and cached helpers that return plain values for the pages."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ui.safe import md
from valuation.data import ingest, schema
from valuation.data.mapping import candidate_columns, detect_mapping
from valuation.i18n.format import current_currency, format_money, streamlit_money_format, using_currency
from valuation.i18n.text import TEXT, t
from valuation.present import exports
from valuation.present.exports import csv_bytes

NOT_USED = ""


UPLOAD_ROUND_KEY = "_upload_round"
UPLOAD_CACHE_KEYS = "_upload_cache_keys"


def upload_key() -> str:
    """The uploader's widget key: ``upload``, then a new key after each file is saved (empties it)."""
    n = st.session_state.get(UPLOAD_ROUND_KEY, 0)
    return "upload" if not n else f"upload::{n}"


def reset_upload() -> None:
    """After a save: a fresh, empty uploader on the next run, and this session's parsed uploads dropped.

    Otherwise the rerun after a save would find the file still in the uploader and show (and,
    before the caches were keyed by upload, parse) the whole file again.
    """
    st.session_state[UPLOAD_ROUND_KEY] = st.session_state.get(UPLOAD_ROUND_KEY, 0) + 1
    for func, args in st.session_state.pop(UPLOAD_CACHE_KEYS, set()):
        {"sniff": _sniff, "read": _read, "features": _features}[func].clear(*args)


def _remember(func: str, args: tuple) -> None:
    st.session_state.setdefault(UPLOAD_CACHE_KEYS, set()).add((func, args))


def file_key(upload) -> tuple[str, str, int]:
    """What identifies an upload in the caches: Streamlit's file id (new for every upload), name, size.

    Hashing the bytes instead (``st.cache_data`` on a bytes argument) cost a pass over a 100 MB
    file on every rerun of the page.
    """
    return (str(getattr(upload, "file_id", "")), upload.name, int(upload.size))


# cache_resource, not cache_data: a million-row result is returned without a pickled copy on
# every rerun, and clearing the dataset caches (st.cache_data) after a save does not drop it.
# The pages only read these results.
@st.cache_resource(show_spinner=False, max_entries=16, ttl="2h")
def _sniff(key: tuple[str, str, int], sheet: str | None, _data: bytes) -> dict:
    return ingest.sniff(_data, name=key[1], sheet=sheet)


@st.cache_resource(show_spinner=False, max_entries=16, ttl="2h")
def _read(key: tuple[str, str, int], table: str, mapping: tuple[tuple[str, str], ...],
          sheet: str | None, _data: bytes):
    return ingest.read_table(_data, name=key[1], table=table, mapping=dict(mapping) or None,
                             sheet=sheet)


@st.cache_resource(show_spinner=False, max_entries=8, ttl="2h")
def _features(key: tuple[str, str, int], _data: bytes):
    import tempfile
    from pathlib import Path

    from valuation.data import sources

    with tempfile.TemporaryDirectory(prefix="valuation_upload_") as folder:
        path = Path(folder) / "upload.parquet"
        path.write_bytes(_data)
        if not sources.is_features_file(path):
            return None
        return sources.read_features(path)


def cached_sniff(upload, sheet: str | None = None) -> dict:
    """``ingest.sniff`` of an upload (cached per upload and sheet)."""
    key = file_key(upload)
    _remember("sniff", (key, sheet))
    return _sniff(key, sheet, upload.getvalue())


def cached_read(upload, table: str, mapping: tuple[tuple[str, str], ...], sheet: str | None = None):
    """``ingest.read_table`` of an upload (cached per upload, table, mapping and sheet)."""
    key = file_key(upload)
    _remember("read", (key, table, mapping, sheet))
    return _read(key, table, mapping, sheet, upload.getvalue())


def is_parquet(upload) -> bool:
    return upload.name.lower().endswith(".parquet") or upload.getvalue()[:4] == b"PAR1"


def cached_features(upload):
    """The features frame of an uploaded features file (``python -m valuation features``), or None
    when the Parquet file is another table (then it is read as a table, like a CSV file)."""
    key = file_key(upload)
    _remember("features", (key,))
    return _features(key, upload.getvalue())


def guess_table(file_name: str) -> str:
    """A file named like a table (payments.csv, 客户.xlsx) goes to that table; else orders."""
    lowered = file_name.lower()
    hints = {"customers": ("customer", "client", "客户"), "payments": ("payment", "invoice", "回款", "发票"),
             "service": ("service", "ticket", "服务", "工单"), "orders": ("order", "订单")}
    for table in ("orders", "payments", "service", "customers"):
        if any(h in lowered for h in hints[table]):
            return table
    return "orders"


def delimiter_label(delimiter: str | None, lang: str = "en") -> str:
    return {",": "“,”", "\t": t("data.delimiter_tab", lang), ";": "“;”", "|": "“|”", None: "—"}.get(
        delimiter, repr(delimiter))


def mapping_editor(file_name: str, table: str, headers: list[str], lang: str) -> dict[str, str]:
    """One select box per canonical column, preset to the detected header; returns canonical -> header."""
    detected = detect_mapping(headers, table)
    missing_required = [c for c in schema.required(table) if c not in detected]
    mapping: dict[str, str] = {}
    with st.expander(t("data.mapping", lang), expanded=bool(missing_required)):
        cols = st.columns(3)
        for i, column in enumerate(candidate_columns(table)):
            options = [NOT_USED] + list(headers)
            default = detected.get(column.name, NOT_USED)
            label = exports.column_label(column.name, lang) + (" *" if column.required else "")
            choice = cols[i % 3].selectbox(
                label, options, index=options.index(default) if default in options else 0,
                format_func=lambda h: t("data.mapping_none", lang) if h == NOT_USED else h,
                key=f"map::{file_name}::{table}::{column.name}")
            if choice != NOT_USED:
                mapping[column.name] = choice
    return mapping


def validation_report(result, lang: str, key: str | None = None) -> None:
    """Counts, warnings and the rejected rows of one imported file, with a download."""
    s = result.summary()
    st.markdown("**" + t("data.report", lang, rows_read=f"{s['rows_read']:,}",
                         rows_loaded=f"{s['rows_loaded']:,}",
                         rows_rejected=f"{s['rows_rejected']:,}") + "**")
    if s.get("amount_total") is not None:
        st.caption(t("data.report_detail", lang, customers=f"{s['customers']:,}",
                     amount=format_money(s["amount_total"], lang, currency=result.currency)))
    for note in result.notes:  # every warning of a load, each in the reader's language
        if note.key == "load.rows_rejected":
            continue  # the report line above says it
        st.warning(t(SHOWN_AS[note.key], lang) if note.key in SHOWN_AS else md(note.text(lang)))
    if len(result.rejects):
        st.markdown(t("data.rejects", lang))
        shown = rejects_frame(result.rejects, lang)  # the reason code stays in the file, for machines
        st.dataframe(shown.drop(columns=[t("reject.col_reason_code", lang)], errors="ignore").head(1000),
                     hide_index=True, placeholder="—")
        st.download_button(t("data.rejects_download", lang), csv_bytes(shown),
                           file_name=exports.download_name("file.rejects", lang, result.source_name.rsplit(".", 1)[0]),
                           mime="text/csv", key=f"rejects::{key or result.source_name}")
    else:
        st.caption(t("data.no_rejects", lang))


# Load notes the page says at more length than the command line (the same words as the pages' notes).
SHOWN_AS = {"load.no_cost": "note.no_cost"}


def reject_reason(code: str, column: str, english: str, lang: str) -> str:
    """Why a row was rejected, for a reader: by its reason code in Chinese (the column as the file
    names it), the engine's English sentence (with its details) in English or for an unknown code."""
    if lang != "zh" or f"reject.{code}" not in TEXT:
        return english
    return t(f"reject.{code}", lang, col=column)


def rejects_frame(rejects: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Rejected rows for a reader: reasons in their language (by reason code), translated headers;
    the code stays, labelled, for whoever filters the file by it."""
    out = rejects.copy()
    if "reason_code" in out:
        out["reason"] = [reject_reason(code, col, en, lang)
                         for code, col, en in zip(out["reason_code"], out["column"], out["reason"])]
    return out.rename(columns={c: t(f"reject.col_{c}", lang) for c in out.columns if f"reject.col_{c}" in TEXT})


def source_label(source: str | None, lang: str) -> str:
    """Where a dataset came from, for a reader: the bundled sample said in their language, else as stored."""
    from valuation.data.store import SAMPLE_SOURCE

    prefix = SAMPLE_SOURCE.split("{", 1)[0]
    if source and source.startswith(prefix) and source.endswith("/)"):
        return t("data.source_sample", lang, folder=source[len(prefix):-1])
    return source or "—"


def table_summary_frame(summary: pd.DataFrame, provided: dict[str, list[str]], lang: str) -> pd.DataFrame:
    """The store's per-table summary with translated headers and the columns each file provided."""
    out = summary.copy()
    sep = "、" if lang == "zh" else ", "
    out["columns_provided"] = [sep.join(exports.column_label(c, lang) for c in provided.get(name, [])) or "—"
                               for name in out["table"]]
    out["table"] = [t(f"table.{name}", lang) for name in out["table"]]
    return out.rename(columns={c: t(f"col.{c}", lang) for c in out.columns})


def features_only(ctx, what: str) -> bool:
    """True, with a message, when the dataset holds features computed elsewhere and ``what``
    (a ``scale.what.*`` label) needs its individual orders, which it does not have."""
    from ui import state
    from valuation.i18n.format import format_date

    info = state.features_info(ctx)
    if info is None:
        return False
    st.info(t("scale.no_orders_here", ctx.lang, name=md(ctx.dataset), as_of=format_date(info["as_of"], ctx.lang),
              what=t(f"scale.what.{what}", ctx.lang)))
    return True


def require_orders(ctx) -> bool:
    """False (with a message) when the dataset has no orders on or before the as-of date."""
    if ctx.last_order is None:
        st.info(t("sidebar.no_orders", ctx.lang))
        return False
    return True


def data_notes(scored: pd.DataFrame, lang: str) -> None:
    """Say which parts of the model run on real data and which are missing, and why."""
    report = scored.attrs.get("dimensions")
    availability = scored.attrs.get("availability")
    fit = scored.attrs.get("clv_fit")
    notes = []
    if report is not None and report.missing:
        # A custom dimension is named by a column header (or a share link): text, not markdown.
        names = [md(exports.dimension_label(d, lang)) for d in report.missing]
        dims = "、".join(names) if lang == "zh" else ", ".join(names)
        notes.append(t("dim.missing", lang, dims=dims))
    if availability is not None:
        if not availability.cost:
            notes.append(t("note.no_cost", lang))
        if not availability.payments:
            notes.append(t("note.no_payments", lang))
        if not availability.service:
            notes.append(t("note.no_service", lang))
    if fit is not None and fit.method == "formula":
        notes.append(t("note.clv_formula", lang, reason=md(fit.reason_text(lang))))
    if notes:
        with st.expander(t("note.title", lang, n=len(notes)), expanded=False):
            for note in notes:
                st.markdown(f"- {note}")


def class_actions(scored: pd.DataFrame, lang: str) -> None:
    """One card per value class: how many customers, their profit, and the recommended action.

    The counts are ``exports.class_table``'s, as in the report and the workbook (buyers only:
    prospects have no value class yet).
    """
    table = exports.class_table(scored, lang)
    cols = st.columns(len(table))
    for col, row in zip(cols, table.itertuples(index=False)):
        with col.container(border=True):
            st.markdown(f"**{t(f'class.{row.value_class}', lang)}** · {row.customers:,}")
            st.caption(t("overview.class_profit", lang, profit=format_money(row.net_profit_12m, lang)))
            st.write(row.action)


def labelled(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """A copy for display: translated headers and values, dates without time (the export's own rules)."""
    return exports.labelled(frame, lang)


# Streamlit number formats per ``exports.NUMBER_KINDS`` kind. "yen" puts the sign before the symbol
# (-¥2,280,440; the printf "¥%,.0f" wrote ¥-2,280,440) and keeps the column a number that sorts.
# Money is in the dataset's currency: ``money_column`` ("dollar" for USD, format.streamlit_money_format).
NUMBER_FORMATS = {"money": "yen", "pct": "percent", "score": "%.1f", "days": "%d", "count": "%,d"}


def in_this_run(build):
    """A download's builder (a report, a workbook, a labelled CSV) that writes money as this run does:
    Streamlit calls it when clicked, on a thread of its own, where the run's currency is not set."""
    currency = current_currency()

    def run():
        with using_currency(currency):
            return build()
    return run


def money_column(lang: str = "en", **options):
    """A NumberColumn of whole money in the run's currency: -¥2,280,440, -$2,280,440, -2,280,440 HKD."""
    return st.column_config.NumberColumn(format=streamlit_money_format(lang=lang), step=1, **options)


def number_columns(lang: str, columns=None) -> dict:
    """Column formats for labelled tables, by header in ``lang``: money in yuan with separators,
    shares and trends in %, scores to one decimal, whole days and counts.

    ``columns``: the frame's column names (before labelling); default every column of a known kind.
    """
    names = columns if columns is not None else [c for cs in exports.NUMBER_KINDS.values() for c in cs]
    out = {}
    for column in names:
        kind = exports.column_kind(column)
        if kind == "money":
            out[exports.column_label(str(column), lang)] = money_column(lang)
        elif kind is not None:
            out[exports.column_label(str(column), lang)] = st.column_config.NumberColumn(format=NUMBER_FORMATS[kind])
    return out


def count_columns(frame: pd.DataFrame) -> dict:
    """Thousands separators for the whole-number columns of an already labelled table (1,047, not 1047)."""
    return {str(c): st.column_config.NumberColumn(format=NUMBER_FORMATS["count"]) for c in frame.columns
            if pd.api.types.is_integer_dtype(frame[c])}


def table(frame: pd.DataFrame, lang: str, column_config: dict | None = None, **kwargs) -> None:
    """A table of engine columns for people: headers and codes in ``lang``, numbers formatted by kind,
    dates without time, and "—" where a value is missing (never None or NaN)."""
    config = {**number_columns(lang, list(frame.columns)), **(column_config or {})}
    st.dataframe(labelled(frame, lang), hide_index=True, column_config=config, placeholder="—", **kwargs)


PROJECTOR_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"],
[data-testid="stToolbar"], [data-testid="stDecoration"] {display: none;}
[data-testid="stMainBlockContainer"] {max-width: 100%; padding: 0.75rem 2.5rem 0.5rem;}
[data-testid="stMain"] [data-testid="stVerticalBlock"] {gap: 0.5rem;}
[data-testid="stMain"] h1 {font-size: 2.2rem; padding: 0; line-height: 1.2;}
[data-testid="stMain"] h3 {font-size: 1.6rem; padding: 0.25rem 0;}
[data-testid="stMain"] p, [data-testid="stMain"] li {font-size: 1.35rem;}
[data-testid="stMain"] button p, .st-key-present_exit a p {font-size: 1.1rem;}
[data-testid="stMain"] table {font-size: 1.3rem;}
[data-testid="stMain"] table th, [data-testid="stMain"] table td {padding: 0.35rem 0.75rem;}
.present-counter {margin: 0; text-align: center; color: #555;}
.present-footer p {font-size: 1.05rem !important; color: #666; margin: 0;}
.present-notes {color: #666; margin: 0;}
.present-table {width: 100%; border-collapse: collapse;}
.present-table th {text-align: left; color: #555; border-bottom: 2px solid #999;}
.present-table td {border-bottom: 1px solid #ddd; white-space: nowrap;}
.present-table td:nth-child(n+3), .present-table th:nth-child(n+3) {text-align: right;}
.st-key-present_exit a {justify-content: center; border: 1px solid rgba(49, 51, 63, 0.2); border-radius: 0.5rem;}
[data-testid="stMain"] iframe[height="0"] {display: block;}
</style>
"""


def projector_style() -> None:
    """Full width and large type, no sidebar: for a meeting room projector (our own CSS only)."""
    st.markdown(PROJECTOR_CSS, unsafe_allow_html=True)


def weight_evidence(ctx, settings, baseline_settings, baseline_name: str) -> None:
    """Beside the sliders: how well these weights' tiers, cut a year ago, predicted the profit that
    followed, against the baseline preset; and the weights learned from that history, offered."""
    from ui import cache, controls
    from valuation.analysis import evidence
    from valuation.i18n.format import format_date, format_pct

    lang = ctx.lang
    st.subheader(t("evidence.title", lang))
    if features_only(ctx, "evidence"):
        return
    ev = cache.evidence(ctx, settings)
    if ev is None:
        st.caption(t("evidence.none", lang))
        return
    # kept per setting with the prepared data: a rerun that moved nothing ranks nobody again
    now = cache.kept(ctx, "evidence", (settings,), lambda: evidence.weight_evidence(ev, settings), settings)
    base = cache.kept(ctx, "evidence", (baseline_settings,), lambda: evidence.weight_evidence(ev, baseline_settings),
                        settings)
    baseline = t(f"preset.{baseline_name}", lang)
    cols = st.columns(2)
    same = settings.weights == baseline_settings.weights  # no delta against itself
    cols[0].metric(t("evidence.top_share", lang), format_pct(now["top_share"]),
                   delta=None if same else t("evidence.delta_pt", lang, baseline=baseline,
                                             pts=f"{(now['top_share'] - base['top_share']) * 100:+.1f}"))
    cols[1].metric(t("evidence.spearman", lang), f"{now['spearman']:.3f}",
                   delta=None if same else t("evidence.delta_rho", lang, baseline=baseline,
                                             delta=f"{now['spearman'] - base['spearman']:+.3f}"))
    st.caption(t("evidence.caption", lang, scored_at=format_date(now["scored_at"], lang),
                 as_of=format_date(now["as_of"], lang)))
    learned = cache.learned_weights(ctx, settings)
    if learned is None:
        return
    weights, rho = learned
    with st.expander(t("evidence.learned", lang)):
        shown = ", ".join(f"{t(f'dim.{d}', lang)} {w:.0f}" for d, w in weights.as_dict().items()
                          if w > 0 and not d.startswith("custom:") and d != "influence")
        st.markdown(t("evidence.learned_text", lang, weights=shown, rho=f"{rho:.3f}", now=f"{now['spearman']:.3f}"))
        if weights == settings.weights:
            st.caption(t("evidence.learned_same", lang))
        else:
            st.button(t("evidence.apply", lang), on_click=controls.apply_weights, args=(weights,),
                      key="apply_learned")
