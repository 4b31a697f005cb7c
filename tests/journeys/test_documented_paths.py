"""The documented set-up, word for word, in a copy of the project as a fresh
clone has it: `cp .env.example .env`, then the commands README and docs/ give,
for the local stack, the production stack, the dev loop, runserver, a Windows
checkout, and the lock files' upgrade."""

import os
import re
import shlex
import signal
import subprocess
import sys

import pytest
import requests

from tests.support import (
    ROOT,
    Stack,
    copy_project,
    documented,
    free_port,
    greet,
    inspect,
    run,
    wait_until,
)

HEADING = "Hello! What is your name?"


@pytest.fixture
def fresh_clone(tmp_path, monkeypatch):
    """The tracked files, then `cp .env.example .env`; a shell with none of Greeter's variables."""
    folder = copy_project(tmp_path / "greeter")
    subprocess.run(["cp", ".env.example", ".env"], cwd=folder, check=True)
    for name in list(os.environ):
        if name.startswith(("DJANGO_", "GREETER_")):
            monkeypatch.delenv(name)
    return folder


def fill_in(folder, **values):
    """What a user types into .env: each value on its own line, after the example's."""
    with open(folder / ".env", "a") as env:
        env.writelines(f"{name}={value}\n" for name, value in values.items())


def test_cp_env_example_then_compose_up_serves_the_form(image, fresh_clone):
    stack = Stack("greeter-dotenv", folder=fresh_clone)
    try:
        stack.up("--build")
        assert "Hello Ada, Welcome" in greet(stack.url, "Ada").text
    finally:
        stack.down()


def test_the_production_stack_from_env_example_with_two_names_and_the_key_as_a_file(
    image, fresh_clone
):
    """docs/deployment.md's steps: the key in secrets/, readable by UID 10001,
    named by DJANGO_SECRET_KEY_FILE; GREETER_DOMAIN with an apex and a www name."""
    key = fresh_clone / "secrets/django_secret_key"
    steps = documented("docs/deployment.md", r"```bash\n(mkdir -p secrets\n.*?)\n```")
    written = ""
    for step in steps.splitlines():
        if step.startswith("docker compose"):
            break  # the test starts the stack itself, on its own ports
        subprocess.run(
            ["bash", "-c", step.replace("sudo ", "sudo -n " if os.geteuid() else "")],
            cwd=fresh_clone,
            check=True,
        )
        if not written and key.exists():  # before it is the container user's alone
            written = key.read_text().strip()
        if step.startswith("cp .env.example"):
            fill_in(fresh_clone, GREETER_DOMAIN="localhost, www.localhost")  # what the user types
    stack = Stack(
        "greeter-dotenv-https", ("docker-compose.yml", "docker-compose.production.yml"), fresh_clone
    )
    del stack.variables["DJANGO_SECRET_KEY"]
    try:
        stack.up("--build")
        for host in ("localhost", "www.localhost"):  # each with its own certificate
            answer = run(
                [
                    "curl",
                    "-s",
                    "--cacert",
                    str(stack.root),
                    "--resolve",
                    f"{host}:{stack.https_port}:127.0.0.1",
                    f"https://{host}:{stack.https_port}/",
                ]
            )
            assert HEADING in answer.stdout, host
        assert "Hello Ada" in greet(stack.https_url, "Ada", stack.session()).text
        environment = inspect(stack.container(), "{{json .Config.Env}}")
        assert written not in environment  # the key is in no environment
        assert "DJANGO_SECRET_KEY is not set" not in stack.logs()
    finally:
        stack.down()


