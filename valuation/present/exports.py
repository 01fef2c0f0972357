"""Exports for spreadsheets: CSV with a BOM for Excel, workbooks, formula-like text neutralised."""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from valuation.i18n.format import excel_money_format, format_count, format_money, format_pct, in_currency
from valuation.i18n.text import TEXT, t

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
# Control characters an .xlsx cannot hold (tab, newline and carriage return are allowed).
_ILLEGAL_XLSX = re.compile(r"[\000-\010\013\014\016-\037]")
SHEET_NAME_MAX = 31
_FILE_FORBIDDEN = re.compile(r'[\\/:*?"<>|\000-\037]+')


def _neutralise_text(value):
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy where text cells a spreadsheet would run as a formula start with an apostrophe.

    Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
    (``=1+1``, ``-abc``, ``@SUM(A1)``) gets a leading ``'``. Only text changes:
    numbers, negative ones included, stay numbers, also inside mixed object columns.
    """
    out = frame.copy()
    # Headers are text a spreadsheet reads too (a custom metric is named after a column of the file).
    out.columns = [_neutralise_text(c) for c in out.columns]
    for i in range(out.shape[1]):
        series = out.iloc[:, i]
        if isinstance(series.dtype, pd.CategoricalDtype):  # categories are text too: plain values
            series = series.astype(object)
            out.isetitem(i, series)
        if pd.api.types.is_string_dtype(series) and not pd.api.types.is_object_dtype(series):
            risky = series.str.startswith(_FORMULA_START).fillna(False).astype(bool)
            if risky.any():
                out.isetitem(i, series.where(~risky, "'" + series))
        elif pd.api.types.is_object_dtype(series):
            # Mixed columns: only str cells are text; -5 as a number must stay -5.
            risky = series.map(lambda v: isinstance(v, str) and v.startswith(_FORMULA_START)).astype(bool)
            if risky.any():
                out.isetitem(i, series.where(~risky, series.map(_neutralise_text)))
    return out


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV with a BOM (so Excel shows Chinese), formulas neutralised."""
    return neutralise_formulas(frame).to_csv(index=False).encode("utf-8-sig")


def write_csv(frame: pd.DataFrame, path: str | Path) -> None:
    Path(path).write_bytes(csv_bytes(frame))


