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
}
# Not a page of Greeter's (JSON): the site's policy, which lets this site's own
# static scripts run (test_extending.py).
OTHER = {"health": lambda: Client().get("/healthz")}


@pytest.mark.parametrize("page", [*PAGES, *OTHER])
def test_security_headers_on_every_page(page):
    response = {**PAGES, **OTHER}[page]()
    directives = set(response["Content-Security-Policy"].split("; "))
    assert directives == (
        CSP_DIRECTIVES if page in PAGES else CSP_DIRECTIVES | {"script-src 'self'"}
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    denied = dict(feature.split("=") for feature in response["Permissions-Policy"].split(", "))
    assert {"camera", "microphone", "geolocation", "payment", "usb"} <= set(denied)
    assert set(denied.values()) == {"()"}  # every feature named is denied to every origin
