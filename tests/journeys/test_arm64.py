"""The linux/arm64 image, from the same Dockerfile and locks, run under QEMU
user-mode emulation: what Apple-silicon laptops and Graviton servers pull.
Emulated, everything is about 20 times slower, so it is built and started once
and checked for what proves it: the architecture, the health check, the form,
a greeting with CSRF, the hashed and compressed stylesheet."""

import os
import re
import time

import requests

from tests.support import ROOT, docker_rm, greet, inspect, require, run, wait_until

IMAGE = "greeter:arm64-test"
# docker-offline-arm64's stand-in for the arm64 half of python:3.13-slim (the
# classic image store keeps one platform per tag); elsewhere the build pulls it.
ARM64_BASE = "python:3.13-slim-arm64"


def test_the_arm64_image_runs_on_aarch64_healthy_and_serves_a_greeting(docker):
    if "linux/arm64" not in run(["docker", "buildx", "inspect", "--bootstrap"], check=False).stdout:
        require("arm64 emulation", "register qemu-user-static with binfmt_misc")
    command = ["docker", "buildx", "build", "--platform", "linux/arm64", "--load", "-t", IMAGE]
    if os.environ.get("PYTHON_IMAGE"):
        command += ["--build-arg", f"PYTHON_IMAGE={os.environ['PYTHON_IMAGE']}"]
    if run(["docker", "image", "inspect", ARM64_BASE], check=False).returncode == 0:
        base = os.environ.get("PYTHON_IMAGE", "python:3.13-slim")
        command += ["--build-context", f"{base}=docker-image://{ARM64_BASE}"]
    started = time.monotonic()
    run([*command, "."], cwd=ROOT, timeout=2400)
    print(f"\narm64: built in {time.monotonic() - started:.0f} s")
    name = f"greeter-arm64-{os.getpid()}"
    # Emulated, the health check takes 4-5 s: longer than the image's 3 s timeout.
    run(
        [
            "docker",
            "run",
            "-d",
            f"--name={name}",
            "-p",
            "127.0.0.1::5000",
            "--read-only",
            "--tmpfs=/tmp",
            "--cap-drop=ALL",
            "--health-timeout=30s",
            "--health-start-interval=2s",
            IMAGE,
        ]
    )
    try:
        url = "http://" + run(["docker", "port", name, "5000"]).stdout.split()[0]
        assert wait_until(
            lambda: inspect(name, "{{.State.Health.Status}}") == "healthy", timeout=300
        )
        assert inspect(IMAGE, "{{.Architecture}}") == "arm64"
        assert run(["docker", "exec", name, "uname", "-m"]).stdout.strip() == "aarch64"
        assert "Hello Ada, Welcome" in greet(url, "Ada").text
        page = requests.get(f"{url}/", timeout=30).text
        href = re.search(r'<link rel="stylesheet" href="([^"]+)"', page)[1]
        stylesheet = requests.get(f"{url}{href}", headers={"Accept-Encoding": "br"}, timeout=30)
        assert stylesheet.headers["Content-Encoding"] == "br"
    finally:
        docker_rm(name)
        run(["docker", "image", "rm", IMAGE], check=False)
