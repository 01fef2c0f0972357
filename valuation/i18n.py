"""Chinese and English labels in one table, and number/date formatting per language."""

from __future__ import annotations

import math

LANGS = ("zh", "en")
LANG_NAMES = {"zh": "中文", "en": "English"}

# key -> (zh, en). Values may hold {named} placeholders filled by t(..., **params).
TEXT: dict[str, tuple[str, str]] = {
    # app and navigation
    "app.title": ("客户价值分析", "Customer value"),
    "app.tagline": ("谁在支撑我们、谁能成长、谁在亏钱、谁在流失",
                    "Who carries us, who could grow, who costs more than they bring, who is slipping away"),
    "page.data": ("数据", "Data"),
    "page.overview": ("总览", "Overview"),
    "page.tuning": ("权重调优", "Weight tuning"),
    "page.lifecycle": ("生命周期", "Lifecycle"),
    "page.customers": ("客户明细", "Customers"),
    "page.clv": ("客户终身价值", "Customer lifetime value"),
    # sidebar
    "sidebar.language": ("语言 / Language", "Language / 语言"),
    "sidebar.dataset": ("数据集", "Dataset"),
    "sidebar.as_of": ("分析基准日", "As-of date"),
    "sidebar.as_of_help": ("只统计该日期及之前的数据；默认是最后一笔订单的日期。",
                           "Only data on or before this date counts; defaults to the last order date."),
    "sidebar.session_only": ("{name}（仅本次会话）", "{name} (this session only)"),
    "sidebar.no_orders": ("该数据集没有订单。", "This dataset has no orders."),
    # data page
    "data.current": ("当前数据集：{name}", "Current dataset: {name}"),
    "data.source": ("来源：{source}", "Source: {source}"),
    "data.tables": ("各表行数与日期范围", "Rows and date range per table"),
    "col.table": ("表", "Table"),
    "col.rows": ("行数", "Rows"),
    "col.customers": ("客户数", "Customers"),
    "col.first_date": ("最早日期", "First date"),
    "col.last_date": ("最晚日期", "Last date"),
    "col.columns_provided": ("已提供的列", "Columns provided"),
    "table.orders": ("订单", "orders"),
    "table.customers": ("客户", "customers"),
    "table.payments": ("回款", "payments"),
    "table.service": ("服务", "service"),
    "data.missing_tables": ("未提供：{tables}。相应的评分维度会标记为缺失，不会用常数代替。",
                            "Not provided: {tables}. The score dimensions that need them are "
                            "reported as missing, never faked."),
    "data.upload": ("上传文件", "Upload a file"),
    "data.upload_help": ("CSV、TSV/TXT 或 Excel (.xlsx)。支持 UTF-8、GBK/GB18030、UTF-16；"
                         "金额可带 ¥、千分位、括号负数；日期可为 2024/1/5、2024年1月5日 等。",
                         "CSV, TSV/TXT or Excel (.xlsx). UTF-8, GBK/GB18030 and UTF-16 are read; "
                         "amounts may carry ¥, thousands separators or parentheses; dates like "
                         "2024/1/5 or 2024年1月5日 work."),
    "data.table_for_file": ("{file} 是哪张表？", "Which table is {file}?"),
    "data.detected": ("编码 {encoding}，分隔符 {delimiter}", "Encoding {encoding}, delimiter {delimiter}"),
    "data.mapping": ("列映射（请确认或修改）", "Column mapping (confirm or fix)"),
    "data.mapping_none": ("（不使用）", "(not used)"),
    "data.preview": ("文件前几行", "First rows of the file"),
    "data.report": ("校验结果：读取 {rows_read} 行，载入 {rows_loaded} 行，拒绝 {rows_rejected} 行",
                    "Validation: {rows_read} rows read, {rows_loaded} loaded, {rows_rejected} rejected"),
    "data.report_detail": ("{customers} 个客户，金额合计 {amount}",
                           "{customers} customers, amounts total {amount}"),
    "data.rejects": ("被拒绝的行（行号、列、原值、原因）", "Rejected rows (line, column, value, reason)"),
    "data.rejects_download": ("下载被拒绝的行 (CSV)", "Download rejected rows (CSV)"),
    "data.no_rejects": ("所有行都已载入。", "Every row was loaded."),
    "data.use_session": ("仅在本次会话中使用", "Use in this session only"),
    "data.save_name": ("数据集名称", "Dataset name"),
    "data.save": ("保存为数据集", "Save as a dataset"),
    "data.saved": ("已保存数据集 “{name}”，已切换到该数据集。",
                   "Saved dataset “{name}” and switched to it."),
    "data.session_ready": ("已载入 “{name}”（仅本次会话可见），已切换到该数据集。",
                           "Loaded “{name}” for this session only and switched to it."),
    "data.no_orders_file": ("至少需要一个订单文件。其他表（客户、回款、服务）可选。",
                            "At least one orders file is needed; customers, payments and service are optional."),
    "data.delete": ("删除数据集 “{name}”", "Delete dataset “{name}”"),
    "data.deleted": ("已删除数据集 “{name}”。", "Deleted dataset “{name}”."),
    "data.cannot_delete_sample": ("示例数据集不能删除。", "The sample dataset cannot be deleted."),
    "data.failed_nothing_changed": ("导入失败，已存储的数据没有任何改变。",
                                    "The import failed; nothing stored was changed."),
    # errors from ingest / store, by code
    "err.empty_file": ("文件 {file} 是空的：请导出包含表头和数据行的文件。",
                       "File {file} is empty: export it again with a header row and data rows."),
    "err.header_only": ("文件 {file} 只有表头，没有数据行。", "File {file} has a header but no data rows."),
    "err.not_a_table": ("文件 {file} 不是表格（CSV/TSV/Excel）：请确认导出的格式。",
                        "File {file} is not a table (CSV/TSV/Excel): check the export format."),
    "err.missing_columns": ("文件 {file} 缺少必需的列：{missing}。文件中的列有：{found}。"
                            "请修改表头，或在下方的列映射中指定。",
                            "File {file} lacks the required column(s) {missing}. Columns found: "
                            "{found}. Rename the header or choose the column in the mapping below."),
    "err.bad_mapping": ("映射中的列 {header} 不在文件 {file} 中。文件中的列有：{found}。",
                        "The mapping names column {header}, which is not in {file}. Columns found: {found}."),
    "err.unreadable_encoding": ("无法识别文件 {file} 的编码：请另存为 UTF-8 或 GBK。",
                                "The encoding of {file} could not be read: save it as UTF-8 or GBK."),
    "err.db_locked": ("数据库文件 {path} 正被另一个程序占用。请关闭该程序后重试。",
                      "The database file {path} is in use by another program. Close it and try again."),
    "err.bad_dataset_name": ("数据集名称 “{name}” 不可用：请使用 1–64 个字母、数字、空格、点、横线或下划线。",
                             "Dataset name “{name}” is not allowed: use 1–64 letters, digits, spaces, "
                             "dots, dashes or underscores."),
    "err.unexpected": ("出现了意外错误：{detail}。已存储的数据没有改变。",
                       "Something unexpected went wrong: {detail}. Nothing stored was changed."),
}


