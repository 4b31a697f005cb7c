"""A WSGI app for greeter/tests/test_secret_key.py: signs a value with Django's
settings, or checks a signature, and says which worker process answered. Each
answer takes 0.3 s, so that requests sent together meet different sync workers."""

import os
import time
from urllib.parse import unquote

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
django.setup()

from django.core import signing  # noqa: E402 (after setup, as Django requires)


def application(environ, start_response):
    if environ["PATH_INFO"] == "/healthz":
        answer = "ok"
    elif environ["QUERY_STRING"]:
        try:
            answer = signing.loads(unquote(environ["QUERY_STRING"]))
        except signing.BadSignature:
            answer = "bad signature"
    else:
        answer = signing.dumps("signed")
    time.sleep(0.3)
    start_response("200 OK", [("Content-Type", "text/plain"), ("Connection", "close")])
    return [f"{os.getpid()} {answer}".encode()]
