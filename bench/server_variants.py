"""What Greeter's server configuration is worth, side by side: its image as it
is, the same image with gunicorn's stock gevent worker (GUNICORN_CMD_ARGS, no
rebuild), and optionally the image of an earlier commit (--baseline REV).
Each is loaded with wrk through its published port, in alternating rounds, and
stopped idle with `docker stop`. Prints a markdown table.

    .venv/bin/python -m bench.server_variants [--baseline REV] [--rounds 3] [--seconds 8]
"""

import argparse
import os
import statistics
import tempfile
from contextlib import ExitStack
from pathlib import Path

from bench.extras import idle_stop_seconds
from bench.inprocess import export_commit
from bench.measure import base_image_build_args, run, wrk
from bench.targets import HARDENING, container

CASES = [("GET / @16", 16), ("GET / @64", 64)]


def variants(baseline: str | None) -> list[tuple[str, str, list[str]]]:
    """(name, image, docker run options) of each variant."""
    run(["docker", "compose", "build", "web"], timeout=900)
    found = [
        ("Greeter", "greeter:latest", []),
        (
            "stock gevent worker",
            "greeter:latest",
            ["-e", "GUNICORN_CMD_ARGS=--worker-class gevent"],
        ),
    ]
    if baseline:
        with tempfile.TemporaryDirectory() as tree:
            export_commit(baseline, Path(tree))
            build = ["docker", "build", "-q", "-t", "greeter-bench-baseline", tree]
            run([*build, *base_image_build_args()], timeout=900)
        found.append((f"commit {baseline}", "greeter-bench-baseline", []))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--baseline", default=os.environ.get("BENCH_BASELINE"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=8)  # wrk takes whole seconds
    options = parser.parse_args()
    all_variants = variants(options.baseline)
    samples: dict[tuple[str, str], list[dict[str, float]]] = {}
    stops: dict[str, list[float]] = {}
    with ExitStack() as stack:
        urls = {
            name: stack.enter_context(
                container(f"greeter-bench-variant-{number}", *HARDENING, *extra, image=[image])
            )
            for number, (name, image, extra) in enumerate(all_variants)
        }
        for _ in range(options.rounds):
            for name, url in urls.items():
                for case, connections in CASES:
                    result = wrk(f"{url}/", seconds=options.seconds, connections=connections)
                    samples.setdefault((name, case), []).append(result)
    for _ in range(options.rounds):
        for name, image, extra in all_variants:
            stops.setdefault(name, []).append(idle_stop_seconds(image, 1, [*HARDENING, *extra]))

    print(
        "| variant | " + " | ".join(f"{case} req/s · p99" for case, _ in CASES) + " | idle stop |"
    )
    print("|---" * (len(CASES) + 2) + "|")
    for name, _, _ in all_variants:
        cells = []
        for case, _ in CASES:
            results = samples[(name, case)]
            rate = statistics.median(r["rate"] for r in results)
            p99 = statistics.median(r["p99_ms"] for r in results)
            errors = sum(int(r["errors"]) for r in results)
            cells.append(f"{rate:,.0f} · {p99:.1f} ms" + (f" ({errors} errors)" if errors else ""))
        print(f"| {name} | " + " | ".join(cells) + f" | {statistics.median(stops[name]):.2f} s |")


if __name__ == "__main__":
    main()
