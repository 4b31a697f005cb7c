"""Fixtures for the black-box tests: Docker, the compose stack, local servers.

On a laptop without Docker the container tests are skipped with a reason; in
CI (CI=true) a missing engine fails them instead, so nothing is skipped there.
"""

import os
import re
import shutil
import socket
import subprocess
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest
import requests

from bench.measure import CADDY_ROOT, found, verified_session

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() == "true"
START_TIMEOUT = 60


def run(args, *, check=True, timeout=600, **kwargs):
    return subprocess.run(
        args, check=check, timeout=timeout, capture_output=True, text=True, **kwargs
    )


def require(what: str, problem: str) -> NoReturn:
    """Skip on a laptop, fail in CI."""
    message = f"{what} unavailable: {problem}"
    if IN_CI:
        pytest.fail(f"{message} (CI must provide it: see .ci/run)", pytrace=False)
    pytest.skip(message)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(condition, timeout=START_TIMEOUT, interval=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return True
        except (requests.RequestException, subprocess.SubprocessError):
            pass
        time.sleep(interval)
    return False


CSRF_TOKEN = r'name="csrfmiddlewaretoken" value="([^"]+)"'


def csrf_token(html):
    return found(CSRF_TOKEN, html).group(1)


def stylesheet_url(base_url, timeout=10, *, unhashed=False):
    """The form page's stylesheet link: a hashed, cache-forever file name (its
    plain name with debug on, as in the dev stack)."""
    html = requests.get(f"{base_url}/", timeout=timeout).text
    href = found(r'<link rel="stylesheet" href="([^"]+)"', html).group(1)
    hashed = "" if unhashed else r"\.[0-9a-f]{12}"
    assert re.fullmatch(rf"/static/greeter/greeter{hashed}\.css", href), href
    return f"{base_url}{href}"


def post_form(session, base_url, path, data, timeout=10):
    """A same-origin form post, as a browser sends it: with Origin and Referer,
    which Django checks over HTTPS."""
    headers = {"Origin": base_url, "Referer": f"{base_url}{path}"}
    return session.post(f"{base_url}{path}", data=data, headers=headers, timeout=timeout)


def greet(base_url, name, session=None):
    """What a browser does: load the form, then post it with its cookie and token."""
    session = session or requests.Session()
    token = csrf_token(session.get(f"{base_url}/", timeout=10).text)
    return post_form(session, base_url, "/greet", {"username": name, "csrfmiddlewaretoken": token})


def inspect(container, template):
    """`docker inspect --format TEMPLATE CONTAINER`, stripped."""
    return run(["docker", "inspect", "--format", template, container]).stdout.strip()


def kill_main_process(container):
    """SIGKILL to a container's PID 1, as a crash would: from the Docker host's
    PID namespace (inside its own, PID 1 can't be sent SIGKILL, and `docker
    kill` counts as a manual stop, which the restart policy honours). A
    throw-away container of the same image sends it, so it needs no sudo and
    works where the engine runs in a VM (Docker Desktop on macOS)."""
    pid, image = inspect(container, "{{.State.Pid}}"), inspect(container, "{{.Image}}")
    kill = "import os, sys; os.kill(int(sys.argv[1]), 9)"
    command = ["docker", "run", "--rm", "--pid", "host", "--user", "0", "--entrypoint", "python"]
    run([*command, image, "-c", kill, pid])


@pytest.fixture(scope="session")
def docker():
    if not shutil.which("docker"):
        require("Docker", "no docker command on PATH")
    info = run(["docker", "info", "--format", "{{.ServerVersion}}"], check=False, timeout=30)
    if info.returncode != 0:
        require("Docker", f"no engine answers ({info.stderr.strip()[:200]})")
    if run(["docker", "compose", "version"], check=False, timeout=30).returncode != 0:
        require("Docker Compose", "the compose plugin is missing")


@dataclass
class Stack:
    """The compose stack under test, published on 127.0.0.1:<port>."""

    project: str
    port: int
    env: dict[str, str]
    seconds_to_healthy: float
    overrides: tuple[Path, ...] = ()  # more compose files, applied over docker-compose.yml
    folder: Path = ROOT  # the project folder: its docker-compose.yml and .env

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def compose_files(self):
        return [self.folder / "docker-compose.yml", *self.overrides]

    def compose_command(self):
        files = [arg for path in self.compose_files() for arg in ("-f", str(path))]
        return ["docker", "compose", "-p", self.project, *files]

    def compose(self, *args, check=True, timeout=600):
        cmd = [*self.compose_command(), *args]
        return run(cmd, check=check, timeout=timeout, env=self.env, cwd=self.folder)

    def deploy_check(self):
        """Django's deployment checks, warnings included, in the running container."""
        check = ["python", "manage.py", "check", "--deploy", "--fail-level", "WARNING"]
        return self.compose("exec", "-T", "web", *check, check=False)

    def up(self):
        started = time.monotonic()
        self.compose("up", "-d", "--wait", "--wait-timeout", str(START_TIMEOUT))
        return time.monotonic() - started

    def container_id(self):
        return self.compose("ps", "-q", "web").stdout.strip()

    def build_up_and_greet(self):
        """`up --build` until healthy, then a visitor greeted through it."""
        self.compose("up", "--build", "--detach", "--wait", "--wait-timeout", "60")
        response = greet(self.url, "Ada")
        assert response.status_code == 200
        assert "Hello Ada, Welcome" in response.text


@pytest.fixture(scope="session")
def stack(docker):
    port = free_port()
    env = {**os.environ, "GREETER_PORT": str(port), "GREETER_BIND": "127.0.0.1"}
    stack = Stack(f"greeter-test-{os.getpid()}", port, env, 0.0)
    stack.compose("build")  # built first, so that the start below is timed alone
    try:
        stack.seconds_to_healthy = stack.up()
        yield stack
    finally:
        stack.compose("down", "--volumes", "--remove-orphans", "--timeout", "5", check=False)


@contextmanager
def another_stack(name, overrides=(), **env):
    """A second compose project of the built image, with more compose variables
    and compose files."""
    port = free_port()
    env = {**os.environ, "GREETER_PORT": str(port), **env}
    extra = Stack(f"{name}-{os.getpid()}", port, env, 0.0, tuple(overrides))
    try:
        extra.up()
        yield extra
    finally:
        extra.compose("down", "--timeout", "5", check=False)


@dataclass
class HttpsStack:
    """The production stack (docker-compose.production.yml): Caddy in front of
    Greeter, GREETER_DOMAIN=localhost, published on 127.0.0.1 on free ports.
    `root` is Caddy's local root certificate, which every check verifies against."""

    stack: Stack
    http_port: int
    https_port: int
    root: Path

    @property
    def url(self):
        return f"https://localhost:{self.https_port}"

    @property
    def http_url(self):
        return f"http://localhost:{self.http_port}"

    def session(self):
        return verified_session(self.root)  # never switched off

    def compose(self, *args, **kwargs):
        return self.stack.compose(*args, **kwargs)

    def compose_command(self):
        return self.stack.compose_command()

    def container_id(self, service):
        return self.compose("ps", "-q", service).stdout.strip()

    def fetch_root(self):
        exists = ["exec", "-T", "caddy", "test", "-s", CADDY_ROOT]
        assert wait_until(lambda: self.compose(*exists, check=False).returncode == 0, timeout=30)
        self.root.write_text(self.compose("exec", "-T", "caddy", "cat", CADDY_ROOT).stdout)

    def start(self):
        """`up` until healthy, then Caddy's root, then until Caddy answers over HTTPS."""
        self.stack.up()
        self.fetch_root()
        assert wait_until(lambda: self.session().get(f"{self.url}/healthz", timeout=2).ok)


def caddy_on_loopback(bind="127.0.0.1"):
    """Where a production stack publishes Caddy in the tests: two free ports on
    a loopback address (127.0.0.1, or [::1]). Returns (HTTP port, HTTPS port,
    the compose variables that say so)."""
    http_port, https_port = free_port(), free_port()
    return (
        http_port,
        https_port,
        {
            "GREETER_HTTP_BIND": bind,
            "GREETER_HTTP_PORT": str(http_port),
            "GREETER_HTTPS_PORT": str(https_port),
        },
    )


@pytest.fixture(scope="session")
def https_stack(stack, tmp_path_factory):
    http_port, https_port, published = caddy_on_loopback()
    env = {**os.environ, **published, "DJANGO_SECRET_KEY": "test-key-" + "h7j8k9" * 9}
    production = ROOT / "docker-compose.production.yml"
    inner = Stack(f"greeter-https-{os.getpid()}", 0, env, 0.0, (production,))
    root = tmp_path_factory.mktemp("caddy") / "root.crt"
    https = HttpsStack(inner, http_port, https_port, root)
    try:
        https.start()
        yield https
    finally:
        inner.compose("down", "--volumes", "--remove-orphans", "--timeout", "5", check=False)


REGISTRY = "127.0.0.1:5001"  # the registry's default port, 5000, is Greeter's
REGISTRY_CONFIG = """\
version: 0.1
storage:
  filesystem:
    rootdirectory: {root}
http:
  addr: {address}
"""


@pytest.fixture(scope="session")
def registry(docker, tmp_path_factory):
    """Debian's docker-registry (CNCF distribution) with its own config."""
    binary = shutil.which("docker-registry")
    if not binary:
        require("docker-registry", "apt-get install docker-registry")
    home = tmp_path_factory.mktemp("registry")
    config = home / "config.yml"
    config.write_text(REGISTRY_CONFIG.format(root=home / "data", address=REGISTRY))
    server = subprocess.Popen(
        [binary, "serve", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        up = wait_until(lambda: requests.get(f"http://{REGISTRY}/v2/", timeout=2).ok, timeout=30)
        assert up, f"the registry did not answer on {REGISTRY} (is the port taken?)"
        yield REGISTRY
    finally:
        server.terminate()
        server.wait(timeout=10)


@contextmanager
def running_container(image, *, env=None, prefix="greeter-test", docker_args=()):
    """`docker run -d -p 127.0.0.1:<free port>:5000 [DOCKER_ARGS] IMAGE`, removed
    afterwards. Yields (container name, base URL) once /healthz answers."""
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    port = free_port()
    env_args = [arg for key, value in (env or {}).items() for arg in ("-e", f"{key}={value}")]
    published = ["-p", f"127.0.0.1:{port}:5000"]
    run(["docker", "run", "-d", "--name", name, *published, *env_args, *docker_args, image])
    url = f"http://127.0.0.1:{port}"
    try:
        assert wait_until(lambda: requests.get(f"{url}/healthz", timeout=2).ok), "never answered"
        yield name, url
    finally:
        run(["docker", "rm", "-f", name], check=False)


def as_root(command):
    """`command` with root's rights, for the few checks that must have them: as
    is, when the tests run as root; under passwordless sudo otherwise (GitHub's
    runners have it)."""
    if os.geteuid() == 0:
        return command
    if not shutil.which("sudo") or run(["sudo", "-n", "true"], check=False).returncode != 0:
        require("root", f"`{' '.join(command)}` needs root, and passwordless sudo is not set up")
    return ["sudo", "-n", *command]
