"""A walk of every page in Chinese finds no raw label key and no English word a reader would have to
translate (issue #16 item 3): titles, headings, text, notices, metrics, widget labels and options,
buttons, expanders, tabs, table headers and text cells, chart titles, axes, legends and notes — on the
sample, and on an upload with a title row, a repeated row, a bad date and a missing amount."""

from __future__ import annotations

import html
import json
import re

import pandas as pd
import pytest
import streamlit
from streamlit.delta_generator import DeltaGenerator
from streamlit.testing.v1 import element_tree as et

from tests import apptest
from valuation.data import schema
from valuation.data.store import SAMPLE_DATASET, Store, ensure_sample
from valuation.i18n.text import TEXT, t

PAGES = ("overview", "tuning", "lifecycle", "customers", "clv", "explore", "dynamics", "actions", "data", "present")

# Latin words that stay as they are in a Chinese page. Keep this short: every entry needs a reason.
ALLOWED_WORDS = {
    # names of models and measures Chinese readers use in English (the labels say them so)
    "CLV", "RFM", "BG", "NBD", "MBG",
    "CAC",  # acquisition cost: the CLV/CAC chart defines it in its subtitle (平均获客成本（CAC）)
    # file formats and encodings a reader picks or sees in their own files
    "CSV", "Excel", "HTML", "Parquet", "GBK",
    # the other language's name in the language switch (each language is named in itself)
    "English", "Language",
    # the cars of the car-buyer example on the CLV page (seed 003): model names, as the dealer says them
    "TT",
}
# Whole phrases that stay as they are: symbols of the models, and what people type or read literally.
ALLOWED_PATTERNS = [
    r"P\(alive\)",                          # the probability a customer is still buying (BG/NBD's name)
    r"(?i)\b(?:utf-8|gb18030|big5(?:-hkscs)?|utf-16(?:-[lb]e)?)\b",  # the encoding detected, by its name
    r"python -m valuation[^，。；）\n]*",     # a command to type, as the CLI spells it
    r"\bVALUATION_[A-Z_]+\b",               # environment variables an administrator sets
    r"[\w./-]*\w/[\w./-]*",                 # paths and folders: docs/security.md, sample_data/, s3://…
    r"[\w.-]+\.(?:csv|xlsx|parquet|html|md|txt|tsv|json)\b",  # file names
]
# Texts quoted whole from the label table that name things literally, in English on purpose.
EXEMPT_KEYS = {
    # the folder layout and canonical column names a Parquet folder must have: the files' own words
    "scale.attach_help",
}
# A raw key: a known key prefix and a dot (load.no_cost), or word.word_word.
KEY_PREFIXES = sorted({k.split(".", 1)[0] for k in TEXT}, key=len, reverse=True)
RAW_KEY = re.compile(r"\b(?:" + "|".join(map(re.escape, KEY_PREFIXES)) + r")\.[A-Za-z0-9_.]+\b"
                     r"|\b[a-z]+\.[a-z]+_[a-z_]+\b")
# Two letters or more: single letters stay (the tier letters A–D, formula symbols r, a, b, s, t, k, and
# the letter of an id such as C000123 or K001).
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
TAG = re.compile(r"<style.*?</style>|<[^>]+>", re.S)
TEXT_TYPES = {"title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success",
              "toast", "text", "exception"}


def _template(key: str) -> re.Pattern:
    """The Chinese text of ``key`` as a pattern: its {placeholders} match anything."""
    parts = re.split(r"\{[^}]*\}", TEXT[key][0])
    return re.compile(".*?".join(map(re.escape, parts)), re.S)


EXEMPT = [_template(k) for k in EXEMPT_KEYS]


