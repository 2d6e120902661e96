"""A TCP relay on 127.0.0.1 that carries client → server bytes at a fixed rate: a slow
VPN or farm link, for the slow-upload test and ``bench_load.py --hostile``. Server →
client bytes pass at full speed (ZeroMQ's heartbeats included)."""

from __future__ import annotations

import socket
import threading
import time


class SlowLink:
    """``SlowLink(server_port, bytes_per_s)``; clients connect to ``address``."""

    def __init__(self, server_port: int, bytes_per_s: float, block: int = 16_384) -> None:
        self.server_port, self.rate, self.block = server_port, float(bytes_per_s), block
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.address = f"tcp://127.0.0.1:{self.listener.getsockname()[1]}"
        self.stop = threading.Event()
        self._threads = [threading.Thread(target=self._accept, daemon=True)]
        self._threads[0].start()

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                continue
            server = socket.create_connection(("127.0.0.1", self.server_port))
            for src, dst, rate in ((client, server, self.rate), (server, client, None)):
                t = threading.Thread(target=self._pump, args=(src, dst, rate), daemon=True)
                t.start()
                self._threads.append(t)

    def _pump(self, src: socket.socket, dst: socket.socket, rate: float | None) -> None:
        src.settimeout(0.2)
        start, sent = time.monotonic(), 0
        while not self.stop.is_set():
            try:
                data = src.recv(self.block)
            except socket.timeout:
                continue
            except OSError:
                break
            if not data:
                break
            if rate is not None:  # hold the bytes until the rate allows them
                sent += len(data)
                wait = start + sent / rate - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
            try:
                dst.sendall(data)
            except OSError:
                break
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self) -> None:
        self.stop.set()
        self.listener.close()
