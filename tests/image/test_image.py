"""The built image as `docker compose up` runs it on 127.0.0.1: what a visitor
gets over HTTP, and the container's hardening, from outside."""

import io
import json
import re
import subprocess
import tarfile
import time

import pytest
import requests

from tests.support import (
    ROOT,
    TEST_KEY,
    Visitors,
    csrf_token,
    docker_rm,
    docker_run,
    documented,
    greet,
    inspect,
    run,
)

GREETING = "Hello {}, Welcome to this app for Docker Demonstration."


def test_the_form_is_served_by_gunicorn_with_a_csrf_cookie(stack):
    response = requests.get(f"{stack.url}/", timeout=10)
    assert response.status_code == 200
    assert response.headers["Server"] == "gunicorn"  # not a development server
    assert '<form action="/greet" method="post"' in response.text
    assert "csrftoken" in response.cookies
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert json.loads(stack.compose("ps", "--format", "json", "web").stdout)["Health"] == "healthy"


def test_a_visitor_is_greeted_and_a_hostile_name_stays_text(stack):
    assert GREETING.format("Ada") in greet(stack.url, "Ada").text
    hostile = greet(stack.url, "<img src=x onerror=alert(1)>")
    assert GREETING.format("&lt;img src=x onerror=alert(1)&gt;") in hostile.text
    too_long = greet(stack.url, "x" * 101)
    assert (too_long.status_code, f'value="{"x" * 101}"' in too_long.text) == (422, True)


def test_a_post_without_the_csrf_cookie_is_refused_keeping_the_name(stack):
    response = requests.post(f"{stack.url}/greet", data={"username": "Ada"}, timeout=10)
    assert (response.status_code, 'value="Ada"' in response.text) == (403, True)


@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_the_hashed_stylesheet_is_compressed_and_cached_forever(stack, encoding):
    html = requests.get(f"{stack.url}/", timeout=10).text
    href = re.search(
        r'<link rel="stylesheet" href="(/static/greeter/greeter\.[0-9a-f]{12}\.css)"', html
    )
    assert href, html[:500]
    response = requests.get(
        f"{stack.url}{href[1]}", headers={"Accept-Encoding": encoding}, timeout=10
    )
    assert response.headers["Content-Encoding"] == encoding
    assert response.headers["Cache-Control"] == "max-age=315360000, public, immutable"


def test_debug_is_off_and_the_probes_answer(stack):
    missing = requests.get(f"{stack.url}/no-such-page", timeout=10)
    assert (missing.status_code, "URLconf" in missing.text) == (404, False)  # no debug page
    assert requests.get(f"{stack.url}/healthz", timeout=10).json()["status"] == "ok"
    assert requests.get(f"{stack.url}/readyz", timeout=10).json() == {"status": "ready"}


def test_gunicorn_runs_as_pid_1_as_a_user_that_owns_nothing_on_a_read_only_root(stack):
    assert stack.compose("exec", "-T", "web", "id", "-u").stdout.strip() == "10001"
    cmdline = stack.compose("exec", "-T", "web", "cat", "/proc/1/cmdline").stdout
    assert "gunicorn" in cmdline.split("\0")[1]
    denied = stack.compose("exec", "-T", "web", "touch", "/app/x", "/app/media/x", check=False)
    assert denied.stderr.count("Read-only file system") == 2
    stack.compose("exec", "-T", "web", "touch", "/tmp/x")


def test_the_compose_service_is_hardened_and_its_log_bounded(stack):
    [info] = json.loads(run(["docker", "inspect", stack.container()]).stdout)
    host = info["HostConfig"]
    assert (host["ReadonlyRootfs"], host["CapDrop"]) == (True, ["ALL"])
    assert "no-new-privileges:true" in host["SecurityOpt"]
    assert host["Memory"] > 0
    assert host["PidsLimit"] > 0
    assert host["RestartPolicy"]["Name"] == "unless-stopped"
    assert host["LogConfig"] == {"Type": "local", "Config": {"max-file": "5", "max-size": "10m"}}


