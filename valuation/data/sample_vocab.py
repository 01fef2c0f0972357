"""Who the sample's accounts are and what they buy: the vocabularies of the sample generator.

Regions and cities, industries, sizes, channels, company names, the product catalogue, the
calendar of demand, service kinds and payment terms, and the draws of an account's firmographics
from them. The buying process that uses them is in ``valuation.data.sample``.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from valuation.data import schema

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
PIPELINE = schema.PIPELINE_STAGES
PIPELINE_WEIGHTS = (0.5, 0.3, 0.2)

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
TICKET, COMPLAINT, VISIT, TRAINING = range(len(SERVICE_KINDS))
# Service cost per event as a share of the account's typical order value.
SERVICE_COST_SHARE = np.array([0.04, 0.10, 0.12, 0.20])

# Order intensity by calendar month: Spring Festival (Jan-Feb) and summer (Jul-Aug) are
# slow, December carries the year-end budget flush.
SEASON = np.array([0.55, 0.45, 0.95, 1.0, 1.0, 0.95, 0.70, 0.65, 1.0, 0.85, 1.05, 1.20])
SEASON_ACCEPT = SEASON / SEASON.max()

# Payment terms (days from invoice to due date), as Chinese B2B buyers negotiate them: the
# larger the firm, the longer its terms. Rows are sizes, columns the terms.
TERMS_DAYS = np.array([60, 90, 120])
TERMS_BY_SIZE = np.array([[0.60, 0.30, 0.10], [0.40, 0.40, 0.20], [0.15, 0.45, 0.40]])


# --- drawing from the vocabularies ----------------------------------------------------------

def pick(rng: np.random.Generator, weights, n: int) -> np.ndarray:
    """``n`` codes drawn with ``weights`` (one row) or a row of weights per draw (2-D)."""
    w = np.asarray(weights, np.float64)
    cum = np.cumsum(w, axis=-1)
    cum = cum / cum[..., -1:]
    u = rng.random(n)
    if w.ndim == 1:
        codes = np.searchsorted(cum, u, side="right")
    else:
        codes = (u[:, None] >= cum).sum(axis=1)
    return np.minimum(codes, w.shape[-1] - 1)


def uniform_int(rng: np.random.Generator, low, high) -> np.ndarray:
    """Integers uniform in [low, high] (inclusive), elementwise; high < low gives low."""
    low = np.asarray(low, np.float64)
    high = np.maximum(np.asarray(high, np.float64), low)
    u = rng.random(np.broadcast(low, high).shape)
    return np.floor(low + u * (high - low + 1)).astype(np.int64)


def _join(*parts: pa.Array) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def firmographics(rng: np.random.Generator, n: int) -> dict:
    """Region, city, industry, size, channel and a company name for ``n`` accounts."""
    region = pick(rng, REGION_WEIGHTS, n)
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
    industry = pick(rng, INDUSTRY_WEIGHTS, n)
    size = pick(rng, SIZE_WEIGHTS, n)
    channel = pick(rng, CHANNEL_WEIGHTS, n)

    # Chinese company name: 城市 + two brand syllables + industry word + suffix.
    word_vocab = [w for i in INDUSTRIES for w in INDUSTRY_WORDS[i]]
    word_start = np.cumsum([0] + [len(INDUSTRY_WORDS[i]) for i in INDUSTRIES])
    word_count = np.diff(word_start)
    word = word_start[industry] + np.floor(rng.random(n) * word_count[industry]).astype(np.int64)
    s1 = rng.integers(0, len(BRAND_SYLLABLES), n)
    s2 = rng.integers(0, len(BRAND_SYLLABLES), n)
    # Large firms are more often groups / joint-stock companies.
    suffix = pick(rng, np.array([[0.85, 0.12, 0.03], [0.65, 0.28, 0.07], [0.35, 0.40, 0.25]])[size], n)
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


def acquisition_cost(rng: np.random.Generator, channel: np.ndarray, size: np.ndarray) -> np.ndarray:
    """Cost to win an account: direct sales and agents cost far more than e-commerce."""
    base = np.array([9000.0, 4000.0, 600.0, 1800.0])[channel]
    scale = np.array([1.0, 2.2, 5.0])[size]
    return np.round(base * scale * rng.lognormal(0.0, 0.4, len(size)), -1)