def visible_texts(at) -> list[tuple[str, str]]:
    """(where, text) of everything a reader sees on the page AppTest rendered."""
    out: list[tuple[str, str]] = []

    def add(where, value):
        if isinstance(value, (list, tuple)):
            for v in value:
                add(where, v)
        elif isinstance(value, str) and value.strip():
            out.append((where, value))

    def chart(spec: dict):
        layout = spec.get("layout", {})
        title = lambda x: x.get("text") if isinstance(x, dict) else x  # noqa: E731
        add("chart title", title(layout.get("title")))
        for name, axis in layout.items():
            if name.startswith(("xaxis", "yaxis")) and isinstance(axis, dict):
                add("chart axis", title(axis.get("title")))
                add("chart ticks", [str(v) for v in axis.get("ticktext") or []])
        add("chart note", [a.get("text") for a in layout.get("annotations") or []])
        for trace in spec.get("data", []):
            add("chart legend", trace.get("name"))
            labels = trace.get("labels") or (trace.get("node") or {}).get("label") or []
            add("chart labels", [v for v in labels if isinstance(v, str)])

    def frame(where, df: pd.DataFrame):
        add(f"{where} header", [str(c) for c in df.columns])
        if df.index.dtype == object:
            add(f"{where} index", [v for v in df.index if isinstance(v, str)])
        for c in df.columns:
            s = df[c]
            if s.dtype == object or pd.api.types.is_string_dtype(s):
                add(f"{where}[{c}]", [v for v in s.dropna().unique()[:300] if isinstance(v, str)])

    def walk(node):
        kind = getattr(node, "type", None)
        if isinstance(node, et.Block):
            if kind in ("expander", "tab"):
                add(kind, node.label)
            for child in node.children.values():
                walk(child)
        elif kind in TEXT_TYPES:
            add(kind, node.value)
        elif kind == "metric":
            add("metric", [node.label, node.value, node.delta])
        elif isinstance(node, (et.Dataframe, et.Table)):
            frame(kind, node.value)
        elif isinstance(node, et.UnknownElement):
            if kind == "plotly_chart":
                chart(json.loads(node.proto.spec))
            else:
                add(kind, [getattr(node.proto, f, None) for f in ("label", "body")])
        else:
            add(f"{kind} label", getattr(node, "label", None))
            try:
                add(f"{kind} option", [str(o) for o in getattr(node, "options", ())])
            except Exception:  # a widget without options
                pass

    walk(at._tree)
    return out


def data_words(store: Store, datasets) -> set[str]:
    """Latin words of the data itself (customer names, products, ids, dataset names): shown as they are."""
    words = set()
    for name in datasets:
        words |= set(LATIN_WORD.findall(name))
        for table in schema.TABLES:
            frame = store.read(name, table)
            for c in frame.columns:
                if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c]):
                    for v in frame[c].dropna().unique():
                        words |= set(LATIN_WORD.findall(str(v)))
    return words


def problems(texts, allowed_words: set[str]) -> list[str]:
    """Each text with a raw key or a Latin word that is not allowed, as 'where: word in «text»'."""
    found = []
    for where, raw in texts:
        text = html.unescape(TAG.sub(" ", raw)).replace("\\", "")  # markdown escapes: sample\_data/
        if any(p.fullmatch(text.strip()) for p in EXEMPT):
            continue
        for pattern in ALLOWED_PATTERNS:  # paths and file names first: docs/clv.md is not a key
            text = re.sub(pattern, " ", text)
        for key in RAW_KEY.findall(text):
            found.append(f"{where}: raw key {key} in «{raw[:160]}»")
        for word in LATIN_WORD.findall(text):
            if word not in ALLOWED_WORDS and word not in allowed_words:
                found.append(f"{where}: {word} in «{raw[:160]}»")
    return sorted(set(found))


# A GBK export as ERP systems write them: a report title above the header, a row exported twice,
# a date that is no date and an empty amount.
UPLOAD_NAME = "销售订单.csv"
UPLOAD = ("销售订单导出 2026年9月\n"
          "客户编号,客户名称,订单日期,金额,成本\n"
          + "".join(f"K{i:03d},华东客户{i}号,2026-0{1 + i % 8}-1{i % 10},{100 + i * 7},{60 + i * 3}\n"
                    for i in range(1, 41))
          + "K001,华东客户1号,2026-02-11,107,63\n"
          "K050,华北客户50号,下周一,300,100\n"
          "K051,华北客户51号,2026-03-05,,100\n").encode("gb18030")


@pytest.fixture
def db_path(tmp_path):
    return apptest.sample_db_in(tmp_path)


def sample_words() -> set[str]:
    store = Store(":memory:")
    ensure_sample(store)
    try:
        return data_words(store, [SAMPLE_DATASET])
    finally:
        store.close()


