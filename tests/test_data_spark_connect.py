"""The cluster path, ``features --engine spark --remote sc://…``, gives DuckDB's features.

A Spark Connect server (what a cluster, Databricks or EMR speaks) from the installed pyspark runs
on 127.0.0.1 as a child process, one for the module, and is stopped by the module's teardown.
The command line runs against it on the parity test's edge-case dataset; the features file must
equal DuckDB's as test_data_spark_parity.py requires. Skips when pyspark, its Connect client
packages or Java are missing, except under CI (CI=true), where it must run.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.browser import free_port
from tests.scale_data import AS_OF, edge_tables, write_parquet_dataset
from tests.test_data_spark_parity import assert_same_result
from valuation.data import engines, sources

REPO = Path(__file__).resolve().parents[1]
SERVER_CLASS = "org.apache.spark.sql.connect.service.SparkConnectServer"
START_TIMEOUT = 180  # seconds; it took 5–15 on the shared 2-core machine
STOP_TIMEOUT = 30

pytestmark = [pytest.mark.spark]

# The Connect client's packages (pyspark[connect]), by module -> pip name.
CLIENT_MODULES = {"pyspark": "pyspark", "sqlglot": "sqlglot", "grpc": "grpcio", "grpc_status": "grpcio-status",
                  "google.rpc": "googleapis-common-protos", "pyarrow": "pyarrow"}


def _spark_home() -> Path | None:
    with contextlib.suppress(ImportError):
        import pyspark

        return Path(pyspark.__file__).parent
    return None


def _require_connect_server() -> Path:
    """pyspark's folder (SPARK_HOME); skips (fails under CI) when the server or client cannot run."""
    problems = []
    for module, package in CLIENT_MODULES.items():
        try:
            importlib.import_module(module)
        except ImportError:
            problems.append(f"{package} is not installed (pip install -r requirements-spark.txt)")
    if not engines.java_available():
        problems.append("Java is missing (apt-get install openjdk-17-jre-headless)")
    home = _spark_home()
    if home is not None and not any((home / "jars").glob("spark-connect_*.jar")):
        problems.append(f"pyspark at {home} has no Spark Connect server jar (jars/spark-connect_*.jar)")
    if problems:
        message = "Spark Connect test cannot run: " + "; ".join(problems)
        if os.environ.get("CI") == "true":
            pytest.fail(message + " — under CI it must run")
        pytest.skip(message)
    return home


def _live_in_group(pgid: int) -> list[str]:
    """Running processes of process group ``pgid`` (zombies left out: spark-class leaves its launcher
    subshell unreaped behind the exec'd java, and init reaps it a moment after the server exits)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            text = stat.read_text()
            name, fields = text[text.index("(") + 1:text.rindex(")")], text[text.rindex(")") + 2:].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                found.append(f"{stat.parent.name} {name}")
    return found


def _accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


@dataclass
class ConnectServer:
    """A Spark Connect server in the foreground: ``proc`` is its java process, leader of its own group."""

    proc: subprocess.Popen
    port: int
    log: Path
    started_in: float

    @property
    def url(self) -> str:
        return f"sc://127.0.0.1:{self.port}"

    def log_tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else "(no log)"

    @classmethod
    def start(cls, home: Path, workdir: Path) -> ConnectServer:
        port = free_port()
        log = workdir / "connect-server.log"
        conf = {
            "spark.connect.grpc.binding.address": "127.0.0.1",
            "spark.connect.grpc.binding.port": str(port),
            "spark.driver.host": "127.0.0.1",
            "spark.driver.bindAddress": "127.0.0.1",
            "spark.ui.enabled": "false",
            "spark.sql.shuffle.partitions": "2",
            "spark.default.parallelism": "2",
            "spark.sql.warehouse.dir": str(workdir / "warehouse"),
            # C1 only: the JIT warms up in half the time, and the data here is small (as in the parity test).
            "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1",
        }
        # setpriv (util-linux): should pytest be killed outright, the kernel stops the server as well.
        guard = ["setpriv", "--pdeathsig", "TERM", "--"] if shutil.which("setpriv") else []
        command = [*guard, str(home / "bin" / "spark-submit"), "--class", SERVER_CLASS,
                   "--name", "valuation-test", "--master", "local[2]"]
        for key, value in conf.items():
            command += ["--conf", f"{key}={value}"]
        # SPARK_CONNECT_MODE=0 as sbin/start-connect-server.sh sets it: the server itself is classic Spark.
        env = {k: v for k, v in os.environ.items() if k not in ("SPARK_REMOTE", "SPARK_CONF_DIR")}
        env.update(SPARK_HOME=str(home), SPARK_CONNECT_MODE="0")
        started = time.perf_counter()
        with log.open("wb") as out:
            # setpriv, spark-submit and spark-class each exec the next: proc.pid ends up being the JVM.
            proc = subprocess.Popen(command, cwd=workdir, env=env, stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        server = cls(proc, port, log, 0.0)
        deadline = started + START_TIMEOUT
        while not _accepts(port):
            if proc.poll() is not None or time.perf_counter() > deadline:
                why = (f"exited with {proc.returncode}" if proc.returncode is not None
                       else f"did not listen within {START_TIMEOUT} s")
                server.stop()
                pytest.fail(f"Spark Connect server on port {port} {why}. Log ({log}):\n{server.log_tail()}")
            time.sleep(0.3)
        server.started_in = time.perf_counter() - started
        return server

    def stop(self) -> None:
        """SIGTERM to the server's process group (Spark's shutdown hooks run), SIGKILL after a timeout."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=STOP_TIMEOUT)

    def assert_gone(self) -> None:
        assert self.proc.returncode is not None, "the server's java process is still running"
        assert _live_in_group(self.proc.pid) == [], "processes of the server are still running"
        assert not _accepts(self.port), f"something still listens on port {self.port}"


