"""A raw HTTP/1.1 client for the hostile-request tests: it sends exactly the
bytes given, where a normal client library would refuse or "fix" them."""

import re
import socket
import ssl
from dataclasses import dataclass


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]  # lower-case names; repeated headers joined with ", "
    body: bytes

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")


def raw_request(port, data, *, timeout=10, shutdown_write=False, host="127.0.0.1"):
    """Sends `data` to host:port (127.0.0.1 unless given) and reads one response.

    The server may answer and close before it has read everything (a body
    that is too large): the send error is ignored and the answer read anyway.
    """
    with socket.create_connection((host, port), timeout=timeout) as sock:
        try:
            sock.sendall(data)
            if shutdown_write:
                sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass
        received = b""
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                received += chunk
                if complete(received):
                    break
        except ConnectionResetError:
            pass
    return parse(received)


def tls_get(address, port, root, path="/", host="localhost"):
    """GET `path` over TLS from address:port for `host` (its SNI and Host), the
    certificate checked against `root` (Caddy's), whatever the name resolves to."""
    context = ssl.create_default_context(cafile=str(root))
    with (
        socket.create_connection((address, port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname=host) as tls,
    ):
        tls.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        received = b""
        while chunk := tls.recv(65536):
            received += chunk
    return parse(received)


def complete(received):
    head, separator, body = received.partition(b"\r\n\r\n")
    if not separator:
        return False
    length = re.search(rb"(?im)^content-length:\s*(\d+)\s*$", head)
    if length:
        return len(body) >= int(length.group(1))
    if re.search(rb"(?im)^transfer-encoding:\s*chunked", head):
        return body.endswith(b"0\r\n\r\n")
    return False


def parse(received):
    head, _, body = received.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    match = re.match(r"HTTP/1\.[01] (\d{3})", lines[0])
    if not match:
        raise ConnectionError(f"no HTTP response: {received[:200]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        key = name.strip().lower()
        headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = dechunk(body)
    return RawResponse(int(match.group(1)), headers, body)


def dechunk(body):
    out = b""
    while body:
        size_line, _, rest = body.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out += rest[:size]
        body = rest[size + 2 :]
    return out
