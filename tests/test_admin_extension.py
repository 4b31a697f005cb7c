"""docs/admin-and-database.md, followed word for word: in a copy of the tracked
files, its file blocks are applied where their first line says, and its compose
commands run as written. Then the admin works over HTTPS behind Caddy in
Chromium with no CSP violation, a POST without a token gets Django's own CSRF
page, and `check --deploy` is clean with the HTTPS switch on."""

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.browser import Visit, chromium_available, home_trusting, launch
from tests.conftest import (
    HttpsStack,
    Stack,
    caddy_on_loopback,
    csrf_token,
    post_form,
    require,
    run,
)
from tests.test_documented_paths import fresh_clone_with_env, shell_env

GUIDE = Path(__file__).resolve().parent.parent / "docs/admin-and-database.md"
BLOCK = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
WHERE = re.compile(r"# (\S+): (add at the end|the whole file|a new file|.*before `(.+)`)")
PASSWORD = "-".join(("only", "for", "this", "test", "s7a8p9" * 2))  # pieces: no literal to scan


def guide_blocks():
    return BLOCK.findall(GUIDE.read_text())


def apply_file_blocks(folder):
    """Each block whose first line names a file, applied where that line says."""
    applied = []
    for _, body in guide_blocks():
        where = WHERE.fullmatch(body.partition("\n")[0])
        if not where:
            continue
        path, how, anchor = folder / where[1], where[2], where[3]
        text = body.partition("\n")[2]
        if how == "add at the end":
            path.write_text(path.read_text() + "\n" + text)
        elif anchor:
            current = path.read_text()
            at = current.rindex(anchor)  # the last stage's
            path.write_text(current[:at] + text + current[at:])
        else:
            path.write_text(text)
        applied.append(where[1])
    return applied


def compose_commands():
    """The guide's compose steps: its `export` lines and `docker compose` commands."""
    [block] = [body for _, body in guide_blocks() if "export COMPOSE_FILE=" in body]
    exports = dict(
        line.removeprefix("export ").split("=", 1)
        for line in block.splitlines()
        if line.startswith("export ")
    )
    commands = [shlex.split(line) for line in block.splitlines() if line.startswith("docker ")]
    return exports, commands


def test_the_guide_changes_the_files_a_team_would():
    exports, commands = compose_commands()
    assert exports["COMPOSE_FILE"].split(":")[-1] == "docker-compose.admin.yml"
    assert ["docker", "compose", "run", "--rm", "web", "python", "manage.py", "migrate"] in commands
    blocks = [WHERE.fullmatch(body.partition("\n")[0]) for _, body in guide_blocks()]
    files = [where[1] for where in blocks if where]
    assert files == ["project/settings.py", "project/urls.py", "Dockerfile",
                     "docker-compose.admin.yml", "deploy/k8s/migrate-job.yaml"]  # fmt: skip


