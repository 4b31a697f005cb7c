"""project/access_log.py writes the very line gunicorn's own logger writes."""

import base64
from datetime import timedelta
from types import SimpleNamespace
from unittest import mock

import pytest
from gunicorn import glogging
from gunicorn.config import Config

from project.access_log import AccessLogger

AUTH = "Basic " + base64.b64encode(b"ada:secret").decode()


def line(logger_class, status, sent, headers):
    config = Config()
    config.set("accesslog", "-")
    logger = logger_class(config)
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": '/?q="x"', "SERVER_PROTOCOL": "HTTP/1.1",
               "REMOTE_ADDR": "172.18.0.1", **headers}  # fmt: skip
    response = SimpleNamespace(status=status, sent=sent, headers=[])
    with (
        mock.patch("time.strftime", return_value="[26/Nov/2026:10:06:20 +0000]"),
        mock.patch.object(logger.access_log, "info") as info,
    ):
        logger.access(response, SimpleNamespace(headers=[]), environ, timedelta(milliseconds=3))
    message, *args = info.call_args.args
    return message % (args[0] if isinstance(args[0], dict) else tuple(args))


@pytest.mark.parametrize(
    ("status", "sent", "headers"),
    [
        ("200 OK", 1685, {}),
        (422, 1702, {"HTTP_USER_AGENT": 'Mozilla "quoted"', "HTTP_REFERER": "http://x/"}),
        ("403 Forbidden", None, {"HTTP_AUTHORIZATION": AUTH}),
        ("304 Not Modified", 0, {"HTTP_USER_AGENT": "curl/8.5"}),
    ],
)
def test_access_line_is_gunicorns_default_line(status, sent, headers):
    ours = line(AccessLogger, status, sent, headers)
    assert ours == line(glogging.Logger, status, sent, headers)
    assert ours.startswith("172.18.0.1 - ")
    assert '"GET /?q=\\"x\\" HTTP/1.1"' in ours  # quotes escaped: one request, one line
