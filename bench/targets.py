"""The servers the benchmark compares, each published on 127.0.0.1."""

import os
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import requests

from bench.measure import CADDY_ROOT, ROOT, run, verified_session, wait_for

# The same hardening the compose file gives Greeter, for the ceiling's container.
HARDENING = ["--read-only", "--tmpfs", "/tmp", "--cap-drop", "ALL"]
HARDENING += ["--security-opt", "no-new-privileges", "--memory", "256m", "--pids-limit", "128"]


@dataclass
class Target:
    name: str
    url: str
    container: str
    has_static: bool
    image: str = ""
    cases: tuple[str, ...] = ()  # only these cases (bench/__main__.py CASES), or all when empty


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class GreeterStack:
    """Greeter as its compose file starts it, under its own project name."""

    def __init__(self) -> None:
        self.port = free_port()
        self.env = {**os.environ, "GREETER_PORT": str(self.port)}
        self.url = f"http://127.0.0.1:{self.port}"

    def compose(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = ["docker", "compose", "-p", "greeter-bench"]
        command += ["-f", str(ROOT / "docker-compose.yml"), *args]
        return run(command, env=self.env, cwd=ROOT, timeout=600)

    def container(self) -> str:
        return self.compose("ps", "-q", "web").stdout.strip()

    def target(self) -> Target:
        return Target("greeter", self.url, self.container(), has_static=True)


@contextmanager
def greeter() -> Iterator[GreeterStack]:
    stack = GreeterStack()
    stack.compose("build")
    stack.compose("up", "-d", "--wait")
    try:
        yield stack
    finally:
        stack.compose("down", "--timeout", "5")


@contextmanager
def container(name: str, *options: str, image: list[str]) -> Iterator[str]:
    """`docker run -d` with `options`; `image` is the image and its command."""
    port = free_port()
    if exists(name):
        run(["docker", "rm", "-f", name], timeout=60)
    run(["docker", "run", "-d", "--name", name, "-p", f"127.0.0.1:{port}:5000", *options, *image])
    url = f"http://127.0.0.1:{port}"
    try:
        if wait_for(lambda: requests.get(f"{url}/", timeout=2).ok, timeout=60) is None:
            raise RuntimeError(f"{name} did not answer")
        yield url
    finally:
        run(["docker", "rm", "-f", name], timeout=60)


def exists(name: str) -> bool:
    return run(["docker", "ps", "-aq", "--filter", f"name=^{name}$"]).stdout.strip() != ""


CEILING_MOUNT = ["-v", f"{ROOT / 'bench'}:/bench:ro"]


@contextmanager
def ceiling() -> Iterator[Target]:
    """bench/ceiling.py, served by Greeter's image and gunicorn.conf.py."""
    command = ["gunicorn", "--pythonpath", "/bench", "ceiling:application"]
    image_and_command = ["greeter:latest", *command]
    with container(
        "greeter-bench-ceiling", *HARDENING, *CEILING_MOUNT, image=image_and_command
    ) as url:
        yield Target("ceiling", url, "greeter-bench-ceiling", has_static=False)


@contextmanager
def bare_ceiling(worker_class: str, workers: int) -> Iterator[Target]:
    """bench/ceiling.py under bare gunicorn in Greeter's image: `-k worker_class`,
    Greeter's worker count, no config file (the working directory has none) and
    no access log. The control socket is off: $HOME is not writable here."""
    name = f"greeter-bench-ceiling-{worker_class}"
    command = ["gunicorn", "-k", worker_class, "-w", str(workers), "-b", "0.0.0.0:5000"]
    command += ["--no-control-socket", "ceiling:application"]
    if worker_class == "gthread":
        command += ["--threads", "4"]  # Greeter's
    options = [*HARDENING, *CEILING_MOUNT, "-w", "/bench"]
    with container(name, *options, image=["greeter:latest", *command]) as url:
        yield Target(f"bare {worker_class}", url, name, has_static=False)


def worker_count(container_name: str) -> int:
    """gunicorn's worker processes in a running container (the main process excluded)."""
    processes = run(["docker", "top", container_name, "-o", "pid,ppid,args"]).stdout.splitlines()
    pids = {line.split()[0] for line in processes[1:] if "gunicorn" in line}
    return sum(1 for line in processes[1:] if "gunicorn" in line and line.split()[1] in pids)


@contextmanager
def seed_peer(folder: str) -> Iterator[Target]:
    """The seed's Flask app in `folder`, built and run as its Dockerfile says."""
    run(["docker", "build", "-q", "-t", "greeter-bench-seed", str(folder)], timeout=600)
    with container("greeter-bench-seed", image=["greeter-bench-seed"]) as url:
        yield Target(
            "seed peer", url, "greeter-bench-seed", has_static=False, image="greeter-bench-seed"
        )


@contextmanager
def django_plain(folder: str) -> Iterator[Target]:
    """Plain Django in `folder` (startproject, a Form, gunicorn's sync workers,
    whitenoise), built and run as its Dockerfile says, with Greeter's memory limit."""
    run(["docker", "build", "-q", "-t", "greeter-bench-django-plain", str(folder)], timeout=900)
    name = "greeter-bench-django-plain"
    with container(name, "--memory", "256m", image=[name]) as url:
        yield Target("django plain", url, name, has_static=False, image=name)


@contextmanager
def https_stack() -> Iterator[Target]:
    """The production stack: Caddy in front of Greeter (docker-compose.production.yml)
    with GREETER_DOMAIN=localhost, on free loopback ports. Its certificate is
    checked against Caddy's local root before any load (wrk itself checks none)."""
    port = free_port()
    env = {
        **os.environ,
        "GREETER_HTTP_BIND": "127.0.0.1",
        "GREETER_HTTP_PORT": str(free_port()),
        "GREETER_HTTPS_PORT": str(port),
        "DJANGO_SECRET_KEY": os.urandom(32).hex(),
    }
    files = [
        "-f",
        str(ROOT / "docker-compose.yml"),
        "-f",
        str(ROOT / "docker-compose.production.yml"),
    ]
    compose = ["docker", "compose", "-p", "greeter-bench-https", *files]
    run([*compose, "up", "-d", "--wait"], env=env, cwd=ROOT, timeout=600)
    try:
        exists = [*compose, "exec", "-T", "caddy", "test", "-s", CADDY_ROOT]
        wait_for(lambda: run(exists, env=env))
        with tempfile.NamedTemporaryFile("w", suffix=".crt") as certificate:
            certificate.write(
                run([*compose, "exec", "-T", "caddy", "cat", CADDY_ROOT], env=env).stdout
            )
            certificate.flush()
            url = f"https://localhost:{port}"
            session = verified_session(certificate.name)
            if wait_for(lambda: session.get(f"{url}/", timeout=2).ok) is None:
                raise RuntimeError("Caddy did not answer over HTTPS")
        caddy = run([*compose, "ps", "-q", "caddy"], env=env).stdout.strip()
        yield Target(
            "greeter https", url, caddy, has_static=False, cases=("GET / @16", "GET / @64")
        )
    finally:
        run([*compose, "down", "--volumes", "--timeout", "5"], env=env, cwd=ROOT, timeout=600)
