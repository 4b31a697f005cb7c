"""What Greeter's server configuration is worth, side by side: its image as it
is (gunicorn's gthread worker, 4 threads), the same image with 8 threads and
with gunicorn's sync worker (GUNICORN_CMD_ARGS, no rebuild), and optionally
plain Django (--django-plain DIR or BENCH_DJANGO_PLAIN_DIR) and the image of an
earlier commit (--baseline REV). Each runs with compose's limits (256 MB, no
CPU limit) and is loaded with wrk through its published port, in alternating
rounds, then stopped idle with `docker stop`. Prints a markdown table and each
GET / and POST /greet ratio of Greeter to plain Django.

    .venv/bin/python -m bench.server_variants [--django-plain DIR] [--baseline REV]
"""

import argparse
import os
import statistics
import tempfile
from contextlib import ExitStack
from pathlib import Path

from bench.extras import idle_stop_seconds
from bench.inprocess import export_commit
from bench.measure import base_image_build_args, csrf_pair, run, wrk
from bench.targets import HARDENING, container

CASES = [  # (case, path, wrk script, connections)
    ("GET / @16", "/", None, 16),
    ("GET / @64", "/", None, 64),
    ("POST /greet @16", "/greet", "bench/wrk/greet.lua", 16),
    ("POST /greet @64", "/greet", "bench/wrk/greet.lua", 64),
]
PLAIN = "plain Django"


def variants(baseline: str | None, plain: str | None) -> list[tuple[str, str, list[str]]]:
    """(name, image, docker run options) of each variant."""
    run(["docker", "compose", "build", "web"], timeout=900)
    found = [
        ("Greeter (gthread, 4 threads)", "greeter:latest", HARDENING),
        (
            "gthread, 8 threads",
            "greeter:latest",
            [*HARDENING, "-e", "GUNICORN_CMD_ARGS=--threads 8"],
        ),
        ("sync", "greeter:latest", [*HARDENING, "-e", "GUNICORN_CMD_ARGS=-k sync --threads 1"]),
    ]
    if plain:
        run(["docker", "build", "-q", "-t", "greeter-bench-django-plain", plain], timeout=900)
        found.append((PLAIN, "greeter-bench-django-plain", ["--memory", "256m"]))
    if baseline:
        with tempfile.TemporaryDirectory() as tree:
            export_commit(baseline, Path(tree))
            build = ["docker", "build", "-q", "-t", "greeter-bench-baseline", tree]
            run([*build, *base_image_build_args()], timeout=900)
        found.append((f"commit {baseline}", "greeter-bench-baseline", HARDENING))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--baseline", default=os.environ.get("BENCH_BASELINE"))
    parser.add_argument("--django-plain", default=os.environ.get("BENCH_DJANGO_PLAIN_DIR"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=8)  # wrk takes whole seconds
    options = parser.parse_args()
    all_variants = variants(options.baseline, options.django_plain)
    samples: dict[tuple[str, str], list[dict[str, float]]] = {}
    stops: dict[str, list[float]] = {}
    with ExitStack() as stack:
        urls = {
            name: stack.enter_context(
                container(f"greeter-bench-variant-{number}", *extra, image=[image])
            )
            for number, (name, image, extra) in enumerate(all_variants)
        }
        names = list(urls)
        for round_number in range(options.rounds):
            # Each round starts with another variant: none is always first or last.
            shift = round_number % len(names)
            for name in names[shift:] + names[:shift]:
                url = urls[name]
                cookie, token = csrf_pair(url)
                env = {**os.environ, "CSRF_COOKIE": cookie, "CSRF_TOKEN": token}
                for case, path, script, connections in CASES:
                    result = wrk(f"{url}{path}", seconds=options.seconds,
                                 connections=connections, script=script, env=env)  # fmt: skip
                    samples.setdefault((name, case), []).append(result)
    for _ in range(options.rounds):
        for name, image, extra in all_variants:
            stops.setdefault(name, []).append(idle_stop_seconds(image, 1, extra))

    def median(name: str, case: str, key: str) -> float:
        return statistics.median(r[key] for r in samples[(name, case)])

    heads = " | ".join(f"{case} req/s · p99" for case, *_ in CASES)
    print(f"| variant | {heads} | idle stop |")
    print("|---" * (len(CASES) + 2) + "|")
    for name, _, _ in all_variants:
        cells = []
        for case, *_ in CASES:
            errors = sum(int(r["errors"]) for r in samples[(name, case)])
            cell = f"{median(name, case, 'rate'):,.0f} · {median(name, case, 'p99_ms'):.1f} ms"
            cells.append(cell + (f" ({errors} errors)" if errors else ""))
        print(f"| {name} | " + " | ".join(cells) + f" | {statistics.median(stops[name]):.2f} s |")
    if options.django_plain:
        greeter = all_variants[0][0]
        print("\n| Greeter ÷ plain Django | req/s | p99 Greeter / plain |\n|---|---|---|")
        for case, *_ in CASES:
            ratio = median(greeter, case, "rate") / median(PLAIN, case, "rate")
            p99 = f"{median(greeter, case, 'p99_ms'):.1f} / {median(PLAIN, case, 'p99_ms'):.1f} ms"
            print(f"| `{case}` | {ratio:.2f}× | {p99} |")


if __name__ == "__main__":
    main()
