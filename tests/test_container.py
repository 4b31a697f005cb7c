"""Black-box tests of the built image, started with docker compose on 127.0.0.1."""

import json
import re
import time

import pytest
import requests

from tests.conftest import greet, run, stylesheet_url

pytestmark = pytest.mark.container

GREETING = "Hello {}, Welcome to this app for Docker Demonstration."


def test_service_is_healthy_within_seconds(stack):
    # The healthcheck polls every second while starting (start_interval): with
    # the 30 s interval alone, "healthy" would take at least 30 s.
    assert stack.seconds_to_healthy < 10
    status = stack.compose("ps", "--format", "json", "web").stdout
    assert json.loads(status.splitlines()[0])["Health"] == "healthy"


def test_form_page_is_served_with_a_csrf_cookie(stack):
    response = requests.get(f"{stack.url}/", timeout=10)
    assert response.status_code == 200
    assert response.headers["Server"] == "gunicorn"  # not a development server
    assert '<form action="/greet" method="post"' in response.text
    assert 'name="csrfmiddlewaretoken"' in response.text
    assert "csrftoken" in response.cookies


def test_csrf_round_trip_greets_the_visitor(stack):
    response = greet(stack.url, "Ada")
    assert response.status_code == 200
    assert GREETING.format("Ada") in response.text


def test_post_without_the_csrf_cookie_and_token_is_refused(stack):
    # The seed's own client: a bare form post. Greeter refuses it, keeping the name.
    response = requests.post(f"{stack.url}/greet", data={"username": "Ada"}, timeout=10)
    assert response.status_code == 403
    assert 'value="Ada"' in response.text


def test_hostile_name_is_escaped_over_http(stack):
    response = greet(stack.url, "<img src=x onerror=alert(1)>")
    assert response.status_code == 200
    assert "<img src=x" not in response.text
    assert GREETING.format("&lt;img src=x onerror=alert(1)&gt;") in response.text


def test_invalid_name_is_answered_with_422_and_kept(stack):
    response = greet(stack.url, "x" * 101)
    assert response.status_code == 422
    assert f'value="{"x" * 101}"' in response.text


def test_security_headers_are_sent(stack):
    headers = requests.get(f"{stack.url}/", timeout=10).headers
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_hashed_stylesheet_is_compressed_and_cached_forever(stack, encoding):
    response = requests.get(
        stylesheet_url(stack.url), headers={"Accept-Encoding": encoding}, timeout=10
    )
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == encoding
    assert response.headers["Cache-Control"] == "max-age=315360000, public, immutable"
    assert "--accent" in response.text  # requests decodes both encodings


def test_health_endpoint_reports_ok(stack):
    response = requests.get(f"{stack.url}/healthz", timeout=10)
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_debug_is_off_in_the_container(stack):
    response = requests.get(f"{stack.url}/no-such-page", timeout=10)
    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in response.text
    assert "URLconf" not in response.text  # Django's debug 404 page lists the URLconf


def test_server_runs_as_a_non_root_user_as_pid_1(stack):
    assert stack.compose("exec", "-T", "web", "id", "-u").stdout.strip() == "10001"
    cmdline = stack.compose("exec", "-T", "web", "cat", "/proc/1/cmdline").stdout
    assert "gunicorn" in cmdline.split("\0")[1]
    status = stack.compose("exec", "-T", "web", "cat", "/proc/1/status").stdout
    assert re.search(r"^Uid:\s+10001\s", status, re.MULTILINE)


def test_root_filesystem_is_read_only_but_tmp_is_writable(stack):
    denied = stack.compose("exec", "-T", "web", "touch", "/app/x", check=False)
    assert denied.returncode != 0
    assert "Read-only file system" in denied.stderr
    stack.compose("exec", "-T", "web", "touch", "/tmp/x")


def test_compose_service_is_hardened(stack):
    [info] = json.loads(run(["docker", "inspect", stack.container_id()]).stdout)
    host = info["HostConfig"]
    assert host["ReadonlyRootfs"] is True
    assert host["CapDrop"] == ["ALL"]
    assert "no-new-privileges:true" in host["SecurityOpt"]
    assert host["Memory"] > 0
    assert host["PidsLimit"] > 0
    assert host["RestartPolicy"]["Name"] == "unless-stopped"
    assert info["Config"]["User"] == "10001:10001"


def test_deploy_check_passes_inside_the_image_behind_https(stack):
    result = stack.compose(
        "run", "--rm", "--no-deps", "-T", "-e", "DJANGO_BEHIND_HTTPS_PROXY=true",
        "-e", "DJANGO_SECRET_KEY=" + "test-key-" + "x1y2z3" * 9,
        "web", "python", "manage.py", "check", "--deploy", "--fail-level", "WARNING",
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_image_has_no_compiler_pip_cache_or_tests(stack):
    probe = (
        "import shutil, pathlib; print(shutil.which('gcc'), shutil.which('cc'), "
        + ", ".join(
            f"pathlib.Path({p!r}).exists()"
            for p in ("/root/.cache/pip", "/app/tests", "/app/greeter/tests", "/app/.git")
        )
        + ")"
    )
    # As root, so that nothing stays hidden behind permissions.
    out = stack.compose("run", "--rm", "--no-deps", "-T", "-u", "0", "web", "python", "-c", probe)
    out = out.stdout.split()
    assert out == ["None", "None", "False", "False", "False", "False"]


def test_image_has_neither_pip_nor_brotli_which_only_the_build_uses(stack):
    """The base image's pip is removed, and brotli is installed only in the stage
    that compresses the static files: the .br files are served (above), the
    package is not in the image."""
    names = ["-name", "pip", "-o", "-name", "pip[0-9]*", "-o", "-name", "pip-*.dist-info",
             "-o", "-iname", "brotli*", "-o", "-name", "_brotli*"]  # fmt: skip
    found = stack.compose(
        "run", "--rm", "--no-deps", "-T", "-u", "0", "web", "find", "/", "-xdev", "(", *names, ")"
    )  # as root, so that nothing stays hidden behind permissions
    assert found.stdout == ""
    no_pip = stack.compose("run", "--rm", "--no-deps", "-T", "web", "python", "-m", "pip",
                           check=False)  # fmt: skip
    assert "No module named pip" in no_pip.stderr


def test_compose_stop_takes_under_two_seconds(stack):
    started = time.monotonic()
    stack.compose("stop")
    took = time.monotonic() - started
    stack.up()  # leave the stack as the other tests expect it
    assert took < 2, f"docker compose stop took {took:.1f} s"
