"""project/settings.py as a fresh process reads it: safe defaults, each setting
from its variable, the HTTPS switch, and Django's deployment checks."""

import subprocess
import sys

import pytest

from tests.support import ROOT, TEST_KEY, load_settings, python_env


@pytest.fixture(scope="module")
def defaults():
    return load_settings({})


def test_the_defaults_are_the_safe_ones_and_keep_no_state(defaults):
    assert defaults["DEBUG"] is False
    assert defaults["ALLOWED_HOSTS"] == ["localhost", "127.0.0.1", "[::1]"]
    assert defaults["CSRF_TRUSTED_ORIGINS"] == ["http://localhost:5000", "http://127.0.0.1:5000"]
    assert len(defaults["SECRET_KEY"]) >= 50
    assert defaults["SECRET_KEY"] != load_settings({})["SECRET_KEY"]  # one per start
    assert defaults["DATABASES"] == {}
    assert defaults["CACHES"]["default"]["BACKEND"].endswith("locmem.LocMemCache")
    # E-mail goes to the log, never silently nowhere.
    assert defaults["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"
    assert (defaults["ADMINS"], defaults["SECRET_KEY_FALLBACKS"]) == ([], [])
    assert (defaults["DATA_UPLOAD_MAX_NUMBER_FILES"], defaults["GREETER_VERSION"]) == (0, "dev")
    security, whitenoise = defaults["MIDDLEWARE"][1:3]  # whitenoise first after security
    assert (security, whitenoise) == ("django.middleware.security.SecurityMiddleware",
                                      "whitenoise.middleware.WhiteNoiseMiddleware")  # fmt: skip


def test_what_a_team_adds_is_one_variable_each(tmp_path):
    (tmp_path / "old-keys").write_text("old-key-1,old-key-2\n")
    values = load_settings({
        "DJANGO_SECRET_KEY": "$HOME-is-not-expanded",
        "DJANGO_SECRET_KEY_FALLBACKS_FILE": str(tmp_path / "old-keys"),
        "DJANGO_ALLOWED_HOSTS": "greeter.example, www.greeter.example",
        "DJANGO_CSRF_TRUSTED_ORIGINS": "https://greeter.example",
        "DJANGO_DATABASE_URL": "postgres://greeter:pw@db:5432/greeter",
        "DJANGO_CACHE_URL": "redis://valkey:6379/0",
        "DJANGO_EMAIL_URL": "smtp+tls://mailer:pw@smtp.example.com:587",
        "DJANGO_DEFAULT_FROM_EMAIL": "greeter@example.com",
        "DJANGO_ADMINS": "Ada <ada@example.com>, ops@example.com",
        "DJANGO_DATA_UPLOAD_MAX_NUMBER_FILES": "10",
    })  # fmt: skip
    assert values["SECRET_KEY"] == "$HOME-is-not-expanded"
    assert values["SECRET_KEY_FALLBACKS"] == ["old-key-1", "old-key-2"]
    assert values["ALLOWED_HOSTS"] == ["greeter.example", "www.greeter.example"]
    assert values["CSRF_TRUSTED_ORIGINS"] == ["https://greeter.example"]
    database = values["DATABASES"]["default"]
    assert (database["ENGINE"], database["HOST"], database["NAME"]) == (
        "django.db.backends.postgresql", "db", "greeter")  # fmt: skip
    assert values["CACHES"]["default"] == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://valkey:6379/0",
    }
    assert values["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (values["EMAIL_HOST"], values["EMAIL_PORT"], values["EMAIL_USE_TLS"]) == (
        "smtp.example.com", 587, True)  # fmt: skip
    assert (values["EMAIL_TIMEOUT"], values["DEFAULT_FROM_EMAIL"]) == (10, "greeter@example.com")
    assert values["ADMINS"] == [["Ada", "ada@example.com"], ["", "ops@example.com"]]
    assert values["DATA_UPLOAD_MAX_NUMBER_FILES"] == 10


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [("DJANGO_EMAIL_URL", "smpt://mail:s3cret@smtp.example.com", "DJANGO_EMAIL_URL can't be read"),
     ("DJANGO_CACHE_URL", "valky://cache", "DJANGO_CACHE_URL can't be read as a URL"),
     ("DJANGO_ADMINS", "Ada", "DJANGO_ADMINS: [('', 'Ada')] are not all e-mail addresses"),
     ("DJANGO_LOG_FORMAT", "xml", "DJANGO_LOG_FORMAT='xml' is neither plain nor json"),
     ("DJANGO_LOG_LEVEL", "loud", "DJANGO_LOG_LEVEL='LOUD' is not a log level")],
)  # fmt: skip
def test_a_value_that_cant_be_read_stops_the_start_naming_its_variable(variable, value, said):
    with pytest.raises(subprocess.CalledProcessError) as refused:
        load_settings({variable: value})
    assert said in refused.value.stderr
    assert "s3cret" not in refused.value.stderr


