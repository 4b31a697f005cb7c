"""The documented set-up, word for word: `cp .env.example .env`, then compose, for
the local stack and the production stack. Every line of .env.example is safe to
copy as it is, every variable the image reads may be empty (its default), and a
mistyped one stops the start with one line naming it."""

import os
import re
import subprocess
import uuid
from contextlib import contextmanager

import pytest

from bench.measure import copy_working_tree
from tests.conftest import (
    HttpsStack,
    Stack,
    as_root,
    caddy_on_loopback,
    free_port,
    greet,
    inspect,
    run,
    running_container,
)
from tests.raw_http import tls_get
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
        stack.build_up_and_greet()
    finally:
        stack.compose("down", "--volumes", "--timeout", "5", check=False)


@contextmanager
def production_stack_from(folder, name, *more):
    """The production stack of a folder prepared by fresh_clone_with_env, with
    `more` compose files over it."""
    http_port, https_port, published = caddy_on_loopback()
    files = (folder / "docker-compose.production.yml", *(folder / file for file in more))
    inner = Stack(f"{name}-{os.getpid()}", 0, shell_env(**published), 0.0, files, folder)
    https = HttpsStack(inner, http_port, https_port, folder / "root.crt")
    try:
        inner.compose("up", "--build", "--detach", "--wait", "--wait-timeout", "60")
        https.fetch_root()
        yield https
    finally:
        inner.compose("down", "--volumes", "--timeout", "5", check=False)


def test_cp_env_example_with_a_key_and_domain_runs_the_production_stack(docker, tmp_path):
    fresh_clone_with_env(
        tmp_path, DJANGO_SECRET_KEY="dotenv-key-" + "q4w5e6" * 9, GREETER_DOMAIN="localhost"
    )
    with production_stack_from(tmp_path, "greeter-dotenv-https") as https:
        response = greet(https.url, "Ada", https.session())
        assert response.status_code == 200
        assert "Hello Ada, Welcome" in response.text


def test_dotenv_hosts_are_honoured_for_an_apex_and_a_www_name(docker, tmp_path):
    fresh_clone_with_env(
        tmp_path,
        DJANGO_SECRET_KEY="dotenv-key-" + "z1x2c3" * 9,
        GREETER_DOMAIN="localhost, www.localhost",
        DJANGO_ALLOWED_HOSTS="localhost,www.localhost",
        DJANGO_CSRF_TRUSTED_ORIGINS="https://localhost,https://www.localhost",
    )
    with production_stack_from(tmp_path, "greeter-two-names") as https:
        for host in ("localhost", "www.localhost"):  # each with its own certificate
            page = tls_get("127.0.0.1", https.https_port, https.root, host=host)
            assert page.status == 200, host
            assert "Hello! What is your name?" in page.text
        refused = tls_get("127.0.0.1", https.https_port, https.root, host="localhost")
        assert refused.status == 200
        seen = (
            "from django.conf import settings as s; print(s.ALLOWED_HOSTS, s.CSRF_TRUSTED_ORIGINS)"
        )
        shown = https.compose("exec", "-T", "web", "python", "manage.py", "shell", "-c", seen)
        assert shown.stdout.strip().splitlines()[-1] == (
            "['localhost', 'www.localhost'] ['https://localhost', 'https://www.localhost']"
        )


def test_the_key_as_a_compose_secret_runs_the_production_stack(docker, tmp_path):
    """docs/deployment.md's steps: the key in secrets/django_secret_key, readable by
    UID 10001, DJANGO_SECRET_KEY_FILE in .env, docker-compose.secret.yml added."""
    fresh_clone_with_env(tmp_path, GREETER_DOMAIN="localhost")
    key = tmp_path / "secrets/django_secret_key"
    key.parent.mkdir()
    key.write_text("secret-file-key-" + "p0o9i8" * 9 + "\n")
    key.chmod(0o400)
    run(as_root(["chown", "10001", str(key)]))
    with (tmp_path / ".env").open("a") as dotenv:
        dotenv.write("DJANGO_SECRET_KEY_FILE=/run/secrets/django_secret_key\n")
    assert "DJANGO_SECRET_KEY=\n" in (tmp_path / ".env").read_text()  # no key in .env
    secret = "docker-compose.secret.yml"
    with production_stack_from(tmp_path, "greeter-secret-file", secret) as https:
        response = greet(https.url, "Ada", https.session())
        assert response.status_code == 200
        web = https.container_id("web")
        environment = inspect(web, "{{json .Config.Env}}")
        assert "p0o9i8" not in environment
        logs = https.compose("logs", "web").stdout
        assert "DJANGO_SECRET_KEY is not set" not in logs


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
