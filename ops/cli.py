"""`slotkv` entry point.

    slotkv node [FILE] [--name value ...]   a node, configured exactly like redis-server
    slotkv up [--shards 3] [--replicas 1] [--port 7000] [--dir ./slotkv-data]
                                            the local cluster: a coordinator and the nodes
    slotkv coordinator --port P --dir D     the topology authority cluster nodes connect to
    slotkv cluster create|check|info|failover HOST:PORT ...
                                            cluster administration, as redis-cli --cluster
    slotkv check-aof [--fix] <file.manifest|file.aof>
                                            check (and repair) an AOF, as redis-check-aof
"""

from __future__ import annotations

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
    from ops.up import main

    return main(args)


def coordinator_main(args: list[str]) -> int:
    from replication.coordinator import main

    return main(args)


def cluster_main(args: list[str]) -> int:
    from ops.cluster import main

    return main(args)


def check_aof_main(args: list[str]) -> int:
    from ops.check_aof import main

    return main(args)


COMMANDS = {"node": node_main, "up": up_main, "coordinator": coordinator_main,
            "cluster": cluster_main, "check-aof": check_aof_main}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in COMMANDS:
        print("usage: slotkv {node,up,coordinator,cluster,check-aof} ...\n\n" + (__doc__ or ""),
              file=sys.stderr)
        return 2
    return COMMANDS[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main())
