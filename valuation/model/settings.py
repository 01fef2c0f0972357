"""One settings object: weights, tier cut-offs, class and lifecycle rules, each with defaults and help."""

from __future__ import annotations

import json
import math
import numbers
from dataclasses import asdict, dataclass, field, fields, replace

DIMENSIONS = ("current", "future", "credit", "loyalty", "growth")
MAX_WEIGHT = 100.0  # a weight's range, as on the sliders (links and --weights are held to it too)
MAX_DAYS = 3650  # any lifecycle day threshold: ten years
MAX_HORIZON_MONTHS = 120  # the CLV horizon: ten years (each month is a column of the CLV sum)
OPTIONAL_DIMENSIONS = ("influence",)


def _f(default, help_text, **extra):
    return field(default=default, metadata={"help": help_text, **extra})


def _whole(obj, name: str, low: int, high: int) -> None:
    """Refuse a field that is not a whole number within [low, high] (NaN, infinity and 1e8 included)."""
    value = getattr(obj, name)
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) \
            or value != int(value) or not low <= value <= high:
        raise ValueError(f"{name} must be a whole number from {low} to {high:,}, got {value!r}")


@dataclass(frozen=True)
class Weights:
    """How much each dimension counts in the composite: score = Σ w·s / Σ w (weights need not sum to 100)."""

    current: float = _f(30.0, "Current contribution: net profit over the last 12 months.")
    future: float = _f(25.0, "Future contribution: predicted customer lifetime value.")
    credit: float = _f(15.0, "Credit: on-time payment, days to pay, overdue amount.")
    loyalty: float = _f(15.0, "Loyalty: tenure, repeat buying, recency, coverage, off-season support.")
    growth: float = _f(15.0, "Growth potential: revenue trend and wallet headroom.")
    influence: float = _f(0.0, "Influence: referrals and the manual importance rating, when present.")
    custom: tuple[tuple[str, float], ...] = _f((), "Any numeric customer column as a dimension: (column, weight).")

    def __post_init__(self):
        for name, value in self.as_dict().items():
            if not (isinstance(value, numbers.Real) and math.isfinite(value) and 0 <= value <= MAX_WEIGHT):
                raise ValueError(f"weight {name!r} must be a number from 0 to {MAX_WEIGHT:g}, got {value!r}")
        if any(not str(column).strip() for column, _ in self.custom):
            raise ValueError("a custom dimension needs a column name")

    def as_dict(self) -> dict[str, float]:
        """Every dimension's weight, custom ones under ``custom:<column>``."""
        out = {d: float(getattr(self, d)) for d in DIMENSIONS + OPTIONAL_DIMENSIONS}
        out.update({f"custom:{c}": float(w) for c, w in self.custom})
        return out

    def with_weight(self, dimension: str, value: float) -> "Weights":
        if dimension.startswith("custom:"):
            name = dimension.split(":", 1)[1]
            custom = dict(self.custom)
            custom[name] = float(value)
            return replace(self, custom=tuple(sorted(custom.items())))
        return replace(self, **{dimension: float(value)})

    @classmethod
    def parse(cls, text: str) -> "Weights":
        """``current=30,future=25,…`` (as on the command line); unknown names raise ValueError."""
        weights = cls()
        for part in filter(None, (p.strip() for p in text.split(","))):
            name, sep, value = part.partition("=")
            name = name.strip()
            if not sep:
                raise ValueError(f"weight {part!r} should look like name=number")
            try:
                number = float(value)
            except ValueError:
                raise ValueError(f"weight {name!r} must be a number, got {value!r}") from None
            if number < 0:
                raise ValueError(f"weight {name!r} must not be negative")
            if name not in DIMENSIONS + OPTIONAL_DIMENSIONS and not name.startswith("custom:"):
                raise ValueError(f"unknown dimension {name!r}; use one of "
                                 f"{', '.join(DIMENSIONS + OPTIONAL_DIMENSIONS)} or custom:<column>")
            weights = weights.with_weight(name, number)
        return weights


PRESETS: dict[str, Weights] = {
    "balanced": Weights(),
    "profit_first": Weights(current=45, future=25, credit=15, loyalty=10, growth=5),
    "growth_first": Weights(current=15, future=25, credit=10, loyalty=10, growth=40),
    "loyalty_first": Weights(current=20, future=20, credit=15, loyalty=40, growth=5),
}


