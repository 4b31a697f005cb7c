"""The worker class a team extends Greeter with: gunicorn's own gthread, under
which an async view and a database call beside it each keep a thread."""

import threading
import time

import requests


def test_an_async_view_and_a_database_call_beside_it_both_answer(gunicorn):
    """One worker, the shipped gunicorn.conf.py: while an async view awaits, a
    sync view calls an async_unsafe function (what every database query goes
    through). Under gevent both ran on one thread, whose event loop was the
    async view's, and the sync one answered 500 SynchronousOnlyOperation."""
    url, _ = gunicorn("-w 1", "greeter.tests.async_wsgi:application")
    waited = {}

    def wait():
        waited["response"] = requests.get(f"{url}/waits", timeout=10)

    waiting = threading.Thread(target=wait)
    waiting.start()
    time.sleep(0.5)  # the async view is awaiting now
    queried = requests.get(f"{url}/queries", timeout=10)
    waiting.join(timeout=10)
    assert queried.status_code == 200, queried.text[:300]
    assert queried.text == "queried"
    assert waited["response"].status_code == 200
    assert waited["response"].text == "waited"
