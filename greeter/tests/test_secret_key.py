"""With no DJANGO_SECRET_KEY, every gunicorn worker of a container has the same
key: a value signed in one worker verifies in every other."""

import os
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import requests

WORKERS = 3


def together(url):
    """{worker pid: text} of WORKERS requests sent at once: each sync worker
    holds one for 0.3 s, so each is answered by another worker."""
    with ThreadPoolExecutor(WORKERS) as pool:
        texts = pool.map(lambda _: requests.get(url, timeout=10).text, range(WORKERS))
    return dict(text.split(" ", 1) for text in texts)


def test_a_value_signed_in_one_worker_verifies_in_every_other(gunicorn):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_SECRET_KEY")}
    app = "greeter.tests.signing_wsgi:application"
    url, _ = gunicorn(f"-k sync --threads 1 -w {WORKERS}", app, env=env)
    signed = together(url)  # worker → what it signed
    assert len(signed) == WORKERS
    for signer, signature in signed.items():
        checked = together(f"{url}/?{quote(signature)}")
        assert len(checked) == WORKERS
        assert set(checked.values()) == {"signed"}, (signer, checked)
