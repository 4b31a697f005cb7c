"""The benchmark's output: a markdown table, JSON and a PNG chart."""

import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display: draw to a file
import matplotlib.pyplot as plt

from bench.measure import ROOT

OUT = ROOT / "artifacts" / "bench"
CEILINGS = ("ceiling", "bare sync", "bare gthread")
TARGETS = ("greeter", "greeter https", *CEILINGS, "django plain", "seed peer")
PLAIN_CASES = ("GET / @16", "GET / @64", "POST /greet @16", "POST /greet @64")


Results = dict[str, Any]  # as bench/__main__.py gathers them
Throughput = dict[tuple[str, str], dict[str, float]]  # (target, case) → medians


def fastest_ceiling(throughput: Throughput, case: str) -> float | None:
    rates = [throughput[(name, case)]["rate"] for name in CEILINGS if (name, case) in throughput]
    return max(rates, default=None)


def ratio(mine: float | None, theirs: float | None) -> float | None:
    return mine / theirs if mine and theirs else None


def ratio_to(throughput: Throughput, other: str, case: str) -> float | None:
    """Greeter's rate ÷ `other`'s (None where either was not measured)."""
    rates = (throughput.get((name, case), {}).get("rate") for name in ("greeter", other))
    return ratio(*rates)


def ratios(throughput: Throughput, case: str) -> tuple[float | None, float | None]:
    """Greeter's rate ÷ the fastest ceiling's, and ÷ the seed peer's (None where missing)."""
    mine = throughput.get(("greeter", case), {}).get("rate")
    return ratio(mine, fastest_ceiling(throughput, case)), ratio_to(throughput, "seed peer", case)


def plain_django_table(throughput: Throughput) -> list[str]:
    """Greeter against plain Django: the ratio and the p99 of each, side by side."""
    if not any(("django plain", case) in throughput for case in PLAIN_CASES):
        return ["", "(no plain Django given: --django-plain DIR measures it beside Greeter)"]
    lines = [
        "",
        "| Greeter ÷ plain Django | measured | target | p99 Greeter / plain |",
        "|---|---|---|---|",
    ]
    for case in PLAIN_CASES:
        if ("django plain", case) not in throughput:
            continue
        target = "≥ 1.2×" if case.startswith("GET") else "≥ 1.0×"
        p99 = f"{throughput[('greeter', case)]['p99_ms']:.1f} / "
        p99 += f"{throughput[('django plain', case)]['p99_ms']:.1f} ms"
        if case.endswith("@64"):
            p99 += " (target: Greeter's no worse)"
        measured = fmt(ratio_to(throughput, "django plain", case), "×")
        lines.append(f"| `{case}` | {measured} | {target} | {p99} |")
    return lines


