"""The documented set-up, word for word: `cp .env.example .env`, then compose, for
the local stack and the production stack. Every line of .env.example is safe to
copy as it is, every variable the image reads may be empty (its default), and a
mistyped one stops the start with one line naming it."""

import os
import re
import subprocess
import uuid

import pytest

from bench.measure import copy_working_tree
from tests.conftest import (
    HttpsStack,
    Stack,
    caddy_on_loopback,
    free_port,
    greet,
    run,
    running_container,
)
from tests.test_configuration_docs import variables_read

pytestmark = pytest.mark.container

IMAGE = "greeter:latest"  # what docker-compose.yml builds
# Read inside the container: the settings, gunicorn.conf.py, the entrypoint and
# the health check. The other GREETER_ variables and the *_IMAGE ones are compose's.
IMAGE_VARIABLES = [
    v for v in variables_read() if not v.startswith("GREETER_") and not v.endswith("_IMAGE")
]
IMAGE_VARIABLES.append("GREETER_VERSION")


def fresh_clone_with_env(folder, **filled):
    """The tracked files, then README's `cp .env.example .env`, then `filled` typed in."""
    copy_working_tree(folder)
    subprocess.run(["cp", ".env.example", ".env"], cwd=folder, check=True)
    text = (folder / ".env").read_text()
    for name, value in filled.items():
        text, count = re.subn(rf"^{name}=.*$", f"{name}={value}", text, flags=re.MULTILINE)
        assert count == 1, name
    (folder / ".env").write_text(text)


def shell_env(**published):
    """This shell's variables without any of Greeter's, so that .env alone
    configures the stack, plus where to publish it: free loopback ports here
    (the shell's values win over .env's, as compose documents)."""
    kept = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "GREETER_"))}
    return {**kept, **published}


def test_cp_env_example_then_compose_up_serves_the_form(docker, tmp_path):
    fresh_clone_with_env(tmp_path)
    port = free_port()
    stack = Stack(f"greeter-dotenv-{os.getpid()}", port, shell_env(GREETER_PORT=str(port)), 0.0,
                  folder=tmp_path)  # fmt: skip
    try:
        stack.compose("up", "--build", "--detach", "--wait", "--wait-timeout", "60")
        response = greet(stack.url, "Ada")
        assert response.status_code == 200
        assert "Hello Ada, Welcome" in response.text
    finally:
        stack.compose("down", "--volumes", "--timeout", "5", check=False)


def test_cp_env_example_with_a_key_and_domain_runs_the_production_stack(docker, tmp_path):
    fresh_clone_with_env(
        tmp_path, DJANGO_SECRET_KEY="dotenv-key-" + "q4w5e6" * 9, GREETER_DOMAIN="localhost"
    )
    http_port, https_port, published = caddy_on_loopback("172.30.249.0/28")
    env = shell_env(**published)
    production = tmp_path / "docker-compose.production.yml"
    inner = Stack(f"greeter-dotenv-https-{os.getpid()}", 0, env, 0.0, (production,), tmp_path)
    https = HttpsStack(inner, http_port, https_port, tmp_path / "root.crt")
    try:
        inner.compose("up", "--build", "--detach", "--wait", "--wait-timeout", "60")
        https.fetch_root()
        response = greet(https.url, "Ada", https.session())
        assert response.status_code == 200
        assert "Hello Ada, Welcome" in response.text
    finally:
        inner.compose("down", "--volumes", "--timeout", "5", check=False)


def test_every_variable_the_image_reads_may_be_empty(stack):
    assert {"WEB_CONCURRENCY", "PORT", "DJANGO_BEHIND_HTTPS_PROXY"} <= set(IMAGE_VARIABLES)
    empty = dict.fromkeys(IMAGE_VARIABLES, "")
    with running_container(IMAGE, env=empty) as (name, url):
        response = greet(url, "Ada")
        assert response.status_code == 200
        logs = run(["docker", "logs", name]).stderr
    assert "Traceback" not in logs


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("WEB_CONCURRENCY=four", "WEB_CONCURRENCY='four' is not a number of workers"),
        ("DJANGO_BEHIND_HTTPS_PROXY=ture", "DJANGO_BEHIND_HTTPS_PROXY='ture' is neither true"),
        ("GUNICORN_WORKER_CONNECTIONS=many", "GUNICORN_WORKER_CONNECTIONS='many' can't be read"),
        ("DJANGO_LOG_LEVEL=loud", "DJANGO_LOG_LEVEL='LOUD' is not a log level"),
    ],
)
def test_a_mistyped_variable_stops_the_start_with_its_name(stack, setting, message):
    name = f"greeter-test-mistyped-{uuid.uuid4().hex[:8]}"
    try:  # named and removed, so that a start that is not refused does not linger
        command = ["docker", "run", "--rm", "--name", name, "-e", setting, IMAGE]
        result = run(command, check=False, timeout=60)
    finally:
        run(["docker", "rm", "-f", name], check=False)
    assert result.returncode != 0
    assert f"Greeter can't start: {message}" in result.stderr
    assert "Traceback" not in result.stderr
