"""The tests' one helper library: processes, ports, HTTP as a browser sends it,
Greeter's compose stacks as a user starts them, a load of visitors, Chromium.

Nothing here starts a server another way than the image and its compose files
do: a stack is `docker compose` run in the project folder with the variables a
user sets, and local gunicorn runs with the shipped gunicorn.conf.py.
"""

import functools
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() == "true"
TEST_KEY = "test-key-" + "x1y2z3" * 9  # as long and varied as the deploy check asks
# Caddy's local CA (the production stack with GREETER_DOMAIN=localhost), in its image.
CADDY_ROOT = "/data/caddy/pki/authorities/local/root.crt"
CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


# --- Processes -------------------------------------------------------------------
def run(args, *, check=True, timeout=600, **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, check=check, timeout=timeout, capture_output=True, text=True, **kwargs
    )


def require(what: str, problem: str) -> NoReturn:
    """Skip on a laptop without it; fail in CI, where nothing may be skipped."""
    message = f"{what} unavailable: {problem}"
    if IN_CI:
        pytest.fail(f"{message} (CI must provide it: see .ci/run)", pytrace=False)
    pytest.skip(message)


def python_env(**variables: str) -> dict[str, str]:
    """An environment with nothing of the tests' own but PATH and coverage's
    variables (so that a Python subprocess is measured too), plus `variables`."""
    kept = {k: v for k, v in os.environ.items() if k == "PATH" or k.startswith("COVERAGE_")}
    return {**kept, **variables}


def load_settings(
    env: dict[str, str] | None = None, *, module: str = "project.settings"
) -> dict[str, Any]:
    """The settings as a fresh interpreter reads them with exactly `env` set
    (each environment needs its own process): every upper-case setting that
    JSON can carry."""
    script = (
        "import importlib, json, sys\n"
        f"module = importlib.import_module({module!r})\n"
        "values = {k: v for k, v in vars(module).items() if k.isupper()}\n"
        "json.dump(values, sys.stdout, default=repr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], env=python_env(**(env or {})), cwd=ROOT,
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    values: dict[str, Any] = json.loads(result.stdout)
    return values


def free_port() -> int:
    """A port free on every address of both families (gunicorn binds [::])."""
    family = socket.AF_INET6 if socket.has_dualstack_ipv6() else socket.AF_INET
    with socket.create_server(
        ("", 0), family=family, dualstack_ipv6=family == socket.AF_INET6
    ) as s:
        return int(s.getsockname()[1])


def wait_until(condition: Callable[[], object], timeout: float = 60, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return True
        except (requests.RequestException, subprocess.SubprocessError, OSError):
            pass
        time.sleep(interval)
    return False


def copy_project(destination: Path) -> Path:
    """The project as a fresh clone has it, with today's uncommitted changes:
    every file git tracks or would track, nothing it ignores."""
    files = run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT)
    for name in filter(None, files.stdout.split("\0")):
        if (ROOT / name).is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, destination / name)
    return destination


# --- HTTP as a browser sends it ----------------------------------------------------
def csrf_token(html: str) -> str:
    match = CSRF_TOKEN.search(html)
    assert match, f"no CSRF token in: {html[:300]}"
    return match.group(1)


def post_form(session, base_url, path, data, timeout=10):
    """A same-origin form post, with the Origin and Referer a browser sends
    (Django checks them over HTTPS)."""
    headers = {"Origin": base_url, "Referer": f"{base_url}{path}"}
    return session.post(f"{base_url}{path}", data=data, headers=headers, timeout=timeout)


def greet(base_url, name, session=None):
    """Load the form, then post it with its cookie and token."""
    session = session or requests.Session()
    token = csrf_token(session.get(f"{base_url}/", timeout=10).text)
    return post_form(session, base_url, "/greet", {"username": name, "csrfmiddlewaretoken": token})


def verified_session(root: Path) -> requests.Session:
    """Certificates checked against `root` alone (trust_env off, or the
    machine's REQUESTS_CA_BUNDLE would replace it). Never switched off."""
    session = requests.Session()
    session.verify, session.trust_env = str(root), False
    return session


# --- Docker ------------------------------------------------------------------------
def inspect(container: str, template: str) -> str:
    return run(["docker", "inspect", "--format", template, container]).stdout.strip()


