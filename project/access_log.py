"""gunicorn's logger, with the access-log line written straight from the request.

gunicorn's own access() builds a dict of every request header, response
header and environ variable ("atoms") for every request, to offer them all to
access_log_format; that was about a quarter of Greeter's throughput. This line
is gunicorn's default format, Apache's combined log format, with the same
values and the same escaping of double quotes:

    172.18.0.1 - - [26/Nov/2026:10:06:20 +0000] "GET / HTTP/1.1" 200 1685 "-" "curl/8.5"

Set gunicorn's access_log_format to get gunicorn's own atoms back.
"""

import time

from gunicorn import glogging
from gunicorn.config import AccessLogFormat


def quoted(value):
    return value.replace('"', '\\"')


class AccessLogger(glogging.Logger):
    _second, _stamp = None, ""

    def access(self, resp, req, environ, request_time):
        if self.cfg.access_log_format != AccessLogFormat.default:
            return super().access(resp, req, environ, request_time)
        if not self.access_log_enabled:
            return
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        user = self._get_user(environ) if "HTTP_AUTHORIZATION" in environ else None
        request_line = " ".join(
            (environ["REQUEST_METHOD"], environ["RAW_URI"], environ["SERVER_PROTOCOL"])
        )
        self.access_log.info(
            '%s - %s %s "%s" %s %s "%s" "%s"',
            quoted(environ.get("REMOTE_ADDR", "-")),
            quoted(user or "-"),
            self.now(),
            quoted(request_line),
            status,
            "-" if getattr(resp, "sent", None) is None else resp.sent,
            quoted(environ.get("HTTP_REFERER", "-")),
            quoted(environ.get("HTTP_USER_AGENT", "-")),
        )

    def now(self):
        """The time in Apache's format, formatted once a second, not once a request."""
        second = int(time.time())
        if second != self._second:
            self._second, self._stamp = second, time.strftime("[%d/%b/%Y:%H:%M:%S %z]")
        return self._stamp
