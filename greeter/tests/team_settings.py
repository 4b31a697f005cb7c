"""Greeter's settings as a team extends them, for the tests that run gunicorn
or a fresh process: its own views (team_urls.py) and an app with migrations
(readiness); a database only if DJANGO_DATABASE_URL names one."""

from project.settings import *  # noqa: F403

ROOT_URLCONF = "greeter.tests.team_urls"
if "django.contrib.contenttypes" not in INSTALLED_APPS:  # noqa: F405  (a team may have it)
    INSTALLED_APPS = [*INSTALLED_APPS, "django.contrib.contenttypes"]  # noqa: F405
