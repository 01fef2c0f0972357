"""User text shown through Streamlit's markdown: as the characters it is, never as markup.

Streamlit shows raw HTML in markdown as text already, but it still renders markdown: a customer
named ``![x](http://host/pixel.png)`` would load an image from any host, ``[win](https://…)``
would become a link (so would a bare ``https://…``), ``$x$`` math and ``:red[x]`` coloured text. Every piece of user text that
reaches ``st.markdown``, ``st.subheader``, ``st.caption``, an alert, a toast, a spinner or a widget label goes
through :func:`md`. Streamlit 1.67 has no plain-text option for labels: backslash escapes are the
documented way to show markdown characters as themselves.

Measured in Chromium against Streamlit 1.67: markdown renders in every widget label (slider, select
box, multiselect, text input, checkbox, …), in ``st.radio`` and ``st.select_slider`` options
(``st.pills`` and ``st.segmented_control`` too, by their docs), metric labels, expander labels and
``st.table`` cells, so text from the data goes through :func:`md` there. ``st.selectbox`` and
``st.multiselect`` options (``format_func`` results) and ``st.dataframe`` cells are plain text:
escaping them would show the backslashes, so they get the raw text. tests/test_browser_hostile_pages.py
checks both sides (a slider label, select box and multiselect options) on the real pages.
"""

from __future__ import annotations

import re

# Characters that start markdown constructs: emphasis, links, images, HTML, code, math, headings,
# directives (:red[...]) and escapes themselves.
_SPECIAL = re.compile(r"([\\`*_\[\]<>!~$#])")
# GFM turns bare "https://…", "www.…" and "a@b.com" into links whatever is escaped: an invisible
# WORD JOINER (U+2060) after the scheme, "www" or "@" keeps them text and looks the same.
_AUTOLINK = re.compile(r"(?i)(\b(?:https?|ftp|mailto|xmpp|www)(?=[:.])|@)")
_BREAKS = re.compile(r"[\r\n]+")


def md(text) -> str:
    """``text`` escaped for markdown, on one line (a name with a line break cannot start a heading)."""
    text = _SPECIAL.sub(r"\\\1", _BREAKS.sub(" ", "" if text is None else str(text)))
    return _AUTOLINK.sub("\\1\u2060", text)


def md_params(params: dict) -> dict:
    """Every value of a label's parameters escaped with :func:`md`; numbers stay as they are."""
    return {k: v if isinstance(v, (int, float)) and not isinstance(v, bool) else md(v)
            for k, v in params.items()}
