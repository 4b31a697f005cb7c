"""The benchmark's ceiling: the least a WSGI app can do to answer with a page
the size of Greeter's form. Served by the same image and gunicorn.conf.py as
Greeter, it measures the server, Docker and the network path alone."""

from collections.abc import Callable
from typing import Any

BODY = (
    b"<!doctype html><html lang=en><head><meta charset=utf-8><title>Ceiling</title></head>"
    b"<body><main>" + b"Hello! What is your name? " * 60 + b"</main></body></html>"
)
HEADERS = [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(BODY)))]


def application(
    environ: dict[str, Any], start_response: Callable[[str, list[tuple[str, str]]], object]
) -> list[bytes]:
    if environ.get("CONTENT_LENGTH"):
        environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
    start_response("200 OK", HEADERS)
    return [BODY]
