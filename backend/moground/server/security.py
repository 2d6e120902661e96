"""Who may talk to the server: loopback-only by default, CURVE keys for anything wider.

A grounding backend runs arbitrary-size numeric work for whoever connects, so exposing
it on a network without authentication would hand the machine to anyone who can reach
the port. ZeroMQ's CURVE gives encryption plus an allow-list of client public keys.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
import shutil
from pathlib import Path

import zmq

from ..wire.errors import MoGroundError

SERVER_CERT = "server"
CLIENT_CERT = "client"
AUTHORIZED_DIR = "authorized_clients"


class InsecureBind(MoGroundError):
    code = "insecure_bind"


class BadKeys(MoGroundError):
    """Missing or unreadable CURVE key files."""

    code = "bad_keys"


def is_local_endpoint(endpoint: str) -> bool:
    """True for ipc://, inproc:// and tcp:// on a loopback address (127.0.0.0/8, ::1, localhost)."""
    if endpoint.startswith(("ipc://", "inproc://")):
        return True
    m = re.match(r"^tcp://(\[[^\]]+\]|[^:/]+):(\d+|\*)$", endpoint)
    if not m:
        return False
    host = m.group(1).strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # an interface name or a host name: not provably local
        return False


def check_bind(endpoint: str, curve_dir: str | os.PathLike | None) -> None:
    """Refuse a non-loopback bind unless CURVE keys are configured."""
    if curve_dir is None and not is_local_endpoint(endpoint):
        raise InsecureBind(
            f"refusing to bind {endpoint} without CURVE keys: anyone who can reach it could use "
            "this machine. Create keys with `moground keys create DIR`, start with "
            "`moground serve --bind ... --curve-keys DIR`, and give clients DIR/client.key_secret "
            "and DIR/server.key; or bind tcp://127.0.0.1:PORT."
        )


def create_keys(directory: str | os.PathLike, *, force: bool = False) -> dict[str, Path]:
    """Make a server and a client key pair in ``directory`` and authorize the client.

    Layout: server.key / server.key_secret, client.key / client.key_secret, and
    authorized_clients/client.key (add more clients' .key files there).
    """
    root = Path(directory)
    if (root / f"{SERVER_CERT}.key_secret").exists() and not force:
        raise BadKeys(f"{root} already holds keys; pass --force to replace them")
    root.mkdir(parents=True, exist_ok=True)
    auth = root / AUTHORIZED_DIR
    auth.mkdir(exist_ok=True)
    import zmq.auth

    zmq.auth.create_certificates(root, SERVER_CERT)
    zmq.auth.create_certificates(root, CLIENT_CERT)
    for secret in root.glob("*.key_secret"):
        os.chmod(secret, 0o600)
    shutil.copy(root / f"{CLIENT_CERT}.key", auth / f"{CLIENT_CERT}.key")
    return {
        "server_public": root / f"{SERVER_CERT}.key",
        "server_secret": root / f"{SERVER_CERT}.key_secret",
        "client_public": root / f"{CLIENT_CERT}.key",
        "client_secret": root / f"{CLIENT_CERT}.key_secret",
        "authorized": auth,
    }


class _AuthLog:
    """What pyzmq's authenticator logs, with refusals raised from DEBUG to WARNING (one
    line per refused connection: its address and public key) on ``moground.server``."""

    def __init__(self) -> None:
        self.log = logging.getLogger("moground.server.auth")
        self._address = "?"

    def debug(self, msg: str, *args) -> None:
        text = msg % args if args else msg
        if text.startswith("version:") and len(args) >= 4:
            self._address = str(args[3])  # the request's peer address, logged before the verdict
        if "DENIED" in text:
            self.log.warning("refused a client at %s: %s (its key is not in authorized_clients/)",
                             self._address, text)
        else:
            self.log.debug(text)

    def info(self, msg: str, *args) -> None:
        self.log.info(msg, *args)

    def warning(self, msg: str, *args) -> None:
        self.log.warning(msg, *args)

    def error(self, msg: str, *args) -> None:
        self.log.error(msg, *args)

    def exception(self, msg: str, *args) -> None:
        self.log.exception(msg, *args)


def enable_curve_server(ctx: zmq.Context, sock: zmq.Socket, curve_dir: str | os.PathLike):
    """Make ``sock`` a CURVE server that accepts only keys in DIR/authorized_clients.

    Returns the running authenticator; stop it when the socket closes.
    """
    import zmq.auth
    from zmq.auth.thread import ThreadAuthenticator

    root = Path(curve_dir)
    secret_file, auth = root / f"{SERVER_CERT}.key_secret", root / AUTHORIZED_DIR
    if not secret_file.is_file() or not auth.is_dir():
        raise BadKeys(f"{root} lacks {secret_file.name} or {AUTHORIZED_DIR}/; create keys with `moground keys create {root}`")
    try:
        public, secret = zmq.auth.load_certificate(secret_file)
    except (OSError, ValueError) as exc:
        raise BadKeys(f"cannot read {secret_file}: {exc}") from None
    authenticator = ThreadAuthenticator(ctx, log=_AuthLog())
    authenticator.start()
    authenticator.configure_curve(domain="*", location=str(auth))
    sock.curve_secretkey = secret
    sock.curve_publickey = public
    sock.curve_server = True
    return authenticator
