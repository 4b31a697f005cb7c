"""The benchmark's report with and without its optional rows (the seed peer and
a baseline commit): a user's clone has neither, and the report still prints."""

import pytest

from bench import report


def results(*, seed, baseline, plain=False):
    row = {"rate": 1000.0, "p50_ms": 1.0, "p99_ms": 5.0, "errors": 0}
    optional = [*(["seed peer"] if seed else []), *(["django plain"] if plain else [])]
    throughput = {
        (target, case): row
        for target in ("greeter", "greeter https", "ceiling", *optional)
        for case in ("GET / @16", "GET / @64", "POST /greet @16", "POST /greet @64")
    }
    in_process = {"today": {"GET /": 0.5, "POST /greet": 0.6}}
    if baseline:
        in_process["baseline"] = {"GET /": 0.6, "POST /greet": 0.7}
    greeter = {
        "docker_run_first_200_s": 0.6,
        "seed_docker_run_first_200_s": 0.5 if seed else None,
        "idle_stop_s": 0.5,
        "stop_s": 0.8,
        "broken_answers": 0,
        "first_200_s": 0.4,
        "healthy_s": 1.5,
        "image_above_base_mb": 27.0,
        "memory_after_load_mib": 80.0,
        "rebuild_after_template_change_s": 3.0,
        "first_visit_bytes": 4000,
    }
    return {"mode": "short", "rounds": 1, "seconds": 3, "throughput": throughput,
            "in_process": in_process, "greeter": greeter}  # fmt: skip


@pytest.mark.parametrize("seed", [True, False])
@pytest.mark.parametrize("baseline", [True, False])
def test_report_prints_with_or_without_the_optional_rows(seed, baseline):
    text = report.table(results(seed=seed, baseline=baseline))
    assert ("| GET / @16 | seed peer |" in text) == seed
    assert ("no seed peer given" in text) == (not seed)
    assert ("| `GET /` @16 ÷ seed peer | 1.00× |" in text) == seed
    assert ("| GET / | 0.600 ms | 0.500 ms | 1.20× |" in text) == baseline
    assert ("no baseline commit given" in text) == (not baseline)
    assert "| `GET /` @16 ÷ fastest ceiling | 1.00× | ≥ 0.18× |" in text
    assert "| HTTPS through Caddy ÷ plain HTTP direct, `GET /` @16 | 1.00×, p99 5.0 ms |" in text


@pytest.mark.parametrize("plain", [True, False])
def test_report_gives_greeters_ratio_to_plain_django_when_measured(plain):
    text = report.table(results(seed=False, baseline=False, plain=plain))
    assert ("| `GET / @64` | 1.00× | ≥ 1.2× | 5.0 / 5.0 ms (target: Greeter's no worse) |" in text
            ) == plain  # fmt: skip
    assert ("| `POST /greet @16` | 1.00× | ≥ 1.0× | 5.0 / 5.0 ms |" in text) == plain
    assert ("no plain Django given" in text) == (not plain)
