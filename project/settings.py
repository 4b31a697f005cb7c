"""Greeter's settings: one module, driven by environment variables.

Every variable is documented in docs/configuration.md and .env.example.
The defaults are the safe ones: DEBUG off, a random secret key, only local hosts.
"""

import logging
import secrets
from pathlib import Path

from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

# Also read by gunicorn.conf.py: an empty variable means its default, a
# mistyped one stops the start naming it, VAR_FILE reads VAR from a file.
from project.environment import behind_https_proxy, env

BASE_DIR = Path(__file__).resolve().parent.parent

# manage.py (local development) defaults this to true; gunicorn and the image never do.
DEBUG = env.bool("DJANGO_DEBUG", default=False)

# The HTTPS switch (project/environment.py): True behind a proxy that terminates
# TLS (see below); False for plain HTTP on purpose; None (unset) plain HTTP too.
HTTPS_SWITCH = behind_https_proxy()
BEHIND_HTTPS_PROXY = HTTPS_SWITCH is True
PLAIN_HTTP_ON_PURPOSE = HTTPS_SWITCH is False

# Never in the repository or the image: from the environment or a file. Without
# one, gunicorn makes a key at container start, before its workers fork, so that
# all of them share it (gunicorn.conf.py); it changes at every restart, which
# breaks nothing Greeter signs but would log a team's users out. runserver and
# tests make their own. In production over HTTPS a key is required.
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if BEHIND_HTTPS_PROXY:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY or DJANGO_SECRET_KEY_FILE must be set when serving over HTTPS "
            "(DJANGO_BEHIND_HTTPS_PROXY=true): a key made at start changes at every restart. "
            "Make one with: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    SECRET_KEY = secrets.token_urlsafe(50)

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
# Needed when the browser's origin differs from the Host Django sees (a proxy or
# another published port): the cause of "CSRF verification failed: Origin checking failed".
CSRF_TRUSTED_ORIGINS = env.list(
    "DJANGO_CSRF_TRUSTED_ORIGINS", default=["http://localhost:5000", "http://127.0.0.1:5000"]
)

# No database, no sessions, no auth: the app keeps no state, so any replica can
# answer any request and nothing needs migrating at start.
INSTALLED_APPS = [
    "whitenoise.runserver_nostatic",  # runserver serves static files the way production does
    "django.contrib.staticfiles",
    "csp",
    "greeter",
]
DATABASES: dict[str, dict[str, object]] = {}

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # right after security, before anything slower
    # PERMISSIONS_POLICY below, on every response Django makes (whitenoise's
    # static files, answered above, are no pages: none needs it).
    "django_permissions_policy.PermissionsPolicyMiddleware",
    # django-csp's own: its decorators (@csp_update, @csp_exempt …) and
    # request.csp_nonce work in every view a team adds.
    "csp.middleware.CSPMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Answers /healthz before host validation: probes call by IP (see greeter/health.py).
    "greeter.health.HealthCheckMiddleware",
    # Picks the language from the language cookie, else from Accept-Language.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
]

ROOT_URLCONF = "project.urls"
# A failed CSRF check on Greeter's form re-shows it with the typed name kept;
# any other URL gets Django's own page (greeter/views.py).
CSRF_FAILURE_VIEW = "greeter.views.csrf_failure"
WSGI_APPLICATION = "project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            # Only what the templates use: the selector's return path.
            "context_processors": ["greeter.context_processors.return_path"],
        },
    },
]

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("es", "Español"),
    ("fr", "Français"),
    ("de", "Deutsch"),
    ("hi", "हिन्दी"),
    ("ar", "العربية"),
]
# The selector stores the choice in a cookie (no session, no database). No
# script reads it, so scripts can't.
LANGUAGE_COOKIE_HTTPONLY = True
TIME_ZONE = "UTC"

STATIC_URL = "static/"
# Files served at the site's root, like /robots.txt.
WHITENOISE_ROOT = BASE_DIR / "greeter" / "root"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    # Django's own, for a FileField a team adds: files under MEDIA_ROOT. The
    # container's root is read-only: mount a volume there, or use object storage.
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed file names (cacheable forever) plus .gz and .br copies, made by
    # collectstatic at image build time.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = BASE_DIR / "media"
MEDIA_URL = "media/"

# --- Request limits ------------------------------------------------------------
# Greeter's form holds a name of at most 100 characters: refuse anything far
# bigger before reading it (a 400), and file uploads outright, which would
# otherwise be spooled to the small /tmp. Django applies these to every view:
# a team that accepts uploads raises them here or by variable
# (docs/admin-and-database.md, "Uploads").
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DJANGO_DATA_UPLOAD_MAX_MEMORY_SIZE", default=256 * 1024)
# Fields per request: Django's 1,000, since the admin's bulk actions send one
# per row of a changelist page (100 by default) beside its own.
DATA_UPLOAD_MAX_NUMBER_FIELDS = env.int("DJANGO_DATA_UPLOAD_MAX_NUMBER_FIELDS", default=1000)
DATA_UPLOAD_MAX_NUMBER_FILES = env.int("DJANGO_DATA_UPLOAD_MAX_NUMBER_FILES", default=0)

