import subprocess
import sys

import pytest

from greeter.tests.conftest import BASE_DIR, TEST_KEY, coverage_env, load_settings


@pytest.fixture(scope="module")
def defaults():
    return load_settings({})


def test_debug_is_off_by_default(defaults):
    assert defaults["DEBUG"] is False


def test_local_hosts_are_allowed_by_default(defaults):
    assert defaults["ALLOWED_HOSTS"] == ["localhost", "127.0.0.1", "[::1]"]
    assert defaults["CSRF_TRUSTED_ORIGINS"] == ["http://localhost:5000", "http://127.0.0.1:5000"]


def test_without_a_configured_key_each_start_makes_its_own_strong_one(defaults):
    other = load_settings({})
    assert len(defaults["SECRET_KEY"]) >= 50
    assert defaults["SECRET_KEY"] != other["SECRET_KEY"]
    assert not defaults["SECRET_KEY"].startswith("django-insecure")


def test_secret_key_comes_from_the_environment():
    assert load_settings({"DJANGO_SECRET_KEY": "k" * 60})["SECRET_KEY"] == "k" * 60


def test_secret_key_can_come_from_a_file(tmp_path):
    key_file = tmp_path / "secret_key"
    key_file.write_text("from-a-docker-secret")
    values = load_settings({"DJANGO_SECRET_KEY_FILE": str(key_file)})
    assert values["SECRET_KEY"] == "from-a-docker-secret"


def test_hosts_and_trusted_origins_come_from_comma_separated_lists():
    values = load_settings(
        {
            "DJANGO_ALLOWED_HOSTS": "greeter.example,www.greeter.example",
            "DJANGO_CSRF_TRUSTED_ORIGINS": "https://greeter.example",
        }
    )
    assert values["ALLOWED_HOSTS"] == ["greeter.example", "www.greeter.example"]
    assert values["CSRF_TRUSTED_ORIGINS"] == ["https://greeter.example"]


def test_plain_http_on_purpose_silences_only_the_checks_that_need_tls():
    values = load_settings({"DJANGO_BEHIND_HTTPS_PROXY": "false"})
    assert values["SILENCED_SYSTEM_CHECKS"] == ["security.W004", "security.W008", "security.W016"]
    assert "SECURE_SSL_REDIRECT" not in values


def test_without_the_https_switch_no_check_is_silenced(defaults):
    assert "SILENCED_SYSTEM_CHECKS" not in defaults
    assert "SECURE_SSL_REDIRECT" not in defaults


def test_https_switch_turns_on_redirect_hsts_and_secure_cookies(https_settings):
    # Not Django's proxy header, which believes any peer: gunicorn decides the
    # scheme from FORWARDED_ALLOW_IPS alone (test_proxy_trust.py).
    assert "SECURE_PROXY_SSL_HEADER" not in https_settings
    assert https_settings["SECURE_SSL_REDIRECT"] is True
    # Every cookie Django can set, sessions' (and messages') included.
    assert https_settings["CSRF_COOKIE_SECURE"] is True
    assert https_settings["LANGUAGE_COOKIE_SECURE"] is True
    assert https_settings["SESSION_COOKIE_SECURE"] is True


def test_hsts_starts_at_an_hour_for_this_host_only_and_is_not_preloaded(https_settings):
    assert https_settings["SECURE_HSTS_SECONDS"] == 3600
    assert https_settings["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is False
    assert https_settings["SECURE_HSTS_PRELOAD"] is False
    # Only the two checks that flag those deliberate choices are silenced.
    assert https_settings["SILENCED_SYSTEM_CHECKS"] == ["security.W005", "security.W021"]


def test_raising_hsts_is_one_variable_each_and_unsilences_its_check():
    values = load_settings({
        "DJANGO_BEHIND_HTTPS_PROXY": "true", "DJANGO_SECRET_KEY": TEST_KEY,
        "DJANGO_HSTS_SECONDS": "31536000", "DJANGO_HSTS_INCLUDE_SUBDOMAINS": "true",
        "DJANGO_HSTS_PRELOAD": "true",
    })  # fmt: skip
    assert values["SECURE_HSTS_SECONDS"] == 31536000
    assert values["SILENCED_SYSTEM_CHECKS"] == []


def test_https_refuses_to_start_without_a_configured_secret_key():
    with pytest.raises(subprocess.CalledProcessError) as refused:
        load_settings({"DJANGO_BEHIND_HTTPS_PROXY": "true"})
    assert "DJANGO_SECRET_KEY or DJANGO_SECRET_KEY_FILE must be set" in refused.value.stderr


def test_no_app_needs_a_database(defaults):
    assert defaults["DATABASES"] == {}
    assert not any("auth" in app or "sessions" in app for app in defaults["INSTALLED_APPS"])


def test_whitenoise_comes_right_after_security_middleware(defaults):
    middleware = defaults["MIDDLEWARE"]
    assert middleware[:2] == [
        "django.middleware.security.SecurityMiddleware",
        "whitenoise.middleware.WhiteNoiseMiddleware",
    ]


def run_deploy_check(env):
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env={"PATH": "/usr/bin:/bin", "DJANGO_DEBUG": "false", **coverage_env(), **env},
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("https", ["false", "true"])
def test_deploy_check_reports_no_issue(https):
    result = run_deploy_check({"DJANGO_BEHIND_HTTPS_PROXY": https, "DJANGO_SECRET_KEY": TEST_KEY})
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_deploy_check_fails_a_deployment_that_forgot_the_https_switch():
    result = run_deploy_check({"DJANGO_SECRET_KEY": TEST_KEY})
    assert result.returncode != 0
    for check in ("security.W004", "security.W008", "security.W016"):
        assert check in result.stderr


def test_deploy_check_fails_with_debug_on():
    # The check above can fail: the same command flags DEBUG=true.
    result = run_deploy_check({"DJANGO_DEBUG": "true"})
    assert result.returncode != 0
    assert "security.W018" in result.stderr


PRINT_DEBUG = "from django.conf import settings; print(settings.DEBUG)"


def test_manage_py_defaults_to_debug_for_local_development():
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", PRINT_DEBUG],
        env={"PATH": "/usr/bin:/bin", **coverage_env()},
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == "True", result.stderr


def test_a_file_field_has_a_default_storage(tmp_path):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.test import override_settings

    with override_settings(MEDIA_ROOT=tmp_path):
        name = default_storage.save("uploads/note.txt", ContentFile(b"hello"))
        assert (tmp_path / name).read_bytes() == b"hello"


def test_upload_limits_are_closed_by_default_and_raised_by_variable(defaults):
    assert defaults["DATA_UPLOAD_MAX_NUMBER_FILES"] == 0
    assert defaults["DATA_UPLOAD_MAX_MEMORY_SIZE"] == 256 * 1024
    raised = load_settings(
        {
            "DJANGO_DATA_UPLOAD_MAX_NUMBER_FILES": "10",
            "DJANGO_DATA_UPLOAD_MAX_MEMORY_SIZE": "5242880",
        }
    )
    assert raised["DATA_UPLOAD_MAX_NUMBER_FILES"] == 10
    assert raised["DATA_UPLOAD_MAX_MEMORY_SIZE"] == 5 * 2**20
