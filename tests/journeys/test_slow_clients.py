"""Slowloris: connections that trickle their requests, never finishing them.
Through Caddy (the production stack) 1,000 over TLS, headers and bodies; on the
plain port, fewer than gunicorn's threads (docs/security.md). A normal visitor
is still answered, and the times are printed."""

import asyncio
import resource
import ssl
import threading
import time

import requests

TRICKLE_EVERY = 2.0  # seconds between header lines
HOLD_FOR = 25.0  # seconds the slow clients stay, at most


async def slow_client(port, stop, tls=None, body=False):
    """One client that trickles its request: a header line every TRICKLE_EVERY
    seconds, or (`body`) whole headers, then a form body a byte at a time."""
    try:
        _, writer = await asyncio.open_connection(
            "127.0.0.1", port, ssl=tls, server_hostname="localhost" if tls else None
        )
    except OSError:
        return False
    host = "localhost" if tls else f"127.0.0.1:{port}"
    try:
        if body:
            writer.write(
                f"POST /greet HTTP/1.1\r\nHost: {host}\r\nContent-Type: "
                "application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n"
                "username=".encode()
            )
        else:
            writer.write(f"GET / HTTP/1.1\r\nHost: {host}\r\n".encode())
        await writer.drain()
        line = 0
        while not stop.is_set():
            await asyncio.sleep(TRICKLE_EVERY)
            line += 1
            writer.write(b"a" if body else f"X-Slow-{line}: still typing\r\n".encode())
            await writer.drain()
        return True
    except OSError:
        return False
    finally:
        writer.close()


class Slowloris:
    """The slow clients, on their own event loop in a thread, bounded in
    count (`clients`) and time (HOLD_FOR)."""

    def __init__(self, port, clients, tls=None, bodies=0):
        self.port, self.clients, self.tls, self.bodies = port, clients, tls, bodies
        self.connected = 0
        self._thread = threading.Thread(target=asyncio.run, args=(self._main(),), daemon=True)
        self._ready = threading.Event()
        self._loop = self._stop = None

    async def _main(self):
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        tasks = [
            asyncio.create_task(slow_client(self.port, self._stop, self.tls, n < self.bodies))
            for n in range(self.clients)
        ]
        await asyncio.sleep(3)  # let the connections open (TLS handshakes take longer)
        self.connected = sum(1 for t in tasks if not t.done())
        self._ready.set()
        try:
            await asyncio.wait_for(self._stop.wait(), HOLD_FOR)
        except TimeoutError:
            self._stop.set()
        await asyncio.gather(*tasks)

    def __enter__(self):
        self._thread.start()
        assert self._ready.wait(30)
        return self

    def __exit__(self, *exc):
        assert self._loop, "entered"
        assert self._stop, "entered"
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=30)


def test_on_the_plain_port_visitors_are_served_while_3_clients_trickle_headers(stack):
    """gunicorn's threads read a request whole: a client that trickles holds a
    thread. Fewer than one worker's 4 are held without a visitor waiting (7
    already keep visitors waiting seconds: docs/security.md); the stack to
    expose is the production one, whose Caddy holds them."""
    served_while_slow_clients_trickle(f"{stack.url}/", Slowloris(stack.port, clients=3), True)


def test_through_caddy_visitors_are_served_while_1000_tls_clients_trickle(production):
    """The stack to expose: Caddy reads every request, headers and form body,
    before Greeter's threads see it. Half trickle headers, half a form body;
    each normal visitor is served within a second."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4096)), hard))
    tls = ssl.create_default_context(cafile=str(production.root))
    slowloris = Slowloris(production.https_port, clients=1000, tls=tls, bodies=500)
    served_while_slow_clients_trickle(f"{production.https_url}/", slowloris, str(production.root))


def served_while_slow_clients_trickle(url, slowloris, verify):
    with slowloris:
        assert slowloris.connected == slowloris.clients  # all holding a connection open
        latencies = []
        for _ in range(100):
            started = time.monotonic()
            assert requests.get(url, timeout=5, verify=verify).status_code == 200
            latencies.append(time.monotonic() - started)
    latencies.sort()
    print(
        f"\nslowloris: a visitor answered in {latencies[49] * 1000:.0f} ms (p50), "
        f"{latencies[98] * 1000:.0f} ms (p99)"
    )
