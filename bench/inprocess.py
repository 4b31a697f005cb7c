"""Greeter's cost in process, with pyperf: Django's WSGI application called directly, no server,
for `GET /` as a first visit (no cookie) and a valid `POST /greet` carrying the CSRF cookie and
token that the form gave. It measures the tree in the working directory, so the same script times
another revision too; collect its static files first (docs/benchmark.md):

    DJANGO_DEBUG=false python manage.py collectstatic --noinput -v0
    python bench/inprocess.py -o new.json
"""

import io
import os
import re
import sys
from collections.abc import Callable

import pyperf
from django.core.handlers.wsgi import WSGIHandler
from django.core.wsgi import get_wsgi_application

Headers = list[tuple[str, str]]


def call(
    app: WSGIHandler, method: str, body: bytes = b"", cookie: str = ""
) -> tuple[str, Headers, bytes]:
    """One request to the WSGI application: `GET /`, or `POST /greet` with `body`."""
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": "/greet" if method == "POST" else "/",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "5000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1:5000",
        "HTTP_COOKIE": cookie,
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
    }
    started: list[tuple[str, Headers]] = []

    def start_response(status: str, headers: Headers, *_: object) -> Callable[[bytes], object]:
        started.append((status, headers))
        return io.BytesIO().write  # WSGI's legacy write(), which Django never calls

    content = b"".join(app(environ, start_response))
    return (*started[0], content)


def main() -> None:
    runner = pyperf.Runner()
    sys.path.insert(0, os.getcwd())  # the tree to measure
    os.environ["DJANGO_SETTINGS_MODULE"] = "project.settings"
    os.environ["DJANGO_DEBUG"] = "false"  # as served: pages link the collected, hashed files
    app = get_wsgi_application()
    _, headers, page = call(app, "GET")
    cookies = [value.split(";")[0].strip() for name, value in headers if name == "Set-Cookie"]
    cookie = next(c for c in cookies if c.startswith("csrftoken="))
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    body = b"username=Ada+Lovelace&csrfmiddlewaretoken=" + (token[1] if token else b"")
    status, _, greeting = call(app, "POST", body, cookie)
    if not status.startswith("200") or b"Hello Ada Lovelace" not in greeting:
        raise SystemExit(f"POST /greet answered {status}: the timings would measure an error")
    runner.bench_func("GET /", call, app, "GET")
    runner.bench_func("POST /greet", call, app, "POST", body, cookie)


if __name__ == "__main__":
    main()