def _shorten(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` characters, never cut inside a Latin word or number: a cut
    that would split one goes back to the space or punctuation before it (Chinese text is cut
    between any two characters)."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    if text[limit].isascii() and text[limit].isalnum() and cut[-1].isascii() and cut[-1].isalnum():
        boundary = max((i for i, c in enumerate(cut) if not (c.isascii() and c.isalnum())), default=-1)
        if boundary > 0:
            cut = cut[:boundary]
    return cut.rstrip(" ,;-_(")


def sheet_title(name: str, taken=()) -> str:
    """A valid Excel sheet name from ``name``: at most 31 characters, none of ``[]:*?/\\``.

    Forbidden characters become ``_``, surrounding apostrophes and blanks go, a longer name is
    shortened at a word boundary (never mid-word), an empty result becomes ``Sheet``, and a name
    already in ``taken`` (Excel compares without case) gets `` (2)``, `` (3)`` … within the 31
    characters. Give sheets short names (``sheet.*`` labels): shortening is the last resort.
    """
    title = _ILLEGAL_XLSX.sub("", _SHEET_FORBIDDEN.sub("_", str(name)))
    title = _shorten(title.strip().strip("'").strip(), SHEET_NAME_MAX).strip() or "Sheet"
    used = {str(n).lower() for n in taken}
    candidate, k = title, 1
    while candidate.lower() in used:
        k += 1
        suffix = f" ({k})"
        candidate = _shorten(title, SHEET_NAME_MAX - len(suffix)) + suffix
    return candidate


def excel_bytes(sheets: dict[str, pd.DataFrame]) -> bytes:
    """An .xlsx file with one sheet per entry, formula-like text neutralised, sheet names made valid."""
    buffer = io.BytesIO()
    taken: list[str] = []
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            clean = neutralise_formulas(frame)
            for col in clean.columns:  # Excel has no time zones and no NA object
                if isinstance(clean[col].dtype, pd.DatetimeTZDtype):
                    clean[col] = clean[col].dt.tz_localize(None)
            title = sheet_title(name, taken)
            taken.append(title)
            clean.to_excel(writer, sheet_name=title, index=False)
    return buffer.getvalue()


def write_table(frame: pd.DataFrame, path: str | Path) -> None:
    """Write by extension: .csv (UTF-8 with BOM), .xlsx, or .parquet."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        write_csv(frame, path)
    elif suffix == ".xlsx":
        path.write_bytes(excel_bytes({"customers": frame}))
    elif suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        raise ValueError(f"unknown output type {suffix!r}: use .csv, .xlsx or .parquet")


# --------------------------------------------------------------------------- labels

_VALUE_KEYS = {"tier": "tier", "value_class": "class", "rfm_segment": "rfm", "rfm_class": "rfmc",
               "lifecycle_stage": "stage", "grade_profit": "grade", "grade_potential": "grade",
               "grade_loyalty": "grade",
               "tier_before": "tier", "tier_after": "tier", "main_loss_driver": "loss"}

# What the numbers of a column are, so every table (screen, workbook) writes them alike:
# money in the dataset's currency with separators, shares and trends in %, scores to one decimal, whole days and counts.
NUMBER_KINDS = {
    "money": frozenset({
        "revenue_12m", "net_profit_12m", "revenue_total", "gross_profit_12m", "service_cost_12m", "bad_debt_12m",
        "clv", "actual_value", "strategic_value", "avg_order_value", "wallet_headroom", "overdue_amount",
        "revenue_last_6m", "revenue_prev_6m", "revenue_drop", "net_profit_before", "net_profit_after",
        "cost_to_serve", "thin_margin", "unpaid_invoices", "acquisition_cost", "wallet_estimate", "value_at_risk",
        "0_30", "31_90", "90_plus", "total"}),
    "pct": frozenset({"customer_share", "revenue_share", "profit_share", "revenue_trend", "growth_rate",
                      "tier_a_profit_share", "category_coverage", "share_of_wallet", "on_time_payment_ratio",
                      "p_alive"}),
    "score": frozenset({"composite", "composite_before", "composite_after", "score_moved", "current", "future",
                        "credit", "loyalty", "growth", "influence", "avg_service_satisfaction"}),
    "days": frozenset({"days_since_last_order", "mean_gap_days", "tenure_days", "avg_days_to_pay",
                       "avg_days_late", "peer_gap_days"}),
    "count": frozenset({"customers", "orders", "purchase_days", "categories_bought", "complaints_12m",
                        "orders_12m", "customers_at_risk", "below_zero", "prospects"}),
}
_WHOLE_DAYS = NUMBER_KINDS["days"]


def column_kind(column: str) -> str | None:
    """What a column's numbers are: ``money``, ``pct``, ``score``, ``days`` or ``count``; None for the rest.

    The scores of custom dimensions (``score_custom:…``) are scores; their raw values are the data's own.
    """
    column = str(column)
    if column.startswith("score_custom:"):
        return "score"
    return next((kind for kind, columns in NUMBER_KINDS.items() if column in columns), None)


def column_label(column: str, lang: str = "en") -> str:
    """The header a reader sees for a column: ``feat.*``, then ``export.col.*``, then ``dim.*``; else the name."""
    if column.startswith(("custom:", "score_custom:")):  # a header may hold ":" itself (http://…)
        inner = column.split(":", 1)[1]
        key = next((f"{p}.{inner}" for p in ("feat", "export.col") if f"{p}.{inner}" in TEXT), None)
        return t(key, lang) if key else inner
    for prefix in ("feat", "export.col", "dim"):
        if f"{prefix}.{column}" in TEXT:
            return t(f"{prefix}.{column}", lang)
    return column


def dimension_label(dim: str, lang: str = "en") -> str:
    """A scoring dimension's name: translated, or a custom dimension's column header.

    The header is the data's own text: escape it for where it goes (``ui.safe.md`` for markdown,
    ``style.plain`` for plotly, ``html.escape`` for HTML).
    """
    return column_label(dim, lang) if dim.startswith("custom:") else t(f"dim.{dim}", lang)


def labelled(frame: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """A copy for people: translated headers and category values, dates without time, whole day counts.

    Tier, value class, RFM segment, lifecycle stage and loss-driver codes become
    their labels in ``lang``; a header that would repeat another keeps its code in brackets.
    """
    out = frame.copy()
    # Engine metadata is not for files; the column names stay, to pick each column's number format.
    out.attrs = {"codes": [str(c) for c in frame.columns]}
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.date
        elif col in _WHOLE_DAYS and pd.api.types.is_numeric_dtype(out[col]):
            out[col] = out[col].round(0)
    for col, prefix in _VALUE_KEYS.items():
        if col in out:
            out[col] = out[col].map(lambda v, p=prefix: t(f"{p}.{v}", lang) if isinstance(v, str) and v else v)
    names, seen = {}, set()
    for col in out.columns:
        label = column_label(str(col), lang)
        if label in seen:
            label = f"{label} ({col})"
        seen.add(label)
        names[col] = label
    return out.rename(columns=names)


# --------------------------------------------------------------------------- summary tables


def tier_table(scored: pd.DataFrame) -> pd.DataFrame:
    """Every tier (A … prospect, zeros included): customers, 12-month revenue and net profit, and their shares.

    Shares are of the customers with orders, who are the customers of ``insights.kpis``, the
    pyramid and the value-over-time page (tier A at a 5% cut-off is about 5%); the prospect row
    has its count and no shares (NaN). Needs ``tier``, ``revenue_12m`` and ``net_profit_12m``.
    """
    from valuation.model import tiers

    conc = tiers.concentration(scored[["tier", "revenue_12m", "net_profit_12m"]]).set_index("tier")
    conc = conc.reindex(list(tiers.TIERS)).fillna(0.0)
    conc["customers"] = conc["customers"].astype("int64")
    buyers = conc.drop(index="prospect")
    for total, share in (("customers", "customer_share"), ("revenue_12m", "revenue_share"),
                         ("net_profit_12m", "profit_share")):
        whole = float(buyers[total].sum())
        conc[share] = conc[total] / whole if whole else 0.0
        conc.loc["prospect", share] = float("nan")
    cols = ["customers", "customer_share", "revenue_12m", "revenue_share", "net_profit_12m", "profit_share"]
    return conc[cols].rename_axis("tier").reset_index()


def class_table(scored: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """Every value class: its buyers, their 12-month revenue and net profit, and the recommended action in ``lang``.

    Prospects have no value class (``value_class`` "prospect") and are not counted. The overview's
    class cards, the report and the workbook all count from here. Needs ``value_class``,
    ``revenue_12m`` and ``net_profit_12m`` (and ``has_orders`` when present).
    """
    from valuation.model import tiers

    # Three columns, not the frame: grouping every column of a million customers took about a second.
    classes = scored["value_class"].to_numpy(dtype=object)
    buyers = (scored["has_orders"].to_numpy(dtype=bool) if "has_orders" in scored
              else classes != "prospect")
    revenue = scored["revenue_12m"].to_numpy(dtype=float)
    profit = scored["net_profit_12m"].to_numpy(dtype=float)
    rows = []
    for name in tiers.VALUE_CLASSES:
        member = buyers & (classes == name)
        rows.append({"value_class": name, "customers": int(member.sum()), "revenue_12m": float(revenue[member].sum()),
                     "net_profit_12m": float(profit[member].sum()), "action": t(tiers.ACTIONS[name], lang)})
    return pd.DataFrame(rows, columns=["value_class", "customers", "revenue_12m", "net_profit_12m", "action"])


def class_money_sentences(scored: pd.DataFrame, lang: str = "en") -> list[str]:
    """Seed 000's checks in words and yuan (markdown bold): the most valuable customers' share of
    buyers, actual value and revenue; the replacement rule; or that wallet estimates are missing."""
    from valuation.analysis import insights

    money = insights.value_classes_in_money(scored)
    lines = []
    if money["most_valuable"]:
        lines.append(t("overview.classes_money", lang, n=format_count(money["most_valuable"]),
                       share=format_pct(money["customer_share"], 1), actual_share=format_pct(money["actual_share"]),
                       actual=format_money(money["actual_value"], lang),
                       revenue_share=format_pct(money["revenue_share"])))
    if money["replacement"] is not None:
        lines.append(t("overview.replacement", lang, n=f"{money['replacement']:.1f}",
                       g=format_count(money["growable"]), strategic=format_money(money["growable_strategic"], lang)))
    if not money["wallet_known"]:
        lines.append(t("overview.no_wallet", lang))
    return lines


KPI_LABELS = {
    "customers": "kpi.customers",
    "prospects": "report.kpi.prospects",
    "revenue_12m": "kpi.revenue_12m",
    "net_profit_12m": "kpi.net_profit_12m",
    "tier_a_profit_share": "kpi.tier_a_share",
    "value_at_risk": "kpi.value_at_risk",
    "customers_at_risk": "report.kpi.customers_at_risk",
    "below_zero": "report.kpi.below_zero",
}


def kpi_table(scored: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """``insights.kpis`` as rows: key, label in ``lang`` and the raw value."""
    from valuation.analysis import insights

    k = insights.kpis(scored)
    return pd.DataFrame({"key": list(k), "figure": [t(KPI_LABELS.get(key, key), lang) for key in k],
                         "value": list(k.values())})


def _pct(value: float) -> str:
    return f"{round(float(value) * 100, 2):g}%"


def _num(value: float) -> str:
    return f"{float(value):g}"


def settings_table(settings, lang: str = "en") -> pd.DataFrame:
    """The configuration as readable rows: section, setting, value (text).

    Weights of every dimension (custom ones too), tier cut-offs, value-class
    cut-offs, lifecycle thresholds, the strategic tilt and the CLV horizon, discount rate and margin.
    """
    rows = []
    weights = t("tuning.weights", lang)
    for dim, w in settings.weights.as_dict().items():
        rows.append((weights, column_label(dim, lang), _num(w)))
    cuts = t("tuning.cuts", lang)
    for name in ("a", "b", "c"):
        rows.append((cuts, t(f"report.cfg.tier_{name}", lang), _pct(getattr(settings.tiers, name))))
    classes = t("report.cfg.classes", lang)
    for name in ("most_valuable_share", "growable_share", "achievable_share"):
        rows.append((classes, t(f"report.cfg.{name}", lang), _pct(getattr(settings.classes, name))))
    rows.append((classes, t("report.cfg.growth_cut", lang), _num(settings.classes.growth_cut)))
    life = t("life.thresholds", lang)
    rules = settings.lifecycle
    for name in ("at_risk_days", "dormant_days", "churned_days", "won_back_days", "gap_multiple"):
        rows.append((life, t(f"life.{name}", lang), _num(getattr(rules, name))))
    for name in ("new_days", "loyal_min_tenure_days", "loyal_min_orders_12m"):
        rows.append((life, t(f"report.cfg.{name}", lang), _num(getattr(rules, name))))
    tilt = t("tuning.tilt", lang)
    for attribute, value, points in settings.tilt.rules:
        rows.append((tilt, f"{column_label(attribute, lang)}: {value}", f"{points:+g}"))
    clv = t("report.cfg.clv", lang)
    rows.append((clv, t("report.cfg.horizon_months", lang), _num(settings.clv.horizon_months)))
    rows.append((clv, t("report.cfg.annual_discount_rate", lang), _pct(settings.clv.annual_discount_rate)))
    margin = settings.clv.margin
    rows.append((clv, t("report.cfg.margin", lang),
                 t("report.cfg.margin_own", lang) if margin is None else _pct(margin)))
    return pd.DataFrame(rows, columns=["section", "setting", "value"])


def dataset_notes(scored: pd.DataFrame, lang: str = "en") -> dict[str, str]:
    """What the scores rest on, in words: dimensions missing, CLV method (keys ``missing``, ``clv_method``)."""
    report = scored.attrs.get("dimensions")
    missing = [dimension_label(d, lang) for d in (report.missing if report else ())]
    fit = scored.attrs.get("clv_fit")
    return {"missing": t("actions.list_separator", lang).join(missing) if missing else "—",
            "clv_method": t(f"export.clv.{fit.method}", lang) if fit else "—"}


# --------------------------------------------------------------------------- workbooks

# Excel number formats per NUMBER_KINDS kind: the cell keeps the full number, the reader sees this.
# Money carries the dataset's currency symbol ("¥"#,##0 shows -¥1,234; "$"#,##0 -$1,234): excel_format.
EXCEL_FORMATS = {"money": excel_money_format("CNY"), "pct": "0.0%", "score": "0.0", "days": "0", "count": "#,##0"}


def excel_format(kind: str | None) -> str | None:
    """The Excel number format of a column kind, money in the current currency (i18n/format.py)."""
    return excel_money_format() if kind == "money" else EXCEL_FORMATS.get(kind)
WIDTH_MIN, WIDTH_MAX = 8.0, 50.0  # column widths in characters (a CJK character counts two)
_WIDTH_SAMPLE = 2000  # rows read to size a column: the widest of a million would cost a pass over each
_WIDE = re.compile("[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60"
                   "\uffe0-\uffe6]")


def text_width(value) -> int:
    """How many characters wide ``value`` shows in a spreadsheet: CJK and full-width characters count two."""
    text = "" if value is None else str(value)
    return len(text) + len(_WIDE.findall(text))


def _shown(value, kind: str | None) -> str:
    """A number roughly as its Excel format shows it (to size its column); other values as text."""
    if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        if not math.isfinite(float(value)):
            return ""
        if kind == "pct":
            return f"{float(value) * 100:.1f}%"
        if kind == "score":
            return f"{float(value):.1f}"
        if kind in ("money", "count", "days"):
            return f"{float(value):,.0f}"
        return f"{value}"
    return "" if value is None else str(value)


def column_widths(frame: pd.DataFrame, headers, codes=None) -> list[float]:
    """Widths that fit each header and the first rows' values as shown (CJK counted double), capped."""
    codes = codes or [str(c) for c in frame.columns]
    head = frame.head(_WIDTH_SAMPLE)
    widths = []
    for i, (header, code) in enumerate(zip(headers, codes)):
        kind = column_kind(code)
        values = head.iloc[:, i].tolist() if i < head.shape[1] else []
        widest = max((text_width(_shown(v, kind)) for v in values), default=0)
        widths.append(max(WIDTH_MIN, min(WIDTH_MAX, max(text_width(header) * 1.1, widest) + 2)))
    return widths


def _cell(value):
    """A value openpyxl can write: None for missing, plain Python numbers, text cleaned and neutralised."""
    if value is None:
        return None
    if isinstance(value, str):
        return _neutralise_text(_ILLEGAL_XLSX.sub("", value))
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        ts = pd.Timestamp(value)
        if ts is pd.NaT:
            return None
        if ts.tzinfo is not None:
            ts = ts.tz_localize(None)
        return ts.date() if ts == ts.normalize() else ts.to_pydatetime()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, (bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (dt.date, dt.time, dt.timedelta)):
        return value
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return _neutralise_text(_ILLEGAL_XLSX.sub("", str(value)))


class _SheetWriter:
    """Rows appended to a write-only worksheet (memory stays flat for large tier sheets)."""

    def __init__(self, workbook, title: str):
        from openpyxl.styles import Font

        self.ws = workbook.create_sheet(title)
        self.bold = Font(bold=True)
        self.title_font = Font(bold=True, size=13)

    def widths(self, widths) -> None:
        """Column widths in characters; a write-only sheet needs them before its first row."""
        from openpyxl.utils import get_column_letter

        for i, width in enumerate(widths):
            self.ws.column_dimensions[get_column_letter(i + 1)].width = max(WIDTH_MIN, min(WIDTH_MAX, width))

    def widths_for(self, headers, frame: pd.DataFrame | None = None, codes=None) -> None:
        """Widths from the headers and, when given, the frame's first rows (CJK characters count two)."""
        if frame is None:
            frame = pd.DataFrame(columns=range(len(headers)))
        self.widths(column_widths(frame, headers, codes))

    def _styled(self, value, font=None, number_format=None):
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(self.ws, value=_cell(value))
        if font is not None:
            cell.font = font
        if number_format:
            cell.number_format = number_format
        return cell

    def title(self, text: str) -> None:
        self.ws.append([self._styled(text, self.title_font)])

    def blank(self) -> None:
        self.ws.append([])

    def pairs(self, rows) -> None:
        for label, value in rows:
            self.ws.append([self._styled(label, self.bold), _cell(value)])

    def figures(self, rows, headers: list[str]) -> None:
        """A header row (bold) and (label, value, code) rows, each value in its code's number format."""
        self.ws.append([self._styled(h, self.bold) for h in headers])
        for label, value, code in rows:
            fmt = excel_format(column_kind(code))
            self.ws.append([_cell(label), self._styled(value, number_format=fmt) if fmt else _cell(value)])

    def frame(self, frame: pd.DataFrame, headers: list[str], codes: list[str] | None = None) -> None:
        """A header row (bold) and the frame's rows; ``codes`` are the column names that pick formats."""
        codes = codes or [str(c) for c in frame.columns]
        self.ws.append([self._styled(h, self.bold) for h in headers])
        formats = [excel_format(column_kind(c)) for c in codes]
        values = frame.astype(object).itertuples(index=False, name=None)
        if any(formats):
            for row in values:
                self.ws.append([self._styled(v, number_format=f) if f else _cell(v)
                                for v, f in zip(row, formats)])
        else:
            for row in values:
                self.ws.append([_cell(v) for v in row])


@in_currency
def frames_workbook(sheets: dict[str, pd.DataFrame]) -> bytes:
    """Like :func:`excel_bytes` but streamed (write-only), with bold headers and a frozen header row."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    taken: list[str] = []
    for name, frame in sheets.items():
        title = sheet_title(name, taken)
        taken.append(title)
        sheet = _SheetWriter(wb, title)
        sheet.ws.freeze_panes = "A2"
        headers = [str(c) for c in frame.columns]
        codes = frame.attrs.get("codes") or headers  # a labelled frame keeps its column names for the formats
        sheet.widths_for(headers, frame, codes)
        sheet.frame(neutralise_formulas(frame), headers, codes)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


@in_currency
def scored_workbook(scored: pd.DataFrame, lang: str = "en", *, settings=None, dataset: str | None = None,
                    generated_at: dt.datetime | None = None) -> bytes:
    """An .xlsx for a meeting: a summary sheet, then one sheet per tier with its scored customers.

    The summary holds the dataset, as-of date, missing dimensions and CLV method,
    the KPIs of ``insights.kpis`` (raw numbers), the tier table with counts and
    shares, the value classes with their recommended actions, and the
    configuration when ``settings`` is given. Tier sheets follow in the order A,
    B, C, D, below zero, prospect (every one, empty ones with just a header), named
    by the tier's label in ``lang``; their columns are ``pipeline.output_frame``'s
    with translated headers and values, best composite first. Text that a
    spreadsheet would run as a formula is neutralised; numbers stay numbers.
    Money cells show ``currency``'s symbol (default: the current one; ``format.in_currency``).
    """
    from openpyxl import Workbook

    from valuation.i18n.format import format_date
    from valuation.model import pipeline, tiers

    wb = Workbook(write_only=True)
    taken: list[str] = []

    def new_sheet(name: str) -> _SheetWriter:
        title = sheet_title(name, taken)
        taken.append(title)
        return _SheetWriter(wb, title)

    summary = new_sheet(t("export.sheet.summary", lang))
    summary.widths([30, 24, 16, 16, 16, 16, 16])
    summary.title(t("report.title", lang))
    notes = dataset_notes(scored, lang)
    info = []
    if dataset is not None:
        info.append((t("sidebar.dataset", lang), dataset))
    as_of = scored.attrs.get("as_of")
    info.append((t("sidebar.as_of", lang), format_date(as_of, lang) if as_of is not None else "—"))
    info.append((t("export.info.generated", lang),
                 (generated_at or dt.datetime.now()).replace(microsecond=0)))
    info.append((t("export.info.missing", lang), notes["missing"]))
    info.append((t("export.info.clv_method", lang), notes["clv_method"]))
    summary.pairs(info)
    summary.blank()

    summary.title(t("report.section.key_figures", lang))
    kpis = kpi_table(scored, lang)
    summary.figures(zip(kpis["figure"], kpis["value"], kpis["key"]),
                    [t("export.col.figure", lang), t("export.col.value", lang)])
    summary.blank()

    summary.title(t("report.section.tiers", lang))
    tier_rows = tier_table(scored)
    tier_rows["tier"] = [t(f"tier.{c}", lang) for c in tier_rows["tier"]]
    summary.frame(tier_rows, [column_label(c, lang) for c in tier_rows.columns], list(tier_rows.columns))
    summary.blank()

    summary.title(t("report.section.classes", lang))
    classes = class_table(scored, lang)
    classes["value_class"] = [t(f"class.{c}", lang) for c in classes["value_class"]]
    summary.frame(classes, [column_label(c, lang) for c in classes.columns], list(classes.columns))

    if settings is not None:
        summary.blank()
        summary.title(t("report.section.config", lang))
        config = settings_table(settings, lang)
        summary.frame(config, [column_label(c, lang) for c in config.columns])

    out = pipeline.output_frame(scored)
    if "composite" in out:
        out = out.sort_values(["composite", "customer_id"], ascending=[False, True], kind="mergesort")
    codes = list(out.columns)
    for tier in tiers.TIERS:
        sheet = new_sheet(t(f"tier.{tier}", lang))
        sheet.ws.freeze_panes = "C2"
        part = labelled(out[out["tier"] == tier], lang)
        headers = [str(c) for c in part.columns]
        sheet.widths_for(headers, part, codes)
        sheet.frame(part, headers, codes)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def list_sheets(lists: dict[str, pd.DataFrame], lang: str = "en") -> dict[str, pd.DataFrame]:
    """The action lists as the sheets of one workbook: a short name in ``lang`` (``sheet.<list>``)
    -> the list with translated headers and values."""
    return {t(f"sheet.{k}", lang) if f"sheet.{k}" in TEXT else k: labelled(f, lang) for k, f in lists.items()}


def download_name(what: str, lang: str, *parts, ext: str = "csv") -> str:
    """A download's file name in the reader's language: the ``file.*`` label ``what``, then
    ``parts`` (a dataset, an as-of date …) joined by ``_``: ``流失风险客户_sample_2026-09-30.csv``.

    Characters file systems refuse (``/ \\ : * ? " < > |``, control characters) become ``_``.
    """
    words = [t(what, lang)] + [str(p) for p in parts if p is not None and str(p) != ""]
    stem = _FILE_FORBIDDEN.sub("_", "_".join(words)).strip(" .") or "download"
    return f"{stem}.{ext}"


def write_lists(lists: dict[str, pd.DataFrame], out: str | Path, lang: str = "en") -> list[Path]:
    """Write the lists for people: one .xlsx with a sheet per list, or a folder of CSVs (UTF-8 with BOM).

    Headers and codes are translated, formula-like text neutralised. ``out``
    ending in .xlsx is a workbook, a sheet per list named in ``lang`` (``sheet.*``: short
    enough for Excel's 31 characters); anything else is a folder (created if absent), holding
    ``at_risk.csv``, ``declining.csv`` and ``growable.csv`` … (names a script can rely on).
    """
    out = Path(out)
    if out.suffix.lower() == ".xlsx":
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(frames_workbook(list_sheets(lists, lang)))
        return [out]
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for key, frame in lists.items():
        path = out / f"{key}.csv"
        path.write_bytes(csv_bytes(labelled(frame, lang)))
        paths.append(path)
    return paths
