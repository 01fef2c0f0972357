"""Headers and labels: the words of a file rather than its values.

Header names as a key (``normalise_header``: case, width, brackets, noise, traditional characters),
units a header declares (``header_unit``: 金额(万元), amount (CNY thousands)) and the labels of totals
lines ERP reports append (``totals_labels``: 合计, 本页合计, TOTAL AMOUNT). Split from parsing.py,
which reads the values.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pyarrow.compute as pc

from valuation.data.currency import WORDS, currency_in
from valuation.data.parsing import _arrow, _nfkc, as_text

# Labels of the totals lines ERP reports append (合计, 本页合计, 小计, 合计(含税), 总计：, Total, TOTAL
# AMOUNT, Subtotal, Grand total …), matched against a whole cell once brackets, spaces, colons and
# dashes are gone: an optional qualifier, a totals word, an optional measure. A longer text that
# merely holds such a word (合计科技有限公司, TOTAL01, Total Solutions) is not a label.
_TOTALS_LABEL = (
    r"^(?:本页|本頁|当页|當頁|每页|每頁|本月|本期|本年|本日|当月|當月|当期|當期|全部|全年|累计|累計|总|總"
    r"|grand|page|report|overall|running|sub)?"
    r"(?:合计|合計|总计|總計|小计|小計|共计|共計|总额|總額|total|totals|subtotal|sum)"
    r"(?:金额|金額|数|數|额|額|行|amount|amounts|sales|revenue|value|due|row|line)?$"
)
# A cheap first pass over a whole column: only cells holding one of these can be a label.
_TOTALS_HINT = r"(?i)计|計|总额|總額|total|sum"


# ----------------------------------------------------------------------------- headers

_BRACKETED = re.compile(r"\([^)]*\)|\[[^\]]*\]|【[^】]*】|\{[^}]*\}|<[^>]*>|《[^》]*》|〔[^〕]*〕")
_HEADER_NOISE = re.compile(r"[\s_\-.·・*:#'\"`]+")

# Traditional characters of the header synonyms (schema.py) and of units, as the simplified ones
# the synonyms are written in: a Big5 export from Taiwan or Hong Kong says 客戶編號 and 金額(萬元).
_TRADITIONAL = str.maketrans(
    "業買產會冊創別務區單發號員響實屬應開總戶數時來檔潤滿碼稱稅類線綫紹編獲營規計訂評賬帳貨購費轉錢銷"
    "間階際預額價據採機萬億幣臺",
    "业买产会册创别务区单发号员响实属应开总户数时来档润满码称税类线线绍编获营规计订评账账货购费转钱销"
    "间阶际预额价据采机万亿币台")


def fold_traditional(text: str) -> str:
    """``text`` with the traditional characters of known headers and units made simplified."""
    return text.translate(_TRADITIONAL)


# ---- units in headers: 金额(万元), 收入（亿元）, amount (CNY thousands), Sales (RMB '000), 金额/万元

# Every currency word of data/currency.py (lower case, traditional characters folded as headers are),
# longest first, and the English names.
_CURRENCY_WORDS = re.compile("|".join(sorted(
    {re.escape(w.lower()) for w in WORDS} | {re.escape(w.lower().translate(_TRADITIONAL)) for w in WORDS}
    | {"yuan", "renminbi", "dollars?", "euros?", "pounds?", "yen", "won"}, key=len, reverse=True)))
# A currency written after the name without brackets: Amount $, amount USD, 金额美元 (元 alone is not
# enough there: 单元, 美元 are words).
_CURRENCY_SUFFIX = (
    r"[¥$€£₩]|(?:us|hk|nt|jp|cn|[asc])[$¥]|美元|美金|港币|港元|欧元|人民币|新台币|台币|日元|英镑|澳元|加元|韩元"
    r"|(?<=\s)(?:rmb|cny|usd|hkd|eur|gbp|jpy|twd|ntd|sgd|aud|cad|krw)")
_UNIT_LEAD = re.compile(r"^(?:单位\s*[:=]?|units?\s*[:=]|units?\s+|in\s+)\s*")
_CHINESE_POWERS = {"十": 1, "百": 2, "千": 3, "万": 4, "亿": 8}
_UNIT_WORDS = {
    **dict.fromkeys(("k", "thousand", "thousands", "thou", "000", "'000", "000s", "'000s", "1000",
                     "1,000", "1000s", "kcny", "krmb"), 3),
    **dict.fromkeys(("10k", "10000", "10,000", "tenthousand", "tenthousands"), 4),
    **dict.fromkeys(("m", "mn", "mm", "mil", "mio", "million", "millions", "000000", "000,000",
                     "'000,000", "1,000,000"), 6),
    **dict.fromkeys(("100m", "100mn", "100million", "hundredmillion", "hundredmillions"), 8),
    **dict.fromkeys(("b", "bn", "billion", "billions"), 9),
}
# A unit written after the name rather than in brackets: 金额/万元, 金额万元, amount in thousands.
_UNIT_SUFFIXES = (
    re.compile(r"^(?P<base>.*?\S)\s*/\s*(?P<unit>[^/]+)$"),
    re.compile(r"^(?P<base>.*?\S)\s+in\s+(?P<unit>.+)$", re.IGNORECASE),
    re.compile(r"^(?P<base>.*?\S)\s*(?P<unit>[十百千万亿萬億]+元)$"),
    re.compile(r"^(?P<base>.*?\S)\s*(?P<unit>" + _CURRENCY_SUFFIX + r")$", re.IGNORECASE),
)


def unit_exponent(unit: str) -> int | None:
    """The power of ten a unit stands for: ``万元`` 4, ``千元`` 3, ``亿元`` 8, ``元`` and ``CNY`` 0,
    ``thousand CNY``/``'000``/``k`` 3, ``million``/``mn``/``m`` 6, ``bn`` 9; None for anything that
    is not a money unit (``含税``, ``%``, ``件``)."""
    u = fold_traditional(unicodedata.normalize("NFKC", unit).lower()).strip()
    u = _UNIT_LEAD.sub("", u)
    bare = _CURRENCY_WORDS.sub("", u)
    bare = re.sub(r"[\s_\-.:：]+", "", bare)
    if not bare:
        return 0 if u else None  # a currency alone: (元), (CNY)
    if all(c in _CHINESE_POWERS for c in bare):
        return sum(_CHINESE_POWERS[c] for c in bare)
    return _UNIT_WORDS.get(bare)


def _split_unit_suffix(text: str) -> tuple[str, str] | None:
    """(name, unit) of a header whose unit follows the name outside brackets; None otherwise."""
    for pattern in _UNIT_SUFFIXES:
        m = pattern.match(text)
        if m and unit_exponent(m.group("unit")) is not None:
            return m.group("base"), m.group("unit").strip()
    return None


def header_unit(header) -> tuple[int, str] | None:
    """The money unit a header declares, as (power of ten, unit as written); None when it has none.

    The unit is the first bracketed part that reads as one (``金额(万元)``, ``销售额【万元】``,
    ``Amount (CNY thousands)``, ``金额(单位：万元)``), else a unit after the name
    (``金额/万元``, ``金额万元``, ``amount in thousands``). A unit of a power above 0 wins over a
    bare currency: ``amount (CNY) (k)`` is in thousands.
    """
    found = [(p, u) for p, u in _unit_parts(header) if p is not None]
    return next(((p, u) for p, u in found if p), found[0] if found else None)


def _unit_parts(header) -> list[tuple[int | None, str]]:
    """Each bracketed part of a header and each unit after its name, with the power of ten it
    stands for (None: not a unit, such as 含税)."""
    text = unicodedata.normalize("NFKC", "" if header is None else str(header)).replace("\ufeff", "").strip()
    found = [(unit_exponent(m.group(0)[1:-1]), m.group(0)[1:-1].strip()) for m in _BRACKETED.finditer(text)]
    rest = _BRACKETED.sub("", text).strip()
    for _ in range(4):  # as normalise_header strips them: "金额 万 元" is "金额万元"
        suffix = _split_unit_suffix(rest) or _split_unit_suffix(_HEADER_NOISE.sub("", rest))
        if not suffix:
            break
        found.append((unit_exponent(suffix[1]), suffix[1]))
        rest = suffix[0]
    return found


def header_currency(header) -> str | None:
    """The currency a money header names in its unit: ``金额(美元)`` and ``amount (USD thousands)``
    USD, ``Amount $`` USD, ``金额(元)`` CNY, ``金额(港币)`` HKD; None for ``金额`` or ``Dollar value``
    (the name itself is not read: only brackets and a unit after the name)."""
    for _, unit in _unit_parts(header):
        found = currency_in(fold_traditional(unit))
        if found:
            return found
    return None


def normalise_header(header) -> str:
    """Normalise a header for synonym matching.

    NFKC (full-width to ASCII), lower case, traditional characters of known headers made
    simplified (``客戶編號`` -> ``客户编号``), bracketed parts dropped (units such as ``(元)``), a
    unit after the name dropped (``金额/万元``, ``金额万元``, ``amount in thousands``), spaces,
    underscores, hyphens, dots and marker characters (``*`` ``:`` ``#``) removed:
    ``"金额（元）"`` -> ``"金额"``, ``"Customer_ID"`` -> ``"customerid"``, ``" 客户 编号 "`` -> ``"客户编号"``.
    """
    s = "" if header is None else str(header)
    # Until nothing changes (a few passes at most: each one that changes anything shortens the
    # text), so that the result is its own normal form: removing "_" from "金额_万_元" leaves a
    # unit ("金额万元") that the next pass removes.
    for _ in range(8):
        once = _normalise_header_once(s)
        if once == s:
            break
        s = once
    return s


def _normalise_header_once(s: str) -> str:
    s = unicodedata.normalize("NFKC", s).lower()
    s = fold_traditional(s.replace("\ufeff", ""))
    s = _BRACKETED.sub("", s)
    suffix = _split_unit_suffix(s.strip())
    if suffix:
        s = suffix[0]
    # Once more: removing a space can leave a combining mark that composes ("R¸" -> "ŗ").
    return unicodedata.normalize("NFKC", _HEADER_NOISE.sub("", s))


# ----------------------------------------------------------------------------- totals lines

def totals_labels(values) -> np.ndarray:
    """Mask of cells that are, as a whole, the label of a totals line (see ``_TOTALS_LABEL``).

    ``合计``, ``合 计``, ``本页合计``, ``合计(含税)``, ``总计：``, ``小計``, ``Total``, ``TOTAL AMOUNT``,
    ``Sub-total``, ``Grand total`` are; ``合计科技有限公司``, ``TOTAL01``, ``Total Solutions`` are not.
    One Arrow pass finds the few cells that hold a totals word; only those are normalised.
    """
    t = as_text(values)
    out = np.zeros(len(t), dtype=bool)
    if not len(t):
        return out
    hint = pc.match_substring_regex(_arrow(t), _TOTALS_HINT)
    hint = np.asarray(pc.fill_null(hint, False).to_numpy(zero_copy_only=False), dtype=bool)
    if not hint.any():
        return out
    u = _nfkc(t[hint].str.strip()).str.lower()
    u = u.str.replace(_BRACKETED.pattern, "", regex=True)
    u = u.str.replace(r"[\s:：*\-_.·#=]+", "", regex=True)
    out[hint] = u.str.fullmatch(_TOTALS_LABEL).fillna(False).to_numpy(dtype=bool)
    return out
