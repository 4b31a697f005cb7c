"""Greeter's settings: one module, driven by environment variables.

Every variable is documented in docs/configuration.md. The defaults are the
safe ones: DEBUG off, a random secret key, only local hosts, no database.
"""

import secrets
from email.utils import getaddresses
from pathlib import Path

from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

# Also read by gunicorn.conf.py: an empty variable means its default, a
# mistyped one stops the start naming it, VAR_FILE reads VAR from a file.
from project.environment import behind_https_proxy, env, trusted_proxies
from project.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent

# manage.py (local development) defaults this to true; gunicorn and the image never do.
DEBUG = env.bool("DJANGO_DEBUG", default=False)

# The HTTPS switch: True behind a proxy that terminates TLS; False for plain
# HTTP on purpose; None (unset) plain HTTP too, but `check --deploy` objects.
HTTPS_SWITCH = behind_https_proxy()
BEHIND_HTTPS_PROXY = HTTPS_SWITCH is True

# Never in the repository or the image. Without one, gunicorn makes a key at
# container start, shared by its workers (gunicorn.conf.py); runserver and
# tests make their own. Over HTTPS one is required. Rotating it: the old key
# goes into the fallbacks, so that what it signed stays valid meanwhile.
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
SECRET_KEY_FALLBACKS = env.list("DJANGO_SECRET_KEY_FALLBACKS", default=[])
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
# The proxies whose X-Forwarded-* headers gunicorn and the client address believe.
FORWARDED_ALLOW_IPS = trusted_proxies()

INSTALLED_APPS = [
    "whitenoise.runserver_nostatic",  # runserver serves static files the way production does
    "django.contrib.staticfiles",
    "csp",
    "greeter",
]

MIDDLEWARE = [
    # First, so that everything after it sees the client's address, not the proxy's.
    "project.client_address.ClientAddressMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # right after security, before anything slower
    # PERMISSIONS_POLICY below, on every response Django makes (whitenoise's
    # static files, answered above, are no pages: none needs it).
    "django_permissions_policy.PermissionsPolicyMiddleware",
    # django-csp's own: its decorators (@csp_update …) and request.csp_nonce
    # work in every view a team adds.
    "csp.middleware.CSPMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # /healthz and /readyz, before host validation: probes call by IP (greeter/health.py).
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
        # Only what the templates use: the selector's return path.
        "OPTIONS": {"context_processors": ["greeter.context_processors.return_path"]},
    },
]

# --- What a team adds (docs/next-steps.md), each one variable ------------------
# Greeter keeps no state: no database unless DJANGO_DATABASE_URL names one
# (postgres://user:password@db:5432/name, sqlite:////data/db.sqlite3).
database = env.url_config("DJANGO_DATABASE_URL", env.db_url_config)
DATABASES = {"default": database} if database else {}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"  # as startproject sets it, for a team's models
# Local memory: each worker process has its own. redis://valkey:6379/0 shares one.
CACHES = {"default": env.url_config("DJANGO_CACHE_URL", env.cache_url_config, "locmemcache://")}
# E-mail is printed to the log unless DJANGO_EMAIL_URL names a server
# (smtp+tls://user:password@smtp.example.com:587), so none is lost silently.
globals().update(env.url_config("DJANGO_EMAIL_URL", env.email_url_config, "consolemail://"))
EMAIL_TIMEOUT = env.int("DJANGO_EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="webmaster@localhost")
SERVER_EMAIL = env.str("DJANGO_SERVER_EMAIL", default="root@localhost")
# Who gets a mail for every 500: "Ada <ada@example.com>, ops@example.com".
ADMINS = getaddresses(env.list("DJANGO_ADMINS", default=[]))
if any("@" not in address for _, address in ADMINS):
    raise ImproperlyConfigured(f"DJANGO_ADMINS: {ADMINS} are not all e-mail addresses.")
# Uploads: read-only in the container until a volume is mounted here.
MEDIA_ROOT = BASE_DIR / "media"
MEDIA_URL = "media/"

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
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},  # MEDIA_ROOT
    # Hashed file names (cacheable forever) plus .gz and .br copies, made by
    # collectstatic at image build time.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Request limits ------------------------------------------------------------
