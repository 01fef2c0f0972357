"""Load: N real browser sessions against one `streamlit run app.py`, each moving weight sliders.

Starts the dashboard on 127.0.0.1 (a free port, a fresh database built from the sample), opens
N Chromium pages on the weight-tuning page (one browser, one context per session: separate
Streamlit sessions), and in each moves a random weight slider one step at a time for the given
duration, waiting for the rerun to finish before the next move.

A response time is the time from the browser sending the rerun (the slider's new value) to the
server's "script finished" message on that session's websocket: the whole recomputation and the
delivery of every changed element, read from Streamlit's own protocol messages. An error is an
exception element or a failed run sent by the server, an uncaught page error, a browser console
error (except the two benign 404 probes Streamlit makes on page URLs), or a move that got no
answer within 60 s.

    python bench/load_test.py --sessions 10 --seconds 60      # the figures in docs/benchmarks.md
    python bench/load_test.py --sessions 3 --seconds 10       # the short form the test runs
    python bench/load_test.py ... --json                      # one JSON object on stdout
    python bench/load_test.py --sessions 10 --sign-in         # every session signs in first (OIDC)
    python bench/load_test.py --customers 100000               # the generated 100k dataset, not the sample
    python bench/load_test.py --baseline                       # an empty page of five sliders: Streamlit alone

Only loopback addresses are used; every loop is bounded by the duration and fixed timeouts.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
BENIGN = re.compile(r"/_stcore/(health|host-config)")
ANSWER_TIMEOUT = 60.0
PAGE_TIMEOUT = 120.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_provider(users: int) -> tuple[subprocess.Popen, str]:
    """A local OpenID Connect provider (oidc-provider-mock) with users user0… (analysts by claim)."""
    port = free_port()
    args = [sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1", "--port", str(port)]
    for i in range(users):
        args += ["--user-claims", json.dumps({"sub": f"user{i}", "email": f"user{i}@example.com",
                                              "role": "analyst"})]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url + "/.well-known/openid-configuration", timeout=2):
                return proc, url
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("the OIDC provider did not start within 60 s")


def sign_in_secrets(folder: Path, app_port: int, provider: str) -> Path:
    path = folder / "secrets.toml"
    path.write_text(f"""[auth]
