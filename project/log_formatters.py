import logging


class OneLineFormatter(logging.Formatter):
    """Formats a record without its traceback.

    Django logs every refused request (a Host not allowed, too many fields, a
    body too large) at ERROR with the exception attached. Those are the
    client's fault, expected on any public server: one line each is enough,
    and a traceback in the logs should always mean a bug.
    """

    def formatException(self, exc_info):
        return ""

    def formatStack(self, stack_info):
        return ""
