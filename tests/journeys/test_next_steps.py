"""docs/next-steps.md, followed word for word by a team: in a copy of the
project, each block applied where its first line says, the locks updated with
the documented command, and its commands run as written on the production
stack, with the test's own SMTP server (aiosmtpd) for mail. The team's app
beside greeter/ (notes: a model, its admin, a few views) is the test's. Then
what a team does in its first months, each step on that running stack."""

import json
import os
import re
import shlex
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from tests.support import (
    ROOT,
    Stack,
    Visitors,
    copy_project,
    csrf_token,
    documented,
    inspect,
    post_form,
    run,
    wait_until,
)

GUIDE = "docs/next-steps.md"
BLOCK = re.compile(r"^```\w*\n(.*?)^```$", re.MULTILINE | re.DOTALL)
WHERE = re.compile(r"# (\S+): (add at the end|a new file|before `(.+)`)")
PASSWORD = "-".join(("only", "for", "this", "test", "n3x7s7"))  # pieces: no literal to scan
NEW_PASSWORD = PASSWORD[::-1]

TEAM_APP = {
    "notes/__init__.py": "",
    "notes/models.py": """from django.db import models


class Note(models.Model):
    text = models.CharField(max_length=200)
    attachment = models.FileField(upload_to="notes/", blank=True)
""",
    "notes/admin.py": """from django.contrib import admin

from notes.models import Note

admin.site.register(Note)
""",
    "notes/views.py": """import os
import time

from django.core.cache import cache
from django.http import HttpResponse, JsonResponse
from django.views.decorators.http import require_POST

from notes.models import Note


@require_POST
def add(request):
    Note.objects.create(text=request.POST["text"])
    return JsonResponse({"notes": Note.objects.count()})


def visits(request):
    cache.add("visits", 0)
    return JsonResponse({"visits": cache.incr("visits"), "worker": os.getpid()})


def slow(request):
    time.sleep(float(request.GET["seconds"]))  # an external call, a report
    return HttpResponse("done")


def fails(request):
    raise RuntimeError("a bug in the team's view")
""",
    "notes/urls.py": """from django.urls import path

from notes import views

urlpatterns = [
    path("add", views.add),
    path("visits", views.visits),
    path("slow", views.slow),
    path("fails", views.fails),
]
""",
}
TEAM_SETTINGS = '\nINSTALLED_APPS += ["notes"]\n'
TEAM_URLS = '\nurlpatterns = [path("notes/", include("notes.urls")), *urlpatterns]\n'
TEST_FILE = """services:
  mail:
    build:
      context: ./mail
      args:
        PYTHON_IMAGE: ${PYTHON_IMAGE:-python:3.13-slim}
    environment:
      PYTHONUNBUFFERED: "1"
    command: ["python", "-m", "aiosmtpd", "-n", "-l", "0.0.0.0:1025",
              "-c", "aiosmtpd.handlers.Debugging"]
    networks: [edge]
"""
MAIL_DOCKERFILE = (
    "ARG PYTHON_IMAGE\nFROM ${PYTHON_IMAGE}\nRUN pip install --no-cache-dir aiosmtpd==1.4.6\n"
)


def apply_the_guide(folder: Path) -> list[str]:
    """Each block whose first line names a file, applied where that line says."""
    applied = []
    for body in BLOCK.findall((ROOT / GUIDE).read_text()):
        where = WHERE.fullmatch(body.partition("\n")[0])
        if not where:
            continue
        path, text = folder / where[1], body.partition("\n")[2]
        if where[3]:  # before the line holding that text
            current = path.read_text()
            at = current.rindex("\n", 0, current.index(where[3])) + 1
            path.write_text(current[:at] + text + current[at:])
        elif where[2] == "add at the end":
            path.write_text(path.read_text() + "\n" + text)
        else:
            path.write_text(text)
        applied.append(where[1])
    return applied


def local(folder, *command):
    """A command in the copy with the project's venv, as a developer runs it."""
    return subprocess.run(
        command,
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
        env={**os.environ, "PATH": f"{ROOT / '.venv/bin'}:{os.environ['PATH']}"},
    )


