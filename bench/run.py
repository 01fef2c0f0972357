"""Every performance figure of docs/benchmarks.md in one run, each beside its baseline.

    python bench/run.py             # the full run: 10k / 100k / 1M customers; many minutes
    python bench/run.py --quick     # small sizes, under two minutes (CI runs this; no targets)

Each benchmark runs in fresh processes (so each peak memory is its own) and prints its own
report; a summary table follows, with every figure, its size, target, baseline and the
ratio, and how the costs grow from 10,000 to 1,000,000 customers. Generated data lives in
a temporary folder (``--bench-dir``, default /tmp/valuation_bench for the full run) that is
deleted at the end unless ``--keep``.

Options: ``--only features,scoring,...`` runs a subset; ``--save results.json`` keeps the
raw figures; ``--lifetimes DIR`` puts a lifetimes 0.11.3 install on the path of the CLV
benchmark (``pip install --target /tmp/lifetimes_pkgs lifetimes==0.11.3``; the default
DIR is used when it exists). The machine is shared: read the load average printed with
each figure, and repeat a run when it is high.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BENCHMARKS = ("features", "scoring", "rerun", "ingest", "clv", "upload", "generator")
DEFAULT_LIFETIMES = Path("/tmp/lifetimes_pkgs")


def machine() -> str:
    import duckdb
    import numpy
    import pandas

    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        kb = int(next(line for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal")).split()[1])
        mem = f"{kb / 1024 ** 2:.0f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    return (f"{os.cpu_count()} cores ({cpu}), {mem}, Python {platform.python_version()}, "
            f"pandas {pandas.__version__}, duckdb {duckdb.__version__}, numpy {numpy.__version__}")


def exponent(sizes: list[int], values: list[float]) -> str:
    """How a cost grows with size: the slope on log-log axes between the smallest and largest."""
    pairs = [(n, v) for n, v in zip(sizes, values) if v and v > 0]
    if len(pairs) < 2:
        return "n/a"
    (n0, v0), (n1, v1) = pairs[0], pairs[-1]
    k = math.log(v1 / v0) / math.log(n1 / n0)
    word = "linear" if 0.85 <= k <= 1.15 else ("sub-linear" if k < 0.85 else "super-linear")
    steps = ", ".join(f"x{b / a:.1f}" for (_, a), (_, b) in zip(pairs, pairs[1:]))
    return f"{word} (size exponent {k:.2f}; per 10x size: {steps})"


class Runner:
    def __init__(self, quick: bool, lifetimes: Path | None):
        self.quick = quick
        self.lifetimes = lifetimes
        self.results: dict = {}
        self.rows: list[tuple] = []  # summary: benchmark, size, figure, target, baseline, ratio, met

    def row(self, name, size, figure, target="", baseline="", ratio="", met=None):
        verdict = "" if met is None or self.quick else ("met" if met else "NOT MET")
        self.rows.append((name, size, figure, target, baseline, ratio, verdict))

    def header(self, title: str) -> None:
        from bench import common
        print(f"\n=== {title}  [load average {common.load_average()}]", flush=True)

    # ------------------------------------------------------------------ benchmarks
    def features(self) -> None:
        from bench import bench_features
        sizes = [10_000] if self.quick else [10_000, 100_000, 1_000_000]
        out = []
        for n in sizes:
            self.header(f"features from the store, {n:,} customers")
            res = bench_features.run(n, 1 if self.quick else (3 if n < 1_000_000 else 3))
            bench_features.report(res)
            out.append(res)
            d, p, f = res["duckdb"], res["pandas"], res["floor"]
            big = n == 1_000_000
            self.row("features", f"{n:,}", f"{d['seconds']:.2f} s, {d['peak_mb']:,.0f} MB peak",
                     "<= 10 s, <= 3 GB" if big else "", f"pandas {p['seconds']:.2f} s, "
                     f"{p['peak_mb']:,.0f} MB", f"{p['seconds'] / d['seconds']:.1f}x faster, "
                     f"{d['peak_mb'] / p['peak_mb']:.2f} of its memory",
                     (d["seconds"] <= 10 and d["peak_mb"] <= 3000 and d["seconds"] < p["seconds"]
                      and d["peak_mb"] <= 0.5 * p["peak_mb"]) if big else None)
            f4 = res.get("floor4")
            self.row("features vs floor", f"{n:,}", f"{d['seconds']:.2f} s",
                     "<= 3x floor" if big else "", f"GROUP BY floor {f['seconds']:.2f} s"
                     + (f" (4 tables {f4['seconds']:.2f} s)" if f4 else ""),
                     f"{d['seconds'] / f['seconds']:.1f}x" + (f" ({d['seconds'] / f4['seconds']:.1f}x)" if f4 else ""),
                     d["seconds"] <= 3 * f["seconds"] if big else None)
        self.results["features"] = out

    def scoring(self) -> None:
        from bench import bench_scoring, common
        sizes = [10_000] if self.quick else [10_000, 100_000, 1_000_000]
        out = []
        for n in sizes:
            self.header(f"slider move, {n:,} customers")
            res = common.run_isolated("bench.bench_scoring", "--measure", "--customers", str(n),
                                      "--moves", "5" if self.quick else "9")
            bench_scoring.report(res)
            out.append(res)
            target = {1_000_000: 150, 100_000: 30}.get(n)
            self.row("slider move", f"{n:,}", f"{res['move_ms']:.1f} ms (score {res['score_ms']:.1f} + "
                     f"charts {res['chart_ms']:.1f})", f"<= {target} ms" if target else "",
                     f"numpy floor {res['floor_ms']:.1f} ms", f"{res['move_ms'] / res['floor_ms']:.1f}x",
                     res["move_ms"] <= target if target else None)
        self.results["scoring"] = out

    def rerun(self) -> None:
        from bench import bench_rerun, common
        n = 10_000 if self.quick else 100_000
        self.header(f"dashboard rerun after a slider move (AppTest), {n:,} customers")
        res = common.run_isolated("bench.bench_rerun", "--json", "--customers", str(n),
                                  "--moves", "3" if self.quick else "8", "--repeat", "3" if self.quick else "8")
        bench_rerun.report(res)
        self.results["rerun"] = res
        self.row("dashboard rerun", f"{n:,}", f"median {res['moved_median'] * 1000:.0f} ms",
                 "<= 500 ms" if n == 100_000 else "", f"no-change rerun {res['unchanged_median'] * 1000:.0f} ms",
                 f"{res['moved_median'] / res['unchanged_median']:.2f}x",
                 res["moved_median"] <= 0.5 if n == 100_000 else None)

    def ingest(self) -> None:
        from bench import bench_ingest, common
        rows = 50_000 if self.quick else 1_000_000
        self.header(f"upload to tiers, {rows:,}-row orders CSV")
        res = common.run_isolated("bench.bench_ingest", "--json", "--rows", str(rows),
                                  "--repeat", "1" if self.quick else "3")
        bench_ingest.report(res)
        self.results["ingest"] = res
        for enc, target in (("utf-8", 10.0), ("gb18030", 15.0)):
            r = res["encodings"][enc]
            self.row(f"upload to tiers ({enc})", f"{rows:,} rows", f"{r['total_s']:.2f} s",
                     f"<= {target:.0f} s" if rows == 1_000_000 else "",
                     f"read_csv {r['baseline_s']:.2f} s", f"{r['total_s'] / r['baseline_s']:.1f}x",
                     r["total_s"] <= target if rows == 1_000_000 else None)

    def clv(self) -> None:
        from bench import bench_clv, common
        n = 50_000 if self.quick else 1_000_000
        self.header(f"BG/NBD + Gamma-Gamma fit, {n:,} customers")
        env = {}
        if self.lifetimes and self.lifetimes.exists():
            env["PYTHONPATH"] = os.pathsep.join([str(REPO), str(self.lifetimes)])
        res = common.run_isolated("bench.bench_clv", "--json", "--customers", str(n),
                                  "--repeat", "1" if self.quick else "3", env=env)
        bench_clv.report(res)
        self.results["clv"] = res
        lt = res["lifetimes"]
        big = n == 1_000_000
        if lt:
            self.row("CLV fit", f"{n:,}", f"{res['both_s']:.2f} s", "<= 2 s, >= 10x, params 0.1%" if big else "",
                     f"lifetimes {lt['both_s']:.2f} s", f"{lt['speedup']:.0f}x faster, params within "
                     f"{lt['max_rel_diff']:.1e}", (res["both_s"] <= 2 and lt["speedup"] >= 10
                                                  and lt["max_rel_diff"] <= 1e-3) if big else None)
        else:
            self.row("CLV fit", f"{n:,}", f"{res['both_s']:.2f} s", "<= 2 s" if big else "",
                     "lifetimes not installed", "", res["both_s"] <= 2 if big else None)

    def upload(self) -> None:
        from bench import bench_upload, common
        rows = 10_000 if self.quick else 100_000
        self.header(f"upload through the dashboard (AppTest), {rows:,}-row CSV")
        res = common.run_isolated("bench.bench_upload", "--json", "--rows", str(rows),
                                  "--repeat", "1" if self.quick else "3")
        bench_upload.report(res)
        self.results["upload"] = res
        self.row("upload (AppTest)", f"{rows:,} rows", f"{res['apptest_s']:.2f} s to the overview",
                 "", f"read_csv {res['baseline_s']:.2f} s", f"engine {res['total_s']:.2f} s")

    def generator(self) -> None:
        from bench import bench_generator
        n = 10_000 if self.quick else 1_000_000
        self.header(f"sample generator, {n:,} customers")
        res = bench_generator.run(n)
        bench_generator.report(res)
        self.results["generator"] = res
        self.row("sample generator", f"{n:,}", f"{res['seconds']:.1f} s, {res['peak_mb']:,.0f} MB peak",
                 "<= 180 s" if n == 1_000_000 else "", "", "", res["seconds"] <= 180 if n == 1_000_000 else None)

    # ------------------------------------------------------------------ summary
    def summary(self) -> None:
        print("\n=== summary")
        cols = ("benchmark", "size", "figure", "target", "baseline", "ratio", "")
        table = [cols] + [tuple(str(c) for c in r) for r in self.rows]
        widths = [max(len(r[i]) for r in table) for i in range(len(cols))]
        for r in table:
            print("  " + "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
        if "features" in self.results and len(self.results["features"]) > 1:
            f = self.results["features"]
            sizes = [r["customers"] for r in f]
            print("\nhow the costs grow from "
                  f"{sizes[0]:,} to {sizes[-1]:,} customers:")
            print(f"  features (SQL + finish)  {exponent(sizes, [r['duckdb']['seconds'] for r in f])}")
            print(f"  pandas baseline          {exponent(sizes, [r['pandas']['seconds'] for r in f])}")
            print(f"  GROUP BY floor           {exponent(sizes, [r['floor']['seconds'] for r in f])}")
            print(f"  peak memory (features)   {exponent(sizes, [r['duckdb']['peak_mb'] for r in f])}")
        if "scoring" in self.results and len(self.results["scoring"]) > 1:
            s = self.results["scoring"]
            sizes = [r["customers"] for r in s]
            print(f"  slider move              {exponent(sizes, [r['move_ms'] for r in s])}")
            print(f"  prepare (fit, scores)    {exponent(sizes, [r['prepare_s'] for r in s])}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes, under two minutes, no targets")
    parser.add_argument("--only", default=",".join(BENCHMARKS), help="comma-separated subset of "
                        + ", ".join(BENCHMARKS))
    parser.add_argument("--bench-dir", help="folder for generated data (default: a temp folder for "
                        "--quick, /tmp/valuation_bench for the full run)")
    parser.add_argument("--keep", action="store_true", help="keep the generated data afterwards")
    parser.add_argument("--save", help="write the raw figures to this JSON file")
    parser.add_argument("--lifetimes", default=str(DEFAULT_LIFETIMES),
                        help="folder holding a lifetimes 0.11.3 install (pip install --target)")
    args = parser.parse_args()
    only = [b.strip() for b in args.only.split(",") if b.strip()]
    unknown = set(only) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")

    bench_dir = Path(args.bench_dir) if args.bench_dir else (
        Path(tempfile.mkdtemp(prefix="valuation_bench_")) if args.quick else Path("/tmp/valuation_bench"))
    bench_dir.mkdir(parents=True, exist_ok=True)
    os.environ["BENCH_DIR"] = str(bench_dir)  # read by bench.common here and in every child
    sys.path.insert(0, str(REPO))
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in [str(REPO), os.environ.get("PYTHONPATH", "")] if p)

    from bench import common
    started = time.perf_counter()
    print(f"valuation benchmarks, {'quick' if args.quick else 'full'} run, "
          f"{dt.datetime.now():%Y-%m-%d %H:%M}")
    print(f"machine: {machine()}")
    print(f"data folder: {bench_dir}; load average at start {common.load_average()}")
    runner = Runner(args.quick, Path(args.lifetimes) if args.lifetimes else None)
    try:
        for name in BENCHMARKS:
            if name in only:
                getattr(runner, name)()
    finally:
        runner.summary()
        print(f"\ntotal {time.perf_counter() - started:.0f} s; load average at the end {common.load_average()}")
        if args.save:
            Path(args.save).write_text(json.dumps({"machine": machine(), "date": f"{dt.date.today()}",
                                                   "quick": args.quick, "results": runner.results},
                                                  default=str, indent=1))
        if not args.keep:
            shutil.rmtree(bench_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
