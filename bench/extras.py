"""Greeter's figures beyond throughput: start, size, memory, stop, rebuild, weight."""

import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Sequence

import requests

from bench.measure import (
    base_image,
    base_image_build_args,
    container_memory_mib,
    copy_working_tree,
    run,
    transferred_bytes,
    wait_for,
    wrk,
)
from bench.targets import GreeterStack, container, free_port


def cold_start(stack: GreeterStack, repeats: int) -> dict[str, float]:
    """`docker compose up -d` with the image built → first 200, and → healthy.
    The best of `repeats` starts, in seconds from the moment `up` is run."""
    first_200, healthy = [], []
    for _ in range(repeats):
        stack.compose("down", "--timeout", "5")
        started = time.monotonic()
        stack.compose("up", "-d")
        wait_for(lambda: requests.get(f"{stack.url}/", timeout=1).ok, interval=0.01)
        first_200.append(time.monotonic() - started)
        state = ["docker", "inspect", "-f", "{{.State.Health.Status}}", stack.container()]

        def healthy_now(state: list[str] = state) -> bool:
            return run(state).stdout.strip() == "healthy"

        wait_for(healthy_now, interval=0.05)
        healthy.append(time.monotonic() - started)
    return {"first_200_s": min(first_200), "healthy_s": min(healthy)}


def docker_run_cold_starts(images: list[str], repeats: int) -> dict[str, float]:
    """`docker run -d -p …` of each image → its first 200, in seconds: the best of
    `repeats` starts, the images in turn. The seed's own command, for every image."""
    starts: dict[str, list[float]] = {image: [] for image in images}
    for _ in range(repeats):
        for image in images:
            port, name = free_port(), "greeter-bench-cold"
            started = time.monotonic()
            run(["docker", "run", "-d", "--name", name, "-p", f"127.0.0.1:{port}:5000", image])

            def answers(url: str = f"http://127.0.0.1:{port}/") -> bool:
                return requests.get(url, timeout=1).ok

            wait_for(answers, interval=0.005)
            starts[image].append(time.monotonic() - started)
            run(["docker", "rm", "-f", name])
    return {image: min(times) for image, times in starts.items()}


def idle_stop_seconds(image: str, repeats: int, options: Sequence[str] = ()) -> float:
    """`docker stop` of a container (`docker run` options given) that is serving
    nobody: the median of `repeats`."""
    took, name = [], "greeter-bench-idle-stop"
    for _ in range(repeats):
        with container(name, *options, image=[image]):
            time.sleep(1)  # the keep-alive of the first request has ended: idle
            started = time.monotonic()
            run(["docker", "stop", name])
            took.append(time.monotonic() - started)
    return statistics.median(took)


def image_size_above_base() -> int:
    """Bytes of the layers Greeter adds to its base image."""
    size = int(run(["docker", "image", "inspect", "-f", "{{.Size}}", "greeter:latest"]).stdout)
    base = int(run(["docker", "image", "inspect", "-f", "{{.Size}}", base_image()]).stdout)
    return size - base


def memory_after_load(stack: GreeterStack, seconds: float) -> float:
    wrk(stack.url + "/", seconds=seconds, connections=16)
    return container_memory_mib(stack.container())


def stop_time(stack: GreeterStack) -> dict[str, float]:
    """`docker compose stop` while clients keep requesting: how long, and
    whether any request got a broken answer instead of a page or a refusal."""
    broken: list[int] = []
    stop = threading.Event()

    def client() -> None:
        while not stop.is_set():
            try:
                status = requests.get(f"{stack.url}/", timeout=5).status_code
                if status != 200:
                    broken.append(status)
            except requests.ConnectionError:
                time.sleep(0.01)  # refused: the server is going away

    threads = [threading.Thread(target=client) for _ in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(1)
    started = time.monotonic()
    stack.compose("stop")
    took = time.monotonic() - started
    stop.set()
    for thread in threads:
        thread.join()
    stack.compose("up", "-d", "--wait")
    return {"stop_s": took, "broken_answers": len(broken)}


def rebuild_after_template_change() -> float:
    """`docker build` of the project after a one-line template edit (cache warm)."""
    with tempfile.TemporaryDirectory() as tmp:
        copy_working_tree(tmp)
        build = [
            "docker",
            "build",
            "-q",
            "-t",
            "greeter-bench-rebuild",
            *base_image_build_args(),
            tmp,
        ]
        run(build, timeout=600)  # warms the cache for this context
        template = f"{tmp}/greeter/templates/greeter/greeting.html"
        with open(template, "a") as file:
            file.write("{# a one-line change #}\n")
        started = time.monotonic()
        run(build, timeout=600)
        took = time.monotonic() - started
    subprocess.run(["docker", "rmi", "greeter-bench-rebuild"], capture_output=True, check=False)
    return took


def first_visit_bytes(url: str) -> int:
    """HTML, stylesheet and favicon as a first visit fetches them (br/gzip)."""
    html = requests.get(f"{url}/", timeout=10).text
    css = html.split('<link rel="stylesheet" href="')[1].split('"')[0]
    icon = html.split('<link rel="icon" href="')[1].split('"')[0]
    return sum(transferred_bytes(url, path) for path in ("/", css, icon))