@pytest.fixture(scope="module")
def team(image, tmp_path_factory):
    folder = copy_project(tmp_path_factory.mktemp("team"))
    (folder / ".env").touch()  # as deployment.md leaves it; the test's values come below
    assert apply_the_guide(folder) == [
        "project/settings.py",
        "project/urls.py",
        "requirements.in",
        "docker-compose.data.yml",
        "deploy/caddy/Caddyfile",
        ".env",
    ]
    for name, text in TEAM_APP.items():
        (folder / name).parent.mkdir(exist_ok=True)
        (folder / name).write_text(text)
    (folder / "project/settings.py").write_text(
        (folder / "project/settings.py").read_text() + TEAM_SETTINGS
    )
    (folder / "project/urls.py").write_text((folder / "project/urls.py").read_text() + TEAM_URLS)
    local(folder, "python", "manage.py", "makemigrations", "notes")
    lock = documented(
        "docs/configuration.md", r"^\.venv/bin/(uv pip compile requirements\.in [^\n]*)$"
    )
    local(folder, *shlex.split(lock))
    assert "psycopg-binary==" in (folder / "requirements.txt").read_text()
    (folder / "mail").mkdir()
    (folder / "mail/Dockerfile").write_text(MAIL_DOCKERFILE)
    # The block's commands, but for the password the test can't type (it sets it below).
    commands = documented(GUIDE, r"```bash\n(read -rsp .*?)```").splitlines()[1:]
    files = documented(GUIDE, r"^COMPOSE_FILE=(\S+)$").split(":")
    stack = Stack("greeter-team", (*files, "test.yml"), folder)
    (folder / "test.yml").write_text(TEST_FILE)
    with open(folder / ".env", "a") as env:  # .env as the guide and deployment.md have it filled in
        env.write(
            "DJANGO_EMAIL_URL=smtp://mail:1025\n"
            "DJANGO_DEFAULT_FROM_EMAIL=greeter@example.com\nDJANGO_SERVER_EMAIL=errors@example.com\n"
            "DJANGO_ADMINS=Ops <ops@example.com>\nDJANGO_LOG_FORMAT=json\n"
        )
    stack.variables["DJANGO_SUPERUSER_PASSWORD"] = PASSWORD
    del stack.variables["DJANGO_SECRET_KEY"]  # .env's, which the rotation below changes
    with open(folder / ".env", "a") as env:
        env.write(f"DJANGO_SECRET_KEY=first-key-{'k' * 50}\n")
    try:
        for command in commands:
            subprocess.run(
                shlex.split(command),
                cwd=folder,
                env=stack.env,
                check=True,
                timeout=900,
                capture_output=True,
            )
        yield stack.up()
    finally:
        stack.down()
        run(["docker", "rmi", f"greeter-previous:{stack.name}"], check=False)


def log_in(team, password):
    session, url = team.session(), team.https_url
    page = session.get(f"{url}/admin/login/", timeout=10)
    data = {
        "username": "admin",
        "password": password,
        "next": "/admin/",
        "csrfmiddlewaretoken": csrf_token(page.text),
    }
    assert "Site administration" in post_form(session, url, "/admin/login/", data).text
    return session


def mail(team, marker):
    """The messages the test's SMTP server received that hold `marker`."""
    messages = team.logs("mail").split("---------- MESSAGE FOLLOWS ----------")
    return [message for message in messages if marker in message]


def test_a_password_reset_mail_arrives_and_its_link_sets_a_new_password(team):
    session, url = team.session(), team.https_url
    form = session.get(f"{url}/accounts/password_reset/", timeout=10)
    data = {"email": "admin@example.com", "csrfmiddlewaretoken": csrf_token(form.text)}
    assert post_form(session, url, "/accounts/password_reset/", data).status_code == 200
    assert wait_until(lambda: mail(team, "/accounts/reset/"), timeout=20)
    [message] = mail(team, "/accounts/reset/")
    assert "From: greeter@example.com" in message
    link = re.search(rf"({re.escape(url)}/accounts/reset/\S+/)", message)[1]
    new = session.get(link, timeout=10)  # Django moves the token into the session
    data = {
        "new_password1": NEW_PASSWORD,
        "new_password2": NEW_PASSWORD,
        "csrfmiddlewaretoken": csrf_token(new.text),
    }
    done = post_form(session, url, new.url.removeprefix(url), data)
    assert "/accounts/reset/done/" in done.url
    log_in(team, NEW_PASSWORD)


def test_a_server_error_is_mailed_to_the_admins_and_logged_as_one_json_record(team):
    """With the request id Caddy set and its access line carries, and the client Caddy saw."""
    answer = team.session().get(f"{team.https_url}/notes/fails?boom", timeout=10)
    assert (answer.status_code, "Something went wrong" in answer.text) == (500, True)
    assert wait_until(lambda: mail(team, "a bug in the team's view"), timeout=20)
    assert "To: ops@example.com" in mail(team, "a bug in the team's view")[0]
    caddy = next(
        json.loads(line) for line in team.logs("caddy").splitlines() if "/notes/fails?boom" in line
    )
    records = [json.loads(line) for line in team.logs().splitlines() if line.startswith("{")]
    [error] = [
        r
        for r in records
        if r.get("logger") == "django.request" and r.get("path") == "/notes/fails"
    ]
    [access] = [
        r
        for r in records
        if r.get("logger") == "gunicorn.access" and r.get("path") == "/notes/fails"
    ]
    assert error["request_id"] == access["request_id"] == caddy["request_id"]
    assert error["client"] == access["client"] == caddy["request"]["client_ip"]
    assert (error["level"], error["method"], access["status_code"]) == ("ERROR", "GET", 500)
    assert "RuntimeError: a bug in the team's view" in error["traceback"]
    assert error["time"]