@pytest.fixture
def download_names(monkeypatch) -> list[str]:
    """The file name of every download button drawn (AppTest has no media files to read them from)."""
    names: list[str] = []
    original = DeltaGenerator.download_button

    def recording(self, label, data, file_name=None, *args, **kwargs):
        names.append(file_name)
        return original(self, label, data, file_name, *args, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "download_button", recording)
    monkeypatch.setattr(streamlit, "download_button", lambda *a, **k: recording(streamlit._main, *a, **k))
    return names


def named(names: list[str]) -> list[tuple[str, str]]:
    """Download names as texts to check: the name without its extension (the extension is the format's)."""
    assert names and all(names)
    return [("download name", name.rsplit(".", 1)[0]) for name in set(names)]


def walk(at, pages=PAGES) -> list[tuple[str, str]]:
    texts = []
    for page in pages:
        apptest.open_page(at, page)
        texts += [(f"{page} · {where}", text) for where, text in visible_texts(at)]
        if page == "tuning":  # against another preset: the metrics' deltas (percentage points) show
            at.selectbox(key="baseline").set_value("growth_first").run()
            texts += [(f"{page} · {where}", text) for where, text in visible_texts(at)]
            assert any(m.delta and "个百分点" in m.delta for m in at.metric)
        if page == "actions":  # every list: their columns differ
            for name in at.radio(key="action_list").options[1:]:
                at.radio(key="action_list").set_value(
                    next(v for v in ("at_risk", "declining", "growable", "wake_up", "convert", "let_go")
                         if name.startswith(t(f"actions.title.{v}", "zh"))))
                at.run()
                texts += [(f"{page} · {where}", text) for where, text in visible_texts(at)]
    return texts


def test_every_page_of_the_sample_in_chinese_has_no_raw_key_and_no_untranslated_word(db_path, monkeypatch,
                                                                                      download_names):
    at = apptest.start(db_path, monkeypatch, "zh")
    found = problems(walk(at) + named(download_names), sample_words())
    assert not found, "\n".join(found)


def test_an_upload_with_warnings_and_rejects_and_every_page_of_it_read_in_chinese(db_path, monkeypatch,
                                                                                   download_names):
    at = apptest.open_page(apptest.start(db_path, monkeypatch, "zh"), "data")
    at.file_uploader(key="upload").set_value([(UPLOAD_NAME, UPLOAD, "text/csv")])
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    texts = [(f"data upload · {where}", text) for where, text in visible_texts(at)]
    warnings = " ".join(w.value for w in at.warning)
    assert "表头在第 2 行" in warnings and "与前面某一行完全相同" in warnings  # said, and in Chinese
    rejects = next(d.value for d in at.dataframe if t("reject.col_reason", "zh") in d.value.columns)
    assert sorted(rejects[t("reject.col_reason", "zh")]) == ["订单日期：无法识别的日期（例如 2024-01-05、2024/1/5、2024年1月5日）",
                                                             "金额：必填值为空"]
    at.text_input(key="save_name").set_value("华东订单")
    at.button(key="use_session").click().run()
    assert not at.exception, [e.message for e in at.exception]
    texts += walk(at)  # every page again, on the uploaded orders (few buyers: the CLV formula, notes)
    words = sample_words() | set(LATIN_WORD.findall(UPLOAD.decode("gb18030")))  # the sample is listed too
    found = problems(texts + named(download_names), words)
    assert not found, "\n".join(found)


def test_the_walk_flags_english_words_and_raw_keys_and_passes_what_stays_as_it_is():
    flagged = problems([("warning", "header found on line 4"), ("caption", "load.no_cost"),
                        ("table", "missing_value"), ("metric", "+1.2 pt"), ("download name", "at_risk_2026-09-30")],
                       set())
    assert [f.split(":")[0] for f in flagged].count("warning") == 4  # header, found, on, line
    assert any("raw key load.no_cost" in f for f in flagged)
    assert any("missing_value" in f for f in flagged) and any("pt in" in f for f in flagged)
    assert any("at in «at_risk" in f for f in flagged)
    assert not problems([("caption", "BG/NBD 购买模型：P(alive) 见 docs/clv.md，编码 gb18030"),
                         ("cell", "C000123 · Harbor Medical Inc"), ("chart", "<b>A 级</b><br>CLV/CAC 3×")],
                        {"Harbor", "Medical", "Inc"})
