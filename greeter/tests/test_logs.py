"""How log records are written (project/logs.py): a refused request is one
line, a bug keeps its traceback, and JSON carries the request in its record."""

import json
import logging
import sys

from django.test import RequestFactory

from project.logs import JsonLinesFormatter, PlainFormatter, RequestFields


def record(status_code=None, request=None):
    try:
        raise ValueError("refused")
    except ValueError:
        exc_info = sys.exc_info()
    log = logging.LogRecord("django.request", logging.WARNING, "", 0, "Bad request", None, exc_info)
    if status_code is not None:
        log.status_code = status_code
    if request is not None:
        log.request = request
    return log


def plain(log):
    return PlainFormatter("{levelname} {name}: {message}", style="{").format(log)


def test_a_refused_request_is_one_line_and_a_bug_keeps_its_traceback():
    assert plain(record(400)) == "WARNING django.request: Bad request"
    assert "Traceback" in plain(record(500))
    assert "Traceback" in plain(record())  # an error outside a request


def test_the_record_is_left_whole_for_the_other_handlers():
    log = record(403)
    plain(log)
    assert log.exc_info is not None  # the admins' mail still gets it


def test_a_json_record_holds_its_request_and_traceback_in_one_line():
    request = RequestFactory(headers={"X-Request-ID": "f00d"}).post(
        "/greet", REMOTE_ADDR="203.0.113.9"
    )
    log = record(500, request)
    RequestFields().filter(log)
    line = JsonLinesFormatter().format(log)
    assert "\n" not in line
    fields = json.loads(line)
    expected = {"level": "WARNING", "logger": "django.request", "message": "Bad request",
                "method": "POST", "path": "/greet", "client": "203.0.113.9",
                "request_id": "f00d", "status_code": 500}  # fmt: skip
    assert fields.items() >= expected.items()
    assert fields["traceback"].startswith("Traceback")
    assert "request" not in fields  # the object itself is no field