def throughput_table(results: Results) -> list[str]:
    throughput = results["throughput"]
    cases = sorted({case for _, case in throughput}, key=lambda c: (not c.startswith("GET /"), c))
    lines = [
        f"Benchmark ({results['mode']}: {results['rounds']} round(s) of {results['seconds']} s, "
        "medians)",
        "",
        "| case | target | req/s | p50 ms | p99 ms | errors | ÷ fastest ceiling | ÷ seed peer |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for case in cases:
        for target in TARGETS:
            row = throughput.get((target, case))
            if not row:
                continue
            shown = ratios(throughput, case) if target == "greeter" else (None, None)
            lines.append(
                f"| {case} | {target} | {row['rate']:.0f} | {row['p50_ms']:.1f} | "
                f"{row['p99_ms']:.1f} | {row['errors']} | {fmt(shown[0], '×')} | "
                f"{fmt(shown[1], '×')} |"
            )
    return lines


def in_process_table(results: Results) -> list[str]:
    medians = results["in_process"]
    if "baseline" not in medians:
        lines = ["", "| in process, CPU per request | today |", "|---|---|"]
        lines += [f"| {case} | {ms:.3f} ms |" for case, ms in medians["today"].items()]
        return [*lines, "", "(no baseline commit given: --baseline REV compares one)"]
    lines = [
        "",
        "| in process, CPU per request | baseline | today | cheaper | target |",
        "|---|---|---|---|---|",
    ]
    for case in ("GET /", "POST /greet"):
        before, today = medians["baseline"][case], medians["today"][case]
        lines.append(
            f"| {case} | {before:.3f} ms | {today:.3f} ms | {before / today:.2f}× | ≥ 1.1× |"
        )
    return lines


def targets_table(results: Results) -> list[str]:
    throughput, greeter = results["throughput"], results["greeter"]
    get16, get64 = throughput[("greeter", "GET / @16")], throughput[("greeter", "GET / @64")]
    errors = sum(row["errors"] for (target, _), row in throughput.items() if target == "greeter")
    seed_start = greeter["seed_docker_run_first_200_s"]
    cold = f" (seed peer {seed_start:.2f} s) = " if seed_start else ""
    cold += fmt(seed_start and greeter["docker_run_first_200_s"] / seed_start, "×")
    lines = [
        "",
        "| target | measured | target |",
        "|---|---|---|",
        f"| `GET /` @16 ÷ fastest ceiling | {fmt(ratios(throughput, 'GET / @16')[0], '×')} "
        "| ≥ 0.18× |",
        f"| `GET /` @64 ÷ fastest ceiling | {fmt(ratios(throughput, 'GET / @64')[0], '×')} | |",
        f"| `POST /greet` @16 ÷ fastest ceiling | "
        f"{fmt(ratios(throughput, 'POST /greet @16')[0], '×')} | |",
        f"| `GET /` @16 ÷ seed peer | {fmt(ratios(throughput, 'GET / @16')[1], '×')} | ≥ 1.4× |",
        f"| `GET /` p99 @16 / @64 | {get16['p99_ms']:.1f} / {get64['p99_ms']:.1f} ms "
        "| ≤ 20 / 150 ms |",
        f"| failed or non-2xx requests (Greeter) | {errors} | 0 |",
        f"| idle `docker stop` | {greeter['idle_stop_s']:.2f} s | ≤ 1.0 s |",
        f"| `docker compose stop` under load | {greeter['stop_s']:.2f} s, "
        f"{greeter['broken_answers']} failed requests | none failed |",
        f"| `docker run` → first 200 | {greeter['docker_run_first_200_s']:.2f} s{cold} "
        "| ≤ 1.5× the seed's |",
    ]
    https = throughput.get(("greeter https", "GET / @16"))
    if https:
        lines.append(
            f"| HTTPS through Caddy ÷ plain HTTP direct, `GET /` @16 | "
            f"{https['rate'] / get16['rate']:.2f}×, p99 {https['p99_ms']:.1f} ms "
            "| ≥ 0.6×, p99 ≤ 30 ms |"
        )
    if not seed_start:
        lines += ["", "(no seed peer given: --seed DIR measures the seed's app beside Greeter)"]
    return lines


def figures_table(results: Results) -> list[str]:
    greeter = results["greeter"]
    return [
        "",
        "| Greeter | measured | target |",
        "|---|---|---|",
        f"| cold start (`compose up`) → first 200 | {greeter['first_200_s']:.2f} s | ≤ 0.5 s |",
        f"| cold start (`compose up`) → healthy | {greeter['healthy_s']:.2f} s | ≤ 2 s |",
        f"| image above python:3.13-slim | {greeter['image_above_base_mb']:.1f} MB | ≤ 35 MB |",
        f"| memory after load | {greeter['memory_after_load_mib']:.1f} MiB | ≤ 90 MB |",
        f"| rebuild after a template change | {greeter['rebuild_after_template_change_s']:.1f} s "
        "| ≤ 5 s |",
        f"| first visit transferred | {greeter['first_visit_bytes']} bytes | ≤ 8 KB |",
    ]


def table(results: Results) -> str:
    return "\n".join(
        throughput_table(results)
        + plain_django_table(results["throughput"])
        + in_process_table(results)
        + targets_table(results)
        + figures_table(results)
    )


def fmt(value: float | None, suffix: str) -> str:
    return "" if not value else f"{value:.2f}{suffix}"


def chart(results: Results, path: Path) -> None:
    throughput = results["throughput"]
    cases = sorted({case for _, case in throughput})
    figure, axes = plt.subplots(figsize=(10, 5))
    width = 0.12
    for index, target in enumerate(TARGETS):
        rates = [throughput.get((target, case), {}).get("rate", 0) for case in cases]
        positions = [i + (index - 3) * width for i in range(len(cases))]
        axes.bar(positions, rates, width, label=target)
    axes.set_xticks(range(len(cases)), cases, rotation=15)
    axes.set_ylabel("requests per second (median)")
    axes.set_title("Greeter (and through Caddy), the ceilings, plain Django and the seed peer")
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def write(results: Results) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    serializable = {
        **results,
        "throughput": [
            {"target": target, "case": case, **row}
            for (target, case), row in results["throughput"].items()
        ],
    }
    (OUT / "results.json").write_text(json.dumps(serializable, indent=2))
    chart(results, OUT / "chart.png")
    text = table(results)
    (OUT / "results.md").write_text(text + "\n")
    print("\n" + text)
    print(f"\nWritten: {OUT / 'results.json'}, {OUT / 'chart.png'}, {OUT / 'results.md'}")