def upload(session, url, name, content):
    page = session.get(f"{url}/admin/notes/note/add/", timeout=10)
    data = {"text": name, "csrfmiddlewaretoken": csrf_token(page.text), "_save": "Save"}
    headers = {"Origin": url, "Referer": f"{url}/admin/notes/note/add/"}
    saved = session.post(
        f"{url}/admin/notes/note/add/",
        data=data,
        files={"attachment": (name, content)},
        headers=headers,
        timeout=120,
    )
    assert "was added successfully" in saved.text, saved.text[-2000:]
    change = session.get(f"{url}/admin/notes/note/?q={name}", timeout=10).text
    note = re.search(r'href="(/admin/notes/note/\d+/change/)', change)[1]
    return re.search(r'Currently: <a href="([^"]+)"', session.get(f"{url}{note}", timeout=10).text)[
        1
    ]


def test_a_20_mb_upload_through_the_admin_is_served_by_caddy_as_a_file(team):
    session, url = log_in(team, NEW_PASSWORD), team.https_url
    big = os.urandom(20 * 2**20)
    served = session.get(f"{url}{upload(session, url, 'big.bin', big)}", timeout=60)
    assert served.status_code == 200
    assert served.content == big
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Content-Disposition"] == "attachment"
    page = session.get(
        f"{url}{upload(session, url, 'page.html', b'<script>alert(1)</script>')}", timeout=10
    )
    assert "sandbox" in page.headers["Content-Security-Policy"]  # never run as this site's page
    assert page.headers["Content-Disposition"] == "attachment"
    picture = session.get(f"{url}{upload(session, url, 'dot.png', b'PNG')}", timeout=10)
    assert "Content-Disposition" not in picture.headers  # images show in the browser


def test_the_cache_is_shared_by_every_worker_and_container(team):
    """Requests at once, so that Caddy opens several connections and more than
    one worker counts; then another container reads the same count."""

    def visit(_):
        return requests.get(
            f"{team.https_url}/notes/visits", verify=str(team.root), timeout=10
        ).json()

    answers: list[dict[str, int]] = []
    with ThreadPoolExecutor(8) as pool:
        while len({answer["worker"] for answer in answers}) < 2 and len(answers) < 400:
            answers += pool.map(visit, range(16))
    assert len({answer["worker"] for answer in answers}) >= 2
    assert max(answer["visits"] for answer in answers) == len(answers)  # none counted apart
    elsewhere = team.compose(
        "run",
        "--rm",
        "--no-deps",
        "-T",
        "web",
        "python",
        "manage.py",
        "shell",
        "--no-imports",
        "-c",
        "from django.core.cache import cache; print(cache.get('visits'))",
    )
    assert elsewhere.stdout.strip() == str(len(answers))


