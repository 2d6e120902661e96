"""``moground keys create DIR``: CURVE key pairs for a backend reachable beyond localhost."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("keys", help="manage CURVE keys for `moground serve --curve-keys`")
    sub = p.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    c = sub.add_parser("create", help="create a server and a client key pair in DIR")
    c.add_argument("dir", metavar="DIR")
    c.add_argument("--force", action="store_true", help="replace keys already in DIR")
    c.set_defaults(func=create)


def create(args: argparse.Namespace) -> int:
    from ..server.security import create_keys

    paths = create_keys(args.dir, force=args.force)
    print(f"server: moground serve --bind tcp://0.0.0.0:5757 --curve-keys {args.dir}")
    print(f"client: Client(address, curve_server_key='{paths['server_public']}', "
          f"curve_client_keys='{paths['client_secret']}')")
    print(f"authorize more clients by copying their .key files into {paths['authorized']}/")
    print(f"keep {paths['server_secret']} and {paths['client_secret']} private")
    return 0
