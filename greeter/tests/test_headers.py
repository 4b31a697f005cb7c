"""Every page carries the security headers, error pages included."""

import pytest
from django.test import Client

CSP_DIRECTIVES = {
    "default-src 'none'",
    "style-src 'self'",
    "img-src 'self'",
    "form-action 'self'",
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
}

PAGES = {
    "form": lambda: Client().get("/"),
    "greeting": lambda: Client().post("/greet", {"username": "Ada"}),
    "invalid form": lambda: Client().post("/greet", {"username": ""}),
    "csrf failure": lambda: Client(enforce_csrf_checks=True).post("/greet", {"username": "Ada"}),
    "not found": lambda: Client().get("/no-such-page"),
    "bad host": lambda: Client(headers={"host": "evil.example"}).get("/"),
    "method not allowed": lambda: Client().put("/"),
    "health": lambda: Client().get("/healthz"),
}


@pytest.mark.parametrize("page", PAGES)
def test_security_headers_on_every_page(page):
    response = PAGES[page]()
    assert set(response["Content-Security-Policy"].split("; ")) == CSP_DIRECTIVES
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
