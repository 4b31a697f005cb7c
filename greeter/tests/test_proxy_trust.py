"""Only the proxy decides that a request came over HTTPS: gunicorn believes
X-Forwarded-Proto from FORWARDED_ALLOW_IPS alone and hands Django the scheme it
decided (wsgi.url_scheme). Real gunicorn, Greeter's configuration, the HTTPS switch on."""

import os

import pytest
import requests

from greeter.tests.conftest import TEST_KEY

SPOOFED = {"X-Forwarded-Proto": "https", "Host": "localhost"}


def https_greeter(gunicorn, trusted):
    env = {**os.environ, "DJANGO_BEHIND_HTTPS_PROXY": "true", "DJANGO_SECRET_KEY": TEST_KEY,
           "FORWARDED_ALLOW_IPS": trusted}  # fmt: skip
    url, _ = gunicorn("-w 1", env=env)
    return url


# /robots.txt (whitenoise, after the security middleware): no template, so no
# collected static files are needed in this checkout.
PAGE = "/robots.txt"


def test_the_proto_header_from_an_untrusted_peer_gets_the_redirect_and_no_hsts(gunicorn):
    url = https_greeter(gunicorn, trusted="10.9.9.9")  # the tests call from 127.0.0.1
    response = requests.get(f"{url}{PAGE}", headers=SPOOFED, allow_redirects=False, timeout=10)
    assert response.status_code == 301
    assert response.headers["Location"] == f"https://localhost{PAGE}"
    assert "Strict-Transport-Security" not in response.headers


@pytest.mark.parametrize("trusted", ["127.0.0.1", "127.0.0.0/8"])
def test_the_proto_header_from_the_trusted_proxy_gets_the_page(gunicorn, trusted):
    url = https_greeter(gunicorn, trusted=trusted)
    response = requests.get(f"{url}{PAGE}", headers=SPOOFED, allow_redirects=False, timeout=10)
    assert response.status_code == 200
    assert response.headers["Strict-Transport-Security"] == "max-age=3600"
