"""One way of reading the environment (project/environment.py), for the settings and
gunicorn.conf.py alike: an empty variable means its default, a mistyped one stops
the start with a message naming it."""

import subprocess

import pytest
from django.core.exceptions import ImproperlyConfigured

from project.environment import Env, behind_https_proxy
from tests.support import TEST_KEY, load_settings


@pytest.fixture
def env(monkeypatch):
    for name in ("GREETER_TEST", "GREETER_TEST_FILE"):
        monkeypatch.delenv(name, raising=False)
    return Env()


@pytest.mark.parametrize("empty", ["", "  "])
def test_an_empty_variable_means_its_default(env, monkeypatch, empty):
    monkeypatch.setenv("GREETER_TEST", empty)
    assert env.int("GREETER_TEST", default=7) == 7
    assert env.bool("GREETER_TEST", default=None) is None
    assert env.list("GREETER_TEST", default=["localhost"]) == ["localhost"]
    assert env.str("GREETER_TEST", default="info") == "info"


def test_an_empty_variable_without_a_default_is_asked_for_by_name(env, monkeypatch):
    monkeypatch.setenv("GREETER_TEST", "")
    with pytest.raises(ImproperlyConfigured, match="Set the GREETER_TEST environment variable"):
        env.str("GREETER_TEST")


@pytest.mark.parametrize(
    ("value", "meaning"),
    [("true", True), ("True ", True), ("on", True), ("1", True), ("yes", True),
     ("false", False), ("FALSE", False), ("off", False), ("0", False), ("no", False)],
)  # fmt: skip
def test_a_yes_or_no_takes_the_usual_spellings(env, monkeypatch, value, meaning):
    monkeypatch.setenv("GREETER_TEST", value)
    assert env.bool("GREETER_TEST", default=None) is meaning


@pytest.mark.parametrize("value", ["ture", "flase", "2", "enabled", "https"])
def test_a_yes_or_no_that_is_neither_stops_with_its_name(env, monkeypatch, value):
    monkeypatch.setenv("GREETER_TEST", value)
    with pytest.raises(ImproperlyConfigured, match=f"GREETER_TEST='{value}' is neither true"):
        env.bool("GREETER_TEST", default=False)


def test_a_number_that_is_not_one_stops_with_its_name(env, monkeypatch):
    monkeypatch.setenv("GREETER_TEST", "four")
    with pytest.raises(ImproperlyConfigured, match="GREETER_TEST='four' can't be read"):
        env.int("GREETER_TEST", default=4)


def test_a_lists_items_lose_the_spaces_typed_around_them(env, monkeypatch):
    monkeypatch.setenv("GREETER_TEST", "example.com, www.example.com ,a")
    assert env.list("GREETER_TEST", default=[]) == ["example.com", "www.example.com", "a"]


def test_a_variable_is_read_from_the_file_its_file_variable_names(env, monkeypatch, tmp_path):
    (tmp_path / "value").write_text("key\n")  # what `echo key > file` writes
    monkeypatch.setenv("GREETER_TEST_FILE", str(tmp_path / "value"))
    assert env.str("GREETER_TEST", default="") == "key"
    (tmp_path / "value").write_text("other key\r\n")  # read again, not cached
    assert env.str("GREETER_TEST", default="") == "other key"


@pytest.mark.parametrize("value", ["$HOME", "$2a$key", "\\$HOME"])
def test_every_value_is_taken_literally(env, monkeypatch, value):
    """django-environ reads a value starting with $ as another variable's name:
    about 2 % of Django's random keys start with one."""
    monkeypatch.setenv("GREETER_TEST", value)
    assert env.str("GREETER_TEST", default="") == value


def test_a_file_variable_naming_no_file_stops_with_its_name(env, monkeypatch, tmp_path):
    monkeypatch.setenv("GREETER_TEST_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured, match=r"GREETER_TEST_FILE: .*No such file"):
        env.str("GREETER_TEST", default="")


@pytest.mark.parametrize(("value", "switch"), [(None, None), ("", None), ("false", False),
                                               ("true", True), ("true ", True)])  # fmt: skip
def test_the_https_switch_has_three_states(monkeypatch, value, switch):
    monkeypatch.delenv("DJANGO_BEHIND_HTTPS_PROXY_FILE", raising=False)
    if value is None:
        monkeypatch.delenv("DJANGO_BEHIND_HTTPS_PROXY", raising=False)
    else:
        monkeypatch.setenv("DJANGO_BEHIND_HTTPS_PROXY", value)
    assert behind_https_proxy() is switch


def test_a_mistyped_https_switch_stops_the_settings_instead_of_meaning_plain_http():
    with pytest.raises(subprocess.CalledProcessError) as refused:
        load_settings({"DJANGO_BEHIND_HTTPS_PROXY": "ture", "DJANGO_SECRET_KEY": TEST_KEY})
    assert "DJANGO_BEHIND_HTTPS_PROXY='ture' is neither true nor false" in refused.value.stderr