def deploy(team, *args, **variables):
    env = {k: v for k, v in team.env.items() if k != "COMPOSE_FILE"}
    return subprocess.run(
        [str(ROOT / "scripts/deploy"), *args],
        cwd=team.folder,
        env={**env, **variables},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def set_env(team, **variables):
    env = team.folder / ".env"
    lines = [line for line in env.read_text().splitlines() if line.split("=")[0] not in variables]
    env.write_text("\n".join([*lines, *(f"{k}={v}" for k, v in variables.items())]) + "\n")


def test_a_key_rotation_keeps_the_sessions_signed_with_the_old_key(team):
    """docs/configuration.md's runbook: the old key into the fallbacks, a new one,
    scripts/deploy. A rotation without the fallback logs everyone out."""
    session = log_in(team, NEW_PASSWORD)

    def rotate(**variables):
        set_env(team, **variables)
        assert deploy(team).returncode == 0
        return session.get(
            f"{team.https_url}/admin/", allow_redirects=False, timeout=10
        ).status_code

    old = next(
        line
        for line in (team.folder / ".env").read_text().splitlines()
        if line.startswith("DJANGO_SECRET_KEY=")
    ).partition("=")[2]
    assert (
        rotate(DJANGO_SECRET_KEY=f"second-key-{'s' * 50}", DJANGO_SECRET_KEY_FALLBACKS=old) == 200
    )
    assert rotate(DJANGO_SECRET_KEY=f"third-key-{'t' * 50}", DJANGO_SECRET_KEY_FALLBACKS="") == 302


def add_a_note(session, url):
    headers = {"X-CSRFToken": session.cookies["csrftoken"], "Origin": url, "Referer": f"{url}/"}
    added = session.post(
        f"{url}/notes/add", data={"text": "from the load"}, headers=headers, timeout=60
    )
    assert added.status_code == 200, f"POST /notes/add {added.status_code}"


def test_an_expand_migration_and_the_rollback_after_it_fail_no_request_under_load(team):
    """The guide's example: a column with a database default, so that the
    running release's inserts, which don't name it, go on working."""
    models = team.folder / "notes/models.py"
    models.write_text(models.read_text() + "    priority = models.IntegerField(db_default=0)\n")
    local(team.folder, "python", "manage.py", "makemigrations", "notes")
    for args, variables in (((), {"GREETER_VERSION": "2.0.0"}), (("--rollback",), {})):
        with Visitors(team.https_url, team.root, also=add_a_note) as visitors:
            assert wait_until(lambda: visitors.outcome.ok > 30, timeout=30)
            deployed = deploy(team, *args, **variables)
            served = visitors.outcome.ok + 30
            assert wait_until(lambda: visitors.outcome.ok > served, timeout=60)  # noqa: B023
        print(f"\n{args or 'deploy'}: {visitors.outcome}")
        assert deployed.returncode == 0, deployed.stderr
        assert visitors.outcome.failures == []
    assert "schema stays where the newer release left it" in deployed.stdout
    assert team.session().get(f"{team.https_url}/healthz", timeout=10).json()["version"] == "dev"
    columns = team.compose(
        "exec",
        "-T",
        "db",
        "psql",
        "-U",
        "greeter",
        "-tAc",
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'notes_note'",
    )
    assert "priority" in columns.stdout.split()


def readiness(team):
    return team.compose(
        "exec", "-T", "web", "python", "-m", "project.healthcheck", "readyz", check=False
    )


def test_readiness_follows_the_database_while_liveness_does_not(team):
    assert readiness(team).returncode == 0
    team.compose("stop", "db")
    try:
        unready = readiness(team)
        assert unready.returncode == 1
        assert "unhealthy: 503" in unready.stderr
        assert "OperationalError" in unready.stderr
        assert team.session().get(f"{team.https_url}/healthz", timeout=10).ok
    finally:
        team.compose("start", "db")
    assert wait_until(lambda: readiness(team).returncode == 0, timeout=60)


def test_requests_that_fill_every_thread_mark_nothing_down(team):
    """Ten 15-second requests hold Greeter's 8 threads (2 workers of 4): probes
    and Caddy wait, none gives up on Greeter, and a visitor who came meanwhile
    is answered once a thread is free."""
    web, url = team.container("web"), team.https_url
    slow = [
        threading.Thread(
            target=requests.get,
            args=(f"{url}/notes/slow?seconds=15",),
            kwargs={"verify": str(team.root), "timeout": 60},
        )
        for _ in range(10)
    ]
    for thread in slow:
        thread.start()
    time.sleep(8)  # Caddy's old health checks, every 2 s, had marked Greeter down by now
    metrics = team.from_the_network("http://caddy:9180/metrics").stdout
    visitor = requests.get(f"{url}/", verify=str(team.root), timeout=60)  # waits for a thread
    health = inspect(web, "{{.State.Health.Status}}")
    for thread in slow:
        thread.join()
    assert 'caddy_reverse_proxy_upstreams_healthy{upstream="web:5000"} 1' in metrics
    assert (visitor.status_code, health) == (200, "healthy")
    assert inspect(web, "{{.State.Health.Status}} {{.RestartCount}}") == "healthy 0"


def test_the_documented_backup_restores_the_database_into_a_new_volume(team, tmp_path):
    count = "SELECT count(*) FROM notes_note"
    psql = ["exec", "-T", "db", "psql", "-U", "greeter", "-tAc"]
    notes = team.compose(*psql, count).stdout.strip()
    assert int(notes) > 30
    dump = documented(GUIDE, r"^(docker compose exec -T db pg_dump .*) > greeter\.dump$")
    restore = documented(GUIDE, r"^(docker compose exec -T db pg_restore .*) < greeter\.dump$")
    with open(tmp_path / "greeter.dump", "wb") as file:
        subprocess.run(shlex.split(dump), cwd=team.folder, env=team.env, stdout=file, check=True)
    team.compose("rm", "--stop", "--force", "db")
    run(["docker", "volume", "rm", f"{team.name}_db"])  # a new, empty volume at `up`
    team.compose("up", "--detach", "--wait", "db")
    with open(tmp_path / "greeter.dump", "rb") as file:
        subprocess.run(shlex.split(restore), cwd=team.folder, env=team.env, stdin=file, check=True)
    assert team.compose(*psql, count).stdout.strip() == notes