def test_the_deploy_check_passes_in_the_image_behind_https(stack):
    result = stack.compose(
        "run",
        "--rm",
        "--no-deps",
        "-T",
        "-e",
        "DJANGO_BEHIND_HTTPS_PROXY=true",
        "-e",
        f"DJANGO_SECRET_KEY={TEST_KEY}",
        "web",
        "python",
        "manage.py",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_the_image_holds_no_compiler_pip_brotli_or_tests(stack):
    names = [
        "-name",
        "pip",
        "-o",
        "-name",
        "pip[0-9]*",
        "-o",
        "-name",
        "pip-*.dist-info",
        "-o",
        "-iname",
        "brotli*",
        "-o",
        "-path",
        "*/bin/gcc",
        "-o",
        "-path",
        "*/bin/cc",
        "-o",
        "-path",
        "/app/tests",
        "-o",
        "-path",
        "/app/greeter/tests",
        "-o",
        "-name",
        ".git",
    ]
    found = stack.compose(
        "run", "--rm", "--no-deps", "-T", "-u", "0", "web", "find", "/", "-xdev", "(", *names, ")"
    )  # as root: nothing hidden
    assert found.stdout == ""


SECRETS = re.compile(
    rb"-----BEGIN [A-Z ]*PRIVATE KEY-----|\bAKIA[0-9A-Z]{16}\b|\bgh[pousr]_[A-Za-z0-9]{36}\b"
    rb"|django-insecure-|(?i:SECRET_KEY|PASSWORD|TOKEN)\s*[=:]\s*[\"'][^\"'\s]{16,}[\"']"
)


def test_no_secret_in_the_image_its_history_or_its_app_files(image):
    [config] = json.loads(run(["docker", "image", "inspect", image]).stdout)
    assert not any(item.startswith("DJANGO_SECRET_KEY") for item in config["Config"]["Env"])
    history = run(["docker", "history", "--no-trunc", "--format", "{{.CreatedBy}}", image]).stdout
    assert not SECRETS.search(history.encode())
    found, scanned = [], 0
    saved = subprocess.run(["docker", "save", image], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(saved)) as archive:
        for member in archive.getmembers():
            if not member.isfile() or member.size > 50_000_000 or member.name.endswith(".json"):
                continue
            blob = archive.extractfile(member)
            try:  # the layers, among configs and manifests
                layer = tarfile.open(fileobj=blob)  # noqa: SIM115  closed just below
            except tarfile.ReadError:
                continue
            with layer:
                for file in layer.getmembers():
                    if (
                        file.isfile()
                        and file.name.startswith(("app/", "opt/venv/"))
                        and file.size < 1_000_000
                    ):
                        scanned += 1
                        if file.name.startswith("app/") and SECRETS.search(
                            layer.extractfile(file).read()
                        ):
                            found.append(file.name)
    assert scanned > 1000
    assert found == []


def test_docker_stop_reaches_gunicorn_which_ends_cleanly_and_logs_the_last_request(image):
    name, url = docker_run(image)
    try:
        assert requests.get(f"{url}/?the-last-one", timeout=10).ok
        run(["docker", "stop", name])
        assert (
            inspect(name, "{{.State.ExitCode}}") == "0"
        )  # SIGTERM handled: not Docker's SIGKILL (137)
        assert "GET /?the-last-one HTTP/1.1" in run(["docker", "logs", name]).stdout
    finally:
        docker_rm(name)


def test_the_version_is_the_images_whatever_the_environment_says(image):
    name, url = docker_run(image, env={"GREETER_VERSION": "9.9.9"})  # a stale line in .env
    try:
        assert requests.get(f"{url}/healthz", timeout=10).json()["version"] == "dev"
    finally:
        docker_rm(name)


def test_a_form_from_one_replica_posts_to_another_with_another_key(image):
    """Two replicas behind a load balancer: the CSRF check needs no shared state."""
    first, first_url = docker_run(image, env={"DJANGO_SECRET_KEY": "first-" + "a" * 50})
    second, second_url = docker_run(image, env={"DJANGO_SECRET_KEY": "second-" + "b" * 50})
    try:
        session = requests.Session()
        token = csrf_token(session.get(f"{first_url}/", timeout=10).text)
        posted = session.post(
            f"{second_url}/greet",
            data={"username": "Ada", "csrfmiddlewaretoken": token},
            timeout=10,
        )
        assert GREETING.format("Ada") in posted.text
    finally:
        docker_rm(first, second)


def test_gunicorn_answers_on_both_families_and_starts_without_ipv6(image):
    """An IPv6-only cluster's pod answers on ::1; a container with IPv6 off
    still starts, on IPv4."""
    probe = "import socket\nfor h in ('::1', '127.0.0.1'): socket.create_connection((h, 5000))"
    with_ipv6, _ = docker_run(image, "--sysctl=net.ipv6.conf.all.disable_ipv6=0")
    without, url = docker_run(image, "--sysctl=net.ipv6.conf.all.disable_ipv6=1")
    try:
        run(["docker", "exec", with_ipv6, "python", "-c", probe])
        assert requests.get(f"{url}/", timeout=10).ok
    finally:
        docker_rm(with_ipv6, without)


def test_the_documented_asgi_command_serves_the_form_and_a_greeting(image):
    """docs/configuration.md: gunicorn's own asgi worker serving project/asgi.py."""
    command = tuple(
        documented(
            "docs/configuration.md", r"docker run [^\n]* greeter:latest (gunicorn -k asgi \S+)"
        ).split()
    )
    name, url = docker_run(image, command=command)
    try:
        assert GREETING.format("Ada") in greet(url, "Ada").text
        assert "ASGI server listening" in run(["docker", "logs", name]).stderr
    finally:
        docker_rm(name)


def test_the_workers_a_64_core_host_asks_for_fit_the_memory_limit_under_load(image):
    """WEB_CONCURRENCY=64 in compose's 256 MB: past what fits, workers would be
    killed and forked again, and nothing would answer."""
    name, url = docker_run(image, "--memory=256m", env={"WEB_CONCURRENCY": "64"})
    try:
        with Visitors(url, count=8) as visitors:
            time.sleep(5)
        assert visitors.outcome.ok > 50
        assert visitors.outcome.failures == []
        processes = run(["docker", "top", name]).stdout.count("bin/gunicorn")
        assert processes == 1 + 5  # the main process and the 5 workers that fit
        assert (
            "64 workers would outgrow the memory limit: starting 5"
            in run(["docker", "logs", name]).stderr
        )
        assert inspect(name, "{{.State.OOMKilled}} {{.RestartCount}}") == "false 0"
    finally:
        docker_rm(name)


def test_the_image_speaks_the_visitors_language(stack):
    """Its trimmed venv keeps the catalogues Greeter offers (Dockerfile)."""
    page = requests.get(f"{stack.url}/", headers={"Accept-Language": "ar"}, timeout=10).text
    assert '<html lang="ar" dir="rtl">' in page
    assert "<h1>مرحبًا! ما اسمك؟</h1>" in page


def variables_the_image_reads():
    """Every variable the settings, gunicorn.conf.py and the health check read."""
    code = "".join(
        (ROOT / name).read_text()
        for name in (
            "project/settings.py",
            "project/environment.py",
            "gunicorn.conf.py",
            "project/logs.py",
        )
    )
    return {*re.findall(r'env\.\w+\(\s*"([A-Z_]+)"', code), "WEB_CONCURRENCY", "PORT"}


def test_every_variable_the_image_reads_may_be_empty(image):
    """A `VAR=` line in .env (compose passes it on, empty) means the default."""
    empty = dict.fromkeys(variables_the_image_reads(), "")
    assert {
        "DJANGO_EMAIL_URL",
        "DJANGO_LOG_FORMAT",
        "FORWARDED_ALLOW_IPS",
        "WEB_CONCURRENCY",
    } <= empty.keys()
    name, url = docker_run(image, env=empty)
    try:
        assert GREETING.format("Ada") in greet(url, "Ada").text
        assert "Traceback" not in run(["docker", "logs", name]).stderr
    finally:
        docker_rm(name)


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("WEB_CONCURRENCY=four", "WEB_CONCURRENCY='four' is not a number"),
        ("DJANGO_BEHIND_HTTPS_PROXY=ture", "DJANGO_BEHIND_HTTPS_PROXY='ture' is neither true"),
        ("DJANGO_EMAIL_URL=smpt://mail", "DJANGO_EMAIL_URL can't be read as a URL"),
        # gunicorn's own variable, which gunicorn checks as it starts, before Greeter can.
        ("FORWARDED_ALLOW_IPS=172.19.0.1/16", "Error: 172.19.0.1/16 has host bits set"),
    ],
)
def test_a_bad_setting_stops_the_start_with_one_line_naming_it(image, setting, message):
    result = run(["docker", "run", "--rm", "-e", setting, image], check=False, timeout=60)
    assert result.returncode != 0
    assert message in result.stderr.strip().splitlines()[-1]
    assert "Traceback" not in result.stderr
