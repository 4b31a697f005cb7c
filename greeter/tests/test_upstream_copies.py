"""Where Greeter copies or calls a private piece of gunicorn, the installed
gunicorn's source must be the one the copy was written against. An upgrade
that changes it fails here, and stops for review, instead of silently running
Greeter's old copy."""

import hashlib
import importlib
import inspect

import pytest

from project import access_log, gevent_worker

PINNED = {**gevent_worker.UPSTREAM, **access_log.UPSTREAM}


def resolve(dotted):
    parts = dotted.split(".")
    for split in range(len(parts) - 1, 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for attribute in parts[split:]:
            target = getattr(target, attribute)
        return target
    raise ImportError(dotted)


@pytest.mark.parametrize("dotted", sorted(PINNED))
def test_the_upstream_source_is_the_one_the_copy_was_written_against(dotted):
    source = inspect.getsource(resolve(dotted))
    digest = hashlib.sha256(source.encode()).hexdigest()
    assert digest == PINNED[dotted], (
        f"{dotted} changed in the installed gunicorn: review the copy or call in "
        f"project/ against it, then record the new digest {digest}"
    )


def test_a_changed_upstream_source_is_caught(monkeypatch):
    from gunicorn import glogging

    def _get_user(self, environ):  # a different body, as an upgrade might bring
        return None

    monkeypatch.setattr(glogging.Logger, "_get_user", _get_user)
    with pytest.raises(AssertionError, match="changed in the installed gunicorn"):
        test_the_upstream_source_is_the_one_the_copy_was_written_against(
            "gunicorn.glogging.Logger._get_user"
        )


def test_the_access_line_is_built_for_gunicorns_default_format_only():
    from gunicorn.config import AccessLogFormat

    assert AccessLogFormat.default == '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"'