def kill_main_process(container: str) -> None:
    """SIGKILL to a container's PID 1, as a crash: from the host's PID namespace
    (PID 1 ignores it from inside, and `docker kill` is a manual stop that the
    restart policy honours), by a throw-away container of the same image."""
    pid, image = inspect(container, "{{.State.Pid}}"), inspect(container, "{{.Image}}")
    kill = ["python", "-c", "import os, sys; os.kill(int(sys.argv[1]), 9)", pid]
    run(["docker", "run", "--rm", "--pid", "host", "--user", "0", "--entrypoint", *kill[:1],
         image, *kill[1:]])  # fmt: skip


@dataclass
class Stack:
    """A compose project as a user runs it: `docker compose` in `folder` (the
    repository or a copy), with COMPOSE_FILE and the variables a user puts in
    the shell or .env, published on loopback on free ports."""

    name: str
    files: tuple[str, ...] = ("docker-compose.yml",)
    folder: Path = ROOT
    variables: dict[str, str] = field(default_factory=dict)
    root: Path | None = None  # Caddy's local root certificate, once fetched

    def __post_init__(self) -> None:
        self.name = f"{self.name}-{os.getpid()}"
        self.port, self.http_port, self.https_port = free_port(), free_port(), free_port()
        published = {"GREETER_PORT": str(self.port), "GREETER_BIND": "127.0.0.1"}
        if "docker-compose.production.yml" in self.files:
            published = {
                "GREETER_HTTP_BIND": "127.0.0.1",
                "GREETER_HTTP_PORT": str(self.http_port),
                "GREETER_HTTPS_PORT": str(self.https_port),
                "DJANGO_SECRET_KEY": TEST_KEY,
            }
        self.variables = {**published, **self.variables}

    @property
    def env(self) -> dict[str, str]:
        compose = {"COMPOSE_FILE": ":".join(self.files), "COMPOSE_PROJECT_NAME": self.name}
        return {**os.environ, **compose, **self.variables}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def https_url(self) -> str:
        return f"https://localhost:{self.https_port}"

    def compose(self, *args, check=True, timeout=600, **kwargs) -> subprocess.CompletedProcess[str]:
        return run(["docker", "compose", *args], check=check, timeout=timeout, env=self.env,
                   cwd=self.folder, **kwargs)  # fmt: skip

    def up(self, *args: str) -> "Stack":
        """`up --detach --wait`, then, with Caddy, its root certificate and HTTPS."""
        self.compose("up", "--detach", "--wait", "--wait-timeout", "90", *args)
        if "docker-compose.production.yml" in self.files:
            self.root = Path(tempfile.gettempdir()) / f"caddy-root-{self.name}.crt"
            exists = ["exec", "-T", "caddy", "test", "-s", CADDY_ROOT]
            assert wait_until(lambda: self.compose(*exists, check=False).returncode == 0, 30)
            self.root.write_text(self.compose("exec", "-T", "caddy", "cat", CADDY_ROOT).stdout)
            if self.variables["GREETER_HTTP_BIND"] == "127.0.0.1":  # else the test's to reach
                assert wait_until(
                    lambda: self.session().get(f"{self.https_url}/healthz", timeout=2).ok
                )
        return self

    def down(self) -> None:
        """Down with its volumes, and its image (named after the project) untagged."""
        self.compose("down", "--volumes", "--remove-orphans", "--timeout", "5", check=False)
        run(["docker", "image", "rm", f"{self.name}:latest"], check=False)

    def container(self, service: str = "web") -> str:
        return self.compose("ps", "--quiet", service).stdout.split()[0]

    def session(self) -> requests.Session:
        assert self.root, "no Caddy root yet: up() fetches it"
        return verified_session(self.root)

    def logs(self, service: str = "web") -> str:
        return self.compose("logs", "--no-color", "--no-log-prefix", service).stdout

    def from_the_network(self, url: str):
        """GET `url` from a throw-away container on the stack's compose network."""
        fetch = (
            "import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1]).read().decode())"
        )
        return run(["docker", "run", "--rm", f"--network={self.name}_edge", "--entrypoint=python",
                    f"{self.name}:latest", "-c", fetch, url], check=False)  # fmt: skip

    def manage(self, *args: str, check=True):
        """`python manage.py ARGS` in the running web container."""
        return self.compose("exec", "-T", "web", "python", "manage.py", *args, check=check)


