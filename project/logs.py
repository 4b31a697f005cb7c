"""How log records are written: a line each, or (DJANGO_LOG_FORMAT=json) one JSON
object each, its traceback inside, for a log shipper. In JSON, a record about a
request (Django's errors, gunicorn's access lines) carries its method, path,
client address and request id: the X-Request-ID header Caddy sets."""

import logging
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from pythonjsonlogger.json import JsonFormatter


def without_a_clients_traceback(record: logging.LogRecord) -> logging.LogRecord:
    """Django logs every request it refuses (a Host not allowed, a body too
    large) with the exception attached and the response's status_code. A 4xx
    is the client's doing: one line. A 5xx, or an error outside a request,
    keeps its traceback, so a traceback always means a bug. A copy, so that
    other handlers (the admins' mail) get the record whole."""
    status = getattr(record, "status_code", None)
    if record.exc_info and status is not None and status < 500:
        return logging.makeLogRecord({**record.__dict__, "exc_info": None, "exc_text": None})
    return record


class PlainFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return super().format(without_a_clients_traceback(record))


class JsonLinesFormatter(JsonFormatter):
    def __init__(self) -> None:
        fields = {
            "asctime": "time",
            "levelname": "level",
            "name": "logger",
            "exc_info": "traceback",
        }
        # Every attribute a record has anyway, and Django's request object, are
        # no fields of their own; what a filter or `extra=` adds is.
        not_fields = [*logging.makeLogRecord({}).__dict__, "message", "request", "server_time"]
        super().__init__(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields=fields,
            reserved_attrs=not_fields,
        )

    def format(self, record: logging.LogRecord) -> str:
        return str(super().format(without_a_clients_traceback(record)))


class RequestFields(logging.Filter):
    """Puts a request's method, path, client and request id on its record, from
    Django's `request` or from gunicorn's access-line atoms."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        if request is not None and hasattr(request, "META"):
            meta = request.META
            record.method, record.path = request.method, request.path
            record.client = meta.get("REMOTE_ADDR")
            record.request_id = meta.get("HTTP_X_REQUEST_ID")
        elif record.name == "gunicorn.access" and isinstance(record.args, Mapping):
            atoms = record.args
            record.method, record.path, record.client = atoms["m"], atoms["U"], atoms["h"]
            record.status_code, record.duration_ms = int(str(atoms["s"])), atoms["M"]
            record.request_id = (
                None if atoms["{x-request-id}i"] == "-" else atoms["{x-request-id}i"]
            )
        return True


def logging_config(level: str, format: str) -> dict[str, Any]:
    """Django's LOGGING (project/settings.py); with JSON, gunicorn's too
    (gunicorn.conf.py), so that every line of the container is one object."""
    level = level.strip().upper()
    if level not in logging.getLevelNamesMapping():
        raise ImproperlyConfigured(
            f"DJANGO_LOG_LEVEL={level!r} is not a log level: use DEBUG, INFO, WARNING, "
            "ERROR or CRITICAL."
        )
    if format not in ("plain", "json"):
        raise ImproperlyConfigured(f"DJANGO_LOG_FORMAT={format!r} is neither plain nor json.")
    handler = {"class": "logging.StreamHandler", "formatter": format, "filters": ["request"]}
    config: dict[str, Any] = {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request": {"()": RequestFields}},
        "formatters": {
            "plain": {
                "()": PlainFormatter,
                "format": "{asctime} {levelname} {name}: {message}",
                "style": "{",
            },
            "json": {"()": JsonLinesFormatter},
        },
        "handlers": {"stderr": handler},
        "root": {"handlers": ["stderr"], "level": level},
    }
    if format == "json":  # gunicorn's own loggers, access lines to stdout as before
        config["handlers"]["stdout"] = {**handler, "stream": "ext://sys.stdout"}
        config["loggers"] = {
            "gunicorn.error": {"handlers": ["stderr"], "propagate": False},
            "gunicorn.access": {"handlers": ["stdout"], "propagate": False},
        }
    return config
