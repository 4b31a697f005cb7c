"""The benchmark runs end to end in its short mode (no targets asserted: speed
belongs in the benchmark's printed figures, not in a timed test). Plain Django,
the seed peer and the baseline commit are optional rows: measured when
BENCH_DJANGO_PLAIN_DIR, BENCH_SEED_DIR and BENCH_BASELINE name them (CI's
stand-ins do), otherwise left out with a note."""

import json
import os
import shutil
import sys

import pytest

from tests.conftest import ROOT, require, run

pytestmark = pytest.mark.container


def test_short_benchmark_prints_every_figure(docker):
    if not shutil.which("wrk"):
        require("wrk", "apt-get install wrk")
    result = run([sys.executable, "-m", "bench", "--short"], cwd=ROOT, timeout=1200)
    print(result.stdout)
    for figure in (
        "| GET / @16 | greeter |",
        "| GET / @16 | greeter https |",
        "HTTPS through Caddy ÷ plain HTTP direct",
        "| GET / @64 | ceiling |",
        "| GET / @16 | bare sync |",
        "| GET / @64 | bare gthread |",
        "| POST /greet @16 | bare gthread |",
        "| GET hashed CSS @16 | greeter |",
        "| GET / | ",  # in process, before and after
        "| POST /greet | ",
        "`GET /` @16 ÷ fastest ceiling",
        "idle `docker stop`",
        "`docker run` → first 200",
        "cold start (`compose up`) → first 200",
        "cold start (`compose up`) → healthy",
        "image above python:3.13-slim",
        "memory after load",
        "`docker compose stop` under load",
        "rebuild after a template change",
        "first visit transferred",
    ):
        assert figure in result.stdout
    seed, baseline = os.environ.get("BENCH_SEED_DIR"), os.environ.get("BENCH_BASELINE")
    plain = os.environ.get("BENCH_DJANGO_PLAIN_DIR")
    assert ("| `POST /greet @64` | " in result.stdout) == bool(plain)  # Greeter ÷ plain Django
    assert ("no plain Django given" in result.stdout) == (not plain)
    assert ("| POST /greet @16 | seed peer |" in result.stdout) == bool(seed)
    assert ("no seed peer given" in result.stdout) == (not seed)
    assert ("| in process, CPU per request | baseline |" in result.stdout) == bool(baseline)
    assert ("no baseline commit given" in result.stdout) == (not baseline)
    results = json.loads((ROOT / "artifacts/bench/results.json").read_text())
    assert all(row["errors"] == 0 for row in results["throughput"])
    for tree in ("today", "baseline") if baseline else ("today",):
        assert all(ms > 0 for ms in results["in_process"][tree].values())
    assert (ROOT / "artifacts/bench/chart.png").stat().st_size > 10_000


def test_caddy_metrics_benchmark_prints_both_configurations(docker):
    if not shutil.which("wrk"):
        require("wrk", "apt-get install wrk")
    command = [sys.executable, "-m", "bench.caddy_metrics", "--rounds", "1", "--seconds", "1"]
    result = run(command, cwd=ROOT, timeout=600)
    print(result.stdout)
    assert "| metrics on (as shipped) | " in result.stdout
    assert "| metrics off | " in result.stdout
    assert "metrics on ÷ off: " in result.stdout
    assert "errors)" not in result.stdout
