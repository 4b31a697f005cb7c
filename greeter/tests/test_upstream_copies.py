"""Where Greeter's gevent worker copies, overrides or calls a piece of gunicorn,
the installed gunicorn's source must be the one it was written against. An
upgrade that changes one fails here, and stops for review, instead of silently
running Greeter's old copy."""

import hashlib
import importlib
import inspect

import pytest

from project import gevent_worker

PINNED = gevent_worker.UPSTREAM


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
    from gunicorn.workers import base

    def handle_exit(self, sig, frame):  # a different body, as an upgrade might bring
        self.alive = False

    monkeypatch.setattr(base.Worker, "handle_exit", handle_exit)
    with pytest.raises(AssertionError, match="changed in the installed gunicorn"):
        test_the_upstream_source_is_the_one_the_copy_was_written_against(
            "gunicorn.workers.base.Worker.handle_exit"
        )


def test_every_method_the_worker_overrides_is_pinned():
    overridden = {
        name for name, value in vars(gevent_worker.GeventWorker).items() if callable(value)
    }
    pinned = {dotted.rsplit(".", 1)[1] for dotted in PINNED}
    assert overridden <= pinned