redirect_uri = "http://127.0.0.1:{app_port}/oauth2callback"
cookie_secret = "load-test-cookie-secret-not-for-production"
client_id = "valuation-load-test"
client_secret = "not-a-secret"
server_metadata_url = "{provider}/.well-known/openid-configuration"
""", encoding="utf-8")
    return path


def start_server(db: Path, port: int | None = None, args=(), read_only: bool = False,
                 log_name: str | None = None, script: str = "app.py") -> tuple[subprocess.Popen, str]:
    """`streamlit run app.py` on a free loopback port, with a prebuilt database; waits for health.
    ``read_only``: the app opens the file read-only (VALUATION_READ_ONLY=1), as each of several
    processes serving one file must."""
    from valuation.data.store import Store, ensure_sample

    if not read_only:
        store = Store(db)
        ensure_sample(store)  # built before any session, so no session pays for it
        store.close()
    port = port or free_port()
    env = {**os.environ, "VALUATION_DB": str(db), "VALUATION_RUN_LOG": str(db.with_name("runs.tsv")),
           **({"VALUATION_READ_ONLY": "1"} if read_only else {})}
    log_path = db.with_name(log_name) if log_name else db.with_suffix(".log")
    log = open(log_path, "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", script, "--server.address", "127.0.0.1",
         "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none", *args],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited: {log_path.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("streamlit did not answer /_stcore/health within 90 s")


class Session:
    """One browser page = one Streamlit session, with its websocket messages decoded."""

    def __init__(self, index: int):
        self.index = index
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.sent_at: float | None = None
        self.finished = asyncio.Event()
        self.runs = 0
        self.slider_runs_from = 0  # runs before the sliders moved (the first page load)

    # -- websocket messages -------------------------------------------------------------
    def on_sent(self, payload) -> None:
        from streamlit.proto.BackMsg_pb2 import BackMsg

        if not isinstance(payload, (bytes, bytearray)):
            return
        msg = BackMsg()
        try:
            msg.ParseFromString(bytes(payload))
        except Exception:  # noqa: BLE001 - not a BackMsg
            return
        if msg.WhichOneof("type") == "rerun_script":
            self.sent_at = time.perf_counter()
            self.finished.clear()

    def on_received(self, payload) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        if not isinstance(payload, (bytes, bytearray)):
            return
        msg = ForwardMsg()
        try:
            msg.ParseFromString(bytes(payload))
        except Exception:  # noqa: BLE001
            return
        kind = msg.WhichOneof("type")
        if kind == "delta" and msg.delta.WhichOneof("type") == "new_element" \
                and msg.delta.new_element.WhichOneof("type") == "exception":
            exc = msg.delta.new_element.exception
            self.errors.append(f"session {self.index}: exception {exc.type}: {exc.message[:200]}")
        elif kind == "script_finished":
            status = ForwardMsg.ScriptFinishedStatus.Name(msg.script_finished)
            if status == "FINISHED_WITH_COMPILE_ERROR":
                self.errors.append(f"session {self.index}: script failed to compile")
            if status != "FINISHED_EARLY_FOR_RERUN":
                self.runs += 1
                if self.sent_at is not None:
                    self.latencies.append(time.perf_counter() - self.sent_at)
                    self.sent_at = None
                self.finished.set()


async def run_session(browser, url: str, session: Session, seconds: float, seed: int,
                      sign_in: bool = False, path: str = "/tuning", ready=None) -> None:
    """``ready``: awaited once the page's first run is done (every session's, see :func:`drive`)."""
    rng = random.Random(seed)
    context = await browser.new_context(locale="en-US", viewport={"width": 1280, "height": 1600})
    page = await context.new_page()
    page.on("websocket", lambda ws: (ws.on("framesent", session.on_sent),
                                     ws.on("framereceived", session.on_received)))
    page.on("pageerror", lambda exc: session.errors.append(f"session {session.index}: page error {exc}"))
    page.on("console", lambda m: session.errors.append(f"session {session.index}: console {m.text}")
            if m.type == "error" and not BENIGN.search(m.text) and "404" not in m.text
            and str((m.location or {}).get("url", url)).startswith(url) else None)  # the app's own page only
    # (the test provider's sign-in page asks the internet for a style sheet: not the app's error)
    try:
        if sign_in:  # through the provider's page, as a person would; the cookie keeps them signed in
            await page.goto(url, timeout=PAGE_TIMEOUT * 1000)
            await page.get_by_role("button", name="Sign in").click(timeout=PAGE_TIMEOUT * 1000)
            await page.click(f"button[value=user{session.index}]", timeout=PAGE_TIMEOUT * 1000)
            await page.get_by_text("Signed in as").wait_for(timeout=PAGE_TIMEOUT * 1000)
        await page.goto(f"{url}{path}", timeout=PAGE_TIMEOUT * 1000)
        await page.wait_for_selector('[data-testid="stMain"] h1', timeout=PAGE_TIMEOUT * 1000)
        sliders = page.get_by_role("slider")
        await sliders.first.wait_for(timeout=PAGE_TIMEOUT * 1000)
        await asyncio.wait_for(session.finished.wait(), PAGE_TIMEOUT)  # the first full run
        count = min(await sliders.count(), 5)  # the five weight sliders
        if ready is not None:
            await ready()
        session.slider_runs_from = session.runs
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            slider = sliders.nth(rng.randrange(count))
            now = float(await slider.input_value() or 0)  # Streamlit's slider is an <input type=range>
            key = "ArrowLeft" if now >= 60 or (now > 0 and rng.random() < 0.5) else "ArrowRight"
            await slider.focus()
            session.finished.clear()
            await page.keyboard.press(key)
            try:
                await asyncio.wait_for(session.finished.wait(), ANSWER_TIMEOUT)
            except asyncio.TimeoutError:
                session.errors.append(f"session {session.index}: no answer within {ANSWER_TIMEOUT:.0f} s")
                break
            await asyncio.sleep(rng.uniform(0.1, 0.4))  # a person's pause between moves
        if await page.locator('[data-testid="stException"]').count():
            session.errors.append(f"session {session.index}: an exception box is on the page")
    except Exception as exc:  # noqa: BLE001 - any failure of a session is an error to report
        session.errors.append(f"session {session.index}: {type(exc).__name__}: {exc}")
    finally:
        await context.close()


async def drive(url, sessions: int, seconds: float, sign_in: bool = False, path: str = "/tuning",
                on_ready=None) -> list[Session]:
    """``url``: one server's address, or a list of them (sessions take them in turn, as a proxy
    with sticky sessions would hand them out). The sliders start moving once every session has
    loaded its page; ``on_ready()`` is called then (the server's CPU is read from there on)."""
    urls = [url] if isinstance(url, str) else list(url)
    waiting = {"n": sessions}
    all_ready = asyncio.Event()

    async def ready():
        waiting["n"] -= 1
        if waiting["n"] <= 0:
            if on_ready is not None:
                on_ready()
            all_ready.set()
        await asyncio.wait_for(all_ready.wait(), PAGE_TIMEOUT * 2)
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                          args=["--no-sandbox", "--disable-gpu",
                                                "--disable-background-networking"])
        try:
            states = [Session(i) for i in range(sessions)]
            await asyncio.gather(*(run_session(browser, urls[i % len(urls)], s, seconds, seed=i, sign_in=sign_in,
                                               path=path, ready=ready)
                                   for i, s in enumerate(states)))
            return states
        finally:
            await browser.close()


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far (Linux /proc), None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def server_run_seconds(path: Path, since) -> list[float]:
    """The run times logged (VALUATION_RUN_LOG: app.py's full runs, the tuning page's panels'
    fragment runs) from ``since`` on; [] without a log
    (the empty baseline page writes none)."""
    if since is None or not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        stamp, _page, seconds = line.split("\t")
        if dt.datetime.fromisoformat(stamp) >= since:
            out.append(float(seconds))
    return out


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, int(round(q / 100 * len(ordered) + 0.5)) - 1))
    return ordered[k]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--sign-in", action="store_true",
                        help="sign-in enabled: a local OIDC provider, each session signs in first")
    parser.add_argument("--processes", type=int, default=1,
                        help="app processes serving one database file, each read-only; sessions take them in turn")
    parser.add_argument("--customers", type=int, default=0,
                        help="the generated dataset of this many customers (bench/common.py) instead of the sample")
    parser.add_argument("--baseline", action="store_true",
                        help="serve bench/empty_app.py (a title and five sliders): what Streamlit alone costs")
    args = parser.parse_args(argv)
    if args.sign_in and args.processes > 1:
        print("--sign-in runs one server process", file=sys.stderr)
        return 2
    if not Path(CHROMIUM).exists():
        print("chromium is not installed (apt-get install chromium fonts-noto-cjk)", file=sys.stderr)
        return 2
    script, path = ("bench/empty_app.py", "/") if args.baseline else ("app.py", "/tuning")
    with tempfile.TemporaryDirectory(prefix="valuation_load_") as tmp:
        db = Path(tmp) / "load.duckdb"
        if args.customers:
            from bench import common

            shutil.copy(common.store_file(args.customers), db)
            path += f"?ds=db:{common.DATASET}"
        provider = None
        if args.sign_in:
            provider, provider_url = start_provider(args.sessions)
            port = free_port()
            proc, url = start_server(db, port, ["--secrets.files",
                                                str(sign_in_secrets(Path(tmp), port, provider_url))])
        elif args.processes > 1:
            from valuation.data.store import Store, ensure_sample

            store = Store(db)
            ensure_sample(store)  # written once, before the readers open the file
            store.close()
        else:
            proc, url = start_server(db, script=script)
        procs = [proc] if args.processes <= 1 or args.sign_in else []
        urls = [url] if procs else []
        try:
            for i in range(len(urls), args.processes):
                p, u = start_server(db, read_only=True, log_name=f"load_{i}.log", script=script)
                procs.append(p)
                urls.append(u)
            started = time.perf_counter()
            cpu_start = [cpu_seconds(p.pid) for p in procs]
            cpu_before = list(cpu_start)

            slider_phase = {}

            def sliders_start():  # every page loaded: from here the server's CPU is the slider reruns'
                cpu_before[:] = [cpu_seconds(p.pid) for p in procs]
                slider_phase["from"] = dt.datetime.now(dt.timezone.utc)

            states = asyncio.run(drive(urls, args.sessions, args.seconds, args.sign_in, path=path,
                                       on_ready=sliders_start))
            cpu_after = [cpu_seconds(p.pid) for p in procs]
        finally:
            if provider is not None:
                provider.terminate()
            for p in procs:
                p.terminate()
            for p in procs:
                try:
                    p.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    p.kill()
        wall = time.perf_counter() - started
        server_log = "".join(f.read_text(errors="replace") for f in Path(tmp).glob("*.log"))
        run_seconds = server_run_seconds(Path(tmp) / "runs.tsv", slider_phase.get("from"))
    latencies = [x for s in states for x in s.latencies]
    errors = [e for s in states for e in s.errors]
    if "Traceback" in server_log:
        errors.append("server log holds a traceback: " + server_log[server_log.index("Traceback"):][:500])
    result = {
        "sessions": args.sessions,
        "seconds": args.seconds,
        "sign_in": args.sign_in,
        "wall_seconds": round(wall, 1),
        "requests": len(latencies),
        "requests_per_session": [len(s.latencies) for s in states],
        "p50_ms": round(statistics.median(latencies) * 1000) if latencies else None,
        "p95_ms": round(percentile(latencies, 95) * 1000) if latencies else None,
        "max_ms": round(max(latencies) * 1000) if latencies else None,
        "processes": len(procs),
        "customers": args.customers or "sample",
        "baseline": args.baseline,
        # the slider phase only (after every session's first page load) and its reruns
        "server_cpu_seconds": (round(sum(cpu_after) - sum(cpu_before), 2)
                               if None not in cpu_before + cpu_after else None),
        "server_cpu_with_page_loads": (round(sum(cpu_after) - sum(cpu_start), 1)
                                       if None not in cpu_start + cpu_after else None),
        "slider_reruns": sum(s.runs - s.slider_runs_from for s in states),
        # the script's own time per run on the server (VALUATION_RUN_LOG), without the browsers
        "server_run_p50_ms": round(statistics.median(run_seconds) * 1000) if run_seconds else None,
        "server_run_p95_ms": round(percentile(run_seconds, 95) * 1000) if run_seconds else None,
        "errors": len(errors),
        "error_messages": errors[:20],
        "cpus": os.cpu_count(),
        "load_average": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }
    reruns = result["slider_reruns"]
    result["cpu_ms_per_rerun"] = (round(result["server_cpu_seconds"] / reruns * 1000)
                                  if reruns and result["server_cpu_seconds"] is not None else None)
    if args.json:
        print(json.dumps(result))
    else:
        what = "the empty baseline page" if args.baseline else (
            f"{args.customers:,} customers" if args.customers else "the sample")
        print(f"{result['sessions']} sessions x {result['seconds']:.0f} s on {what}: {result['requests']} slider moves "
              f"answered, p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, max {result['max_ms']} ms, "
              f"{result['errors']} errors; {result['processes']} server process(es) used "
              f"{result['server_cpu_seconds']} s of CPU on {reruns} slider reruns"
              + (f", {result['cpu_ms_per_rerun']} ms per rerun" if result["cpu_ms_per_rerun"] is not None else "")
              + f" ({result['server_cpu_with_page_loads']} s with the page loads, {result['wall_seconds']} s in all;"
              f" load average {result['load_average']}, {result['cpus']} CPUs)")
        if run_seconds:
            print(f"  the server's own run time per rerun (VALUATION_RUN_LOG, without the browsers): p50 "
                  f"{result['server_run_p50_ms']} ms, p95 {result['server_run_p95_ms']} ms over {len(run_seconds)} runs")
        for message in errors[:20]:
            print("  " + message)
    return 0 if not errors and latencies else 1


if __name__ == "__main__":
    sys.exit(main())
