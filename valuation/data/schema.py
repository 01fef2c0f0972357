"""The data contract: canonical tables, their columns, types and header synonyms."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    """One canonical column.

    ``kind`` is one of ``"id"`` (trimmed text key), ``"text"``, ``"date"``,
    ``"money"`` (amount parser: separators, currency signs, parentheses) or
    ``"number"`` (plain numeric, same parser as money) or ``"flag"`` (yes/no as 1/0: 是/否, Y/N).
    ``synonyms`` are header spellings matched after normalisation (lower case,
    no spaces, underscores, hyphens or bracketed units), English and Chinese.
    """

    name: str
    kind: str
    required: bool = False
    synonyms: tuple[str, ...] = ()


def _c(name, kind, required=False, *synonyms):
    return Column(name, kind, required, tuple(synonyms))


CUSTOMER_ID = _c(
    "customer_id", "id", True,
    "customer id", "customer", "customer no", "customer number", "customer code",
    "client id", "client", "account id", "account", "cust id", "custid", "buyer id",
    "客户编号", "客户id", "客户代码", "客户号", "客户编码", "客户", "会员编号", "会员id",
    "买家id", "客户账号",
)

TABLES: dict[str, tuple[Column, ...]] = {
    "orders": (
        CUSTOMER_ID,
        _c("order_date", "date", True,
           "order date", "date", "order time", "purchase date", "transaction date",
           "订单日期", "下单日期", "下单时间", "日期", "交易日期", "成交日期", "购买日期",
           "订单时间", "销售日期",
           "单据日期", "业务日期", "开单日期", "发货日期"),
        _c("amount", "money", True,
           "amount", "revenue", "sales", "sales amount", "order amount", "total",
           "value", "dollar value", "price total", "net sales",
           "金额", "销售额", "订单金额", "销售金额", "成交金额", "交易金额", "实付金额",
           "收入", "营业额",
           "价税合计", "含税金额", "总金额", "销售收入", "应收金额合计"),
        _c("order_id", "id", False,
           "order id", "order no", "order number", "invoice no", "订单编号", "订单号",
           "单号", "订单id", "单据编号", "销售单号", "销售订单号"),
        _c("cost", "money", False,
           "cost", "cogs", "cost of goods", "成本", "销售成本", "成本金额", "采购成本"),
        _c("margin", "money", False,
           "margin", "gross margin", "gross profit", "profit", "毛利", "毛利润",
           "利润", "毛利额"),
        _c("product", "text", False,
           "product", "product name", "item", "sku", "产品", "产品名称", "商品",
           "商品名称", "品名", "物料名称", "存货名称", "产品名"),
        _c("category", "text", False,
           "category", "product category", "product line", "类别", "产品类别", "品类",
           "产品线", "商品类别", "分类", "物料类别", "存货分类"),
        _c("quantity", "number", False,
           "quantity", "qty", "units", "number of cds", "数量", "件数", "销量", "销售数量"),
        _c("channel", "text", False,
           "channel", "sales channel", "渠道", "销售渠道"),
    ),
    "customers": (
        CUSTOMER_ID,
        _c("name", "text", False,
           "name", "customer name", "company", "company name", "client name",
           "account name", "客户名称", "公司名称", "客户名", "名称", "企业名称", "单位名称", "客户全称", "购货单位"),
        _c("region", "text", False,
           "region", "area", "territory", "地区", "区域", "大区", "片区", "销售区域", "所属区域"),
        _c("industry", "text", False,
           "industry", "sector", "vertical", "行业", "所属行业"),
        _c("city", "text", False, "city", "城市", "所在城市"),
        _c("size", "text", False,
           "size", "company size", "segment size", "规模", "企业规模", "公司规模"),
        _c("channel", "text", False,
           "channel", "acquisition channel", "渠道", "获客渠道", "来源渠道"),
        _c("created_at", "date", False,
           "created at", "created", "signup date", "registration date", "first contact",
           "创建日期", "创建时间", "注册日期", "建档日期"),
        _c("pipeline_stage", "text", False,
           "pipeline stage", "stage", "sales stage", "销售阶段", "阶段", "商机阶段"),
        _c("acquisition_cost", "money", False,
           "acquisition cost", "cac", "获客成本", "获取成本"),
        _c("wallet_estimate", "money", False,
           "wallet estimate", "wallet", "annual budget", "budget", "share of wallet base",
           "钱包估计", "年度预算", "预算", "采购预算", "钱包份额基数"),
        _c("satisfaction", "number", False,
           "satisfaction", "csat", "满意度", "客户满意度"),
        _c("referrals", "number", False,
           "referrals", "referral count", "推荐数", "转介绍", "推荐客户数"),
        _c("importance", "number", False,
           "importance", "importance rating", "influence", "重要性", "重要程度", "影响力"),
        _c("reference_account", "flag", False,
           "reference account", "reference customer", "reference", "referenceable", "showcase",
           "标杆客户", "样板客户", "参考客户", "标杆", "样板", "示范客户"),
    ),
    "payments": (
        CUSTOMER_ID,
        _c("amount", "money", True,
           "amount", "invoice amount", "amount due", "金额", "发票金额", "应收金额",
           "开票金额"),
        _c("due_date", "date", True,
           "due date", "due", "payment due", "到期日", "应付日期", "到期日期", "账期到期日"),
        _c("invoice_id", "id", False,
           "invoice id", "invoice no", "invoice number", "发票号", "发票编号"),
        _c("invoice_date", "date", False,
           "invoice date", "billing date", "开票日期", "发票日期"),
        _c("paid_date", "date", False,
           "paid date", "payment date", "paid", "date paid", "付款日期", "回款日期",
           "收款日期", "实际付款日期"),
    ),
    "service": (
        CUSTOMER_ID,
        _c("date", "date", True,
           "date", "service date", "ticket date", "created", "日期", "服务日期", "工单日期"),
        _c("kind", "text", False,
           "kind", "type", "ticket type", "service type", "类型", "服务类型", "工单类型"),
        _c("cost", "money", False,
           "cost", "service cost", "cost to serve", "成本", "服务成本", "费用"),
        _c("satisfaction", "number", False,
           "satisfaction", "csat", "rating", "满意度", "评分"),
    ),
}

# Numeric columns of a customers file that match no canonical column (a manager's own ratings),
# kept in long form so any of them can become a custom dimension.
METRICS_TABLE = "customer_metrics"
METRICS_COLUMNS = (("customer_id", "VARCHAR"), ("metric", "VARCHAR"), ("value", "DOUBLE"))

# Attribute columns of a single uploaded orders file that are lifted into `customers`.
LIFTED_CUSTOMER_COLUMNS = (
    "name", "region", "industry", "city", "size", "created_at", "pipeline_stage",
    "acquisition_cost", "wallet_estimate", "satisfaction", "referrals", "importance", "reference_account",
)

SQL_TYPES = {"id": "VARCHAR", "text": "VARCHAR", "date": "DATE", "money": "DOUBLE",
             "number": "DOUBLE", "flag": "DOUBLE"}

# Service kinds that count as complaints.
COMPLAINT_KINDS = ("complaint", "投诉")

PIPELINE_STAGES = ("target", "prospect", "opportunity")


def columns(table: str) -> tuple[Column, ...]:
    """The canonical columns of ``table`` (KeyError for an unknown table)."""
    return TABLES[table]


def required(table: str) -> list[str]:
    return [c.name for c in TABLES[table] if c.required]


def stored_columns(table: str) -> list[Column]:
    """Columns as stored: ``margin`` is an input alias, converted to ``cost`` on import."""
    return [c for c in TABLES[table] if not (table == "orders" and c.name == "margin")]