def docker_run(
    image: str, *args: str, env: dict[str, str] | None = None, command: tuple[str, ...] = ()
) -> tuple[str, str]:
    """`docker run -d -p 127.0.0.1:<free port>:5000 [ARGS] IMAGE [COMMAND]`; returns
    the container's name and URL once /healthz answers. Remove it with docker_rm."""
    name, port = f"greeter-test-{uuid.uuid4().hex[:8]}", free_port()
    variables = [f"--env={key}={value}" for key, value in (env or {}).items()]
    run(["docker", "run", "--detach", f"--name={name}", f"--publish=127.0.0.1:{port}:5000",
         *variables, *args, image, *command])  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    if not wait_until(lambda: requests.get(f"{url}/healthz", timeout=2).ok):
        logs = run(["docker", "logs", name], check=False)
        docker_rm(name)
        raise AssertionError(f"{image} never answered: {logs.stdout[-500:]}{logs.stderr[-500:]}")
    return name, url


def docker_rm(*names: str) -> None:
    run(["docker", "rm", "--force", *names], check=False)


# --- Visitors ------------------------------------------------------------------------
@dataclass
class Outcome:
    ok: int = 0
    failures: list[tuple[float, str]] = field(default_factory=list)  # (seconds in, what)
    resent: int = 0  # sent again after a kept-alive connection closed unanswered
    seconds: float = 0.0


class Visitors:
    """`count` browsers, each on its own kept-alive session, loading the form
    and posting a greeting with its token, over and over, until the block ends.
    Over HTTPS, certificates are checked against `root`. `also(session, base)`
    is a team's own request, sent after each greeting: AssertionError if it failed.
    A request whose kept-alive connection closed before any answer is sent once
    more, as browsers do; those are counted apart."""

    def __init__(self, base_url, root=None, count=4, also=None, timeout=60):
        self.base, self.root, self.count, self.also, self.timeout = (
            base_url,
            root,
            count,
            also,
            timeout,
        )
        self.outcome = Outcome()
        self._stop, self._lock = threading.Event(), threading.Lock()
        self._threads = [threading.Thread(target=self._visit, daemon=True) for _ in range(count)]

    def __enter__(self) -> "Visitors":
        self.started = time.monotonic()
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=self.timeout + 10)
        self.outcome.seconds = time.monotonic() - self.started

    def _visit(self) -> None:
        session = verified_session(self.root) if self.root else requests.Session()
        while not self._stop.is_set():
            token = self._count(lambda: self._form(session))
            if token and not self._stop.is_set():
                self._count(functools.partial(self._greeting, session, token))
            if self.also and not self._stop.is_set():
                self._count(lambda: self._resend(lambda: self.also(session, self.base)))

    def _form(self, session) -> str | None:
        response = self._resend(lambda: session.get(f"{self.base}/", timeout=self.timeout))
        match = CSRF_TOKEN.search(response.text)
        if response.status_code != 200 or not match:
            raise AssertionError(f"GET / {response.status_code}")
        return match.group(1)

    def _greeting(self, session, token) -> None:
        data = {"username": "Ada", "csrfmiddlewaretoken": token}
        response = self._resend(lambda: post_form(session, self.base, "/greet", data, self.timeout))
        if response.status_code != 200 or "Hello Ada" not in response.text:
            raise AssertionError(f"POST /greet {response.status_code}")

    def _resend(self, send):
        try:
            return send()
        except requests.ConnectionError as error:
            unanswered = ("without response", "UNEXPECTED_EOF_WHILE_READING")
            if not any(text in str(error) for text in unanswered):
                raise
            with self._lock:
                self.outcome.resent += 1
            return send()

    def _count(self, send: Callable[[], Any]) -> Any:
        sent = time.monotonic() - self.started
        try:
            result = send()
        except (requests.RequestException, AssertionError) as error:
            with self._lock:
                self.outcome.failures.append((sent, f"{type(error).__name__}: {str(error)[-200:]}"))
            return None
        with self._lock:
            self.outcome.ok += 1
        return result if result is not None else True


# --- Raw HTTP: exactly the bytes given, where a client library would refuse or repair them
@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]  # lower-case names; repeated headers joined with ", "
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def raw_request(port, data, *, timeout=10, shutdown_write=False, host="127.0.0.1") -> RawResponse:
    """Sends `data` and reads one answer. The server may answer and close before
    reading everything (a body too large): the send error is ignored."""
    with socket.create_connection((host, port), timeout=timeout) as sock:
        try:
            sock.sendall(data)
            if shutdown_write:
                sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
                if complete(received):
                    break
        except ConnectionResetError:
            pass
    return parse_response(received)


def complete(received: bytes) -> bool:
    head, separator, body = received.partition(b"\r\n\r\n")
    if not separator:
        return False
    length = re.search(rb"(?im)^content-length:\s*(\d+)\s*$", head)
    if length:
        return len(body) >= int(length.group(1))
    return bool(re.search(rb"(?im)^transfer-encoding:\s*chunked", head)) and body.endswith(
        b"0\r\n\r\n"
    )


