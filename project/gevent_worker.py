"""gunicorn's gevent worker (gunicorn/workers/ggevent.py), changed in four ways,
each held by greeter/tests/test_gevent_worker.py (the first two also measured in
docs/benchmark.md):

- A stop starts when asked: SIGTERM wakes the run loop through gevent's signal
  watcher instead of at its next one-second nap, and busy connections are
  checked every 50 ms, not every second. An idle `docker stop` then takes well
  under a second. What a stop does is unchanged: stop accepting, let requests
  in flight finish (up to graceful_timeout), exit.
- New connections are accepted up to ACCEPT_BATCH a turn of the event loop, not
  one: when 64 arrive together, the last no longer wait a second.
- A stop serves the connections already waiting in the listening socket's
  backlog before closing it, rather than resetting them (the stock worker,
  napping a second before it stops, accepts them meanwhile), and closes it
  before the loop turns again, so that no more queue in between.
- After each response the connection's greenlet queues behind the others: one
  that finds its next request already waiting would otherwise keep the worker.
"""

import signal
import time
from functools import partial
from types import FrameType
from typing import Any

import gevent
from gevent.event import Event
from gevent.pool import Pool
from gevent.server import StreamServer
from gunicorn.sock import ssl_context
from gunicorn.workers.ggevent import GeventWorker as GunicornGeventWorker

ACCEPT_BATCH = 8
BUSY_POLL_SECONDS = 0.05
# gevent.sleep(0) resumes this greenlet before the hub polls other sockets; a
# timer this short runs after them.
FAIRNESS_PAUSE_SECONDS = 0.0001

# run() is a copy of upstream's; the others are overridden or called. A test
# compares each with the installed gunicorn's (greeter/tests/test_upstream_copies.py),
# so that an upgrade is reviewed instead of running against what changed.
UPSTREAM = {  # sha256 of inspect.getsource, gunicorn 27.0.1
    "gunicorn.workers.ggevent.GeventWorker.run":  # copied
        "50119854ef8be38caa6e96a5978978de9c42bc0b24ac22228101399e7ef3005d",
    "gunicorn.workers.ggevent.GeventWorker.handle":  # called by run()
        "0ea41a12296421e4a2421fe6ddd591f755e32d71ce92774b6df5f7b2752f7eff",
    "gunicorn.workers.ggevent.GeventWorker.handle_request":  # overridden
        "46750b15c6e4d4b4062b9320a2365f79db2d0113c680560b108f803ecab75869",
    "gunicorn.workers.base_async.AsyncWorker.handle":  # calls handle_request once a request
        "6eb3b127e6ba7e84a17176c140262822b8bf5c64a235e00a22b6b85892609705",
    "gunicorn.workers.base_async.AsyncWorker.handle_request":  # what the override wraps
        "913e17a9542aa70de504548c11064a2bbaef5bccca1a756f722606c4a493a2c0",
    "gunicorn.workers.ggevent.GeventWorker.notify":  # called by run()
        "10266ff4bf204499ca9b707958cbf4a26e3c79a96f3454c539be5cdec8da5173",
    "gunicorn.workers.base.Worker.init_signals":  # overridden
        "65442e0602b05f37cbb29b378247ca3140e5a7df8315a01b9c4401f261b2b40d",
    "gunicorn.workers.base.Worker.handle_exit":  # overridden
        "e2f7159c426d379ce85b1154716ba906ff8b6e18f6b315c0571b07c42d0cb71b",
    "gunicorn.sock.ssl_context":  # called by run()
        "069b9e2751d0b76210f13d854c633c35a7c599b5109cf0a26987cdb67c6434dd",
}  # fmt: skip


class NamedListener:
    """The listening socket as handle() gets it: its name stays known after
    the stop has closed it, for the handlers of the connections taken last."""

    def __init__(self, listener: Any) -> None:
        self.listener, self.name = listener, listener.getsockname()

    def getsockname(self) -> Any:
        return self.name

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self.listener, attribute)


class GeventWorker(GunicornGeventWorker):
    def init_signals(self) -> None:
        super().init_signals()
        self.stopping = Event()
        # gunicorn's handler runs only when the interpreter next checks for
        # signals; gevent's watcher runs it from the event loop at once.
        gevent.signal_handler(signal.SIGTERM, self.handle_exit, signal.SIGTERM, None)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        self.stopping.set()

    def handle_request(self, *args: Any) -> None:
        try:
            super().handle_request(*args)
        finally:
            gevent.sleep(FAIRNESS_PAUSE_SECONDS)

    def run(self) -> None:
        ssl_args = {"ssl_context": ssl_context(self.cfg)} if self.cfg.is_ssl else {}
        servers = []
        for listener in self.sockets:
            listener.setblocking(1)
            handle = partial(self.handle, NamedListener(listener))
            server = StreamServer(
                listener, handle=handle, spawn=Pool(self.worker_connections), **ssl_args
            )
            server.max_accept = ACCEPT_BATCH
            server.start()
            servers.append(server)

        while self.alive:
            self.notify()
            self.stopping.wait(timeout=1.0)

        try:
            for server in servers:
                server.stop_accepting()
                # Connections the kernel has accepted wait in the listening
                # socket's backlog: closing it would reset them, and a proxy
                # can't resend a POST it sent on one. Take them, then close
                # with no turn of the loop in between, in which more would queue.
                while accepted := server.do_read():
                    server.do_handle(*accepted)
                server.close()  # the connections in flight go on
            deadline = time.monotonic() + self.cfg.graceful_timeout
            while time.monotonic() < deadline:
                if all(server.pool.free_count() == server.pool.size for server in servers):
                    return
                self.notify()
                gevent.sleep(BUSY_POLL_SECONDS)
            self.log.warning("Worker graceful timeout (pid:%s)", self.pid)
            for server in servers:
                server.stop(timeout=1)
        except Exception:  # as upstream: the worker exits anyway; say why
            self.log.exception("Error while stopping the worker (pid:%s)", self.pid)
