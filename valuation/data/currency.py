"""Which currency a file's money is in: the signs and words of its amounts and money headers."""

from __future__ import annotations

import re
import unicodedata

from valuation.data.files import Note
from valuation.i18n.format import CURRENCIES, DEFAULT_CURRENCY

# Signs and words as parse_amounts sees them (NFKC, upper case: ￥ is ¥, ＄ is $, us$ is US$) -> currency.
# ¥ alone is the yuan (a yen file is chosen by hand, docs/data-format.md); $ alone is the US dollar.
WORDS: dict[str, str] = {
    **dict.fromkeys(("RMB", "CNY", "CN¥", "RMB¥", "¥", "人民币", "人民幣", "元", "圆", "圓"), "CNY"),
    **dict.fromkeys(("USD", "US$", "$", "美元", "美金"), "USD"),
    **dict.fromkeys(("HKD", "HK$", "港币", "港幣", "港元"), "HKD"),
    **dict.fromkeys(("EUR", "€", "欧元", "歐元"), "EUR"),
    **dict.fromkeys(("GBP", "£", "英镑", "英鎊"), "GBP"),
    **dict.fromkeys(("JPY", "JP¥", "日元", "日圆", "日圓", "円"), "JPY"),
    **dict.fromkeys(("TWD", "NTD", "NT$", "新台币", "新台幣", "新臺幣", "台币", "台幣", "臺幣"), "TWD"),
    **dict.fromkeys(("SGD", "S$", "新加坡元", "新币", "新幣"), "SGD"),
    **dict.fromkeys(("AUD", "A$", "澳元", "澳币", "澳幣"), "AUD"),
    **dict.fromkeys(("CAD", "C$", "加元", "加币", "加幣"), "CAD"),
    **dict.fromkeys(("KRW", "₩", "韩元", "韓元"), "KRW"),
}
# A regex alternation of WORDS, longest first: RE2 takes the first alternative that matches, and
# US$ must win over $, 美元 over 元.
WORDS_PATTERN = "|".join(re.escape(w) for w in sorted(WORDS, key=len, reverse=True))


def currency_of(word) -> str | None:
    """The currency a sign or word stands for (``$`` USD, ``￥`` CNY, ``港币`` HKD); None for anything else."""
    if not word:
        return None
    return WORDS.get(unicodedata.normalize("NFKC", str(word)).strip().upper())


def currency_in(text) -> str | None:
    """The first currency sign or word inside ``text`` (a header's unit: ``USD thousands``, ``万美元``)."""
    u = unicodedata.normalize("NFKC", str(text or "")).upper()
    for m in re.finditer(WORDS_PATTERN, u):
        word = m.group(0)
        # A code or a letter sign (US$, A$) is a word of its own: "CAD" in "CADENCE" is not Canada's.
        if word[0].isascii() and word[0].isalpha():
            before = u[m.start() - 1] if m.start() else " "
            after = u[m.end()] if m.end() < len(u) else " "
            if (before.isascii() and before.isalpha()) or (word[-1].isalpha() and after.isascii() and after.isalpha()):
                continue
        return WORDS[word]
    return None


def decide(counts: dict[str, int]) -> str:
    """One currency for a file from how many values (and headers) said each: the most frequent, the
    first of ``CURRENCIES`` on a tie; CNY when nothing said any."""
    seen = {c: n for c, n in counts.items() if n > 0}
    if not seen:
        return DEFAULT_CURRENCY
    order = list(CURRENCIES)
    return max(seen, key=lambda c: (seen[c], -order.index(c) if c in order else -len(order)))


def combined(counts: list[dict[str, int]]) -> dict[str, int]:
    """The counts of several files (a dataset saved from an orders and a customers file) added up."""
    out: dict[str, int] = {}
    for part in counts:
        for code, n in part.items():
            out[code] = out.get(code, 0) + n
    return out


def currency_note(counts: dict[str, int], currency: str) -> Note | None:
    """What the reader is told: two currencies in one file (read as the most frequent: check the file,
    or choose the currency before saving), or a currency other than the yuan found; None for the yuan."""
    seen = {c: n for c, n in counts.items() if n > 0}
    if len(seen) > 1:
        found = [Note("note.currency_count", {"currency": Note(f"currency.{c}"), "n": f"{n:,}"})
                 for c, n in sorted(seen.items(), key=lambda kv: (-kv[1], kv[0]))]
        return Note("note.currency_mixed", {"found": found, "currency": Note(f"currency.{currency}")})
    if currency != DEFAULT_CURRENCY:
        return Note("note.currency_found", {"currency": Note(f"currency.{currency}")})
    return None
