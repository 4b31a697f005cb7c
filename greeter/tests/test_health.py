"""/healthz (liveness) and /readyz (readiness), and the container's health check
that calls them (greeter/health.py, project/healthcheck.py)."""

import subprocess
import sys

import pytest
from django.test import Client

from tests.support import ROOT, free_port, python_env

MIGRATE_THEN_ASK = """
import django; django.setup()
from django.core.management import call_command
from django.test import Client
print(Client().get("/readyz").content.decode())
call_command("migrate", verbosity=0)
print(Client().get("/readyz").content.decode())
"""


def test_liveness_answers_without_templates_or_host_checks(settings):
    settings.GREETER_VERSION = "1.2.3"
    response = Client(headers={"host": "10.1.2.3:5000"}).get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": "1.2.3"}
    assert not response.templates


def test_without_a_database_greeter_is_ready():
    response = Client(headers={"host": "10.1.2.3:5000"}).get("/readyz")
    assert (response.status_code, response.json()) == (200, {"status": "ready"})


def test_probes_are_not_redirected_to_https(client, settings, https_settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = https_settings["SECURE_REDIRECT_EXEMPT"]
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert client.get("/").status_code == 301


def readiness_before_and_after_migrate(database_url):
    env = python_env(
        DJANGO_SETTINGS_MODULE="greeter.tests.team_settings",
        DJANGO_DATABASE_URL=database_url,
    )
    return subprocess.run(
        [sys.executable, "-c", MIGRATE_THEN_ASK],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_readiness_waits_for_the_migrations(tmp_path):
    answers = readiness_before_and_after_migrate(f"sqlite:///{tmp_path}/db.sqlite3")
    before, after = answers.stdout.splitlines()
    assert before == '{"status": "unready", "reason": "database default: migrations not applied"}'
    assert after == '{"status": "ready"}'
    assert "Service Unavailable" not in answers.stderr  # a probe's 503 is not logged as an error


def test_an_unreachable_database_is_unready(tmp_path):
    answers = readiness_before_and_after_migrate(f"sqlite:///{tmp_path}/missing/db.sqlite3")
    assert answers.stdout.splitlines()[0].endswith(
        '"reason": "database default: OperationalError"}'
    )


def healthcheck(port, *path):
    return subprocess.run(
        [sys.executable, "-m", "project.healthcheck", *path],
        env=python_env(PORT=str(port)),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.mark.parametrize("path", [(), ("readyz",)])
def test_the_health_check_passes_while_greeter_answers(gunicorn, path):
    server = gunicorn("-w 1")
    result = healthcheck(server.port, *path)
    assert result.returncode == 0, result.stderr


def test_the_health_check_fails_with_the_reason_when_nothing_answers():
    result = healthcheck(free_port())
    assert result.returncode == 1
    assert "unhealthy: " in result.stderr
    assert "Connection refused" in result.stderr


def test_apps_with_migrations_but_no_database_are_unready():
    """A stack started without DJANGO_DATABASE_URL, after a team added the admin."""
    ask = "import django; django.setup(); from django.test import Client\n"
    ask += "print(Client().get('/readyz').content.decode())"
    answer = subprocess.run(
        [sys.executable, "-c", ask],
        env=python_env(DJANGO_SETTINGS_MODULE="greeter.tests.team_settings"),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "apps with migrations but no database: set DJANGO_DATABASE_URL" in answer.stdout
