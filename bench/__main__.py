"""Greeter's benchmark: Greeter and three ceilings side by side, and optionally
plain Django, the seed's Flask app and an earlier commit of Greeter.

    .venv/bin/python -m bench            # the full run (about 25 minutes)
    .venv/bin/python -m bench --short    # a quick run that proves it works (CI)
    .venv/bin/python -m bench --seed DIR --django-plain DIR --baseline REV   # the optional rows

--seed (or BENCH_SEED_DIR) names a folder with the seed app's Dockerfile, and
--django-plain (or BENCH_DJANGO_PLAIN_DIR) one with plain Django's (startproject,
a Form, gunicorn sync workers, whitenoise): each is built and measured beside
Greeter. --baseline (or BENCH_BASELINE) names a commit
of this repository: its CPU per request is measured beside today's. Without
them those rows are left out, with a one-line note.

Every target is published on 127.0.0.1 and loaded through Docker's published
port with wrk; the targets are measured in turn (A B C, A B C, …) so that a
noisy machine hurts them all alike. The ceilings serve bench/ceiling.py from
Greeter's image: with Greeter's gunicorn.conf.py, and under bare gunicorn with
sync and with gthread workers. Django's CPU per request is measured in process
for today's code and the baseline commit (bench/inprocess.py), and
`docker run` → first 200 for Greeter and the seed peer, in turn too. Prints
markdown tables and writes artifacts/bench/results.json, results.md and chart.png.
"""

import argparse
import os
import statistics
from contextlib import ExitStack
from typing import Any

import requests

from bench import extras, inprocess, report, targets
from bench.measure import csrf_pair, wrk

CASES = [  # (case, path, wrk script, connections, needs static files)
    ("GET / @16", "/", None, 16, False),
    ("GET / @64", "/", None, 64, False),
    ("POST /greet @16", "/greet", "bench/wrk/greet.lua", 16, False),
    ("POST /greet @64", "/greet", "bench/wrk/greet.lua", 64, False),
    ("GET hashed CSS @16", None, None, 16, True),
]


def stylesheet_path(url: str) -> str:
    html = requests.get(f"{url}/", timeout=10).text
    return html.split('<link rel="stylesheet" href="')[1].split('"')[0]


def throughput(
    all_targets: list[targets.Target], rounds: int, seconds: float
) -> dict[tuple[str, str], dict[str, float]]:
    samples: dict[tuple[str, str], list[dict[str, Any]]] = {}  # (target, case) → [wrk result, …]
    for round_number in range(rounds):
        for target in all_targets:
            forms = ("greeter", "django plain")  # the targets whose POST needs a CSRF pair
            cookie, token = csrf_pair(target.url) if target.name in forms else ("x", "y")
            env = {**os.environ, "CSRF_COOKIE": cookie, "CSRF_TOKEN": token}
            for case, path, script, connections, static in CASES:
                if (static and not target.has_static) or (
                    target.cases and case not in target.cases
                ):
                    continue
                path = path or stylesheet_path(target.url)
                result = wrk(
                    target.url + path,
                    seconds=seconds,
                    connections=connections,
                    script=script,
                    env=env,
                )
                samples.setdefault((target.name, case), []).append(result)
                rate = result["rate"]
                print(f"round {round_number + 1} {target.name:9} {case:20} {rate:8.0f} req/s")
    return {
        key: {
            "rate": statistics.median(r["rate"] for r in results),
            "p50_ms": statistics.median(r["p50_ms"] for r in results),
            "p99_ms": statistics.median(r["p99_ms"] for r in results),
            "errors": sum(r["errors"] for r in results),
        }
        for key, results in samples.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", action="store_true", help="one round of 3 s runs (CI)")
    parser.add_argument(
        "--seed", default=os.environ.get("BENCH_SEED_DIR"), help="the seed app's folder"
    )
    parser.add_argument(
        "--django-plain",
        default=os.environ.get("BENCH_DJANGO_PLAIN_DIR"),
        help="plain Django's folder",
    )
    parser.add_argument(
        "--baseline", default=os.environ.get("BENCH_BASELINE"), help="a commit to compare"
    )
    options = parser.parse_args()
    rounds, seconds = (1, 3) if options.short else (3, 10)
    results: dict[str, Any] = {
        "mode": "short" if options.short else "full",
        "rounds": rounds,
        "seconds": seconds,
    }
    for what, given, flag in (("seed peer", options.seed, "--seed DIR"),
                              ("plain Django", options.django_plain, "--django-plain DIR"),
                              ("baseline", options.baseline, "--baseline REV")):  # fmt: skip
        if not given:
            print(f"bench: no {what} given ({flag}): its rows are left out")
    results["in_process"] = inprocess.compare(
        options.baseline, *((300, 1) if options.short else (2000, 5))
    )
    with ExitStack() as stack:
        greeter = stack.enter_context(targets.greeter())
        workers = targets.worker_count(greeter.container())
        ceilings = [
            stack.enter_context(targets.ceiling()),
            stack.enter_context(targets.bare_ceiling("sync", workers)),
            stack.enter_context(targets.bare_ceiling("gthread", workers)),
        ]
        seeds = [stack.enter_context(targets.seed_peer(options.seed))] if options.seed else []
        plain = options.django_plain
        peers = [stack.enter_context(targets.django_plain(plain))] if plain else []
        https = stack.enter_context(targets.https_stack())
        all_targets = [greeter.target(), https, *ceilings, *peers, *seeds]
        results["throughput"] = throughput(all_targets, rounds, seconds)
        repeats = 1 if options.short else 3
        images = ["greeter:latest", *(seed.image for seed in seeds)]
        first_200 = extras.docker_run_cold_starts(images, repeats)
        results["greeter"] = {
            "workers": workers,
            **extras.cold_start(greeter, repeats=repeats),
            "docker_run_first_200_s": first_200["greeter:latest"],
            "seed_docker_run_first_200_s": first_200.get("greeter-bench-seed"),
            "idle_stop_s": extras.idle_stop_seconds("greeter:latest", repeats),
            "image_above_base_mb": extras.image_size_above_base() / 1e6,
            "memory_after_load_mib": extras.memory_after_load(greeter, 5 if options.short else 30),
            **extras.stop_time(greeter),
            "rebuild_after_template_change_s": extras.rebuild_after_template_change(),
            "first_visit_bytes": extras.first_visit_bytes(greeter.url),
        }
    report.write(results)


if __name__ == "__main__":
    main()
