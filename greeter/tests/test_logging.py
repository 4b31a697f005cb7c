import logging
import sys

from django.conf import settings

from project.log_formatters import OneLineFormatter


def record_with_traceback():
    try:
        raise ValueError("refused")
    except ValueError:
        return logging.LogRecord(
            "django.security", logging.ERROR, "", 0, "Bad host", None, sys.exc_info()
        )


def test_refused_requests_are_logged_as_one_line_without_traceback():
    text = OneLineFormatter("{levelname} {name}: {message}", style="{").format(
        record_with_traceback()
    )
    assert text == "ERROR django.security: Bad host"


def test_other_errors_keep_their_traceback():
    text = logging.Formatter().format(record_with_traceback())
    assert "Traceback" in text


def test_only_djangos_security_logger_uses_the_one_line_format():
    loggers = settings.LOGGING["loggers"]
    assert loggers["django.security"]["handlers"] == ["stderr_one_line"]
    assert settings.LOGGING["root"]["handlers"] == ["stderr"]
