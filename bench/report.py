"""The benchmark's output: a markdown table, JSON and a PNG chart."""

import json

import matplotlib

matplotlib.use("Agg")  # no display: draw to a file
import matplotlib.pyplot as plt

from bench.measure import ROOT

OUT = ROOT / "artifacts" / "bench"
TARGETS = ("greeter", "ceiling", "seed peer")


def ratio(throughput, case, other):
    mine = throughput.get(("greeter", case))
    theirs = throughput.get((other, case))
    return mine["rate"] / theirs["rate"] if mine and theirs and theirs["rate"] else None


def table(results):
    throughput = results["throughput"]
    cases = sorted({case for _, case in throughput}, key=lambda c: (not c.startswith("GET /"), c))
    lines = [
        f"Benchmark ({results['mode']}: {results['rounds']} round(s) of {results['seconds']} s, "
        "medians)",
        "",
        "| case | target | req/s | p50 ms | p99 ms | errors | ÷ ceiling | ÷ seed peer |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for case in cases:
        for target in TARGETS:
            row = throughput.get((target, case))
            if not row:
                continue
            ratios = ["", ""]
            if target == "greeter":
                ratios = [fmt(ratio(throughput, case, other), "×") for other in TARGETS[1:]]
            lines.append(
                f"| {case} | {target} | {row['rate']:.0f} | {row['p50_ms']:.1f} | "
                f"{row['p99_ms']:.1f} | {row['errors']} | {ratios[0]} | {ratios[1]} |"
            )
    greeter = results["greeter"]
    lines += [
        "",
        "| Greeter | measured | target |",
        "|---|---|---|",
        f"| cold start → first 200 | {greeter['first_200_s']:.2f} s | ≤ 0.5 s |",
        f"| cold start → healthy | {greeter['healthy_s']:.2f} s | ≤ 2 s |",
        f"| image above python:3.13-slim | {greeter['image_above_base_mb']:.1f} MB | ≤ 35 MB |",
        f"| memory after load | {greeter['memory_after_load_mib']:.1f} MiB | ≤ 90 MB |",
        f"| `docker compose stop` | {greeter['stop_s']:.2f} s, "
        f"{greeter['broken_answers']} failed requests | ≤ 1 s, none |",
        f"| rebuild after a template change | {greeter['rebuild_after_template_change_s']:.1f} s "
        "| ≤ 5 s |",
        f"| first visit transferred | {greeter['first_visit_bytes']} bytes | ≤ 8 KB |",
    ]
    return "\n".join(lines)


def fmt(value, suffix):
    return "" if value is None else f"{value:.2f}{suffix}"


def chart(results, path):
    throughput = results["throughput"]
    cases = sorted({case for _, case in throughput})
    figure, axes = plt.subplots(figsize=(10, 5))
    width = 0.27
    for index, target in enumerate(TARGETS):
        rates = [throughput.get((target, case), {}).get("rate", 0) for case in cases]
        positions = [i + (index - 1) * width for i in range(len(cases))]
        axes.bar(positions, rates, width, label=target)
    axes.set_xticks(range(len(cases)), cases, rotation=15)
    axes.set_ylabel("requests per second (median)")
    axes.set_title("Greeter, the ceiling and the seed peer through Docker's published port")
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def write(results):
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
