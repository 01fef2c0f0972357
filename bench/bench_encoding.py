"""Which encoding is a Chinese CSV in? The decoder beside trial decoding and charset-normalizer.

Generated exports (company names, addresses, amounts) in Big5 (code page 950, traditional),
GBK (simplified), UTF-8 and UTF-8 with BOM; 3 to 2,000 rows, with Chinese headers and
addresses or English headers and names only; then 6,000 tiny files (1-3 rows of 1-6 character
names). Each is decided by

- ``trial``: UTF-8 if it decodes, else GB18030 (the decoder before Big5 was recognised);
- ``cn``: ``charset_normalizer.from_bytes(data).best()``, unrestricted;
- ``cn_gb_big5``: the same, restricted to UTF-8, GB18030, CP950 and Big5-HKSCS;
- ``ingest``: ``valuation.data.files._decode`` (byte ranges, charset-normalizer on a tie).

    python bench/bench_encoding.py

Prints, per kind of file, how many were read in the right encoding, and for ``ingest`` how many
it flagged as unsure (the load then says so) and how many it got wrong without a flag.
"""

from __future__ import annotations

import collections
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import charset_normalizer

from valuation.data.files import _chinese_sample, _decode, _guess_chinese

TRADITIONAL = ["台灣積體電路製造股份有限公司", "鴻海精密工業股份有限公司", "香港貿易發展局", "聯發科技股份有限公司",
               "中華電信股份有限公司", "台達電子工業股份有限公司", "國泰人壽保險股份有限公司", "長榮海運股份有限公司",
               "統一企業股份有限公司", "華碩電腦股份有限公司", "宏碁股份有限公司", "廣達電腦股份有限公司",
               "台灣塑膠工業股份有限公司", "南亞塑膠工業", "中國鋼鐵股份有限公司", "富邦金融控股", "玉山商業銀行",
               "香港電燈有限公司", "長江和記實業有限公司", "新鴻基地產發展有限公司", "恒生銀行有限公司", "九龍倉集團",
               "太古股份有限公司", "港鐵公司", "電訊盈科有限公司", "國泰航空有限公司", "利豐有限公司", "周大福珠寶集團",
               "裕隆汽車製造", "遠東新世紀", "大立光電", "日月光投資控股", "緯創資通", "仁寶電腦工業"]
TW_ADDRESSES = ["台北市信義區信義路五段7號", "新竹科學園區力行六路8號", "新北市土城區自由街2號",
                "香港灣仔港灣道1號會展廣場辦公大樓", "高雄市前鎮區成功二路88號", "台中市西屯區台灣大道三段99號",
                "香港中環皇后大道中15號", "九龍尖沙咀廣東道33號", "桃園市龜山區華亞二路", "台南市新市區南科三路"]
SIMPLIFIED = ["华为技术有限公司", "北京小米科技有限责任公司", "上海电气集团股份有限公司", "深圳市腾讯计算机系统有限公司",
              "阿里巴巴（中国）有限公司", "比亚迪股份有限公司", "中国平安保险（集团）股份有限公司", "美的集团股份有限公司",
              "珠海格力电器股份有限公司", "海尔智家股份有限公司", "京东方科技集团", "宁德时代新能源科技",
              "顺丰速运有限公司", "中兴通讯股份有限公司", "联想集团", "三一重工股份有限公司", "万科企业股份有限公司",
              "招商银行股份有限公司", "华瑞科技", "东方物流", "苏州汇川技术", "杭州海康威视数字技术", "重庆长安汽车",
              "青岛啤酒股份有限公司", "贵州茅台酒股份有限公司", "伊利实业集团", "蒙牛乳业", "福耀玻璃工业集团"]
CN_ADDRESSES = ["广东省深圳市龙岗区坂田华为基地", "北京市海淀区清河中街68号", "上海市浦东新区世纪大道100号",
                "浙江省杭州市余杭区文一西路969号", "江苏省苏州市工业园区星湖街328号", "四川省成都市高新区天府大道",
                "湖北省武汉市东湖新技术开发区", "山东省青岛市崂山区海尔路1号", "福建省宁德市蕉城区漳湾镇", "天津市滨海新区"]
FAMILY = {"big5": "big5", "big5-hkscs": "big5", "cp950": "big5", "big5hkscs": "big5", "gb18030": "gbk",
          "gbk": "gbk", "gb2312": "gbk", "utf-8": "utf8", "utf_8": "utf8", "utf-8-sig": "utf8", "ascii": "utf8"}