def test_the_dev_loop_from_env_example_watches_templates_and_python(image, fresh_clone):
    """README's `docker compose … watch`: debug on (the dev stage has no static
    manifest), edits synced, the server restarted on a Python change."""
    command = shlex.split(documented("README.md", r"^(docker compose -f [^\n]* watch)$"))
    port = free_port()
    env = {**os.environ, "GREETER_PORT": str(port), "COMPOSE_PROJECT_NAME": f"greeter-watch-{port}"}
    watch = subprocess.Popen(
        command,
        cwd=fresh_clone,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        assert wait_until(lambda: requests.get(f"{url}/healthz", timeout=2).ok, timeout=180)
        page = requests.get(f"{url}/", timeout=10).text
        stylesheet = re.search(r'<link rel="stylesheet" href="([^"]+)"', page)[1]
        assert (
            requests.get(f"{url}{stylesheet}", timeout=10)
            .headers["Content-Type"]
            .startswith("text/css")
        )
        template = fresh_clone / "greeter/templates/greeter/index.html"
        template.write_text(template.read_text().replace(HEADING, "Edited while watching"))
        assert wait_until(lambda: "Edited while watching" in requests.get(url, timeout=2).text, 30)
        settings = fresh_clone / "project/settings.py"
        settings.write_text(settings.read_text() + '\nGREETER_VERSION = "edited-python"\n')
        assert wait_until(
            lambda: requests.get(f"{url}/healthz", timeout=2).json()["version"] == "edited-python",
            60,
        )
    finally:
        os.killpg(watch.pid, signal.SIGTERM)
        watch.wait(timeout=30)
        run([*command[:-1], "down", "--timeout", "1"], cwd=fresh_clone, env=env, check=False)


def test_runserver_in_a_fresh_clone_needs_no_configuration(fresh_clone):
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=fresh_clone,
        env={},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        assert wait_until(lambda: requests.get(url, timeout=2).ok, timeout=30)
        page = requests.get(f"{url}/", timeout=10).text
        stylesheet = re.search(r'<link rel="stylesheet" href="([^"]+)"', page)[1]
        assert requests.get(f"{url}{stylesheet}", timeout=10).ok
        arabic = requests.get(f"{url}/", headers={"Accept-Language": "ar"}, timeout=10).text
        assert '<html lang="ar" dir="rtl">' in arabic  # the .mo files come with the clone
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_a_python_below_3_11_is_stopped_with_one_line_naming_it(tmp_path):
    """Ubuntu 22.04's 3.10, faked: scripts/venv (and so scripts/test) stops before pip."""
    fake = tmp_path / "python3.10"
    fake.write_text(
        f'#!/bin/sh\nexec {sys.executable} -c "import sys; '
        "sys.version_info = (3, 10, 12, 'final', 0); "
        'exec(sys.argv[1])" "$2"\n'
    )
    fake.chmod(0o755)
    for script in ("scripts/venv", "scripts/test"):
        result = subprocess.run(
            [script],
            cwd=ROOT,
            env={**os.environ, "PYTHON": str(fake)},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert (result.returncode, result.stderr) == (
            2,
            f"scripts/venv: Greeter needs Python 3.11 or newer; '{fake}' is 3.10 "
            "(set PYTHON=...)\n",
        )


def test_a_windows_checkout_runs_the_compose_stack(image, tmp_path):
    """Git for Windows checks files out with CRLF (core.autocrlf=true, its
    installer's default); .gitattributes keeps what the image runs LF."""
    source, checkout = copy_project(tmp_path / "source"), tmp_path / "checkout"
    git = ["git", "-c", "user.name=test", "-c", "user.email=test@example.com"]
    for step in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "the working tree"]):
        run([*git, *step], cwd=source)
    run(["git", "-c", "core.autocrlf=true", "clone", "-q", str(source), str(checkout)])
    assert b"\r\n" not in (checkout / "docker-entrypoint.sh").read_bytes()
    stack = Stack("greeter-crlf", folder=checkout)
    try:
        stack.up("--build")
        assert "Hello Ada, Welcome" in greet(stack.url, "Ada").text
    finally:
        stack.down()


def test_the_documented_lock_upgrade_takes_a_release_out_since(tmp_path):
    """A lock pinned a Django release back; docs/configuration.md's upgrade
    command moves it on (the plain command keeps the pins it finds)."""
    for name in ("requirements.in", "requirements.txt"):
        (tmp_path / name).write_text((ROOT / name).read_text())
    locked = re.search(
        r"^django==5\.2\.(\d+)", (ROOT / "requirements.txt").read_text(), re.MULTILINE
    )
    (tmp_path / "old.txt").write_text(f"django==5.2.{int(locked[1]) - 1}\n")
    uv = str(ROOT / ".venv/bin/uv")
    base = [
        "pip",
        "compile",
        "requirements.in",
        "--universal",
        "--python-version",
        "3.11",
        "--generate-hashes",
    ]
    run([uv, *base, "-c", "old.txt", "-o", "requirements.txt"], cwd=tmp_path)  # one release back
    upgrade = shlex.split(
        documented(
            "docs/configuration.md",
            r"^\.venv/bin/(uv pip compile requirements\.in [^\n]*--upgrade[^\n]*)$",
        )
    )
    run([uv, *upgrade[1:]], cwd=tmp_path)
    upgraded = re.search(
        r"^django==5\.2\.(\d+)", (tmp_path / "requirements.txt").read_text(), re.MULTILINE
    )
    assert int(upgraded[1]) >= int(locked[1])  # the newest 5.2, at least what main locks