# --- Security headers, on every response -----------------------------------
# The site's policy: this site's own files and nothing else. Scripts only from
# this site's static files (the admin's, a team's own): no inline script, no
# other origin, so an injected tag can neither run its own code nor load or
# send anything elsewhere. Greeter's own pages run no script at all and take
# even that back (greeter/views.py: no_scripts).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "form-action": [SELF],
        # Lets scripts of this site call it, and tools that fetch on a page's
        # behalf, like Lighthouse's robots.txt check, read this site's files.
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
    }
}
# The browser features no page of Greeter's uses, denied to it and to anything
# it could embed, so that an injected script or frame can't ask for them.
# django-permissions-policy's own: a view loosens it with its
# @permissions_policy_override decorator, a site by changing this setting
# (docs/security.md). Only features browsers know: Chromium logs a console
# warning for each name it doesn't (bluetooth and web-share, for one).
DENIED_FEATURES = [
    "accelerometer",
    "autoplay",
    "camera",
    "display-capture",
    "encrypted-media",
    "fullscreen",
    "geolocation",
    "gyroscope",
    "hid",
    "idle-detection",
    "magnetometer",
    "microphone",
    "midi",
    "payment",
    "picture-in-picture",
    "publickey-credentials-get",
    "screen-wake-lock",
    "serial",
    "usb",
    "xr-spatial-tracking",
]
PERMISSIONS_POLICY: dict[str, list[str]] = {feature: [] for feature in DENIED_FEATURES}
# Django's defaults send the rest (tested in greeter/tests/test_headers.py):
# X-Frame-Options DENY (frame-ancestors for older browsers), nosniff, and
# same-origin Referrer-Policy and Cross-Origin-Opener-Policy.

# --- Behind an HTTPS proxy ----------------------------------------------------
# Only a proxy that terminates TLS can make these true; on plain HTTP they would
# redirect every request to an https:// URL nobody answers.
if BEHIND_HTTPS_PROXY:
    # No SECURE_PROXY_SSL_HEADER: Django would believe X-Forwarded-Proto from any
    # peer. gunicorn believes it only from FORWARDED_ALLOW_IPS (the proxy) and
    # passes the scheme it decided as wsgi.url_scheme, which Django reads.
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # probes talk plain HTTP to the container
    # HSTS starts small, as Django's deployment checklist advises: an hour, this
    # host only, no preload list. A mistake then locks browsers out of plain
    # HTTP for an hour, not a whole domain tree for a year. Raise
    # DJANGO_HSTS_SECONDS once HTTPS works; subdomains and preload are opt-in.
    SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=False)
    SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=False)
    # Every cookie Django can set: CSRF, language, and the session (and the
    # messages cookie, which follows it) once a team adds sessions.
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SESSION_COOKIE_SECURE = True
    # The deploy checks for subdomains (W005) and preload (W021) flag a choice
    # made above on purpose; they stay on once a team opts in.
    SILENCED_SYSTEM_CHECKS = [
        *([] if SECURE_HSTS_INCLUDE_SUBDOMAINS else ["security.W005"]),
        *([] if SECURE_HSTS_PRELOAD else ["security.W021"]),
    ]
elif PLAIN_HTTP_ON_PURPOSE:
    # Plain HTTP declared (local compose, runserver): silence exactly the deploy
    # checks that need TLS — HSTS, SSL redirect, secure CSRF cookie. Left unset,
    # they stay on, so a TLS deployment that forgot the switch fails `check --deploy`.
    SILENCED_SYSTEM_CHECKS = ["security.W004", "security.W008", "security.W016"]

# --- Logging: everything to stderr, where `docker compose logs` finds it -------
LOG_LEVEL = env.str("DJANGO_LOG_LEVEL", default="INFO").strip().upper()
if LOG_LEVEL not in logging.getLevelNamesMapping():
    raise ImproperlyConfigured(
        f"DJANGO_LOG_LEVEL={LOG_LEVEL!r} is not a log level: use DEBUG, INFO, WARNING, "
        "ERROR or CRITICAL."
    )
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        # Refused requests (4xx) are logged as one line, errors with a traceback.
        "plain": {
            "()": "project.log_formatters.ClientErrorFormatter",
            "format": "{levelname} {name}: {message}",
            "style": "{",
        },
    },
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["stderr"], "level": LOG_LEVEL},
}

GREETER_VERSION = env.str("GREETER_VERSION", default="dev")
