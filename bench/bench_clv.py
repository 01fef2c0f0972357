"""Time BG/NBD + Gamma-Gamma fits on 1,000,000 synthetic customers (and lifetimes if installed)."""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import common  # noqa: E402
from valuation.model.clv import BetaGeoModel, GammaGammaModel, simulate_bgnbd  # noqa: E402

# Published CDNOW estimates (weeks): Fader, Hardie & Lee (2005); Fader & Hardie (2013).
BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
GAMMA_GAMMA = {"p": 6.25, "q": 3.74, "gamma": 15.44}


def synthetic_customers(n: int, seed: int = 2005, max_weeks: int = 78, *, whole_days: bool = True):
    """Customers drawn from the BG/NBD and Gamma-Gamma processes with the CDNOW parameters.

    Ages are whole days up to ``max_weeks`` weeks (in weeks), recency is rounded to whole
    days as real order dates are (``whole_days=False`` keeps it continuous: no two customers
    share a history, the worst case for grouping). Mean spend per repeat purchase is the
    mean of x Gamma(p, nu) draws with nu ~ Gamma(q, gamma).
    """
    rng = np.random.default_rng(seed)
    T = rng.integers(1, max_weeks * 7 + 1, n) / 7.0
    data = simulate_bgnbd(n, **BGNBD, T=T, seed=rng, recency_step=1 / 7 if whole_days else None)
    x = data["frequency"].to_numpy()
    nu = rng.gamma(GAMMA_GAMMA["q"], 1.0 / GAMMA_GAMMA["gamma"], n)
    # The sum of x Gamma(p, nu) values is Gamma(p x, nu); its mean is that over x.
    total = rng.gamma(np.maximum(GAMMA_GAMMA["p"] * x, 1e-12), 1.0 / nu)
    data["monetary_value"] = np.where(x > 0, total / np.maximum(x, 1), 0.0)
    return data


def _timed(fn, repeat: int):
    """Median wall-clock and CPU seconds: on a shared machine the CPU time is the steadier."""
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return result, float(np.median(wall)), float(np.median(cpu))


def _agreement(ours: dict, theirs: dict) -> str:
    return "  ".join(f"{k}: {abs(ours[k] / theirs[k] - 1):.1e}" for k in ours)


def measure(customers: int, repeat: int = 3, continuous: bool = False, lifetimes: bool = True) -> dict:
    """Our fits (median of ``repeat``) and, when importable, lifetimes' on the same customers."""
    data = synthetic_customers(customers, whole_days=not continuous)
    x, tx, T, m = (data[c].to_numpy() for c in ("frequency", "recency", "T", "monetary_value"))
    bg, bg_s, bg_cpu = _timed(lambda: BetaGeoModel().fit(x, tx, T), repeat)
    gg, gg_s, gg_cpu = _timed(lambda: GammaGammaModel().fit(x, m), repeat)
    out = {"customers": customers, "repeat_buyers": int((x > 0).sum()), "max_frequency": int(x.max()),
           "bg_s": bg_s, "bg_cpu": bg_cpu, "gg_s": gg_s, "gg_cpu": gg_cpu, "both_s": bg_s + gg_s,
           "groups": bg.n_groups_, "bg_iter": bg.n_iter_, "gg_iter": gg.n_iter_,
           "bg_params": dict(bg.params_), "gg_params": dict(gg.params_), "lifetimes": None}
    if not lifetimes:
        return out
    try:
        from lifetimes import BetaGeoFitter, GammaGammaFitter
    except ImportError:
        return out
    warnings.filterwarnings("ignore")
    start = time.perf_counter()
    lbg = BetaGeoFitter().fit(x, tx, T)
    lbg_s = time.perf_counter() - start
    buyers = (x > 0) & (m > 0)
    start = time.perf_counter()
    lgg = GammaGammaFitter().fit(pd.Series(x[buyers]), pd.Series(m[buyers]))
    lgg_s = time.perf_counter() - start
    lgg_params = {"p": lgg.params_["p"], "q": lgg.params_["q"], "gamma": lgg.params_["v"]}
    diffs = {**{f"bg_{k}": abs(bg.params_[k] / lbg.params_[k] - 1) for k in bg.params_},
             **{f"gg_{k}": abs(gg.params_[k] / lgg_params[k] - 1) for k in gg.params_}}
    out["lifetimes"] = {"bg_s": lbg_s, "gg_s": lgg_s, "both_s": lbg_s + lgg_s,
                        "speedup": (lbg_s + lgg_s) / (bg_s + gg_s), "max_rel_diff": max(diffs.values()),
                        "bg_agreement": _agreement(bg.params_, dict(lbg.params_)),
                        "gg_agreement": _agreement(gg.params_, lgg_params)}
    return out


def report(r: dict) -> None:
    print(f"{r['customers']:,} customers, {r['repeat_buyers']:,} repeat buyers, "
          f"max frequency {r['max_frequency']}")
    print(f"BG/NBD       {r['bg_s']:6.3f} s (cpu {r['bg_cpu']:.3f} s)  ({r['groups']:,} distinct triples, "
          f"{r['bg_iter']} iterations)  {', '.join(f'{k}={v:.4f}' for k, v in r['bg_params'].items())}")
    print(f"Gamma-Gamma  {r['gg_s']:6.3f} s (cpu {r['gg_cpu']:.3f} s)  ({r['gg_iter']} iterations)"
          f"  {', '.join(f'{k}={v:.4f}' for k, v in r['gg_params'].items())}")
    print(f"both fits    {r['both_s']:6.3f} s (cpu {r['bg_cpu'] + r['gg_cpu']:.3f} s)  (target <= 2 s)")
    print(f"truth        {BGNBD}  {GAMMA_GAMMA}")
    lt = r["lifetimes"]
    if lt is None:
        print("lifetimes is not importable: skipping the comparison "
              "(pip install --target /tmp/lifetimes_pkgs lifetimes==0.11.3, then "
              "PYTHONPATH=.:/tmp/lifetimes_pkgs)")
        return
    print(f"lifetimes    BetaGeoFitter {lt['bg_s']:.2f} s, GammaGammaFitter {lt['gg_s']:.2f} s, "
          f"both {lt['both_s']:.2f} s = {lt['speedup']:.0f}x ours")
    print(f"relative parameter difference  BG/NBD {lt['bg_agreement']}")
    print(f"                               Gamma-Gamma {lt['gg_agreement']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs (median reported)")
    parser.add_argument("--continuous", action="store_true",
                        help="continuous recency: every history distinct (worst case)")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    result = measure(args.customers, args.repeat, args.continuous)
    if args.json:
        common.emit(result)  # one JSON line (bench/run.py reads it)
    else:
        report(result)


if __name__ == "__main__":
    main()
