"""Dashboard rerun after a slider move, through Streamlit's AppTest, against a rerun with no change.

Builds a dataset of ``--customers`` generated customers in a temporary DuckDB file, opens
the weight-tuning page, then times (a) reruns with nothing changed and (b) reruns after
moving the loyalty slider to a new value each time (every move a setting not seen
before, so nothing is served from the per-setting caches). Medians are reported.

    python bench/bench_rerun.py [--customers 100000] [--moves 8] [--repeat 8]

Target at 100,000 customers: median rerun after a slider move <= 500 ms.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import common  # noqa: E402

TUNING = "views/tuning.py"


def measure(customers: int, moves: int, repeat: int) -> dict:
    timed_run = common.timed_run
    with common.app_on_store(customers) as at:
        first_page = timed_run(at)
        at.switch_page(TUNING)
        tuning_first = timed_run(at)
        assert at.title[0].value == "Weight tuning"
        timed_run(at)  # settle: widgets registered, caches warm
        unchanged = [timed_run(at) for _ in range(repeat)]
        slider = at.slider(key="w::loyalty")
        values = [v for v in range(20, 101, 5) if v != int(slider.value)][:moves]
        moved = []
        for value in values:
            at.slider(key="w::loyalty").set_value(float(value))
            moved.append(timed_run(at))
        changed = next(m.value for m in at.metric if m.label == "Customers changing tier")
    return {"customers": customers, "first_page_s": first_page, "tuning_first_s": tuning_first,
            "unchanged": unchanged, "moved": moved, "changed_tier": changed,
            "unchanged_median": common.median(unchanged), "moved_median": common.median(moved),
            "load": common.load_average()}


def report(res: dict) -> None:
    print(f"dashboard rerun (AppTest, tuning page), {res['customers']:,} customers "
          f"(load average {res['load']}):")
    print(f"  first run: overview {res['first_page_s']:.2f} s (features + CLV fit), "
          f"tuning page {res['tuning_first_s']:.2f} s")
    print(f"  rerun, no change:     median {res['unchanged_median'] * 1000:6.0f} ms  "
          f"{[round(x * 1000) for x in res['unchanged']]}")
    print(f"  rerun, slider moved:  median {res['moved_median'] * 1000:6.0f} ms  "
          f"{[round(x * 1000) for x in res['moved']]}  (target <= 500 ms)")
    print(f"  slider move / no-change rerun: {res['moved_median'] / res['unchanged_median']:.2f}x; "
          f"customers changing tier after the last move: {res['changed_tier']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--moves", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=8)
    parser.add_argument("--json", action="store_true", help="print the result as one JSON line")
    args = parser.parse_args()
    result = measure(args.customers, args.moves, args.repeat)
    if args.json:
        common.emit(result)  # one JSON line (bench/run.py reads it)
    else:
        report(result)


if __name__ == "__main__":
    main()
