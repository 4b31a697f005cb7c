"""What Caddy's metrics cost, side by side: HTTPS throughput of the production
stack with deploy/caddy/Caddyfile as it is and with its metrics taken out, in
alternating rounds, in one Caddy (each round reloads the config it measures).
Prints a markdown table.

    .venv/bin/python -m bench.caddy_metrics [--rounds 3] [--seconds 8]
"""

import argparse
import statistics

from bench.measure import ROOT, run, wrk
from bench.targets import https_stack

CONNECTIONS = 16
METRICS_GLOBAL = "\tmetrics\n"
METRICS_SITE = ":9180 {\n\tmetrics /metrics\n}\n"


def without_metrics(caddyfile: str) -> str:
    for part in (METRICS_GLOBAL, METRICS_SITE):
        if caddyfile.count(part) != 1:
            raise SystemExit(f"deploy/caddy/Caddyfile no longer has {part!r} once: update me")
        caddyfile = caddyfile.replace(part, "")
    return caddyfile


def load_config(caddy: str, caddyfile: str) -> None:
    """Caddy's graceful reload, of a Caddyfile written to its /tmp."""
    run(["docker", "exec", "-i", caddy, "sh", "-c", "cat > /tmp/Caddyfile"], input=caddyfile)
    reload = ["caddy", "reload", "--config", "/tmp/Caddyfile", "--adapter", "caddyfile"]
    run(["docker", "exec", caddy, *reload, "--force"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=8)  # wrk takes whole seconds
    options = parser.parse_args()
    shipped = (ROOT / "deploy/caddy/Caddyfile").read_text()
    configs = {"metrics on (as shipped)": shipped, "metrics off": without_metrics(shipped)}
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in configs}
    with https_stack() as target:
        for _ in range(options.rounds):
            for name, caddyfile in configs.items():
                load_config(target.container, caddyfile)
                wrk(f"{target.url}/", seconds=1, connections=CONNECTIONS)  # warm up
                result = wrk(f"{target.url}/", seconds=options.seconds, connections=CONNECTIONS)
                samples[name].append(result)
    rates = {name: statistics.median(r["rate"] for r in runs) for name, runs in samples.items()}
    print(f"| Caddyfile | HTTPS `GET /` @{CONNECTIONS} req/s · p99 | rounds (req/s) |")
    print("|---|---|---|")
    for name, results in samples.items():
        p99 = statistics.median(r["p99_ms"] for r in results)
        each = ", ".join(f"{r['rate']:,.0f}" for r in results)
        errors = sum(int(r["errors"]) for r in results)
        note = f" ({errors} errors)" if errors else ""
        print(f"| {name} | {rates[name]:,.0f} · {p99:.1f} ms{note} | {each} |")
    on, off = rates.values()
    print(f"\nmetrics on ÷ off: {on / off:.3f} ({(on / off - 1) * 100:+.1f} %)")


if __name__ == "__main__":
    main()
