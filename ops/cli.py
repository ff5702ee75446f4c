"""`slotkv` entry point.

    slotkv node [FILE] [--name value ...]   a node, configured exactly like redis-server
    slotkv up [--port 7000] [--dir ./slotkv-data]
                                            the local deployment on one address (for now one
                                            standalone node; later the whole local cluster)
    slotkv check-aof [--fix] <file.manifest|file.aof>
                                            check (and repair) an AOF, as redis-check-aof
"""

from __future__ import annotations

import argparse
import os
import sys


def node_main(args: list[str]) -> int:
    import node.commands  # noqa: F401  (registers the command table)
    from node.config import StartupError, load
    from node.server import run

    if args and args[0] in ("-h", "--help"):
        print("Usage: slotkv node [/path/to/redis.conf] [--name value ...]")
        return 0
    if args and args[0] in ("-v", "--version"):
        from node import __version__
        from node.server import REDIS_VERSION

        print(f"slotkv node v={__version__} redis_version={REDIS_VERSION}")
        return 0
    file = None
    if args and not args[0].startswith("--"):
        file, args = args[0], args[1:]
    try:
        config = load(file, args)
    except StartupError as e:
        print(str(e), file=sys.stderr)
        return 1
    return run(config)


def up_main(args: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="slotkv up", description="Start the local slotkv deployment.")
    parser.add_argument("--port", type=int, default=7000, help="client port (default 7000)")
    parser.add_argument("--dir", default="./slotkv-data", help="data directory (default ./slotkv-data)")
    parser.add_argument("--bind", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    opts = parser.parse_args(args)
    os.makedirs(opts.dir, exist_ok=True)
    print(f"slotkv up: node on {opts.bind}:{opts.port}, data in {os.path.abspath(opts.dir)} "
          f"(try: redis-cli -p {opts.port})", file=sys.stderr)
    return node_main(["--port", str(opts.port), "--bind", opts.bind, "--dir", os.path.abspath(opts.dir)])


def check_aof_main(args: list[str]) -> int:
    from ops.check_aof import main

    return main(args)


COMMANDS = {"node": node_main, "up": up_main, "check-aof": check_aof_main}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in COMMANDS:
        print("usage: slotkv {node,up,check-aof} ...\n\n" + (__doc__ or ""), file=sys.stderr)
        return 2
    return COMMANDS[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main())
