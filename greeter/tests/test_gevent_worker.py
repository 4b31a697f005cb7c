"""What project/gevent_worker.py adds to gunicorn's gevent worker, each beside the
stock worker under real gunicorn: the day gunicorn's own does as well, these
fail, and the copy can go."""

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from tests.conftest import require

GREETERS = "project.gevent_worker.GeventWorker"
STOCK = "gevent"


def worker_pid(server):
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children")
    if not children.exists():
        require("Linux's /proc", "this test finds the worker and its heartbeat file there")
    [worker] = children.read_text().split()
    return int(worker)


def heartbeat(pid):
    """The mtime of the worker's heartbeat file, which its run loop touches once a turn."""
    for fd in glob.glob(f"/proc/{pid}/fd/*"):
        try:
            if "wgunicorn-" in os.readlink(fd):
                return os.stat(fd).st_mtime
        except OSError:
            continue
    raise AssertionError(f"no heartbeat file open in worker {pid}")


def gone(pid):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] == "Z"  # exited, not yet reaped
    except FileNotFoundError:
        return True


def seconds_to_stop_after_a_heartbeat(gunicorn, worker_class):
    """SIGTERM to an idle worker just after its loop's turn: the stock loop naps a
    second before it looks at its stop flag again."""
    _, server = gunicorn(f"-k {worker_class} -w 1")
    worker = worker_pid(server)
    before = heartbeat(worker)
    while heartbeat(worker) == before:
        time.sleep(0.005)
    started = time.monotonic()
    os.kill(worker, signal.SIGTERM)
    while not gone(worker):
        time.sleep(0.005)
    return time.monotonic() - started


def test_an_idle_worker_stops_at_once_where_the_stock_one_naps_a_second(gunicorn):
    assert seconds_to_stop_after_a_heartbeat(gunicorn, GREETERS) < 0.5  # 0.14-0.17 s measured
    assert seconds_to_stop_after_a_heartbeat(gunicorn, STOCK) > 0.9  # 1.12-1.14 s measured


REQUEST = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"


def slowest_of_64_new_connections_under_load(gunicorn, worker_class):
    """Seconds until the last of 64 connections opened together gets its answer,
    while 16 keep-alive connections of wrk keep two workers busy."""
    url, _ = gunicorn(f"-k {worker_class} -w 2 --access-logfile /dev/null")
    port = int(url.rsplit(":", 1)[1])
    load = subprocess.Popen(
        ["wrk", "-t2", "-c16", "-d4s", f"{url}/healthz"], stdout=subprocess.DEVNULL
    )
    try:
        time.sleep(1.5)
        connections = [socket.create_connection(("127.0.0.1", port)) for _ in range(64)]
        started = time.monotonic()
        for connection in connections:
            connection.sendall(REQUEST)
        for connection in connections:
            connection.settimeout(10)
            assert connection.recv(100).startswith(b"HTTP/1.1 200")
            connection.close()
        return time.monotonic() - started
    finally:
        load.wait(timeout=30)


def test_new_connections_under_load_are_accepted_in_batches(gunicorn):
    if not shutil.which("wrk"):
        require("wrk", "apt-get install wrk")
    assert slowest_of_64_new_connections_under_load(gunicorn, GREETERS) < 1.0  # 0.11-0.18 s
    assert slowest_of_64_new_connections_under_load(gunicorn, STOCK) > 1.5  # 2.2-2.6 s


def answered_of_40_connections_waiting_at_the_stop(gunicorn, worker_class):
    """40 connections that the kernel accepted while the worker was busy (here:
    stopped with SIGSTOP), each with its request sent, wait in the listening
    socket's backlog when the stop comes. Returns how many got an answer: closing
    the listening socket resets the others, and a proxy can't tell whether a
    POST sent on one was acted on."""
    url, server = gunicorn(f"-k {worker_class} -w 1 --access-logfile /dev/null")
    port = int(url.rsplit(":", 1)[1])
    worker = worker_pid(server)
    os.kill(worker, signal.SIGSTOP)
    connections = [socket.create_connection(("127.0.0.1", port)) for _ in range(40)]
    for connection in connections:
        connection.sendall(REQUEST)
    server.send_signal(signal.SIGTERM)  # the master closes its listener and stops the worker
    time.sleep(0.5)  # its SIGTERM now waits for the worker
    os.kill(worker, signal.SIGCONT)
    answered = 0
    for connection in connections:
        connection.settimeout(10)
        with contextlib.suppress(ConnectionResetError):
            answered += connection.recv(100).startswith(b"HTTP/1.1 200")
        connection.close()
    return answered


def test_connections_waiting_at_a_stop_are_answered_as_the_stock_worker_answers_them(gunicorn):
    """The stock worker accepts them during the second it naps before it
    stops; Greeter's stops at once and takes them first (8-16 answered before)."""
    assert answered_of_40_connections_waiting_at_the_stop(gunicorn, GREETERS) == 40
    assert answered_of_40_connections_waiting_at_the_stop(gunicorn, STOCK) == 40