@dataclass(frozen=True)
class TierCuts:
    """Shares of scored customers per tier from the top: A, then B, then C; D is the rest."""

    a: float = _f(0.05, "Tier A: the top share of customers by composite score.")
    b: float = _f(0.15, "Tier B: the next share.")
    c: float = _f(0.30, "Tier C: the next share; D is the rest.")

    def __post_init__(self):
        for name in ("a", "b", "c"):
            value = getattr(self, name)
            if not 0 <= value <= 1:
                raise ValueError(f"tier share {name} must be between 0 and 1, got {value}")
        if self.a + self.b + self.c > 1 + 1e-9:
            raise ValueError("tier shares A + B + C must not exceed 100%")


@dataclass(frozen=True)
class ClassRules:
    """Value classes in money (seed 000): actual value is net CLV (¥), strategic value the
    profit an acquisition effort could still win from the customer's untapped wallet (¥)."""

    most_valuable_share: float = _f(0.40, "Most valuable: the fewest buyers whose actual value (net CLV) "
                                          "adds up to this share of all buyers' (seed 000: ~5% bring ~40%).")
    growable_share: float = _f(0.50, "Growable: of the other buyers in profit, the fewest whose strategic "
                                     "value adds up to this share of theirs.")
    achievable_share: float = _f(0.30, "Strategic value: the share of a customer's untapped wallet a "
                                       "deliberate effort can win.")
    growth_cut: float = _f(60.0, "Without wallet estimates (no strategic value in money): growable "
                                 "when the growth score is at least this.")

    def __post_init__(self):
        for name in ("most_valuable_share", "growable_share", "achievable_share"):
            value = getattr(self, name)
            if not 0 < value <= 1:
                raise ValueError(f"{name} must be above 0 and at most 1 (a share), got {value}")
        if not 0 <= self.growth_cut <= 100:
            raise ValueError(f"growth_cut must be between 0 and 100, got {self.growth_cut}")


@dataclass(frozen=True)
class LifecycleRules:
    """Day thresholds of the lifecycle stages."""

    at_risk_days: int = _f(90, "Silent more than this many days: at risk.")
    dormant_days: int = _f(180, "Silent more than this many days: dormant.")
    churned_days: int = _f(365, "Silent more than this many days: churned; a gap at least this long "
                                "before buying again makes a customer won back.")
    won_back_days: int = _f(180, "Woken (back after a dormant gap) or won back (after a churned one) for "
                                 "this many days after the return; then repeat or loyal again.")
    new_days: int = _f(90, "First purchase within this many days: new.")
    loyal_min_tenure_days: int = _f(365, "Loyal: a customer for at least this many days …")
    loyal_min_orders_12m: int = _f(6, "… with at least this many orders in the last 12 months.")
    gap_multiple: float = _f(3.0, "Personal signal: silent for more than k × the customer's usual gap.")

    def __post_init__(self):
        for name in ("at_risk_days", "dormant_days", "churned_days", "new_days", "loyal_min_tenure_days",
                     "won_back_days"):
            _whole(self, name, 0 if name == "new_days" else 1, MAX_DAYS)
        _whole(self, "loyal_min_orders_12m", 0, 10_000)
        if not (isinstance(self.gap_multiple, numbers.Real) and 1 <= self.gap_multiple <= 20):
            raise ValueError(f"gap_multiple must be a number from 1 to 20, got {self.gap_multiple!r}")
        if not (0 < self.at_risk_days <= self.dormant_days <= self.churned_days):
            raise ValueError("thresholds must satisfy 0 < at-risk ≤ dormant ≤ churned days")


@dataclass(frozen=True)
class ClvSettings:
    """Horizon and discounting of the model-based CLV that feeds the future dimension."""

    horizon_months: int = _f(36, "CLV horizon in months.")
    annual_discount_rate: float = _f(0.10, "Annual discount rate for the NPV.")
    margin: float | None = _f(None, "Margin on spend; None uses each dataset's own gross margin.")

    def __post_init__(self):
        _whole(self, "horizon_months", 1, MAX_HORIZON_MONTHS)
        if not (isinstance(self.annual_discount_rate, numbers.Real) and 0 <= self.annual_discount_rate <= 1):
            raise ValueError(f"annual_discount_rate must be from 0 to 1 (0% to 100%), got {self.annual_discount_rate!r}")
        if self.margin is not None and not (isinstance(self.margin, numbers.Real) and -1 <= self.margin <= 1):
            raise ValueError(f"margin must be from -1 to 1 (or None), got {self.margin!r}")