TRUTH = {"cp950": "big5", "gbk": "gbk", "utf-8": "utf8", "utf-8-sig": "utf8"}


def export(codec: str, traditional: bool, rows: int, seed: int, full: bool) -> bytes:
    rng = random.Random(seed)
    names, addresses = (TRADITIONAL, TW_ADDRESSES) if traditional else (SIMPLIFIED, CN_ADDRESSES)
    head = ("客戶編號,客戶名稱,地址,訂單日期,金額" if traditional else "客户编号,客户名称,地址,订单日期,金额") \
        if full else "customer_id,name,order_date,amount"
    lines = [head]
    for i in range(rows):
        amount = f'"{rng.randrange(100, 5_000_000):,}.{rng.randrange(100):02d}"'
        date = f"2024-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
        cells = [f"C{i + 1:05d}", rng.choice(names)] + ([rng.choice(addresses)] if full else []) + [date, amount]
        lines.append(",".join(cells))
    text = "\r\n".join(lines) + "\r\n"
    return b"\xef\xbb\xbf" + text.encode("utf-8") if codec == "utf-8-sig" else text.encode(codec)


def realistic():
    for codec, traditional in [("cp950", True), ("gbk", False), ("utf-8", False), ("utf-8", True),
                               ("utf-8-sig", True)]:
        for rows in (3, 10, 100, 2000):
            for full in (True, False):
                for seed in range(25 if rows <= 100 else 5):
                    yield f"{codec} {rows} rows", TRUTH[codec], export(codec, traditional, rows, seed, full)


def tiny():
    for codec, names in [("cp950", TRADITIONAL), ("gbk", SIMPLIFIED)]:
        rng = random.Random(11)
        for _ in range(3000):
            rows, length = rng.choice([1, 2, 3]), rng.choice([1, 2, 3, 4, 6])
            text = "customer_id,name,order_date,amount\n" + "".join(
                f"C{i},{rng.choice(names)[:length]},2024-01-0{i + 1},{rng.randrange(1, 999)}\n"
                for i in range(rows))
            yield f"{codec} 1-3 rows", TRUTH[codec], text.encode(codec)


def trial(data: bytes) -> str:
    try:
        data.decode("utf-8")
        return "utf8"
    except UnicodeDecodeError:
        pass
    try:
        data.decode("gb18030")
        return "gbk"
    except UnicodeDecodeError:
        return "none"


def cn(data: bytes, isolation=None) -> str:
    best = charset_normalizer.from_bytes(data, cp_isolation=isolation).best()
    return FAMILY.get(best.encoding, best.encoding) if best else "none"


def ingest(data: bytes) -> str:
    return FAMILY[_decode(data, "x.csv")[0]]


def unsure(data: bytes) -> bool:
    return _decode(data, "x.csv")[0] != "utf-8" and not _guess_chinese(_chinese_sample(data)).sure


METHODS = {"trial": trial, "cn": cn,
           "cn_gb_big5": lambda d: "utf8" if d.startswith(b"\xef\xbb\xbf")
           else cn(d, ["utf_8", "gb18030", "cp950", "big5hkscs"]),
           "ingest": ingest}


def main() -> None:
    for title, corpus in (("real-shaped exports", realistic), ("tiny files", tiny)):
        right, seconds, flags = collections.defaultdict(collections.Counter), collections.Counter(), \
            collections.defaultdict(collections.Counter)
        for kind, truth, data in corpus():
            for method, decide in METHODS.items():
                start = time.perf_counter()
                right[kind][method] += decide(data) == truth
                seconds[method] += time.perf_counter() - start
            right[kind]["files"] += 1
            flagged = unsure(data)
            flags[kind]["unsure"] += flagged
            flags[kind]["wrong, no flag"] += ingest(data) != truth and not flagged
        print(f"\n{title}\n{'':22s}" + "".join(f"{m:>12s}" for m in METHODS) + "   ingest: unsure / wrong, no flag")
        for kind, counts in right.items():
            print(f"{kind:22s}" + "".join(f"{counts[m]:>7d}/{counts['files']:<4d}" for m in METHODS)
                  + f"   {flags[kind]['unsure']:>6d} / {flags[kind]['wrong, no flag']}")
        print("seconds: " + ", ".join(f"{m} {seconds[m]:.2f}" for m in METHODS))


if __name__ == "__main__":
    main()