def _merge() -> None:
    """Labels live in a few tables by area; they are one table to every caller."""
    from valuation import i18n_domain

    TEXT.update(i18n_domain.TEXT)
    try:
        from valuation import i18n_charts
    except ImportError:  # the chart labels arrive with the chart builders
        return
    TEXT.update(i18n_charts.TEXT)


_merge()


def t(key: str, lang: str = "en", **params) -> str:
    """The label for ``key`` in ``lang`` with ``params`` filled in; the key itself if unknown."""
    pair = TEXT.get(key)
    if pair is None:
        return key
    text = pair[0] if lang == "zh" else pair[1]
    if params:
        try:
            return text.format(**params)
        except (KeyError, IndexError, ValueError):
            return text
    return text


def lang_from_locale(locale: str | None) -> str:
    """``zh`` for any Chinese browser locale (zh, zh-CN, zh-TW …), else ``en``."""
    return "zh" if (locale or "").lower().startswith("zh") else "en"


def format_money(value: float | None, lang: str = "en", *, symbol: str = "¥") -> str:
    """Money as a reader of ``lang`` expects: ¥3,406万 / ¥1.2亿 in Chinese, ¥34.1M / ¥12.5K in English."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    sign = "-" if value < 0 else ""
    v = abs(float(value))
    if lang == "zh":
        if v >= 1e8:
            return f"{sign}{symbol}{v / 1e8:,.2f}亿"
        if v >= 1e4:
            return f"{sign}{symbol}{v / 1e4:,.0f}万" if v >= 1e6 else f"{sign}{symbol}{v / 1e4:,.1f}万"
        return f"{sign}{symbol}{v:,.0f}"
    if v >= 1e9:
        return f"{sign}{symbol}{v / 1e9:,.2f}B"
    if v >= 1e6:
        return f"{sign}{symbol}{v / 1e6:,.1f}M"
    if v >= 1e3:
        return f"{sign}{symbol}{v / 1e3:,.1f}K"
    return f"{sign}{symbol}{v:,.0f}"


def format_count(value: int, lang: str = "en") -> str:
    return f"{int(value):,}"


def format_pct(value: float | None, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value * 100:.{digits}f}%"


def format_date(value, lang: str = "en") -> str:
    """2024年1月5日 in Chinese, 2024-01-05 in English."""
    if value is None:
        return "—"
    try:
        import pandas as pd

        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        return str(value)
    if ts is pd.NaT:
        return "—"
    return f"{ts.year}年{ts.month}月{ts.day}日" if lang == "zh" else ts.strftime("%Y-%m-%d")