@pytest.fixture(scope="module")
def connect_server(tmp_path_factory):
    home = _require_connect_server()
    server = ConnectServer.start(home, tmp_path_factory.mktemp("connect"))
    try:
        yield server
    finally:
        server.stop()
        server.assert_gone()


@pytest.fixture(scope="module")
def full_dir(tmp_path_factory):
    return write_parquet_dataset(edge_tables(), tmp_path_factory.mktemp("connect_data") / "full", layout="hive")


def test_cli_features_through_spark_connect_equal_duckdb_features(connect_server, full_dir, tmp_path, capsys):
    out = tmp_path / "remote.parquet"
    command = [sys.executable, "-m", "valuation", "features", "--engine", "spark", "--remote", connect_server.url,
               "--source", str(full_dir), "--as-of", str(AS_OF), "--out", str(out), "--json"]
    started = time.perf_counter()
    run = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600,
                         check=False)
    wall = time.perf_counter() - started
    assert run.returncode == 0, (f"{' '.join(command)} failed:\n{run.stderr[-4000:]}\n"
                                 f"server log:\n{connect_server.log_tail()}")
    made = json.loads(run.stdout)
    with capsys.disabled():
        print(f"\n[spark connect] server up in {connect_server.started_in:.1f} s; features --remote: "
              f"{wall:.1f} s wall ({made['seconds']} s computing, as the command reports) for "
              f"{made['customers']} customers")
    assert made["engine"] == "spark" and made["as_of"] == str(AS_OF)

    # DuckDB's features through the same file writer and reader, so both sides have the file's types
    duck = sources.read_features(sources.write_features(engines.run_features_duckdb(full_dir, AS_OF),
                                                        tmp_path / "duckdb.parquet", engine="duckdb",
                                                        source=str(full_dir)))
    remote = sources.read_features(out)
    assert_same_result(duck, remote)
    for key in ("as_of", "provided", "availability", "source"):
        assert remote.attrs[key] == duck.attrs[key], key
    assert remote.attrs["engine"] == "spark"
    assert {"P-none", "P-on", "E-late", "E-returns", "客户甲"} <= set(remote["customer_id"])


def test_the_connect_server_stops_and_leaves_nothing_on_its_port(connect_server):
    """Runs last: stops the module's server (the teardown's stop is then a no-op) and checks it is gone."""
    assert connect_server.proc.poll() is None and _accepts(connect_server.port)
    connect_server.stop()
    connect_server.assert_gone()
