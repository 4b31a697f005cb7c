"""Greeter's settings as a team extends them, for the tests that run gunicorn
or a fresh process: its own views (team_urls.py) and an app with migrations
(readiness); a database only if DJANGO_DATABASE_URL names one."""

from project import settings as greeters
from project.settings import *  # noqa: F403

ROOT_URLCONF = "greeter.tests.team_urls"
# Once, though a team's settings may have it already (docs/next-steps.md).
INSTALLED_APPS = list(dict.fromkeys([*greeters.INSTALLED_APPS, "django.contrib.contenttypes"]))
