"""A slider move on cached customers: re-score, re-tier and the chart data of the tuning page.

Prepares a generated dataset once (feature SQL, CLV fit, dimension scores: what the
dashboard caches per dataset and as-of date), scores it once with the default settings
(the page's first render, which also derives what no setting changes), then moves the
loyalty weight to a new value ``--moves`` times. Each move is timed as:

* ``pipeline.score`` with the new settings (composite, tiers, classes, the full frame);
* the chart data the tuning page needs: tier counts, revenue and profit per tier (the
  pyramid), the tier-to-tier migration against the baseline (the Sankey), the number of
  customers moving up and down and the top movers table.

For scale, the numpy floor of the same arithmetic (a weighted sum of the five scores,
quantile cut-offs by selection, counts) is timed on the same arrays, and the plotly
figures themselves (``charts.tier_pyramid``, ``charts.migration_sankey``) are reported apart.

    python bench/bench_scoring.py [--customers 1000000] [--moves 9]

Targets: <= 150 ms at 1,000,000 customers, <= 30 ms at 100,000.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import common  # noqa: E402


def numpy_floor(scores, weights) -> float:
    """Weighted sum + A/B/C/D cut-offs by selection + counts, numpy only (the arithmetic's floor)."""
    import numpy as np

    start = time.perf_counter()
    matrix = scores
    composite = matrix @ weights
    n = len(composite)
    bounds = [int(n * 0.05), int(n * 0.20), int(n * 0.50)]
    cut = np.partition(-composite, bounds)[bounds]
    codes = np.searchsorted(cut, -composite, side="right")
    np.bincount(codes, minlength=4)
    return time.perf_counter() - start


def measure(customers: int, moves: int) -> dict:
    import numpy as np

    from valuation.analysis import insights
    from valuation.data import features
    from valuation.model import pipeline, tiers
    from valuation.model.settings import PRESETS, Settings
    from valuation.present import charts

    store = common.open_store(customers)
    t = time.perf_counter()
    feats = features.compute_features(store, common.DATASET)
    features_s = time.perf_counter() - t
    t = time.perf_counter()
    prepared = pipeline.prepare_features(feats)
    prepare_s = time.perf_counter() - t
    base_settings = Settings()
    baseline_settings = replace(base_settings, weights=PRESETS["balanced"])
    t = time.perf_counter()
    baseline = pipeline.score(prepared, baseline_settings)
    first_s = time.perf_counter() - t
    base_codes = pipeline.tier_codes(prepared, baseline_settings)
    revenue = baseline["revenue_12m"].to_numpy()
    profit = baseline["net_profit_12m"].to_numpy()

    score_times, chart_times, move_times, figure_times, code_figure_times = [], [], [], [], []
    changed = 0
    for i in range(moves):
        settings = replace(base_settings, weights=base_settings.weights.with_weight("loyalty", 20.0 + 5 * i))
        start = time.perf_counter()
        scored = pipeline.score(prepared, settings)
        scored_at = time.perf_counter()
        codes = pipeline.tier_codes(prepared, settings)
        tiers.concentration_from_codes(codes, revenue, profit)      # pyramid
        tiers.migration_from_codes(base_codes, codes)               # Sankey
        steps = codes.astype(np.int16) - base_codes                 # movers up / down
        changed = int(np.count_nonzero(steps))
        insights.migration(baseline, scored, direction="up", codes=(base_codes, codes))  # movers table
        end = time.perf_counter()
        score_times.append(scored_at - start)
        chart_times.append(end - scored_at)
        move_times.append(end - start)
        if i < 3:
            t = time.perf_counter()
            charts.tier_pyramid(scored)                                 # from labels (overview)
            charts.migration_sankey(baseline["tier"], scored["tier"])
            figure_times.append(time.perf_counter() - t)
            t = time.perf_counter()                                      # from codes (tuning page)
            charts.tier_pyramid(scored, codes=codes)
            charts.migration_sankey(None, None, table=tiers.migration_from_codes(base_codes, codes))
            code_figure_times.append(time.perf_counter() - t)
    matrix = prepared.scores[list(base_settings.weights.as_dict())[:5]].to_numpy()
    floor = common.median([numpy_floor(matrix, np.full(5, 0.2)) for _ in range(5)])
    return {"customers": customers, "rows": len(baseline), "features_s": features_s,
            "prepare_s": prepare_s, "first_score_s": first_s,
            "score_ms": common.median(score_times) * 1000, "chart_ms": common.median(chart_times) * 1000,
            "move_ms": common.median(move_times) * 1000, "moves_ms": [round(x * 1000) for x in move_times],
            "figures_ms": common.median(figure_times) * 1000, "floor_ms": floor * 1000,
            "code_figures_ms": common.median(code_figure_times) * 1000,
            "changed_tier": changed, "load": common.load_average()}


def report(res: dict) -> None:
    target = {1_000_000: 150, 100_000: 30}.get(res["customers"])
    print(f"slider move, {res['customers']:,} customers ({res['rows']:,} rows with prospects; "
          f"load average {res['load']}):")
    print(f"  once per dataset: features {res['features_s']:.2f} s, prepare (CLV fit, dimension scores) "
          f"{res['prepare_s']:.2f} s, first score {res['first_score_s']:.2f} s")
    print(f"  per move (median): score {res['score_ms']:.1f} ms + chart data {res['chart_ms']:.1f} ms "
          f"= {res['move_ms']:.1f} ms" + (f" (target <= {target} ms)" if target else "")
          + f"  runs {res['moves_ms']}")
    print(f"  numpy floor of the arithmetic {res['floor_ms']:.1f} ms; "
          f"move / floor = {res['move_ms'] / res['floor_ms']:.1f}x")
    print(f"  plotly figures (pyramid + Sankey, not in the move): {res['code_figures_ms']:.0f} ms from the "
          f"tier codes as the tuning page draws them, {res['figures_ms']:.0f} ms from the labels; "
          f"{res['changed_tier']:,} customers changed tier at the last move")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--moves", type=int, default=9)
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        common.emit(measure(args.customers, args.moves))
        return
    report(measure(args.customers, args.moves))


if __name__ == "__main__":
    main()
