"""One total deadline over an HTTP call made with ``requests``: connect, every
redirect hop, the status line, the headers and the body.

``requests`` bounds each socket operation, not their sum, so a server that sends its
status line one byte a second never times out. :class:`DeadlineWatch` remembers every
socket the call opens (through a transport adapter whose connections register
themselves) and shuts them all down when the deadline passes; the blocked read then
fails at once and the caller reports the deadline.
"""

from __future__ import annotations

import socket
import threading

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool


class DeadlineWatch:
    """The sockets of one call; :meth:`expire` (a timer, at the deadline) shuts them."""

    def __init__(self) -> None:
        self._socks: list[socket.socket] = []
        self._lock = threading.Lock()
        self.expired = False

    def add(self, sock: socket.socket) -> None:
        with self._lock:
            self._socks.append(sock)
            if self.expired:
                _shut(sock)

    def expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._socks:
                _shut(sock)

    def start(self, seconds: float) -> threading.Timer:
        timer = threading.Timer(seconds, self.expire)
        timer.daemon = True
        timer.start()
        return timer

    def mount(self, session: requests.Session) -> HTTPAdapter:
        """Route the session's http and https calls through sockets this watch sees;
        the adapter, to close when the call is over (its connections die with it)."""
        adapter = _adapter(self)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return adapter


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed


def _adapter(watch: DeadlineWatch) -> HTTPAdapter:
    class Conn(HTTPConnection):
        def connect(self) -> None:
            super().connect()
            watch.add(self.sock)

    class TLSConn(HTTPSConnection):
        def connect(self) -> None:
            super().connect()
            watch.add(self.sock)

    class Pool(HTTPConnectionPool):
        ConnectionCls = Conn

    class TLSPool(HTTPSConnectionPool):
        ConnectionCls = TLSConn

    class Adapter(HTTPAdapter):
        def init_poolmanager(self, *args, **kwargs) -> None:
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = {"http": Pool, "https": TLSPool}

    return Adapter(max_retries=0)
