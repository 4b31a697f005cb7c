"""Hostile and malformed requests against the running container, sent as raw
bytes (a client library would refuse or repair most of them). Each has its
intended answer; afterwards the server still answers and has logged no
traceback."""

from urllib.parse import quote

import pytest
import requests

from tests.support import csrf_token, raw_request

FORM = "application/x-www-form-urlencoded"
GREETING_END = b", Welcome to this app for Docker Demonstration."


@pytest.fixture(scope="module")
def csrf(stack):
    """A fresh CSRF cookie and a token for it, as a browser holds them."""
    session = requests.Session()
    token = csrf_token(session.get(f"{stack.url}/", timeout=10).text)
    return session.cookies["csrftoken"], token


class Request:
    """Builds the raw bytes of one request to the stack."""

    def __init__(self, stack, csrf):
        self.host = f"127.0.0.1:{stack.port}"
        self.cookie, self.token = csrf

    def raw(self, request_line, headers=(), body=b"", host=True):
        lines = [request_line]
        if host:
            lines.append(f"Host: {self.host}")
        lines += list(headers)
        head = "\r\n".join(lines).encode("latin-1") + b"\r\n\r\n"
        return head + body

    def post(self, body, *, content_type=FORM, cookie=True, token=None, headers=(), path="/greet"):
        body = body if isinstance(body, bytes) else body.encode()
        extra = [f"Content-Length: {len(body)}"]
        if content_type:
            extra.append(f"Content-Type: {content_type}")
        if cookie:
            extra.append(f"Cookie: csrftoken={self.cookie}")
        if token:
            extra.append(f"X-CSRFToken: {token}")
        return self.raw(f"POST {path} HTTP/1.1", extra + list(headers), body)

    def form(self, name_encoded, **kwargs):
        """A form post whose username is given already percent-encoded."""
        return self.post(f"username={name_encoded}&csrfmiddlewaretoken={self.token}", **kwargs)

    def name(self, name, **kwargs):
        return self.form(quote(name, safe=""), **kwargs)

    def form_raw_bytes(self):
        """Bytes that aren't UTF-8, not percent-encoded, as no browser sends them."""
        return self.post(b"username=Ada\xff\xfe&csrfmiddlewaretoken=" + self.token.encode())

    def truncated_body(self):
        request = self.form("Ada")
        head, _, body = request.partition(b"\r\n\r\n")
        return head + b"\r\n\r\n" + body[: len(body) // 2]  # half the promised bytes, then EOF

    @property
    def stale_token(self):
        """A valid token, but for a cookie this client no longer holds."""
        other = requests.Session()
        return csrf_token(other.get(f"http://{self.host}/", timeout=10).text)

    def multipart(self, parts, boundary="greeterboundary", declared=None):
        body = (
            b"".join(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"{extra}\r\n\r\n'.encode()
                + value
                + b"\r\n"
                for name, value, extra in parts
            )
            + f"--{boundary}--\r\n".encode()
        )
        return self.post(body, content_type=f"multipart/form-data; boundary={declared or boundary}")


def T(r):
    return r


# (id, how to build the request, expected status, text the body must contain)
CASES = [
    # The name, through the form.
    ("blank name", lambda r: r.name(""), 422, b"Please enter your name."),
    ("whitespace-only name", lambda r: r.name(" \t "), 422, b"Please enter your name."),
    ("10,000-character name", lambda r: r.name("a" * 10_000), 422, b"at most 100 characters"),
    ("NUL in name", lambda r: r.form("Ada%00"), 422, b"invisible control character"),
    ("escape character", lambda r: r.form("Ada%1B%5B31m"), 422, b"invisible control character"),
    ("line break in name", lambda r: r.form("Ada%0D%0ASet-Cookie:x"), 422, b"control character"),
    ("tab inside name", lambda r: r.form("Ada%09Lovelace"), 422, b"control character"),
    ("DEL character", lambda r: r.form("Ada%7F"), 422, b"control character"),
    ("C1 control character", lambda r: r.form("Ada%C2%85Lovelace"), 422, b"control character"),
    ("invalid UTF-8, percent-encoded", lambda r: r.form("Ada%FF%FE"), 422, b"could not be read"),
    # Unencoded bytes that aren't UTF-8: Django reads the body as Latin-1 then.
    ("invalid UTF-8, raw bytes", lambda r: r.form_raw_bytes(), 200, "Hello Adaÿþ".encode() + GREETING_END),
    ("truncated UTF-8 sequence", lambda r: r.form("Ada%E2%82"), 422, b"could not be read"),
    ("broken percent-encoding", lambda r: r.form("Ada%ZZ%"), 200, b"Hello Ada%ZZ%" + GREETING_END),
    ("double-encoded markup", lambda r: r.form("%253Cb%253E"), 200, b"Hello %3Cb%3E" + GREETING_END),
    ("markup in name", lambda r: r.name("<script>x</script>"), 200, b"Hello &lt;script&gt;x&lt;/script&gt;"),
    # Bodies.
    ("3 MB body", lambda r: r.name("a" * 3_000_000), 400, b"Bad request"),
    ("2,000 form fields", lambda r: r.form("Ada&" + "&".join(f"f{i}=x" for i in range(2000))), 400, b"Bad request"),
    ("text/plain body, token in header", lambda r: r.post("username=Ada", content_type="text/plain", token=r.token), 422, b"Please enter your name."),
    ("JSON body, token in header", lambda r: r.post('{"username": "Ada"}', content_type="application/json", token=r.token), 422, b"Please enter your name."),
    ("no Content-Type, token in header", lambda r: r.post("username=Ada", content_type=None, token=r.token), 422, b"Please enter your name."),
    ("text/plain body, no token", lambda r: r.post("username=Ada", content_type="text/plain"), 403, b"expired"),
    ("multipart form", lambda r: r.multipart([("username", b"Ada", ""), ("csrfmiddlewaretoken", r.token.encode(), "")]), 200, b"Hello Ada" + GREETING_END),
    ("multipart with a file", lambda r: r.multipart([("csrfmiddlewaretoken", r.token.encode(), ""), ("f", b"x" * 100_000, '; filename="a.bin"')]), 400, b"Bad request"),
    ("multipart, wrong boundary", lambda r: r.multipart([("username", b"Ada", "")], declared="other"), 403, b"expired"),
    ("multipart, no boundary", lambda r: r.post("--x\r\n", content_type="multipart/form-data"), 400, b"Bad request"),
    ("truncated body", lambda r: r.truncated_body(), 403, b"expired"),
    # CSRF.
    ("missing CSRF token", lambda r: r.post("username=Ada"), 403, b"expired"),
    ("forged CSRF token", lambda r: r.post("username=Ada&csrfmiddlewaretoken=" + "A" * 64), 403, b"expired"),
    ("stale CSRF token", lambda r: r.post("username=Ada&csrfmiddlewaretoken=" + r.stale_token), 403, b"expired"),
    ("missing CSRF cookie", lambda r: r.form("Ada", cookie=False), 403, b"expired"),
    # Headers and request line.
    ("Host not allowed", lambda r: r.raw("GET / HTTP/1.1", host=False, headers=["Host: evil.example"]), 400, b"Bad request"),
    ("two Host headers", lambda r: r.raw("GET / HTTP/1.1", headers=["Host: evil.example"]), 400, b"Bad Request"),
    ("HTTP/1.0 without Host", lambda r: r.raw("GET / HTTP/1.0", host=False), 400, b"Bad request"),
    ("request line over 8 KB", lambda r: r.raw(f"GET /{'a' * 9000} HTTP/1.1"), 414, b"URI Too Long"),
    ("200 headers", lambda r: r.raw("GET / HTTP/1.1", headers=[f"X-H{i}: v" for i in range(200)]), 431, b"Request Header Fields Too Large"),
    ("oversized header", lambda r: r.raw("GET / HTTP/1.1", headers=["X-Big: " + "a" * 9000]), 431, b"Request Header Fields Too Large"),
    ("oversized cookie", lambda r: r.raw("GET / HTTP/1.1", headers=["Cookie: c=" + "a" * 9000]), 431, b"Request Header Fields Too Large"),
    ("obsolete header folding", lambda r: r.raw("GET / HTTP/1.1", headers=["X-A: a", " b"]), 400, b"Bad Request"),
    ("space in a header name", lambda r: r.raw("GET / HTTP/1.1", headers=["X A: b"]), 400, b"Bad Request"),
    ("unknown HTTP version", lambda r: r.raw("GET / HTTP/9.9"), 400, b"Bad Request"),
    ("invalid Content-Length", lambda r: r.raw("POST /greet HTTP/1.1", headers=["Content-Length: abc"]), 400, b"Bad Request"),
    ("negative Content-Length", lambda r: r.raw("POST /greet HTTP/1.1", headers=["Content-Length: -1"]), 400, b"Bad Request"),
    # Request smuggling.
    ("Content-Length with Transfer-Encoding", lambda r: r.raw("POST /greet HTTP/1.1", headers=["Content-Length: 5", "Transfer-Encoding: chunked"], body=b"0\r\n\r\n"), 400, b"Bad Request"),
    ("two different Content-Lengths", lambda r: r.raw("POST /greet HTTP/1.1", headers=["Content-Length: 5", "Content-Length: 6"], body=b"abcdef"), 400, b"Bad Request"),
    ("chunked, then identity", lambda r: r.raw("POST /greet HTTP/1.1", headers=["Transfer-Encoding: chunked, identity"], body=b"0\r\n\r\n"), 400, b"Bad Request"),
    # RFC 9112 §6.1: a transfer coding the server does not know gets 501.
    ("unknown transfer coding", lambda r: r.raw("POST /greet HTTP/1.1", headers=["Transfer-Encoding: xchunked"], body=b"0\r\n\r\n"), 501, b"Bad Request"),
    # Methods.
    ("PUT without a token", lambda r: r.raw("PUT / HTTP/1.1", headers=["Content-Length: 0"]), 403, b"Not allowed"),
    ("PUT with a token", lambda r: r.post("", path="/", token=r.token).replace(b"POST", b"PUT", 1), 405, b""),
    ("DELETE with a token", lambda r: r.post("", token=r.token).replace(b"POST", b"DELETE", 1), 405, b""),
    ("TRACE", lambda r: r.raw("TRACE / HTTP/1.1"), 405, b""),
    ("OPTIONS", lambda r: r.raw("OPTIONS / HTTP/1.1"), 405, b""),
    ("nonsense method with a token", lambda r: r.post("", path="/", token=r.token).replace(b"POST", b"BREW", 1), 405, b""),
    ("method with invalid characters", lambda r: r.raw("G@T / HTTP/1.1"), 400, b"Bad Request"),
    # Paths.
    ("path traversal under /static/", lambda r: r.raw("GET /static/../project/settings.py HTTP/1.1"), 404, b"Page not found"),
    ("encoded traversal", lambda r: r.raw("GET /static/..%2f..%2fproject%2fsettings.py HTTP/1.1"), 404, b"Page not found"),
    ("double-encoded traversal", lambda r: r.raw("GET /static/%252e%252e/%252e%252e/etc/passwd HTTP/1.1"), 404, b"Page not found"),
    ("backslash traversal", lambda r: r.raw("GET /static/..%5cproject%5csettings.py HTTP/1.1"), 404, b"Page not found"),
    ("NUL in the path", lambda r: r.raw("GET /static/greeter/greeter.css%00.txt HTTP/1.1"), 404, b"Page not found"),
    ("directory listing", lambda r: r.raw("GET /static/greeter/ HTTP/1.1"), 404, b"Page not found"),
]  # fmt: skip


SECURITY_HEADERS = ("content-security-policy", "x-content-type-options", "x-frame-options")


def send(stack, csrf, case, build):
    # The truncated body ends with the client closing its side, as a client
    # that gives up does; otherwise the server would rightly wait for the rest.
    return raw_request(
        stack.port, build(Request(stack, csrf)), shutdown_write=case == "truncated body"
    )


@pytest.mark.parametrize(("case", "build", "status", "expected"), CASES, ids=[c[0] for c in CASES])
def test_hostile_request_gets_its_intended_answer(stack, csrf, case, build, status, expected):
    assert len(CASES) >= 40
    response = send(stack, csrf, case, build)
    assert response.status == status, response.text[:500]
    assert expected in response.body
    assert b"Traceback" not in response.body
    if "charset=utf-8" in response.headers.get("content-type", ""):  # Django's pages
        for header in SECURITY_HEADERS:
            assert header in response.headers, f"{header} missing"


def test_after_the_corpus_the_server_still_answers_and_logged_no_traceback(stack, csrf):
    for case, build, status, _ in CASES:  # the whole corpus once more, back to back
        assert send(stack, csrf, case, build).status == status
    assert requests.get(f"{stack.url}/", timeout=5).status_code == 200
    logs = stack.logs()
    assert "Traceback" not in logs
    assert " 500 " not in logs
