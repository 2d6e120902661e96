"""The MoGround backend service: ZeroMQ ROUTER front end + worker processes (or Ray Serve).

See docs/protocol.md for the wire format and ``moground serve --help`` for options.
"""

from .broker import Server, ServerConfig
from .security import InsecureBind, check_bind, create_keys, is_local_endpoint

__all__ = ["Server", "ServerConfig", "InsecureBind", "check_bind", "create_keys", "is_local_endpoint"]
