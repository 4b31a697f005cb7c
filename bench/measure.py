"""Measuring tools shared by the benchmark and the resilience tests."""

import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent


def base_image() -> str:
    """The image Greeter's build starts from: PYTHON_IMAGE (a mirror, a local
    stand-in), else the official one the Dockerfile pins."""
    pinned = re.search(r"^FROM (\S+) AS python-official$", (ROOT / "Dockerfile").read_text(), re.M)
    return os.environ.get("PYTHON_IMAGE") or (pinned.group(1) if pinned else "python:3.13-slim")


def base_image_build_args() -> list[str]:
    """What `docker build` needs to start from PYTHON_IMAGE, as compose passes it."""
    image = os.environ.get("PYTHON_IMAGE")
    return ["--build-arg", f"PYTHON_IMAGE={image}"] if image else []


def run(args: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, check=True, **kwargs)


def copy_working_tree(destination: str | Path) -> None:
    """Copies the project as it is now (committed or not, without ignored files)."""
    files = run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT)
    for name in filter(None, files.stdout.split("\0")):
        if (ROOT / name).is_file():
            (Path(destination) / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, Path(destination) / name)


def wrk(
    url: str,
    *,
    seconds: float,
    connections: int,
    script: str | None = None,
    env: dict[str, str] | None = None,
    timeout: int = 10,
) -> dict[str, Any]:
    """Runs wrk; returns requests, errors (socket errors, including answers
    slower than `timeout` seconds, and non-2xx/3xx answers), req/s, p50, p99.

    The timeout is 10 s, not wrk's default 2 s: at 64 connections with wrk on
    the same two cores, the slowest 1% of answers through Docker's published
    port take 2 to 4 s (docker-proxy's share of the CPU; straight to the
    container's address p99 is about 250 ms). Slow is reported as p99; only
    a request that fails, or takes over 10 s, is an error.
    """
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", f"--timeout={timeout}s"]
    command.append("--latency")
    if script:
        command += ["-s", str(ROOT / script)]
    out = run([*command, url], env=env, timeout=seconds + 60).stdout
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "requests": int(found(r"(\d+) requests in", out).group(1)),
        "errors": errors + (int(non_2xx.group(1)) if non_2xx else 0),
        "rate": float(found(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": percentile_ms(out, "50%"),
        "p99_ms": percentile_ms(out, "99%"),
        "output": out,
    }


def found(pattern: str, text: str) -> re.Match[str]:
    """re.search that fails loudly when a tool did not print what it should."""
    match = re.search(pattern, text)
    if match is None:
        raise ValueError(f"{pattern!r} not in: {text[:500]}")
    return match


def percentile_ms(wrk_output: str, label: str) -> float:
    value, unit = found(rf"{label}\s+([\d.]+)(us|ms|s)\b", wrk_output).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]


def container_memory_mib(container: str) -> float:
    """The container's memory use as `docker stats` shows it (cache excluded)."""
    usage = run(["docker", "stats", "--no-stream", "--format", "{{.MemUsage}}", container])
    number, unit = found(r"^([\d.]+)\s*([KMG]i?B)$", usage.stdout.split("/")[0].strip()).groups()
    return float(number) * {"KiB": 1 / 1024, "MiB": 1, "GiB": 1024, "kB": 1 / 1000, "MB": 1}[unit]


def csrf_pair(url: str) -> tuple[str, str]:
    """A CSRF cookie and a token for it, as a browser holds them after loading the form."""
    session = requests.Session()
    html = session.get(f"{url}/", timeout=10).text
    token = found(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    return session.cookies["csrftoken"], token


# Caddy's local CA (the production stack with GREETER_DOMAIN=localhost), in its image.
CADDY_ROOT = "/data/caddy/pki/authorities/local/root.crt"


def verified_session(root: str | Path) -> requests.Session:
    """A session that checks certificates against `root` alone: with trust_env on,
    REQUESTS_CA_BUNDLE (where the machine sets it) would replace the root."""
    session = requests.Session()
    session.verify = str(root)
    session.trust_env = False
    return session


def wait_for(
    check: Callable[[], object], timeout: float = 60, interval: float = 0.02
) -> float | None:
    """Polls `check` until it is true; returns the seconds it took, or None."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            if check():
                return time.monotonic() - started
        except (requests.RequestException, subprocess.SubprocessError):
            pass
        time.sleep(interval)
    return None


def transferred_bytes(url: str, path: str, encoding: str = "br, gzip") -> int:
    """Bytes on the wire for one response: status line, headers and encoded body."""
    response = requests.get(
        f"{url}{path}", headers={"Accept-Encoding": encoding}, stream=True, timeout=10
    )
    body = response.raw.read(decode_content=False)
    head = len(f"HTTP/1.1 {response.status_code} {response.reason}\r\n") + 2
    head += sum(len(k) + len(v) + 4 for k, v in response.headers.items())
    return head + len(body)
