"""Setting controls (weights, presets, cut-offs, thresholds) that write the session's Settings."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from ui import cache
from ui.safe import md
from valuation.i18n.text import t
from valuation.model.settings import DIMENSIONS, PRESETS, ClassRules, LifecycleRules, TierCuts, Tilt, Weights
from valuation.present.exports import column_label, dimension_label

PRESET_KEY = "preset"


def _slider_key(dim: str) -> str:
    return f"w::{dim}"


def _on_weight(dim: str) -> None:
    value = st.session_state[_slider_key(dim)]
    s = cache.settings()
    cache.update_settings(weights=s.weights.with_weight(dim, value))


def preset_key(weights: Weights) -> str:
    """The preset box's key: it names the preset the weights were when the box was drawn ("custom"
    when none), and a new box is drawn whenever that changes.

    Two slider moves in quick succession (two arrow keys, a drag) send the second move with the
    browser's old box and its old value, before it has drawn the new box; Streamlit sees a value
    for a box it did not draw in the interrupted run and calls its callback, which put the sliders
    back on the preset (3 of 10 loads in Chromium, 2026-12-05, tests/test_browser.py). The old
    box's value is always its own preset, which a person choosing cannot send (choosing the value
    shown is no change): :func:`_on_preset` ignores it.
    """
    return f"{PRESET_KEY}::{preset_of(weights) or 'custom'}"


def _on_preset(key: str) -> None:
    name = st.session_state[key]
    if name == key.split("::", 1)[1]:
        return  # a stale echo of the box as it was drawn, not a choice (preset_key)
    if name in PRESETS:
        preset = PRESETS[name]
        current = cache.settings().weights
        weights = replace(preset, influence=current.influence, custom=current.custom)
        cache.update_settings(weights=weights)
        for dim, value in weights.as_dict().items():
            st.session_state[_slider_key(dim)] = value


def apply_weights(weights: Weights) -> None:
    """Use ``weights`` (e.g. the learned ones, on the manager's click) and move the sliders to them."""
    cache.update_settings(weights=weights)
    for dim, value in weights.as_dict().items():
        st.session_state[_slider_key(dim)] = value


def weight_controls(dimensions: tuple[str, ...], lang: str, *, container=st) -> Weights:
    """A preset picker and one slider per available dimension; returns the resulting weights.

    Slider values live in the session's Settings (not only in widget state), so
    they survive switching pages.
    """
    weights = cache.settings().weights
    names = list(PRESETS) + ["custom"]
    # The box always names what the sliders hold: a preset, or "custom" once a slider left it.
    key = preset_key(weights)
    container.selectbox(t("tuning.preset", lang), names, index=names.index(preset_of(weights) or "custom"),
                        format_func=lambda n: t(f"preset.{n}", lang) if n in PRESETS else t("tuning.custom", lang),
                        key=key, on_change=_on_preset, args=(key,))
    values = weights.as_dict()
    for dim in dimensions:
        key = _slider_key(dim)
        if key not in st.session_state:
            st.session_state[key] = float(values.get(dim, 0.0))
        # A custom dimension is named by a header of the customers file (or of a share link):
        # widget labels render markdown, so it is escaped to show as the characters it is.
        label = t(f"dim.{dim}", lang) if not dim.startswith("custom:") else md(column_label(dim, lang))
        container.slider(label, 0.0, 100.0, step=5.0, format="%.0f", key=key, on_change=_on_weight, args=(dim,),
                         help=t(f"help.{dim}", lang) if not dim.startswith("custom:") else None)
    weights = cache.settings().weights
    shown = {d: w for d, w in weights.as_dict().items() if d in dimensions}
    total = sum(shown.values())
    if total > 0:
        sep = t("actions.list_separator", lang)
        parts = sep.join(f"{dimension_label(d, lang)} {w / total:.0%}" for d, w in shown.items() if w > 0)
        container.caption(md(t("tuning.weight_total", lang, total=f"{total:g}", parts=parts)))
    else:
        container.warning(t("tuning.weight_zero", lang))
    return weights


def preset_of(weights: Weights) -> str | None:
    """The preset whose five weights these are (influence and custom ones aside), or None."""
    return next((n for n in PRESETS if replace(PRESETS[n], influence=weights.influence,
                                               custom=weights.custom) == weights), None)


def _on_tiers() -> None:
    a, b, c = (st.session_state[f"cut::{k}"] / 100 for k in "abc")
    if a + b + c > 1:
        return  # the message below the inputs says why nothing changed
    cache.update_settings(tiers=TierCuts(a=a, b=b, c=c))


def tier_controls(lang: str, *, container=st) -> TierCuts:
    """Cut-offs of tiers A, B and C in percent of ranked customers."""
    cuts = cache.settings().tiers
    cols = container.columns(3)
    for col, k in zip(cols, "abc"):
        key = f"cut::{k}"
        if key not in st.session_state:
            st.session_state[key] = round(getattr(cuts, k) * 100, 1)
        col.number_input(t(f"tuning.cut_{k}", lang), 0.0, 100.0, step=1.0, format="%.0f", key=key,
                         on_change=_on_tiers)
    if sum(st.session_state[f"cut::{k}"] for k in "abc") > 100:
        container.warning(t("tuning.cuts_too_big", lang))
    return cache.settings().tiers


CLASS_SHARES = ("most_valuable_share", "growable_share", "achievable_share")


def _on_classes() -> None:
    values = {name: st.session_state[f"class::{name}"] / 100 for name in CLASS_SHARES}
    try:
        rules = replace(cache.settings().classes, **values)
    except ValueError:
        return  # the inputs' bounds keep shares in (0, 100]; nothing else to say
    cache.update_settings(classes=rules)


def class_controls(lang: str, *, container=st) -> ClassRules:
    """The value-class rules in percent: the most valuable customers' share of actual value, the
    growable customers' share of the rest's strategic value, the winnable share of an untapped wallet."""
    rules = cache.settings().classes
    cols = container.columns(3)
    for col, name in zip(cols, CLASS_SHARES):
        key = f"class::{name}"
        if key not in st.session_state:
            st.session_state[key] = round(getattr(rules, name) * 100, 1)
        col.number_input(t(f"tuning.{name}", lang), 1.0, 100.0, step=5.0, format="%.0f", key=key,
                         on_change=_on_classes, help=t(f"tuning.{name}_help", lang))
    return cache.settings().classes


TILT_DEFAULT_POINTS = 10.0


def _on_tilt(attributes: tuple[str, ...]) -> None:
    rules = list(cache.settings().tilt.rules)
    rules = [r for r in rules if r[0] not in attributes]  # rules on attributes not shown are kept
    for attribute in attributes:
        points = float(st.session_state.get(f"tilt::points::{attribute}", TILT_DEFAULT_POINTS))
        rules += [(attribute, value, points) for value in st.session_state.get(f"tilt::values::{attribute}", [])]
    try:
        cache.update_settings(tilt=Tilt.of(rules))
    except ValueError:
        return  # the inputs' bounds keep points within the tilt's range


def tilt_controls(options: dict[str, list[str]], lang: str, *, container=st) -> Tilt:
    """Per attribute (industry, region …): the values to favour and the points they get (seed 001)."""
    tilt = cache.settings().tilt
    attributes = tuple(options)
    for attribute, values in options.items():
        chosen = tilt.points_for(attribute)
        values_key, points_key = f"tilt::values::{attribute}", f"tilt::points::{attribute}"
        if values_key not in st.session_state:
            st.session_state[values_key] = [v for v in chosen if v in values]
        if points_key not in st.session_state:
            st.session_state[points_key] = float(next(iter(chosen.values()), TILT_DEFAULT_POINTS))
        left, right = container.columns([3, 1])
        left.multiselect(t("tuning.tilt_values", lang, attribute=column_label(attribute, lang)), values,
                         key=values_key, on_change=_on_tilt, args=(attributes,),
                         placeholder=t("common.choose", lang))
        right.number_input(t("tuning.tilt_points", lang), -30.0, 30.0, step=5.0, format="%.0f", key=points_key,
                           on_change=_on_tilt, args=(attributes,), help=t("tuning.tilt_points_help", lang))
    return cache.settings().tilt


def _on_lifecycle() -> None:
    values = {k: st.session_state[f"life::{k}"] for k in ("at_risk_days", "dormant_days", "churned_days",
                                                          "won_back_days")}
    try:
        rules = replace(cache.settings().lifecycle, **{k: int(v) for k, v in values.items()},
                        gap_multiple=float(st.session_state["life::gap_multiple"]))
    except ValueError:
        return
    cache.update_settings(lifecycle=rules)


def lifecycle_controls(lang: str, *, container=st) -> LifecycleRules:
    """Editable day thresholds of at-risk, dormant and churned, and the personal-gap multiple."""
    rules = cache.settings().lifecycle
    cols = container.columns(5)
    specs = [("at_risk_days", 7, 720, 1), ("dormant_days", 14, 1080, 1), ("churned_days", 30, 1800, 1),
             ("won_back_days", 30, 1080, 1)]
    for col, (name, low, high, step) in zip(cols, specs):
        key = f"life::{name}"
        if key not in st.session_state:
            st.session_state[key] = int(getattr(rules, name))
        col.number_input(t(f"life.{name}", lang), low, high, step=step, key=key, on_change=_on_lifecycle)
    if "life::gap_multiple" not in st.session_state:
        st.session_state["life::gap_multiple"] = float(rules.gap_multiple)
    cols[4].number_input(t("life.gap_multiple", lang), 1.0, 10.0, step=0.5, key="life::gap_multiple",
                         on_change=_on_lifecycle)
    v = [st.session_state[f"life::{n}"] for n, *_ in specs[:3]]
    if not (v[0] <= v[1] <= v[2]):
        container.warning(t("life.order_warning", lang))
    return cache.settings().lifecycle


__all__ = ["DIMENSIONS", "class_controls", "lifecycle_controls", "tier_controls", "weight_controls"]
