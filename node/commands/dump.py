"""DUMP and RESTORE (Redis's cluster.c): one value as an RDB payload, and back.

The payload is the value in RDB form, the RDB version (2 bytes) and a CRC-64 over both
(node/rdb.py), so payloads move between slotkv and redis-server in both directions and
MIGRATE can carry them. RESTORE checks its arguments in Redis's order (options, then an
existing key, then the TTL, then the payload), and propagates a relative TTL as an absolute
one with ABSTTL, as Redis does.
"""

from __future__ import annotations

from typing import Any

from node.errors import SYNTAX, CommandError
from node.notify import GENERIC
from node.numbers import parse_int
from node.replies import OK
from node.table import command

BUSYKEY = "BUSYKEY Target key name already exists."


@command("dump", 2, "readonly", keys=(1, 1, 1), since="2.6.0", tips="nondeterministic_output",
         complexity="O(1) to access the key and additional O(N*M) to serialize it, where N is "
         "the number of Redis objects composing the value and M their average size. For small "
         "string values the time complexity is thus O(1)+O(1*M) where M is small, so simply "
         "O(1).",
         summary="Return a serialized version of the value stored at the specified key.")
def dump(ctx: Any, argv: list[bytes]) -> bytes | None:
    from node import rdb  # here: node.rdb imports the command modules (value types)

    value = ctx.db.get(argv[1])
    if value is None:
        return None
    return rdb.dump(value, ctx.server.config["rdbcompression"])


# RESTORE's and RESTORE-ASKING's (node/commands/migrate.py).
RESTORE_COMPLEXITY = (
    "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, "
    "where N is the number of Redis objects composing the value and M their average size. For "
    "small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply "
    "O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting "
    "values into sorted sets is O(log(N)).")


@command("restore", -4, "write denyoom", keys=(1, 1, 1), key_flags="OW update", since="2.6.0",
         categories="keyspace dangerous",
         complexity=RESTORE_COMPLEXITY,
         summary="Create a key using the provided serialized value, previously obtained "
         "using DUMP.",
         history=(("3.0.0", "Added the `REPLACE` modifier."),
                  ("5.0.0", "Added the `ABSTTL` modifier."),
                  ("5.0.0", "Added the `IDLETIME` and `FREQ` options.")))
def restore(ctx: Any, argv: list[bytes]) -> Any:
    replace = absttl = False
    idle = freq = -1
    argc = len(argv)
    j = 4
    while j < argc:
        opt = argv[j].lower()
        more = argc - j - 1
        if opt == b"replace":
            replace = True
        elif opt == b"absttl":
            absttl = True
        elif opt == b"idletime" and more >= 1 and freq == -1:
            idle = parse_int(argv[j + 1])
            if idle < 0:
                raise CommandError("ERR Invalid IDLETIME value, must be >= 0")
            j += 1
        elif opt == b"freq" and more >= 1 and idle == -1:
            freq = parse_int(argv[j + 1])
            if not 0 <= freq <= 255:
                raise CommandError("ERR Invalid FREQ value, must be >= 0 and <= 255")
            j += 1
        else:
            raise CommandError(SYNTAX)
        j += 1
    db = ctx.db
    key = argv[1]
    if not replace and db.lookup_write(key) is not None:
        raise CommandError(BUSYKEY)
    ttl = parse_int(argv[2])
    if ttl < 0:
        raise CommandError("ERR Invalid TTL value, must be >= 0")
    from node import rdb, rdb_reader  # (see dump)

    server = ctx.server
    try:
        value = rdb_reader.restore(argv[3], server.rdb.limits(),
                                   verify_checksum=not server.rdb.skip_checksum)
    except rdb.PayloadError as e:
        raise CommandError(f"ERR {e}") from None
    ks = db.keyspace
    deleted = db.delete(key) if replace else False
    if ttl and not absttl:
        # As Redis's int64 sum: one past INT64_MAX wraps round to the past, so the key counts
        # as already expired (and no deadline beyond int64 reaches the AOF and replicas).
        ttl = (ttl + ks.now + 2**63) % 2**64 - 2**63
    if ttl and ttl <= ks.now and not ks.replica:
        # Already expired: nothing is created; a replaced key is gone, and that is what
        # replicas and the AOF hear.
        if deleted:
            db.notify(GENERIC, b"del", key)
            ctx.propagate_as([b"DEL", key])
        return OK
    db.set(key, value)
    if ttl:
        db.set_deadline(key, ttl, stored=True)
        if not absttl:
            ctx.propagate_as([*argv[:2], b"%d" % ttl, *argv[3:], b"ABSTTL"])
    if ks.lfu:
        if freq >= 0:
            db.freq[key] = (ks.now // 60000 & 65535) << 8 | freq
    elif idle >= 0:
        db.access[key] = ks.lru_clock - idle
    db.notify(GENERIC, b"restore", key)
    return OK
