"""Deterministic generator of the sample dataset (orders, customers, payments, service CSVs)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from valuation.data import schema

# Column order of each written file; every name is a canonical schema column
# (checked by _check_columns so the generator cannot drift from the contract).
FILE_COLUMNS: dict[str, tuple[str, ...]] = {
    "customers": ("customer_id", "name", "region", "industry", "city", "size", "channel",
                  "created_at", "pipeline_stage", "acquisition_cost", "wallet_estimate",
                  "satisfaction", "referrals", "importance"),
    "orders": ("order_id", "customer_id", "order_date", "amount", "cost", "product",
               "category", "quantity", "channel"),
    "payments": ("invoice_id", "customer_id", "invoice_date", "amount", "due_date",
                 "paid_date"),
    "service": ("customer_id", "date", "kind", "cost", "satisfaction"),
}

# --- vocabularies ---------------------------------------------------------------------

REGIONS = ("华东", "华南", "华北", "华中", "西南", "西北", "东北")
REGION_WEIGHTS = (0.34, 0.20, 0.17, 0.11, 0.09, 0.05, 0.04)
CITIES = {
    "华东": ("上海", "杭州", "南京", "苏州", "宁波", "合肥", "济南", "青岛", "福州", "厦门", "无锡"),
    "华南": ("广州", "深圳", "东莞", "佛山", "南宁", "珠海", "海口"),
    "华北": ("北京", "天津", "石家庄", "太原", "唐山", "呼和浩特"),
    "华中": ("武汉", "长沙", "郑州", "南昌", "宜昌"),
    "西南": ("成都", "重庆", "昆明", "贵阳", "拉萨"),
    "西北": ("西安", "兰州", "乌鲁木齐", "银川", "西宁"),
    "东北": ("沈阳", "大连", "长春", "哈尔滨"),
}
INDUSTRIES = ("制造业", "零售", "互联网", "医疗", "教育", "金融", "物流", "能源")
INDUSTRY_WEIGHTS = (0.25, 0.15, 0.14, 0.10, 0.08, 0.10, 0.10, 0.08)
# Words that make a company name sound like its industry.
INDUSTRY_WORDS = {
    "制造业": ("精密机械", "智能制造", "机电", "工业"),
    "零售": ("商贸", "百货", "连锁", "贸易"),
    "互联网": ("网络科技", "信息技术", "数字科技", "软件"),
    "医疗": ("医疗器械", "医药", "健康科技", "生物科技"),
    "教育": ("教育科技", "文化教育", "培训"),
    "金融": ("金融服务", "投资", "融资租赁", "保险代理"),
    "物流": ("物流", "供应链", "运输", "仓储"),
    "能源": ("能源", "新能源", "电力科技", "石化"),
}
BRAND_SYLLABLES = tuple("华瑞恒信达通鼎盛安泰宏远博隆兴嘉德汇创新源启明正天宇中联金科腾海晨辉凯峰越润泽")
SUFFIXES = ("有限公司", "股份有限公司", "集团有限公司")
ASCII_WORDS_1 = ("Apex", "Blue River", "Golden Bridge", "Northstar", "Silverline", "Orient",
                 "Pacific", "Summit", "Evergreen", "Lotus", "Harbor", "Crestview")
ASCII_WORDS_2 = ("Robotics", "Trading", "Logistics", "Medical", "Software", "Energy",
                 "Holdings", "Systems", "Foods", "Capital")
ASCII_SUFFIXES = (" Ltd", " Co Ltd", " Inc", " Group")
SIZES = ("小型", "中型", "大型")
SIZE_WEIGHTS = (0.55, 0.32, 0.13)
CHANNELS = ("直销", "代理商", "电商", "电话销售")
CHANNEL_WEIGHTS = (0.30, 0.35, 0.20, 0.15)

# Product catalogue: category -> (products, list-price factor, cost ratio of list price).
CATALOGUE = (
    ("软件许可", ("ERP标准版", "CRM专业版", "BI分析平台"), 1.5, 0.25),
    ("云服务", ("云主机", "对象存储", "云数据库"), 0.8, 0.45),
    ("硬件", ("服务器", "存储阵列", "网络交换机"), 2.0, 0.78),
    ("实施服务", ("系统实施", "数据迁移", "定制开发"), 1.2, 0.62),
    ("培训", ("管理员培训", "用户培训", "认证课程"), 0.4, 0.45),
    ("维保", ("年度维保", "原厂延保", "驻场支持"), 0.7, 0.40),
    ("耗材", ("打印耗材", "备件包", "线缆配件"), 0.25, 0.72),
    ("咨询", ("数字化咨询", "IT规划", "安全评估"), 1.0, 0.50),
)
CATEGORIES = tuple(c[0] for c in CATALOGUE)
PRODUCTS = tuple(p for c in CATALOGUE for p in c[1])
CATEGORY_PRICE = np.array([c[2] for c in CATALOGUE])
CATEGORY_COST = np.array([c[3] for c in CATALOGUE])
# Nominal unit price per category (yuan) so quantities look plausible.
CATEGORY_UNIT_PRICE = np.array([8000.0, 1200.0, 25000.0, 15000.0, 2000.0, 5000.0, 300.0, 20000.0])

SERVICE_KINDS = ("ticket", "complaint", "visit", "training")
# Service cost per event as a share of the customer's typical order value.
SERVICE_COST_SHARE = np.array([0.04, 0.10, 0.12, 0.20])

# Order intensity by calendar month: Spring Festival (Jan-Feb) and summer (Jul-Aug) are
# slow, December carries the year-end budget flush.
SEASON = np.array([0.55, 0.45, 0.95, 1.0, 1.0, 0.95, 0.70, 0.65, 1.0, 0.85, 1.05, 1.20])
SEASON_ACCEPT = SEASON / SEASON.max()

# Latent archetypes of ordering customers and their shares.
ARCHETYPES = ("steady", "growing", "declining", "below_zero", "new", "at_risk", "dormant",
              "churned", "won_back")
ARCHETYPE_WEIGHTS = (0.46, 0.08, 0.08, 0.08, 0.05, 0.06, 0.06, 0.09, 0.04)
(STEADY, GROWING, DECLINING, BELOW_ZERO, NEW, AT_RISK, DORMANT, CHURNED,
 WON_BACK) = range(len(ARCHETYPES))

PIPELINE = schema.PIPELINE_STAGES
PIPELINE_WEIGHTS = (0.5, 0.3, 0.2)

# Payer types: 0 good, 1 average, 2 bad.
PAYER_ON_TIME = np.array([0.97, 0.78, 0.35])
PAYER_UNPAID = np.array([0.0, 0.01, 0.22])


def _check_columns() -> None:
    for table, cols in FILE_COLUMNS.items():
        known = {c.name for c in schema.stored_columns(table)}
        unknown = set(cols) - known
        if unknown:
            raise AssertionError(f"sample {table} columns not in schema: {sorted(unknown)}")


_check_columns()


# --- small vectorised helpers ---------------------------------------------------------

def _ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """Fixed-width ids like C000123 built straight into an Arrow buffer (no Python loop)."""
    pre = np.frombuffer(prefix.encode("ascii"), np.uint8)
    n, w = len(numbers), len(pre) + width
    buf = np.empty((n, w), np.uint8)
    buf[:, : len(pre)] = pre
    x = np.asarray(numbers, np.int64).copy()
    for k in range(w - 1, len(pre) - 1, -1):
        buf[:, k] = 48 + x % 10
        x //= 10
    offsets = np.arange(n + 1, dtype=np.int64) * w
    return pa.Array.from_buffers(pa.large_string(), n,
                                 [None, pa.py_buffer(offsets), pa.py_buffer(buf)])


def _labels(codes: np.ndarray, vocabulary, mask: np.ndarray | None = None) -> pa.Array:
    """Dictionary-encoded text column; ``mask`` marks missing values (written empty)."""
    indices = pa.array(np.asarray(codes, np.int32), mask=mask)
    return pa.DictionaryArray.from_arrays(indices, pa.array(list(vocabulary), pa.string()))


def _dates(days: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    return pa.array(np.asarray(days, np.int32), pa.int32(), mask=mask).cast(pa.date32())


def _money(values: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    # Decimal so the CSV shows exactly two decimals (1234.50), never 1234.5 or 1e+16.
    arr = pa.array(np.round(np.asarray(values, np.float64), 2), mask=mask)
    return pc.cast(arr, pa.decimal128(16, 2))


def _one_decimal(values: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    return pc.cast(pa.array(np.round(values, 1), mask=mask), pa.decimal128(4, 1))


def _month(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) % 12


def _pick(rng: np.random.Generator, weights, n: int) -> np.ndarray:
    cum = np.cumsum(np.asarray(weights, np.float64))
    return np.minimum(np.searchsorted(cum / cum[-1], rng.random(n), side="right"),
                      len(cum) - 1)


def _uniform_int(rng: np.random.Generator, low, high) -> np.ndarray:
    """Integers uniform in [low, high] (inclusive), elementwise; high < low gives low."""
    low = np.asarray(low, np.float64)
    high = np.maximum(np.asarray(high, np.float64), low)
    u = rng.random(np.broadcast(low, high).shape)
    return np.floor(low + u * (high - low + 1)).astype(np.int64)


def _join(*parts: pa.Array) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


# --- customer attributes ---------------------------------------------------------------

def _firmographics(rng: np.random.Generator, n: int) -> dict:
    """Region, city, industry, size, channel and a company name for ``n`` accounts."""
    region = _pick(rng, REGION_WEIGHTS, n)
    city_vocab = [c for r in REGIONS for c in CITIES[r]]
    starts = np.cumsum([0] + [len(CITIES[r]) for r in REGIONS])
    city = np.zeros(n, np.int64)
    u = rng.random(n)
    for r, name in enumerate(REGIONS):
        k = len(CITIES[name])
        # Zipf-like: the first (capital/commercial) city of a region is the most common.
        w = 1.0 / np.arange(1, k + 1)
        cum = np.cumsum(w) / w.sum()
        sel = region == r
        city[sel] = starts[r] + np.minimum(np.searchsorted(cum, u[sel], side="right"), k - 1)
    industry = _pick(rng, INDUSTRY_WEIGHTS, n)
    size = _pick(rng, SIZE_WEIGHTS, n)
    channel = _pick(rng, CHANNEL_WEIGHTS, n)

    # Chinese company name: 城市 + two brand syllables + industry word + suffix.
    word_vocab = [w for i in INDUSTRIES for w in INDUSTRY_WORDS[i]]
    word_start = np.cumsum([0] + [len(INDUSTRY_WORDS[i]) for i in INDUSTRIES])
    word_count = np.diff(word_start)
    word = word_start[industry] + np.floor(rng.random(n) * word_count[industry]).astype(np.int64)
    s1 = rng.integers(0, len(BRAND_SYLLABLES), n)
    s2 = rng.integers(0, len(BRAND_SYLLABLES), n)
    # Large firms are more often groups / joint-stock companies.
    suffix_p = np.array([[0.85, 0.12, 0.03], [0.65, 0.28, 0.07], [0.35, 0.40, 0.25]])
    cum = np.cumsum(suffix_p[size], axis=1)
    suffix = (rng.random(n)[:, None] > cum).sum(axis=1)
    take = lambda vocab, idx: pc.take(pa.array(list(vocab), pa.string()),  # noqa: E731
                                      pa.array(np.asarray(idx, np.int64)))
    chinese = _join(take(city_vocab, city), take(BRAND_SYLLABLES, s1),
                    take(BRAND_SYLLABLES, s2), take(word_vocab, word), take(SUFFIXES, suffix))
    # A few foreign-invested firms keep an English name in the ERP.
    english = _join(take(ASCII_WORDS_1, rng.integers(0, len(ASCII_WORDS_1), n)),
                    pa.array([" "] * n, pa.string()),
                    take(ASCII_WORDS_2, rng.integers(0, len(ASCII_WORDS_2), n)),
                    take(ASCII_SUFFIXES, rng.integers(0, len(ASCII_SUFFIXES), n)))
    is_ascii = pa.array(rng.random(n) < 0.03)
    name = pc.if_else(is_ascii, english, chinese)
    return {"region": region, "city": city, "city_vocab": city_vocab, "industry": industry,
            "size": size, "channel": channel, "name": name}


def _acquisition_cost(rng: np.random.Generator, channel: np.ndarray,
                      size: np.ndarray) -> np.ndarray:
    # Direct sales and agents cost far more per won account than e-commerce.
    base = np.array([9000.0, 4000.0, 600.0, 1800.0])[channel]
    scale = np.array([1.0, 2.2, 5.0])[size]
    return np.round(base * scale * rng.lognormal(0.0, 0.4, len(size)), -1)


# --- one chunk of ordering customers ---------------------------------------------------

class _Counter:
    """Running numbers shared by chunks (order / invoice sequence)."""

    def __init__(self) -> None:
        self.orders = 0


def _customer_chunk(rng: np.random.Generator, first_number: int, m: int, start: int, end: int,
                    id_width: int, order_width: int, counter: _Counter) -> dict[str, pa.Table]:
    """All four tables for ``m`` ordering customers numbered from ``first_number``."""
    span = end - start  # days of history
    firm = _firmographics(rng, m)
    size, channel = firm["size"], firm["channel"]
    region, industry = firm["region"], firm["industry"]

    arch = _pick(rng, ARCHETYPE_WEIGHTS, m)
    # Regional/industry colour for slicing: the west and inland grow, retail shrinks.
    boost = (np.isin(region, [3, 4]) | (industry == 2)) & (arch == STEADY) & (rng.random(m) < 0.18)
    arch[boost] = GROWING
    shrink = (industry == 1) & (arch == STEADY) & (rng.random(m) < 0.15)
    arch[shrink] = DECLINING
    arch[0] = STEADY  # see anchor_last below

    # Purchase rate (orders / year) and typical order value: heavy-tailed, larger firms buy
    # more often and much bigger.
    size_rate = np.array([1.0, 1.25, 1.6])[size]
    rate = np.maximum(4.0 * size_rate * rng.lognormal(0.0, 0.5, m), 2.5)
    value = np.array([2500.0, 9000.0, 30000.0])[size] * rng.lognormal(0.0, 0.6, m)
    trend = rng.normal(0.0, 0.15, m)  # log growth of the purchase rate per year
    trend[arch == GROWING] = rng.uniform(0.9, 1.8, (arch == GROWING).sum())
    trend[arch == DECLINING] = -rng.uniform(1.0, 2.0, (arch == DECLINING).sum())

    # Activity window as ages (days before end). Active archetypes buy until end_date; the
    # lapsed archetypes stop at a chosen age and carry an explicit last order there.
    last_age = np.zeros(m, np.int64)
    for a, lo, hi in ((AT_RISK, 95, 175), (DORMANT, 185, 360), (CHURNED, 370, span - 60)):
        sel = arch == a
        last_age[sel] = np.minimum(_uniform_int(rng, np.full(sel.sum(), lo), hi), span)
    lapsed = np.isin(arch, [AT_RISK, DORMANT, CHURNED])
    first_lo = np.select(
        [arch == GROWING, arch == DECLINING, arch == BELOW_ZERO, arch == CHURNED, lapsed],
        [200, 450, 200, last_age + 30, last_age + 60],
        default=100,
    )
    # Most accounts predate the extract (their first order lies before it), so the base is
    # already large when the history starts instead of ramping up from zero.
    first_hi = np.where(arch == GROWING, span + 365, span + 730)
    first_age = _uniform_int(rng, np.minimum(first_lo, span), first_hi)
    new = arch == NEW
    first_age[new] = _uniform_int(rng, np.full(new.sum(), 3), 85)
    # Won back: bought early, went silent for over a year, came back recently.
    wb = arch == WON_BACK
    k = wb.sum()
    first_age[wb] = _uniform_int(rng, np.full(k, span - 150), span)
    gap_start_age = np.full(m, -1, np.int64)
    gap_end_age = np.full(m, -1, np.int64)
    gap_start_age[wb] = np.maximum(first_age[wb] - _uniform_int(rng, np.full(k, 60), 200), 0)
    gap_end_age[wb] = np.maximum(gap_start_age[wb] - _uniform_int(rng, np.full(k, 370), 480), 20)
    first_age = np.maximum(first_age, last_age)
    # Customer 0 of every chunk orders on end_date itself so the data's last order date is
    # end_date (the dashboard's default as-of date).
    anchor_last = lapsed.copy()
    anchor_last[0] = True

    first_day = end - first_age
    last_day = end - last_age
    gap_lo = np.where(wb, end - gap_start_age, 0)   # silent strictly between gap_lo and gap_hi
    gap_hi = np.where(wb, end - gap_end_age, 0)

    # --- orders: forced anchors (first, last, gap edges) + thinned Poisson interior ---------
    proc_start = np.maximum(first_day, start)
    length = (last_day - proc_start).astype(np.float64)
    active_len = length - np.where(wb, gap_hi - gap_lo, 0)
    n_cand = rng.poisson(rate * active_len / 365.0 / SEASON_ACCEPT.mean())
    cust = np.repeat(np.arange(m), n_cand)
    u = rng.random(cust.size)
    # Inverse CDF of an exponential-trend intensity exp(g t) on [0, length].
    g = trend[cust] / 365.0
    L = length[cust]
    gl = g * L
    small = np.abs(gl) < 1e-9
    safe_g = np.where(small, 1.0, g)
    t = np.where(small, u * L, np.log1p(u * np.expm1(np.where(small, 0.0, gl))) / safe_g)
    day = proc_start[cust] + np.minimum(np.floor(t).astype(np.int64), L.astype(np.int64))
    keep = rng.random(cust.size) < SEASON_ACCEPT[_month(day)]
    keep &= ~((day > gap_lo[cust]) & (day < gap_hi[cust]))
    cust, day = cust[keep], day[keep]

    # Active archetypes are by definition still buying: one whose process left the last 85
    # days empty gets one recent order (only those, so recent months are barely inflated).
    last_seen = np.full(m, -1, np.int64)
    np.maximum.at(last_seen, cust, day)
    recent = ~lapsed & (np.maximum(last_seen, first_day) < end - 85)
    recent[0] = False  # customer 0 already orders on end_date
    recent_day = end - _uniform_int(rng, np.zeros(m), 85)
    anchor_cust = [np.flatnonzero(first_day >= start),  # first purchase, if inside the extract
                   np.flatnonzero(anchor_last & (last_day != first_day)),
                   np.flatnonzero(wb), np.flatnonzero(wb), np.flatnonzero(recent)]
    anchor_day = [first_day[anchor_cust[0]], last_day[anchor_cust[1]], gap_lo[wb], gap_hi[wb],
                  recent_day[recent]]
    o_cust = np.concatenate([np.concatenate(anchor_cust), cust])
    o_day = np.concatenate([np.concatenate(anchor_day), day])
    anchored = np.zeros(o_cust.size, bool)
    anchored[: o_cust.size - cust.size] = True
    order = np.lexsort((o_day, o_cust))
    o_cust, o_day = o_cust[order], o_day[order]
    # Only won-back accounts ever fall silent for a year and return: any other customer's
    # gap over 330 days (a low-rate or steeply trending process) gets orders spread inside.
    gaps = np.diff(o_day)
    wide = np.flatnonzero((o_cust[1:] == o_cust[:-1]) & (gaps > 330) & ~wb[o_cust[1:]])
    per = gaps[wide] // 300
    at = np.repeat(wide, per)
    j = np.arange(at.size) - np.repeat(np.cumsum(per) - per, per) + 1
    fill_day = o_day[at] + gaps[at] * j // (per.repeat(per) + 1)
    anchored = np.concatenate([anchored[order], np.ones(at.size, bool)])
    o_cust = np.concatenate([o_cust, o_cust[at]])
    o_day = np.concatenate([o_day, fill_day])
    order = np.lexsort((o_day, o_cust))
    o_cust, o_day, anchored = o_cust[order], o_day[order], anchored[order]
    n = o_cust.size

    # Category from each customer's sparse preference mix (product-line coverage varies).
    pref = rng.gamma(0.35, 1.0, (m, len(CATEGORIES))) + 1e-12
    pref_cum = np.cumsum(pref / pref.sum(axis=1, keepdims=True), axis=1)
    cat = (rng.random(n)[:, None] > pref_cum[o_cust]).sum(axis=1)
    cat = np.minimum(cat, len(CATEGORIES) - 1)
    product = cat * 3 + rng.integers(0, 3, n)
    list_value = value[o_cust] * CATEGORY_PRICE[cat] * rng.lognormal(-0.125, 0.5, n)
    discount = rng.uniform(0.0, 0.15, m)
    bz = arch == BELOW_ZERO
    discount[bz] = rng.uniform(0.35, 0.55, bz.sum())  # deep discounts buy the volume
    amount = list_value * (1.0 - discount[o_cust])
    cost = list_value * CATEGORY_COST[cat] * rng.lognormal(0.0, 0.08, n)
    quantity = np.maximum(1, np.round(list_value / CATEGORY_UNIT_PRICE[cat])).astype(np.int64)
    # Order channel mostly follows the account's channel.
    o_channel = np.where(rng.random(n) < 0.9, channel[o_cust], rng.integers(0, len(CHANNELS), n))
    # Returns (never an anchor so first/last purchase dates stay purchases): part of a line.
    ret = (~anchored) & (rng.random(n) < np.where(bz[o_cust], 0.04, 0.018))
    frac = np.where(ret, rng.uniform(0.2, 1.0, n), 1.0)
    sign = np.where(ret, -1.0, 1.0)
    amount = np.round(amount * frac, 2) * sign
    cost = np.round(cost * frac, 2) * sign
    quantity = np.where(ret, -np.maximum(1, np.round(quantity * frac)).astype(np.int64), quantity)

    numbers = counter.orders + 1 + np.arange(n, dtype=np.int64)
    counter.orders += n
    if counter.orders >= 10 ** order_width:
        raise OverflowError("order number overflow: raise order_width")
    cust_ids = _ids("C", first_number + np.arange(m), id_width)
    o_cust_pa = pa.array(o_cust)
    orders = pa.table({
        "order_id": _ids("SO", numbers, order_width),
        "customer_id": pc.take(cust_ids, o_cust_pa),
        "order_date": _dates(o_day),
        "amount": _money(amount),
        "cost": _money(cost),
        "product": _labels(product, PRODUCTS),
        "category": _labels(cat, CATEGORIES),
        "quantity": pa.array(quantity),
        "channel": _labels(o_channel, CHANNELS),
    })

    # --- payments: one invoice per purchase line ------------------------------------------
    payer = _pick(rng, (0.72, 0.21, 0.07), m)
    payer[bz & (rng.random(m) < 0.6)] = 2
    p = ~ret
    p_cust, p_day, p_amount = o_cust[p], o_day[p], amount[p]
    pn = p_cust.size
    terms = np.where(rng.random(m) < np.array([0.2, 0.4, 0.6])[size], 60, 30)[p_cust]
    due = p_day + terms
    pt = payer[p_cust]
    r = rng.random(pn)
    on_time = r < PAYER_ON_TIME[pt]
    unpaid = r > 1.0 - PAYER_UNPAID[pt]
    late_by = np.where(pt == 2, _uniform_int(rng, np.full(pn, 10), 150),
                       _uniform_int(rng, np.full(pn, 1), 45))
    paid = np.where(on_time, p_day + _uniform_int(rng, np.full(pn, 3), terms), due + late_by)
    # Invoices are paid in the future relative to the extract, so are still open in it.
    paid_missing = unpaid | (paid > end)
    payments = pa.table({
        "invoice_id": _ids("INV", numbers[p], order_width),
        "customer_id": pc.take(cust_ids, pa.array(p_cust)),
        "invoice_date": _dates(p_day),
        "amount": _money(p_amount),
        "due_date": _dates(due),
        "paid_date": _dates(np.minimum(paid, end), mask=paid_missing),
    })

    # --- service events ----------------------------------------------------------------------
    svc_rate = np.array([0.8, 1.2, 2.0])[size] * rng.lognormal(0.0, 0.5, m)
    svc_rate[bz] = rng.uniform(10.0, 20.0, bz.sum())
    svc_end = np.minimum(last_day + 60, end)
    sn = rng.poisson(svc_rate * (svc_end - proc_start + 1) / 365.0)
    s_cust = np.repeat(np.arange(m), sn)
    s_day = proc_start[s_cust] + np.floor(rng.random(s_cust.size)
                                          * (svc_end - proc_start + 1)[s_cust]).astype(np.int64)
    kind_p = np.where(bz[s_cust, None], [[0.55, 0.25, 0.15, 0.05]], [[0.62, 0.07, 0.21, 0.10]])
    s_kind = (rng.random(s_cust.size)[:, None] > np.cumsum(kind_p, axis=1)).sum(axis=1)
    s_kind = np.minimum(s_kind, 3)
    # Onboarding: first purchases carry training / set-up effort (why they are often unprofitable).
    onboard = np.flatnonzero(rng.random(m) < 0.4)
    ob_day = first_day[onboard] + _uniform_int(rng, np.full(onboard.size, 7), 45)
    ok = (ob_day <= end) & (first_day[onboard] >= start)
    s_cust = np.concatenate([s_cust, onboard[ok]])
    s_day = np.concatenate([s_day, ob_day[ok]])
    s_kind = np.concatenate([s_kind, np.full(ok.sum(), 3)])
    order = np.lexsort((s_day, s_cust))
    s_cust, s_day, s_kind = s_cust[order], s_day[order], s_kind[order]
    sv = s_cust.size
    s_cost = np.maximum(100.0, value[s_cust] * SERVICE_COST_SHARE[s_kind]
                        * rng.lognormal(0.0, 0.4, sv))
    s_cost = np.round(s_cost, 2)

    # Account-level satisfaction: unhappy where the relationship is going wrong.
    sat_mu = np.select([bz, arch == DECLINING, np.isin(arch, [CHURNED, DORMANT, AT_RISK])],
                       [2.8, 3.4, 3.3], default=4.1)
    sat = np.clip(sat_mu + rng.normal(0.0, 0.5, m), 1.0, 5.0)
    s_sat = np.clip(np.round(sat[s_cust] + rng.normal(0.0, 0.7, sv) - 1.2 * (s_kind == 1)), 1, 5)
    service = pa.table({
        "customer_id": pc.take(cust_ids, pa.array(s_cust)),
        "date": _dates(s_day),
        "kind": _labels(s_kind, SERVICE_KINDS),
        "cost": _money(s_cost),
        "satisfaction": pa.array(s_sat.astype(np.int64), mask=rng.random(sv) < 0.1),
    })

    # --- customers ---------------------------------------------------------------------------
    created = first_day - _uniform_int(rng, np.zeros(m), 180)
    annual = rate * value * 0.95  # expected yearly revenue
    share = rng.beta(4.0, 3.0, m)  # our share of their budget
    growable = rng.random(m) < np.array([0.10, 0.20, 0.30])[size]
    share[growable] = rng.uniform(0.05, 0.2, growable.sum())
    wallet = np.round(annual / share, -2)
    referrals = rng.poisson(np.select([bz, rate > 8.0], [0.1, 1.0], default=0.35))
    importance = np.clip(np.round(size + 1.5 + rng.normal(0.0, 0.8, m)), 1, 5).astype(np.int64)
    customers = pa.table({
        "customer_id": cust_ids,
        "name": firm["name"],
        "region": _labels(region, REGIONS),
        "industry": _labels(industry, INDUSTRIES),
        "city": _labels(firm["city"], firm["city_vocab"]),
        "size": _labels(size, SIZES),
        "channel": _labels(channel, CHANNELS),
        "created_at": _dates(created),
        "pipeline_stage": pa.array(["customer"] * m, pa.string()),
        "acquisition_cost": _money(_acquisition_cost(rng, channel, size)),
        "wallet_estimate": _money(wallet, mask=rng.random(m) < 0.1),
        "satisfaction": _one_decimal(sat, mask=rng.random(m) < 0.15),
        "referrals": pa.array(referrals),
        "importance": pa.array(importance, mask=rng.random(m) >= 0.15),
    })
    return {"customers": customers, "orders": orders, "payments": payments, "service": service}


def _prospect_chunk(rng: np.random.Generator, first_number: int, m: int, end: int,
                    id_width: int) -> pa.Table:
    """Pipeline accounts: a customers row, no orders."""
    firm = _firmographics(rng, m)
    size, channel = firm["size"], firm["channel"]
    stage = _pick(rng, PIPELINE_WEIGHTS, m)
    created = end - _uniform_int(rng, np.zeros(m), 400)
    # Acquisition spend so far grows with how far down the funnel the account is.
    spent = _acquisition_cost(rng, channel, size) * np.array([0.1, 0.4, 0.8])[stage]
    wallet = np.round(np.array([30000.0, 110000.0, 400000.0])[size]
                      * rng.lognormal(0.0, 0.9, m), -2)
    importance = np.clip(np.round(size + 1.5 + rng.normal(0.0, 0.8, m)), 1, 5).astype(np.int64)
    return pa.table({
        "customer_id": _ids("P", first_number + np.arange(m), id_width),
        "name": firm["name"],
        "region": _labels(firm["region"], REGIONS),
        "industry": _labels(firm["industry"], INDUSTRIES),
        "city": _labels(firm["city"], firm["city_vocab"]),
        "size": _labels(size, SIZES),
        "channel": _labels(channel, CHANNELS),
        "created_at": _dates(created),
        "pipeline_stage": _labels(stage, PIPELINE),
        "acquisition_cost": _money(spent, mask=rng.random(m) < 0.3),
        "wallet_estimate": _money(wallet, mask=rng.random(m) < 0.2),
        "satisfaction": pa.nulls(m, pa.decimal128(4, 1)),
        "referrals": pa.array(np.zeros(m, np.int64)),
        "importance": pa.array(importance, mask=rng.random(m) >= 0.1),
    })


# --- writing ---------------------------------------------------------------------------------

def _plain(table: pa.Table, columns: tuple[str, ...]) -> pa.Table:
    # Fixed column order and plain string columns so every chunk has the same schema.
    cols = []
    for name in columns:
        col = table.column(name)
        if pa.types.is_dictionary(col.type) or pa.types.is_large_string(col.type):
            col = col.cast(pa.string())
        cols.append(col)
    return pa.table(cols, names=list(columns))


class _Writers:
    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.writers: dict[str, pacsv.CSVWriter] = {}
        self.rows = {t: 0 for t in FILE_COLUMNS}

    def write(self, name: str, table: pa.Table) -> None:
        table = _plain(table, FILE_COLUMNS[name])
        if name not in self.writers:
            # quoting "none": no value contains a comma, quote or newline, so the files read
            # as plain CSV in Excel and any parser (checked by the tests).
            self.writers[name] = pacsv.CSVWriter(
                str(self.out_dir / f"{name}.csv"), table.schema,
                write_options=pacsv.WriteOptions(quoting_style="none", quoting_header="none",
                                                batch_size=65536))
        self.writers[name].write_table(table)
        self.rows[name] += table.num_rows

    def close(self) -> None:
        for w in self.writers.values():
            w.close()


def generate(out_dir: str | Path, customers: int = 2000, prospects: int | None = None,
             seed: int = 7, end_date: str = "2026-09-30", years: float = 3.0,
             chunk_customers: int = 50_000) -> dict:
    """Write a synthetic, deterministic dataset of the four canonical tables.

    Ordering customers are drawn from latent archetypes (steady, growing, declining,
    below-zero, new, at-risk, dormant, churned, won-back) so the dashboard has a story to
    reveal: heavy-tailed value, a loss-making group, every lifecycle stage, growth and
    decline, seasonality and bad payers. Work is done in chunks of customers, each with its
    own random stream seeded by ``(seed, chunk_index)``, and appended to the files, so memory
    stays bounded at any size.

    Parameters
    ----------
    out_dir : str or Path
        Folder to write ``orders.csv``, ``customers.csv``, ``payments.csv`` and
        ``service.csv`` into (created if absent; existing files are replaced).
    customers : int
        Number of ordering customers (ids ``C…``); about 11 orders each on average.
    prospects : int, optional
        Number of pipeline accounts without orders (ids ``P…``); default ``customers // 2``.
    seed : int
        Random seed; the same arguments give byte-identical files.
    end_date : str
        ISO date of the end of the history; the last order in the data falls on it.
    years : float
        Length of the order history in years (2 or more keeps every lifecycle stage).
    chunk_customers : int
        Customers generated and written per chunk (bounds memory; part of the output's
        identity, since each chunk has its own random stream).

    Returns
    -------
    dict
        Rows written per table (header excluded), keyed ``customers``, ``orders``,
        ``payments`` and ``service``.
    """
    if customers < 1:
        raise ValueError("customers must be at least 1")
    if prospects is None:
        prospects = customers // 2
    if prospects < 0 or chunk_customers < 1:
        raise ValueError("prospects must be >= 0 and chunk_customers >= 1")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    end = int(np.datetime64(end_date, "D").astype(np.int64))
    start = end - int(round(years * 365.25))
    id_width = max(6, len(str(customers)))
    p_width = max(6, len(str(prospects)))
    order_width = max(8, len(str(customers * 40)))
    counter = _Counter()
    writers = _Writers(out)
    try:
        for c, first in enumerate(range(0, customers, chunk_customers)):
            m = min(chunk_customers, customers - first)
            rng = np.random.default_rng([seed, 0, c])
            tables = _customer_chunk(rng, first + 1, m, start, end, id_width, order_width, counter)
            for name in ("customers", "orders", "payments", "service"):
                writers.write(name, tables[name])
        for c, first in enumerate(range(0, prospects, chunk_customers)):
            m = min(chunk_customers, prospects - first)
            rng = np.random.default_rng([seed, 1, c])
            writers.write("customers", _prospect_chunk(rng, first + 1, m, end, p_width))
    finally:
        writers.close()
    return dict(writers.rows)
