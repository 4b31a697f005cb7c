"""CPU per request in process: Django's WSGI application called directly, no
server and no network, for today's code, and an earlier commit side by side
when one is given.

    .venv/bin/python -m bench.inprocess [--baseline REV] [--requests N] [--rounds R]

Each code tree is copied to a temporary directory (the working tree as it is,
and `git archive` of the baseline commit), its static files collected, and
timed in its own interpreter, the trees in turn (A B, A B, …) so that a noisy
machine hurts both alike. `GET /` is a first visit (no cookie: Django makes a
CSRF secret); `POST /greet` carries the cookie and token that page gave.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.measure import ROOT, copy_working_tree

TIMER = Path(__file__).with_name("wsgi_timer.py")  # run inside each tree
CASES = ("GET /", "POST /greet")


def export_commit(commit: str, destination: Path) -> None:
    known = subprocess.run(["git", "cat-file", "-e", f"{commit}^{{commit}}"], cwd=ROOT, check=False)
    if known.returncode != 0:
        raise SystemExit(
            f"bench: commit {commit}, the baseline, is not in this clone (a shallow clone?): "
            "run `git fetch --unshallow`, or clone with the full history"
        )
    archive = subprocess.run(
        ["git", "archive", commit], cwd=ROOT, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(destination)], input=archive, check=True)


def prepare(tree: Path) -> None:
    """collectstatic, as the image build does: pages link the hashed files."""
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=tree, env={**os.environ, "DJANGO_DEBUG": "false"}, check=True,
    )  # fmt: skip


def time_tree(tree: Path, requests: int) -> dict[str, float]:
    """ms of CPU per request for each case, measured in a fresh interpreter in `tree`."""
    out = subprocess.run(
        [sys.executable, str(TIMER), str(requests)],
        cwd=tree, env={**os.environ, "DJANGO_DEBUG": "false", "PYTHONPATH": str(tree)},
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    result: dict[str, float] = json.loads(out.splitlines()[-1])
    return result


def compare(
    baseline: str | None = None, requests: int = 2000, rounds: int = 5
) -> dict[str, dict[str, float]]:
    """Median ms per request: {"today": {...}, "baseline": {...} (with a baseline commit)}."""
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"today": Path(tmp, "today")}
        copy_working_tree(trees["today"])
        if baseline:
            trees["baseline"] = Path(tmp, "baseline")
            trees["baseline"].mkdir()
            export_commit(baseline, trees["baseline"])
        samples: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
        for tree in trees.values():
            prepare(tree)
        for round_number in range(rounds):
            for name, tree in trees.items():
                result = time_tree(tree, requests)
                samples[name].append(result)
                figures = ", ".join(f"{case} {ms:.3f} ms" for case, ms in result.items())
                print(f"round {round_number + 1} in process {name:8} {figures}")
    return {
        name: {case: statistics.median(s[case] for s in runs) for case in CASES}
        for name, runs in samples.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default=os.environ.get("BENCH_BASELINE"))
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()
    medians = compare(options.baseline, options.requests, options.rounds)
    for case in CASES:
        today, baseline = medians["today"][case], medians.get("baseline", {}).get(case)
        if baseline is None:
            print(f"{case}: {today:.3f} ms")
        else:
            print(f"{case}: {baseline:.3f} → {today:.3f} ms, {baseline / today:.2f}× cheaper")


if __name__ == "__main__":
    main()