def test_the_https_switch_turns_on_the_redirect_hsts_and_secure_cookies(https_settings):
    # Not Django's proxy header, which believes any peer: gunicorn decides the
    # scheme from FORWARDED_ALLOW_IPS alone (test_gunicorn.py).
    assert "SECURE_PROXY_SSL_HEADER" not in https_settings
    assert https_settings["SECURE_SSL_REDIRECT"] is True
    assert https_settings["SECURE_REDIRECT_EXEMPT"] == [r"^healthz$", r"^readyz$"]
    for cookie in ("CSRF", "LANGUAGE", "SESSION"):
        assert https_settings[f"{cookie}_COOKIE_SECURE"] is True
    # HSTS for an hour, this host only; the checks that flag those choices silenced.
    assert https_settings["SECURE_HSTS_SECONDS"] == 3600
    assert https_settings["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is False
    assert https_settings["SILENCED_SYSTEM_CHECKS"] == ["security.W005", "security.W021"]


def test_raising_hsts_is_one_variable_each_and_unsilences_its_check():
    values = load_settings({
        "DJANGO_BEHIND_HTTPS_PROXY": "true", "DJANGO_SECRET_KEY": TEST_KEY,
        "DJANGO_HSTS_SECONDS": "31536000", "DJANGO_HSTS_INCLUDE_SUBDOMAINS": "true",
        "DJANGO_HSTS_PRELOAD": "true",
    })  # fmt: skip
    assert (values["SECURE_HSTS_SECONDS"], values["SILENCED_SYSTEM_CHECKS"]) == (31536000, [])


def test_over_https_the_start_is_refused_without_a_configured_key():
    with pytest.raises(subprocess.CalledProcessError) as refused:
        load_settings({"DJANGO_BEHIND_HTTPS_PROXY": "true"})
    assert "DJANGO_SECRET_KEY or DJANGO_SECRET_KEY_FILE must be set" in refused.value.stderr


def manage(*args, **env):
    return subprocess.run(
        [sys.executable, "manage.py", *args], env=python_env(**env), cwd=ROOT,
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("env", "failed_checks"),
    [({"DJANGO_BEHIND_HTTPS_PROXY": "false"}, []),
     ({"DJANGO_BEHIND_HTTPS_PROXY": "true"}, []),
     ({}, ["security.W004", "security.W008", "security.W016"]),  # forgot the switch
     ({"DJANGO_DEBUG": "true"}, ["security.W018"])],
)  # fmt: skip
def test_the_deploy_check_is_clean_unless_the_switch_is_forgotten_or_debug_on(env, failed_checks):
    result = manage("check", "--deploy", "--fail-level", "WARNING",
                    **{"DJANGO_DEBUG": "false", "DJANGO_SECRET_KEY": TEST_KEY, **env})  # fmt: skip
    assert (result.returncode != 0) == bool(failed_checks), result.stdout + result.stderr
    for check in failed_checks:
        assert check in result.stderr


def test_manage_py_turns_debug_on_for_local_development():
    printed = manage(
        "shell", "--no-imports", "-c", "from django.conf import settings; print(settings.DEBUG)"
    )
    assert printed.stdout.strip() == "True", printed.stderr
