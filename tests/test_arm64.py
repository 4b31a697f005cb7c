"""The linux/arm64 image, built from the same Dockerfile and lock file and run
under QEMU user-mode emulation: what Apple-silicon laptops and Graviton or
Ampere servers pull from the release workflow.

Emulation is slow (the build takes minutes, a request hundreds of
milliseconds), so the image is built once and started once, and only what
proves it is checked: the architecture, the health check, the form and a
greeting with CSRF, and the hashed stylesheet.
"""

import time
import uuid

import pytest
import requests

from bench.measure import base_image, base_image_build_args
from tests.conftest import ROOT, free_port, greet, require, run, stylesheet_url, wait_until

pytestmark = pytest.mark.container

IMAGE = "greeter:arm64-test"
# docker-offline-arm64's stand-in for the arm64 half of python:3.13-slim: the
# classic image store keeps one platform per tag, so the build is told to use
# it. Where it is absent, `FROM python:3.13-slim` is pulled for arm64 as usual.
ARM64_BASE = "python:3.13-slim-arm64"
# Emulated, `python -m project.healthcheck` takes 4-5 s, over the image's 3 s
# timeout: this run gives it longer without changing the image.
HEALTH_OPTIONS = ["--health-timeout", "30s", "--health-start-period", "300s"]
HEALTH_OPTIONS += ["--health-interval", "30s", "--health-start-interval", "2s"]
GREETING = "Hello Ada, Welcome to this app for Docker Demonstration."


def image_exists(name):
    return run(["docker", "image", "inspect", name], check=False, timeout=30).returncode == 0


def timed(what, seconds):
    print(f"\narm64: {what} in {seconds:.1f} s")


@pytest.fixture(scope="module")
def arm64_image(docker):
    platforms = run(["docker", "buildx", "inspect", "--bootstrap"], check=False, timeout=120)
    if "linux/arm64" not in platforms.stdout:
        require("arm64 emulation", "register qemu-user-static with binfmt_misc")
    command = ["docker", "buildx", "build", "--platform", "linux/arm64", "--load", "-t", IMAGE]
    if image_exists(ARM64_BASE):
        # The arm64 half of the base image PYTHON_IMAGE names (python:3.13-slim here).
        command += ["--build-context", f"{base_image()}=docker-image://{ARM64_BASE}"]
    command += base_image_build_args()
    started = time.monotonic()
    run([*command, "."], cwd=ROOT, timeout=2400)
    timed("image built", time.monotonic() - started)
    yield IMAGE
    run(["docker", "image", "rm", IMAGE], check=False)


@pytest.fixture(scope="module")
def arm64_container(arm64_image):
    """The image as compose runs it (read-only, no capabilities), on 127.0.0.1."""
    name, port = f"greeter-arm64-{uuid.uuid4().hex[:8]}", free_port()
    hardening = ["--read-only", "--tmpfs", "/tmp", "--cap-drop", "ALL"]
    hardening += ["--security-opt", "no-new-privileges"]
    started = time.monotonic()
    run(["docker", "run", "-d", "--name", name, "-p", f"127.0.0.1:{port}:5000",
         *hardening, *HEALTH_OPTIONS, arm64_image])  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        assert wait_until(lambda: requests.get(f"{url}/", timeout=10).ok, timeout=180)
        timed("first 200 after `docker run`", time.monotonic() - started)
        yield name, url, started
    finally:
        run(["docker", "rm", "-f", name], check=False)


def test_the_image_is_arm64_and_runs_on_aarch64(arm64_image, arm64_container):
    name, _, _ = arm64_container
    architecture = run(["docker", "image", "inspect", "-f", "{{.Architecture}}", arm64_image])
    assert architecture.stdout.strip() == "arm64"
    assert run(["docker", "exec", name, "uname", "-m"]).stdout.strip() == "aarch64"


def test_the_arm64_container_becomes_healthy(arm64_container):
    name, _, started = arm64_container
    health = ["docker", "inspect", "-f", "{{.State.Health.Status}}", name]
    assert wait_until(lambda: run(health).stdout.strip() == "healthy", timeout=300, interval=1)
    timed("healthy after `docker run`", time.monotonic() - started)


def test_the_arm64_container_serves_the_form_and_a_greeting_with_csrf(arm64_container):
    _, url, _ = arm64_container
    form = requests.get(f"{url}/", timeout=30)
    assert form.status_code == 200
    assert 'name="csrfmiddlewaretoken"' in form.text
    assert "csrftoken" in form.cookies
    response = greet(url, "Ada")
    assert response.status_code == 200
    assert GREETING in response.text
    refused = requests.post(f"{url}/greet", data={"username": "Ada"}, timeout=30)
    assert refused.status_code == 403  # no CSRF cookie and token


def test_the_arm64_container_serves_the_hashed_stylesheet(arm64_container):
    _, url, _ = arm64_container
    stylesheet = stylesheet_url(url, timeout=30)
    response = requests.get(stylesheet, headers={"Accept-Encoding": "br"}, timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/css")
    assert response.headers["Content-Encoding"] == "br"
    assert "immutable" in response.headers["Cache-Control"]
