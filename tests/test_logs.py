"""The container's log is bounded on the host: Docker's `local` driver rotates it.

Every request writes an access-log line, so an unrotated log grows without
bound. These tests read the running container's LogConfig, then load a stack
started with a small limit until its log has rotated several times, and check
the files Docker keeps on the host while `docker compose logs` still shows the
newest requests.
"""

import uuid
from pathlib import Path

import pytest
import requests

from bench.measure import wrk
from tests.conftest import another_stack, as_root, require, run, running_container
from tests.load import wrk_available

pytestmark = pytest.mark.container

MAX_SIZE_BYTES = 100 * 1024  # GREETER_LOG_MAX_SIZE=100k below
MAX_FILE = 3
# Each access-log line holds the request line: a long query string makes every
# request write over 1 KB, so a few seconds of load fill the limit many times.
PADDED_PATH = "/?pad=" + "x" * 1000


def log_config(container):
    return run(["docker", "inspect", "-f", "{{json .HostConfig.LogConfig}}", container]).stdout


def test_compose_runs_greeter_with_a_rotating_log(stack):
    assert log_config(stack.container_id()).strip() == (
        '{"Type":"local","Config":{"max-file":"5","max-size":"10m"}}'
    )


@pytest.fixture
def small_log_stack(stack):
    """A second compose project of the same image, its log limited to 3 files of 100 KiB."""
    with another_stack(
        "greeter-logs", GREETER_LOG_MAX_SIZE="100k", GREETER_LOG_MAX_FILE=str(MAX_FILE)
    ) as small:
        yield small


def host_log_sizes(container):
    """{file name: bytes} of the container's log files on the host. They are
    root's: the tests read their sizes with root's rights (sudo on GitHub's runners)."""
    root = run(["docker", "info", "-f", "{{.DockerRootDir}}"]).stdout.strip()
    folder = Path(root) / "containers" / container / "local-logs"
    listing = ["find", str(folder), "-mindepth", "1", "-maxdepth", "1", "-printf", "%f %s\\n"]
    result = run(as_root(listing), check=False)
    if result.returncode != 0:
        # Docker Desktop keeps them inside its VM.
        require("Docker's log files", f"{folder}: {result.stderr.strip()}")
    return {name: int(size) for name, size in map(str.split, result.stdout.splitlines())}


def test_log_on_the_host_stays_under_its_limit_and_keeps_the_newest_lines(small_log_stack):
    if not wrk_available():
        require("wrk", "apt-get install wrk")
    container = small_log_stack.container_id()
    assert log_config(container).strip() == (
        f'{{"Type":"local","Config":{{"max-file":"{MAX_FILE}","max-size":"100k"}}}}'
    )
    load = wrk(f"{small_log_stack.url}{PADDED_PATH}", seconds=5, connections=16)
    written = load["requests"] * len(PADDED_PATH)
    # Enough lines to fill the limit several times over, or the test proves nothing.
    assert written > 3 * MAX_FILE * MAX_SIZE_BYTES, load["output"]
    marker = uuid.uuid4().hex
    assert requests.get(f"{small_log_stack.url}/?after-load={marker}", timeout=10).ok

    sizes = host_log_sizes(container)
    print(f"\n{load['requests']} requests (≥ {written} bytes of lines); on the host: {sizes}")
    assert len(sizes) <= MAX_FILE, sizes
    assert any(name.endswith(".gz") for name in sizes), sizes  # it did rotate
    # One record may finish the file past max-size before it rotates.
    assert all(size <= MAX_SIZE_BYTES + 4096 for size in sizes.values()), sizes
    assert sum(sizes.values()) <= MAX_FILE * MAX_SIZE_BYTES

    latest = small_log_stack.compose("logs", "--tail", "20", "web").stdout
    assert f"GET /?after-load={marker} HTTP/1.1" in latest


def test_access_lines_still_waiting_are_written_when_the_container_stops(stack):
    # A stop must not lose the last request's access line.
    marker = uuid.uuid4().hex
    with running_container("greeter:latest") as (name, url):
        assert requests.get(f"{url}/?just-before-stop={marker}", timeout=10).ok
        run(["docker", "stop", name])
        logs = run(["docker", "logs", name]).stdout
    assert f"GET /?just-before-stop={marker} HTTP/1.1" in logs
