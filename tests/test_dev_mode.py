"""Dev mode: `docker compose -f docker-compose.yml -f docker-compose.dev.yml watch`
syncs template edits, and syncs Python edits and restarts the server."""

import os
import shutil
import signal
import subprocess

import pytest
import requests

from tests.conftest import ROOT, Stack, free_port, run, stylesheet_url, wait_until
from tests.test_documented_paths import fresh_clone_with_env, shell_env

pytestmark = pytest.mark.container

HEADING = "Hello! What is your name?"


@pytest.fixture
def watched_copy(docker, tmp_path):
    """A copy of the project, run under compose watch, that the test may edit."""
    project_dir = tmp_path / "greeter"
    shutil.copytree(
        ROOT, project_dir, ignore=shutil.ignore_patterns(".git", ".venv", "staticfiles", ".*cache")
    )
    port = free_port()
    env = {**os.environ, "GREETER_PORT": str(port)}
    compose = ["docker", "compose", "-p", f"greeter-watch-{port}"]
    compose += ["-f", "docker-compose.yml", "-f", "docker-compose.dev.yml"]
    watch = subprocess.Popen(
        [*compose, "watch"],
        cwd=project_dir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        assert wait_until(lambda: requests.get(f"{url}/healthz", timeout=2).ok, timeout=180)
        yield project_dir, url
    finally:
        os.killpg(watch.pid, signal.SIGTERM)
        watch.wait(timeout=30)
        run([*compose, "down", "--timeout", "1"], cwd=project_dir, env=env, check=False)


def test_watch_syncs_templates_and_restarts_on_python_changes(watched_copy):
    project_dir, url = watched_copy
    assert HEADING in requests.get(f"{url}/", timeout=10).text

    template = project_dir / "greeter/templates/greeter/index.html"
    template.write_text(template.read_text().replace(HEADING, "Edited while watching"))
    assert wait_until(lambda: "Edited while watching" in requests.get(url, timeout=2).text, 30)

    settings = project_dir / "project/settings.py"
    settings.write_text(settings.read_text() + '\nGREETER_VERSION = "edited-python"\n')
    assert wait_until(
        lambda: requests.get(f"{url}/healthz", timeout=2).json()["version"] == "edited-python", 60
    )


def test_the_dev_stack_from_env_example_serves_pages_and_css(docker, tmp_path):
    """README's `cp .env.example .env`, then the dev stack: debug stays on (the
    dev stage has no static manifest), so pages and the stylesheet answer."""
    fresh_clone_with_env(tmp_path)
    port = free_port()
    env = shell_env(GREETER_PORT=str(port))
    dev = Stack(f"greeter-dev-dotenv-{port}", port, env, 0.0,
                (tmp_path / "docker-compose.dev.yml",), tmp_path)  # fmt: skip
    try:
        dev.compose("up", "--build", "--detach", "--wait", "--wait-timeout", "120")
        page = requests.get(f"{dev.url}/", timeout=10)
        assert page.status_code == 200
        assert HEADING in page.text
        stylesheet = requests.get(stylesheet_url(dev.url, unhashed=True), timeout=10)
        assert stylesheet.status_code == 200
        assert stylesheet.headers["Content-Type"].startswith("text/css")
    finally:
        dev.compose("down", "--timeout", "5", check=False)