TILT_ATTRIBUTES = ("industry", "region", "city", "channel", "size")  # customer columns a tilt may name
MAX_TILT_POINTS = 50.0


@dataclass(frozen=True)
class Tilt:
    """Strategic tilt (seed 001: a company entering a new industry or region favours its customers):
    points added to the composite score of the customers whose attribute has a given value."""

    rules: tuple[tuple[str, str, float], ...] = _f((), "(attribute, value, points): e.g. "
                                                       "('industry', '新能源', 10) adds 10 points.")

    def __post_init__(self):
        for rule in self.rules:
            if not (isinstance(rule, tuple) and len(rule) == 3):
                raise ValueError(f"a tilt is (attribute, value, points), got {rule!r}")
            attribute, value, points = rule
            if attribute not in TILT_ATTRIBUTES:
                raise ValueError(f"a tilt names one of {', '.join(TILT_ATTRIBUTES)}, got {attribute!r}")
            if not str(value).strip():
                raise ValueError("a tilt needs a value of its attribute")
            if isinstance(points, bool) or not (isinstance(points, numbers.Real) and math.isfinite(points)
                                                and -MAX_TILT_POINTS <= points <= MAX_TILT_POINTS):
                raise ValueError(f"tilt points must be a number from {-MAX_TILT_POINTS:g} to "
                                 f"{MAX_TILT_POINTS:g}, got {points!r}")

    @classmethod
    def of(cls, rules) -> "Tilt":
        """A tilt from (attribute, value, points) triples in any sequence form; one rule per
        (attribute, value), the last given wins, zero points dropped, sorted (one key per setting)."""
        kept = {}
        try:
            for attribute, value, points in rules or ():
                kept[(str(attribute), str(value).strip())] = float(points)
        except TypeError:
            raise ValueError(f"a tilt is a list of (attribute, value, points), got {rules!r}") from None
        return cls(tuple(sorted((a, v, p) for (a, v), p in kept.items() if p != 0)))

    @classmethod
    def parse(cls, text: str) -> "Tilt":
        """``industry:能源=15;region:西南=10`` (as on the command line); ValueError naming the part."""
        rules = []
        for part in filter(None, (p.strip() for p in text.split(";"))):
            head, sep, points = part.rpartition("=")
            attribute, colon, value = head.partition(":")
            if not sep or not colon:
                raise ValueError(f"tilt {part!r} should look like attribute:value=points, e.g. industry:能源=15")
            try:
                number = float(points)
            except ValueError:
                raise ValueError(f"tilt points must be a number, got {points!r}") from None
            rules.append((attribute.strip(), value, number))
        return cls.of(rules)

    def points_for(self, attribute: str) -> dict[str, float]:
        """value -> points of the rules on ``attribute``."""
        return {v: p for a, v, p in self.rules if a == attribute}


@dataclass(frozen=True)
class Settings:
    """Everything a manager tunes; hashable (a cache key) and serialisable (links, saved views)."""

    weights: Weights = field(default_factory=Weights)
    tiers: TierCuts = field(default_factory=TierCuts)
    classes: ClassRules = field(default_factory=ClassRules)
    lifecycle: LifecycleRules = field(default_factory=LifecycleRules)
    clv: ClvSettings = field(default_factory=ClvSettings)
    tilt: Tilt = field(default_factory=Tilt)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict) -> "Settings":
        def build(klass, values):
            names = {f.name for f in fields(klass)}
            kwargs = {k: v for k, v in (values or {}).items() if k in names}
            if klass is Weights and "custom" in kwargs:
                kwargs["custom"] = tuple((str(c), float(w)) for c, w in kwargs["custom"])
            return klass(**kwargs)

        return cls(weights=build(Weights, data.get("weights")),
                   tiers=build(TierCuts, data.get("tiers")),
                   classes=build(ClassRules, data.get("classes")),
                   lifecycle=build(LifecycleRules, data.get("lifecycle")),
                   clv=build(ClvSettings, data.get("clv")),
                   tilt=Tilt.of((data.get("tilt") or {}).get("rules")))

    @classmethod
    def from_json(cls, text: str) -> "Settings":
        return cls.from_dict(json.loads(text))


def help_texts(klass) -> dict[str, str]:
    """Field name -> help text, for docs and widget tooltips."""
    return {f.name: f.metadata.get("help", "") for f in fields(klass)}
