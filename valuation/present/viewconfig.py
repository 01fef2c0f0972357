"""A whole view (dataset, as-of date, language, settings) as JSON and as URL query parameters."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field, replace

from valuation.model.settings import ClassRules, ClvSettings, LifecycleRules, Settings, TierCuts, Tilt, Weights

LANGS = ("zh", "en")


@dataclass(frozen=True)
class ViewConfig:
    """Everything that decides what a page shows; saved by name and carried in share links."""

    dataset: str = "db:sample"  # scope:name, as in the sidebar
    as_of: dt.date | None = None
    lang: str = "zh"
    settings: Settings = field(default_factory=Settings)

    def to_json(self) -> str:
        data = {"dataset": self.dataset, "as_of": self.as_of.isoformat() if self.as_of else None,
                "lang": self.lang, "settings": asdict(self.settings)}
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "ViewConfig":
        data = json.loads(text)
        as_of = data.get("as_of")
        return cls(dataset=data.get("dataset") or "db:sample",
                   as_of=dt.date.fromisoformat(as_of) if as_of else None,
                   lang=data.get("lang") if data.get("lang") in LANGS else "zh",
                   settings=Settings.from_dict(data.get("settings") or {}))


def _num(x: float) -> str:
    return f"{x:g}"


def to_query(config: ViewConfig) -> dict[str, str]:
    """Short, readable query parameters: ?ds=db:sample&asof=2026-09-30&lang=zh&w=current:30,…"""
    s = config.settings
    weights = ",".join(f"{k}:{_num(v)}" for k, v in s.weights.as_dict().items())
    params = {
        "ds": config.dataset,
        "lang": config.lang,
        "w": weights,
        "tiers": ",".join(_num(x * 100) for x in (s.tiers.a, s.tiers.b, s.tiers.c)),
        "vc": ",".join(_num(x * 100) for x in (s.classes.most_valuable_share, s.classes.growable_share,
                                               s.classes.achievable_share)) + f",{_num(s.classes.growth_cut)}",
        "life": ",".join(_num(x) for x in (s.lifecycle.at_risk_days, s.lifecycle.dormant_days,
                                           s.lifecycle.churned_days, s.lifecycle.gap_multiple,
                                           s.lifecycle.won_back_days)),
        "clv": f"{s.clv.horizon_months},{_num(s.clv.annual_discount_rate * 100)}",
    }
    if s.tilt.rules:
        params["tilt"] = json.dumps([list(rule) for rule in s.tilt.rules], ensure_ascii=False,
                                    separators=(",", ":"))
    if config.as_of:
        params["asof"] = config.as_of.isoformat()
    return params


def _floats(text: str, n: int) -> list[float]:
    parts = [float(p) for p in text.split(",")]
    if len(parts) != n:
        raise ValueError(f"expected {n} numbers")
    return parts


def from_query(params: dict[str, str], base: ViewConfig | None = None) -> tuple[ViewConfig, list[str]]:
    """Read query parameters over ``base``; returns the config and the names of parameters ignored.

    A parameter that does not parse (a hand-edited link, say) is ignored and
    named, never an error: the rest of the link still applies.
    """
    config = base or ViewConfig()
    s = config.settings
    ignored = []

    def attempt(name, fn):
        nonlocal config, s
        if name not in params:
            return
        try:
            fn(params[name])
        except (ValueError, TypeError, KeyError, OverflowError):  # int(inf) is an OverflowError
            ignored.append(name)

    def set_dataset(v):
        nonlocal config
        if ":" not in v:
            raise ValueError(v)
        config = replace(config, dataset=v)

    def set_as_of(v):
        nonlocal config
        config = replace(config, as_of=dt.date.fromisoformat(v))

    def set_lang(v):
        nonlocal config
        if v not in LANGS:
            raise ValueError(v)
        config = replace(config, lang=v)

    def set_weights(v):
        nonlocal s
        pairs = [part.rsplit(":", 1) for part in v.split(",") if part.strip()]
        s = replace(s, weights=Weights.parse(",".join(f"{name}={value}" for name, value in pairs)))

    def set_tiers(v):
        nonlocal s
        a, b, c = _floats(v, 3)
        s = replace(s, tiers=TierCuts(a=a / 100, b=b / 100, c=c / 100))

    def set_classes(v):
        nonlocal s
        most, grow, achievable, growth = _floats(v, 4)
        s = replace(s, classes=ClassRules(most_valuable_share=most / 100, growable_share=grow / 100,
                                          achievable_share=achievable / 100, growth_cut=growth))

    def set_life(v):
        nonlocal s
        parts = [float(p) for p in v.split(",")]
        if len(parts) not in (4, 5):  # a link from before won_back_days has four numbers
            raise ValueError("expected 4 or 5 numbers")
        at_risk, dormant, churned, k = parts[:4]
        won_back = int(parts[4]) if len(parts) == 5 else s.lifecycle.won_back_days
        s = replace(s, lifecycle=replace(s.lifecycle, at_risk_days=int(at_risk), dormant_days=int(dormant),
                                         churned_days=int(churned), gap_multiple=k, won_back_days=won_back))

    def set_tilt(v):
        nonlocal s
        s = replace(s, tilt=Tilt.of(json.loads(v)))

    def set_clv(v):
        nonlocal s
        horizon, rate = _floats(v, 2)
        s = replace(s, clv=replace(s.clv, horizon_months=int(horizon), annual_discount_rate=rate / 100))

    for name, fn in [("ds", set_dataset), ("asof", set_as_of), ("lang", set_lang), ("w", set_weights),
                     ("tiers", set_tiers), ("vc", set_classes), ("life", set_life), ("clv", set_clv),
                     ("tilt", set_tilt)]:
        attempt(name, fn)
    return replace(config, settings=s), ignored


__all__ = ["ClassRules", "ClvSettings", "LifecycleRules", "TierCuts", "ViewConfig", "Weights", "from_query",
           "to_query"]