# Greeter's form holds a name of at most 100 characters: refuse bodies far
# bigger before reading them (a 400), and file uploads outright. Django applies
# these to every view: a site that takes uploads raises them by variable.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DJANGO_DATA_UPLOAD_MAX_MEMORY_SIZE", default=256 * 1024)
# Django's 1,000 fields: the admin's bulk actions send one per row of a page.
DATA_UPLOAD_MAX_NUMBER_FIELDS = env.int("DJANGO_DATA_UPLOAD_MAX_NUMBER_FIELDS", default=1000)
DATA_UPLOAD_MAX_NUMBER_FILES = env.int("DJANGO_DATA_UPLOAD_MAX_NUMBER_FILES", default=0)

# --- Security headers, on every response -----------------------------------
# This site's own files and nothing else: scripts only from its static files
# (the admin's, a team's), no inline script, nothing loaded from or sent to
# another origin. Greeter's own pages take even scripts back (greeter/views.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "form-action": [SELF],
        # Scripts of this site may call it; tools that fetch on a page's
        # behalf (Lighthouse's robots.txt check) may read its files.
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
    }
}
# Browser features no page of Greeter's uses, denied to it and to anything it
# embeds. Passkeys (publickey-credentials-get) and fullscreen are among them: a
# view that needs one loosens the policy with django-permissions-policy's
# @permissions_policy_override (docs/security.md). Only names Chromium knows:
# it logs a console warning for each other one.
DENIED_FEATURES = [
    "accelerometer", "autoplay", "camera", "display-capture", "encrypted-media",
    "fullscreen", "geolocation", "gyroscope", "hid", "idle-detection", "magnetometer",
    "microphone", "midi", "payment", "picture-in-picture", "publickey-credentials-get",
    "screen-wake-lock", "serial", "usb", "xr-spatial-tracking",
]  # fmt: skip
PERMISSIONS_POLICY: dict[str, list[str]] = {feature: [] for feature in DENIED_FEATURES}
# Django's defaults send the rest: X-Frame-Options DENY, nosniff, and
# same-origin Referrer-Policy and Cross-Origin-Opener-Policy.

# --- Behind an HTTPS proxy ----------------------------------------------------
# Only a proxy that terminates TLS can make these true; on plain HTTP they would
# redirect every request to an https:// URL nobody answers.
if BEHIND_HTTPS_PROXY:
    # No SECURE_PROXY_SSL_HEADER: Django would believe X-Forwarded-Proto from any
    # peer. gunicorn believes it only from FORWARDED_ALLOW_IPS and passes the
    # scheme it decided as wsgi.url_scheme, which Django reads.
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]  # probes talk plain HTTP
    # HSTS starts at an hour, this host only, as Django's deployment checklist
    # advises: a mistake locks browsers out of plain HTTP for an hour, not a
    # year. Raise DJANGO_HSTS_SECONDS once HTTPS works.
    SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=False)
    SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=False)
    # Every cookie Django can set, the session's once a team adds sessions.
    CSRF_COOKIE_SECURE = LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE = True
    # The deploy checks for subdomains (W005) and preload (W021) flag a choice
    # made above on purpose; they stay on once a team opts in.
    SILENCED_SYSTEM_CHECKS = [
        *([] if SECURE_HSTS_INCLUDE_SUBDOMAINS else ["security.W005"]),
        *([] if SECURE_HSTS_PRELOAD else ["security.W021"]),
    ]
elif HTTPS_SWITCH is False:
    # Plain HTTP declared (local compose, runserver): silence exactly the deploy
    # checks that need TLS. Left unset, they stay on, so a TLS deployment that
    # forgot the switch fails `check --deploy`.
    SILENCED_SYSTEM_CHECKS = ["security.W004", "security.W008", "security.W016"]

# --- Logs: to stderr, where `docker compose logs` finds them ----------------
LOGGING = logging_config(
    level=env.str("DJANGO_LOG_LEVEL", default="INFO"),
    format=env.str("DJANGO_LOG_FORMAT", default="plain"),
)

# The release that runs: the image's build writes it (Dockerfile), so no
# variable can make /healthz report another.
VERSION_FILE = BASE_DIR / "VERSION"
GREETER_VERSION = VERSION_FILE.read_text().strip() if VERSION_FILE.exists() else "dev"