def test_the_migration_job_is_a_valid_kubernetes_job(tmp_path):
    [job] = [body for _, body in guide_blocks() if "kind: Job" in body]
    (tmp_path / "job.yaml").write_text(job)
    validator = Path(sys.executable).parent / "kubernetes-validate"
    result = run([str(validator), "--strict", str(tmp_path / "job.yaml")], check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "passed for resource" in result.stdout
    spec = yaml.safe_load(job)["spec"]["template"]["spec"]
    assert spec["containers"][0]["command"] == ["python", "manage.py", "migrate", "--noinput"]


@pytest.fixture(scope="module")
def admin_site(docker, tmp_path_factory):
    """The copy with the guide applied, run as the guide says, over HTTPS."""
    folder = tmp_path_factory.mktemp("with-admin")
    fresh_clone_with_env(
        folder, DJANGO_SECRET_KEY="admin-key-" + "m3n4b5" * 9, GREETER_DOMAIN="localhost"
    )
    applied = apply_file_blocks(folder)
    assert len(applied) == 5
    # The test's only addition: an image name of its own, so that the suite's
    # greeter:latest stays the image without the admin.
    (folder / "docker-compose.test-image.yml").write_text(
        "services:\n  web:\n    image: greeter-admin-test:latest\n"
    )
    exports, commands = compose_commands()
    http_port, https_port, published = caddy_on_loopback()
    env = shell_env(
        COMPOSE_FILE=exports["COMPOSE_FILE"] + ":docker-compose.test-image.yml",
        COMPOSE_PROJECT_NAME=f"greeter-admin-{os.getpid()}",
        DJANGO_SUPERUSER_PASSWORD=PASSWORD,
        **published,
    )
    files = [folder / name for name in env["COMPOSE_FILE"].split(":")[1:]]
    inner = Stack(env["COMPOSE_PROJECT_NAME"], 0, env, 0.0, tuple(files), folder)
    https = HttpsStack(inner, http_port, https_port, folder / "root.crt")
    try:
        for command in commands:
            result = subprocess.run(
                command, cwd=folder, env=env, capture_output=True, text=True, timeout=600
            )
            assert result.returncode == 0, (command, result.stdout, result.stderr)
        https.fetch_root()
        yield https
    finally:
        inner.compose("down", "--volumes", "--timeout", "5", check=False)


@pytest.mark.container
def test_the_deploy_check_is_clean_with_the_admin_and_sessions(admin_site):
    result = admin_site.stack.deploy_check()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.container
def test_a_post_to_the_admin_without_a_token_gets_djangos_csrf_page(admin_site):
    session = admin_site.session()
    session.get(f"{admin_site.url}/admin/login/", timeout=10)
    refused = post_form(
        session, admin_site.url, "/admin/login/", {"username": "admin", "password": PASSWORD}
    )
    assert refused.status_code == 403
    assert "CSRF verification failed" in refused.text
    assert "Your name" not in refused.text  # not Greeter's form, holding the user name
    assert 'value="admin"' not in refused.text


@pytest.mark.container
def test_an_admin_logs_in_adds_a_user_and_sees_the_list(admin_site, tmp_path):
    if not chromium_available():
        require("Chromium", "no /usr/bin/chromium (apt-get install chromium)")
    if not shutil.which("certutil"):
        require("certutil", "apt-get install libnss3-tools")
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright, home=home_trusting(admin_site.root, tmp_path))
        visit = Visit(browser, admin_site.url)
        page = visit.page
        visit.open("/admin/")
        page.get_by_label("Username").fill("admin")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
        visit.open("/admin/auth/user/add/")
        page.get_by_label("Username").fill("grace")
        page.get_by_label(re.compile(r"^Password:?$")).fill(PASSWORD)  # the admin's "Password:"
        page.get_by_label("Password confirmation").fill(PASSWORD)
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.get_by_text("was added successfully")).to_be_visible()
        visit.open("/admin/auth/user/")
        expect(page.get_by_role("link", name="grace", exact=True)).to_be_visible()
        expect(page.get_by_role("link", name="admin", exact=True)).to_be_visible()
        assert page.url.startswith(f"{admin_site.url}/admin/auth/user/")
        console, dialogs = visit.unexpected_console(), visit.dialogs
        visit.context.close()
        browser.close()
    assert console == [], "console errors or CSP violations"
    assert dialogs == []


@pytest.mark.container
def test_a_bulk_action_runs_on_a_full_changelist_page(admin_site):
    """100 rows (the admin's list_per_page) selected and deleted: over 100 fields
    in one request, which a limit of 100 fields refused with a 400."""
    users = "from django.contrib.auth.models import User; "
    users += "User.objects.bulk_create(User(username=f'bulk{n}') for n in range(100))"
    admin_site.compose("exec", "-T", "web", "python", "manage.py", "shell", "-c", users)
    session, url = admin_site.session(), admin_site.url
    login = session.get(f"{url}/admin/login/", timeout=10)
    credentials = {"username": "admin", "password": PASSWORD, "next": "/admin/"}
    credentials["csrfmiddlewaretoken"] = csrf_token(login.text)
    assert "Site administration" in post_form(session, url, "/admin/login/", credentials).text
    listed = session.get(f"{url}/admin/auth/user/?q=bulk", timeout=10)
    rows = re.findall(r'name="_selected_action" value="(\d+)"', listed.text)
    assert len(rows) == 100
    action = {"action": "delete_selected", "index": "0", "_selected_action": rows}
    action["csrfmiddlewaretoken"] = csrf_token(listed.text)
    confirm = post_form(session, url, "/admin/auth/user/?q=bulk", action)
    assert confirm.status_code == 200
    assert "Are you sure" in confirm.text
    action.update(post="yes", csrfmiddlewaretoken=csrf_token(confirm.text))
    done = post_form(session, url, "/admin/auth/user/?q=bulk", action)
    assert done.status_code == 200
    assert "Successfully deleted 100 users" in done.text
