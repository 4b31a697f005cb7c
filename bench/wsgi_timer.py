"""Times Django's WSGI application of the project in the working directory:
ms of CPU per request for `GET /` (a first visit, no cookie) and for a valid
`POST /greet` (the cookie and token that page gave). Prints them as JSON.

    python bench/wsgi_timer.py REQUESTS      # run in the project's directory (bench/inprocess.py)
"""

import io
import json
import os
import re
import sys
import time
from collections.abc import Callable
from typing import Any


def measure(requests: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()

    def call(
        method: str, body: bytes = b"", cookie: str | None = None
    ) -> tuple[list[tuple[str, str]], bytes]:
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method, "PATH_INFO": "/" if method == "GET" else "/greet",
            "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "5000",
            "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_HOST": "127.0.0.1:5000",
            "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr,
            "CONTENT_LENGTH": str(len(body)), "CONTENT_TYPE": "application/x-www-form-urlencoded",
        }  # fmt: skip
        if cookie:
            environ["HTTP_COOKIE"] = cookie
        answer: dict[str, list[tuple[str, str]]] = {}

        def start_response(status: str, headers: list[tuple[str, str]], *_: Any) -> Any:
            answer["h"] = headers

        body = b"".join(application(environ, start_response))
        return answer["h"], body

    headers, html = call("GET")
    cookie = next(value for key, value in headers if key == "Set-Cookie").split(";")[0]
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    if match is None:
        raise SystemExit("GET / has no CSRF token")
    token = match.group(1)
    post = b"username=Ada+Lovelace&csrfmiddlewaretoken=" + token
    if b"Hello Ada Lovelace," not in call("POST", post, cookie)[1]:
        raise SystemExit("POST /greet did not greet: the timings would measure an error page")

    results: dict[str, float] = {}
    cases: dict[str, Callable[[], object]] = {
        "GET /": lambda: call("GET"),
        "POST /greet": lambda: call("POST", post, cookie),
    }
    for case, request in cases.items():
        for _ in range(requests // 10):  # warm-up
            request()
        started = time.process_time()
        for _ in range(requests):
            request()
        results[case] = (time.process_time() - started) / requests * 1000
    print(json.dumps(results))


if __name__ == "__main__":
    measure(int(sys.argv[1]))
