import logging
import sys

from project.log_formatters import ClientErrorFormatter


def record(status_code=None):
    try:
        raise ValueError("refused")
    except ValueError:
        exc_info = sys.exc_info()
    log = logging.LogRecord("django.request", logging.WARNING, "", 0, "Bad request", None, exc_info)
    if status_code is not None:
        log.status_code = status_code
    return log


def formatted(log):
    return ClientErrorFormatter("{levelname} {name}: {message}", style="{").format(log)


def test_refused_requests_are_logged_as_one_line_without_traceback():
    assert formatted(record(400)) == "WARNING django.request: Bad request"


def test_server_errors_keep_their_traceback():
    assert "Traceback" in formatted(record(500))


def test_errors_outside_a_request_keep_their_traceback():
    assert "Traceback" in formatted(record())


def test_the_original_record_is_left_intact_for_other_handlers():
    log = record(403)
    formatted(log)
    assert log.exc_info is not None
