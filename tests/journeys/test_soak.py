"""Soak: half a minute of visitors loading the form and posting a greeting on
the plain stack, after a warm-up: no request fails, and the container's memory
does not grow past a tenth (a leak would)."""

import re
import time

from tests.support import Visitors, run


def memory_mib(container):
    """What `docker stats` shows the container using, in MiB (68.14MiB / 23.5GiB)."""
    used = run(["docker", "stats", "--no-stream", "--format", "{{.MemUsage}}", container]).stdout
    number, unit = re.match(r"([\d.]+)(KiB|MiB|GiB)", used).groups()
    return float(number) * {"KiB": 1 / 1024, "MiB": 1, "GiB": 1024}[unit]


def test_half_a_minute_of_visitors_fails_nothing_and_grows_no_memory(stack):
    container = stack.container()
    with Visitors(stack.url, count=16) as warm_up:
        time.sleep(10)
    warm = memory_mib(container)
    with Visitors(stack.url, count=16) as soak:
        time.sleep(30)
    end = memory_mib(container)
    print(
        f"\nsoak: {soak.outcome.ok} requests answered; "
        f"memory {warm:.1f} MiB warm, {end:.1f} MiB at the end"
    )
    assert warm_up.outcome.failures == soak.outcome.failures == []
    assert end <= warm * 1.10
