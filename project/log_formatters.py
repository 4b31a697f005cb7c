import logging


class ClientErrorFormatter(logging.Formatter):
    """Leaves out the traceback of requests refused with a 4xx status.

    Django logs every request it refuses (a Host not allowed, too many fields,
    a body it can't parse) with the exception attached, and marks the record
    with the response's status_code. Those are the client's doing, expected on
    any public server: one line each. A 5xx, or any error outside a request,
    keeps its traceback, so a traceback in the logs always means a bug.
    """

    def format(self, record: logging.LogRecord) -> str:
        status = getattr(record, "status_code", None)
        if record.exc_info and status is not None and status < 500:
            record = logging.makeLogRecord({**record.__dict__, "exc_info": None, "exc_text": None})
        return super().format(record)
