"""Fixtures of the container tiers, by folder: tests/image (the built image),
tests/stack (the production stack: Caddy, a browser) and tests/journeys (what a
team does over months). Each folder's tests carry its marker; unmarked tests
are the in-process tier, which plain `pytest` runs alone (pyproject.toml).

Without Docker, Chromium or another tool a test needs, it is skipped with the
reason on a laptop and fails in CI (CI=true), where nothing may be skipped.
"""

import os
import shutil
import subprocess

import pytest
import requests

from tests.support import ROOT, Stack, require, run, wait_until

TIERS = {"image": "image", "stack": "stack", "journeys": "journey"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        tier = TIERS.get(item.path.parent.name)
        if tier and item.path.parent.parent == ROOT / "tests":
            item.add_marker(tier)


@pytest.fixture(scope="session")
def docker():
    if not shutil.which("docker"):
        require("Docker", "no docker command on PATH")
    info = run(["docker", "info", "--format", "{{.ServerVersion}}"], check=False, timeout=30)
    if info.returncode != 0:
        require("Docker", f"no engine answers ({info.stderr.strip()[:200]})")


@pytest.fixture(scope="session")
def image(docker):
    """The image as `docker compose build` builds it, named after its project;
    the stacks below build theirs from the same layers."""
    built = Stack("greeter-image")
    built.compose("build")
    yield f"{built.name}:latest"
    built.down()


@pytest.fixture(scope="session")
def stack(image):
    """`docker compose up` of docker-compose.yml, published on 127.0.0.1."""
    plain = Stack("greeter-plain")
    try:
        yield plain.up()
    finally:
        plain.down()


@pytest.fixture(scope="session")
def production(image):
    """The production stack, Caddy in front, its local CA's root fetched."""
    served = Stack("greeter-production", ("docker-compose.yml", "docker-compose.production.yml"))
    try:
        yield served.up()
    finally:
        served.down()


REGISTRY = "127.0.0.1:5001"  # the registry's default port, 5000, is Greeter's


@pytest.fixture(scope="session")
def registry(docker, tmp_path_factory):
    """Debian's docker-registry (CNCF distribution) on 127.0.0.1:5001."""
    binary = shutil.which("docker-registry")
    if not binary:
        require("docker-registry", "apt-get install docker-registry")
    home = tmp_path_factory.mktemp("registry")
    config = home / "config.yml"
    config.write_text(f"version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {home}/data\n"
                      f"http:\n  addr: {REGISTRY}\n")  # fmt: skip
    server = subprocess.Popen([binary, "serve", str(config)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        up = wait_until(lambda: requests.get(f"http://{REGISTRY}/v2/", timeout=2).ok, timeout=30)
        assert up, f"the registry did not answer on {REGISTRY} (is the port taken?)"
        yield REGISTRY
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="session")
def root_rights():
    """A command prefix with root's rights: none as root, passwordless sudo
    otherwise (GitHub's runners have it)."""
    if os.geteuid() == 0:
        return []
    if not shutil.which("sudo") or run(["sudo", "-n", "true"], check=False).returncode != 0:
        require("root", "some checks need root, and passwordless sudo is not set up")
    return ["sudo", "-n"]