def parse_response(received: bytes) -> RawResponse:
    head, _, body = received.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    match = re.match(r"HTTP/1\.[01] (\d{3})", lines[0])
    if not match:
        raise ConnectionError(f"no HTTP response: {received[:200]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        key = name.strip().lower()
        headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        chunks, rest = b"", body
        while rest and (size := int(rest.partition(b"\r\n")[0].split(b";")[0], 16)):
            rest = rest.partition(b"\r\n")[2]
            chunks, rest = chunks + rest[:size], rest[size + 2 :]
        body = chunks
    return RawResponse(int(match.group(1)), headers, body)


def documented(page: str, pattern: str) -> str:
    """What a page of the docs says, found by `pattern` (its first group, or the
    whole match): the tests run the commands and files users copy."""
    match = re.search(pattern, (ROOT / page).read_text(), re.DOTALL | re.MULTILINE)
    assert match, f"{page} no longer says {pattern!r}"
    return match.group(1) if match.groups() else match.group(0)


# --- Chromium ---------------------------------------------------------------------
# Debian's Chromium, driven by Playwright (its own browser download is not used).
CHROMIUM = os.environ.get("CHROME_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
# No sandbox: CI runs as root. The rest keep Chromium off the network, which
# this machine doesn't reach and tests must not depend on.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


def chromium(playwright, root: Path, home: Path):
    """Chromium as a person who trusts Caddy's local CA: in the NSS store of
    `home` (Chromium on Linux reads $HOME/.pki/nssdb; certutil: libnss3-tools)."""
    if not Path(CHROMIUM).exists():
        require("Chromium", f"no {CHROMIUM} (apt-get install chromium, or CHROME_PATH)")
    if not shutil.which("certutil"):
        require("certutil", "apt-get install libnss3-tools")
    store = home / ".pki" / "nssdb"
    store.mkdir(parents=True, exist_ok=True)
    run(["certutil", "-d", f"sql:{store}", "-N", "--empty-password"])
    run(["certutil", "-d", f"sql:{store}", "-A", "-t", "C,,", "-n", "Caddy", "-i", str(root)])
    env = {**os.environ, "HOME": str(home)}
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, env=env)


class Visit:
    """A browser tab that records what a person would not want to see: console
    errors and warnings (CSP violations among them), script errors, dialogs.
    Chrome logs the page's own error status (a 422 form, a 403) in the console:
    expect_status() allows that entry, and only it."""

    def __init__(self, browser, url):
        self.url, self.expected = url, set()
        self.console: list[str] = []
        self.dialogs: list[str] = []
        self.context = browser.new_context(viewport=VIEWPORTS["desktop"])
        self.page = self.context.new_page()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.console.append(f"page error: {error}"))
        self.page.on("dialog", self._dialog)

    def _console(self, message):
        if message.type in ("error", "warning"):
            self.console.append(message.text)

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def open(self, path="/"):
        """Opens the page, again if Chromium saw the machine's network change
        (ERR_NETWORK_CHANGED or its error page: a Docker network came or went),
        as a person would."""
        for attempt in range(3):
            try:
                self.page.goto(f"{self.url}{path}")
                return
            except Exception as error:
                changed = ("ERR_NETWORK_CHANGED", "chrome-error://")  # a goto, or its error page
                if not any(text in str(error) for text in changed) or attempt == 2:
                    raise
                time.sleep(1)

    def submit(self, name, *, key=None):
        field = self.page.get_by_label("Your name")
        field.fill(name)
        field.press(key) if key else self.page.get_by_role("button", name="Say hello").click()
        self.page.wait_for_load_state()

    def expect_status(self, status):
        self.expected.add(
            f"Failed to load resource: the server responded with a status of {status}"
        )

    def unexpected_console(self):
        return [text for text in self.console if not any(text.startswith(e) for e in self.expected)]

    def screenshot(self, name):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for width, viewport in VIEWPORTS.items():
            self.page.set_viewport_size(viewport)
            self.page.screenshot(path=SCREENSHOTS / f"{name}-{width}.png", full_page=True)
        self.page.set_viewport_size(VIEWPORTS["desktop"])

    def accessibility_violations(self):
        from axe_playwright_python.sync_playwright import Axe  # the browser tests' alone

        return [(v["id"], v["help"]) for v in Axe().run(self.page).response["violations"]]
