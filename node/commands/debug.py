"""DEBUG: the developer's commands (Redis's debug.c), for the subcommands slotkv can honour.

Redis 7 refuses DEBUG unless `enable-debug-command` is `yes` (or `local` for a loopback
client); the dispatcher applies that from the command's `protected` entry, before
authentication, as Redis does.

- DIGEST / DIGEST-VALUE compute Redis's own SHA1 fingerprint (node/digest.py), so a slotkv
  dataset and a redis-server dataset can be compared directly.
- OBJECT reports Redis's fields; `serializedlength` is the size the value takes in an RDB
  file, computed as rdb.c does for strings (integer encoding, LZF compression over 20 bytes).
  Data types add their encoding to keys.py's `OBJECT_ENCODINGS`, and their RDB size and any
  extra fields (a list's `ql_nodes` ...) to `SERIALIZED_LENGTHS` / `OBJECT_EXTRAS` here.
- SLEEP blocks the whole server, as in Redis (the event loop is this thread).
- RELOAD saves the dataset, empties it and loads the file back (node/snapshot.py);
  SET-SKIP-CHECKSUM-VALIDATION turns CRC checks of RDB files and RESTORE payloads off;
  SET-ACTIVE-EXPIRE 0 stops the expiry cycle, leaving expired keys to the lookups.
- QUICKLIST-PACKED-THRESHOLD sets the size from which a list element is a plain quicklist
  node of its own (node/commands/lists.py), server-wide as in Redis.
- POPULATE, LOG, ERROR and LOADAOF (flush the AOF, empty the dataset, load the AOF back:
  node/aof.py) as in Redis; every other subcommand gets Redis's syntax error.
- PROTOCOL answers Redis's sample reply of each type (attributes and a push message in RESP3),
  CHANGE-REPL-ID draws a new replication id and forgets the previous one, PAUSE-CRON stops the
  server cron but for its clock (node/server.py).
"""

from __future__ import annotations

import math
import re
import time
from typing import Any, Callable

from node import digest
from node.lzf import lzf_compress
from node.client import REPLY_ON
from node.commands.client import subcommand_syntax_error
from node.commands.keys import OBJECT_ENCODINGS
from node.config import parse_memory
from node.errors import NO_SUCH_KEY, CommandError
from node.keyspace import LRU_EPOCH
from node.numbers import INT64_MAX, atoi, is_int, parse_int
from node.replies import OK, BigNumber, DoubleText, Push, SetReply, Status, Verbatim
from node.table import command

HELP = [
    "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "AOF-FLUSH-SLEEP <microsec>",
    "    Server will sleep before flushing the AOF, this is used for testing.",
    "ASSERT",
    "    Crash by assertion failed.",
    "CHANGE-REPL-ID",
    "    Change the replication IDs of the instance.",
    "    Dangerous: should be used only for testing the replication subsystem.",
    "CONFIG-REWRITE-FORCE-ALL",
    "    Like CONFIG REWRITE but writes all configuration options, including",
    "    keywords not listed in original configuration file or default values.",
    "CRASH-AND-RECOVER [<milliseconds>]",
    "    Hard crash and restart after a <milliseconds> delay (default 0).",
    "DIGEST",
    "    Output a hex signature representing the current DB content.",
    "DIGEST-VALUE <key> [<key> ...]",
    "    Output a hex signature of the values of all the specified keys.",
    "ERROR <string>",
    "    Return a Redis protocol error with <string> as message. Useful for clients",
    "    unit tests to simulate Redis errors.",
    "LEAK <string>",
    "    Create a memory leak of the input string.",
    "LOG <message>",
    "    Write <message> to the server log.",
    "HTSTATS <dbid>",
    "    Return hash table statistics of the specified Redis database.",
    "HTSTATS-KEY <key>",
    "    Like HTSTATS but for the hash table stored at <key>'s value.",
    "LOADAOF",
    "    Flush the AOF buffers on disk and reload the AOF in memory.",
    "REPLICATE <string>",
    "    Replicates the provided string to replicas, allowing data divergence.",
    "MALLCTL <key> [<val>]",
    "    Get or set a malloc tuning integer.",
    "MALLCTL-STR <key> [<val>]",
    "    Get or set a malloc tuning string.",
    "OBJECT <key>",
    "    Show low level info about `key` and associated value.",
    "DROP-CLUSTER-PACKET-FILTER <packet-type>",
    "    Drop all packets that match the filtered type. Set to -1 allow all packets.",
    "OOM",
    "    Crash the server simulating an out-of-memory error.",
    "PANIC",
    "    Crash the server simulating a panic.",
    "POPULATE <count> [<prefix>] [<size>]",
    "    Create <count> string keys named key:<num>. If <prefix> is specified then",
    "    it is used instead of the 'key' prefix. These are not propagated to",
    "    replicas. Cluster slots are not respected so keys not belonging to the",
    "    current node can be created in cluster mode.",
    "PROTOCOL <type>",
    "    Reply with a test value of the specified type. <type> can be: string,",
    "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
    "    true, false.",
    "RELOAD [option ...]",
    "    Save the RDB on disk and reload it back to memory. Valid <option> values:",
    "    * MERGE: conflicting keys will be loaded from RDB.",
    "    * NOFLUSH: the existing database will not be removed before load, but",
    "      conflicting keys will generate an exception and kill the server.",
    "    * NOSAVE: the database will be loaded from an existing RDB file.",
    "    Examples:",
    "    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
    "      the database.",
    "    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
    "      existing RDB file.",
    "    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
    "      file to the database.",
    "RESTART [<milliseconds>]",
    "    Graceful restart: save config, db, restart after a <milliseconds> delay (default 0).",
    "SDSLEN <key>",
    "    Show low level SDS string info representing `key` and value.",
    "SEGFAULT",
    "    Crash the server with sigsegv.",
    "SET-ACTIVE-EXPIRE <0|1>",
    "    Setting it to 0 disables expiring keys in background when they are not",
    "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
    "    default.",
    "QUICKLIST-PACKED-THRESHOLD <size>",
    "    Sets the threshold for elements to be inserted as plain vs packed nodes",
    "    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.",
    "SET-SKIP-CHECKSUM-VALIDATION <0|1>",
    "    Enables or disables checksum checks for RDB files and RESTORE's payload.",
    "SLEEP <seconds>",
    "    Stop the server for <seconds>. Decimals allowed.",
    "STRINGMATCH-TEST",
    "    Run a fuzz tester against the stringmatchlen() function.",
    "STRUCTSIZE",
    "    Return the size of different Redis core C structures.",
    "LISTPACK <key>",
    "    Show low level info about the listpack encoding of <key>.",
    "QUICKLIST <key> [<0|1>]",
    "    Show low level info about the quicklist encoding of <key>.",
    "    The optional argument (0 by default) sets the level of detail",
    "CLIENT-EVICTION",
    "    Show low level client eviction pools info (maxmemory-clients).",
    "PAUSE-CRON <0|1>",
    "    Stop periodic cron job processing.",
    "REPLYBUFFER PEAK-RESET-TIME <NEVER||RESET|time>",
    "    Sets the time (in milliseconds) to wait between client reply buffer peak resets.",
    "    In case NEVER is provided the last observed peak will never be reset",
    "    In case RESET is provided the peak reset time will be restored to the default value",
    "REPLYBUFFER RESIZING <0|1>",
    "    Enable or disable the reply buffer resize cron job",
    "CLUSTERLINK KILL <to|from|all> <node-id>",
    "    Kills the link based on the direction to/from (both) with the provided node.",
    "HELP",
    "    Prints this help.",
]

LRU_CLOCK_MAX = (1 << 24) - 1
SHARED_REFCOUNT = 2**31 - 1  # OBJ_SHARED_REFCOUNT: the integers 0..9999 are shared objects


# -- RDB sizes (rdb.c), for DEBUG OBJECT's serializedlength -------------------------------------


def rdb_len_size(n: int) -> int:
    """Bytes rdbSaveLen takes for `n`."""
    if n < 1 << 6:
        return 1
    if n < 1 << 14:
        return 2
    if n <= 0xFFFFFFFF:
        return 5
    return 9


def _rdb_int_size(value: int) -> int:
    """rdbEncodeInteger: 2, 3 or 5 bytes for values in int8/16/32 range; 0 if it does not fit."""
    if -(1 << 7) <= value < 1 << 7:
        return 2
    if -(1 << 15) <= value < 1 << 15:
        return 3
    if -(1 << 31) <= value < 1 << 31:
        return 5
    return 0


def rdb_string_size(s: bytes, compression: bool = True) -> int:
    """Bytes rdbSaveRawString writes for `s` (an int-encoded value saves the same way)."""
    n = len(s)
    if n <= 11 and is_int(bytes(s)):
        size = _rdb_int_size(int(s))
        if size:
            return size
    if compression and n > 20:
        packed = lzf_compress(bytes(s), n - 4)
        if packed is not None:
            return 1 + rdb_len_size(len(packed)) + rdb_len_size(n) + len(packed)
    return rdb_len_size(n) + n


def _string_rdb_size(value: Any, compression: bool) -> int:
    return rdb_string_size(value, compression)


# value class -> function(value, rdbcompression) -> bytes in an RDB file. Data types add theirs.
SERIALIZED_LENGTHS: dict[type, Callable[[Any, bool], int]] = {
    bytes: _string_rdb_size,
    bytearray: _string_rdb_size,
    int: lambda value, compression: rdb_string_size(b"%d" % value, compression),
}
# value class -> extra DEBUG OBJECT fields, e.g. " ql_nodes:1 ql_avg_node:3.00 ...".
OBJECT_EXTRAS: dict[type, Callable[[Any], str]] = {}


def _generic_rdb_size(value: Any, compression: bool) -> int:
    # A type that has not registered its RDB size: a length prefix and its elements as
    # RDB strings (the shape of Redis's plain encodings), pairs for mappings.
    items = value.items() if isinstance(value, dict) else value
    size = rdb_len_size(len(value))
    for item in items:
        parts = item if isinstance(item, tuple) else (item,)
        for part in parts:
            if isinstance(part, (bytes, bytearray)):
                size += rdb_string_size(part, compression)
            else:
                size += 9  # a binary double or integer
    return size


# -- DEBUG SLEEP's number: strtod, which reads the longest numeric prefix --------------------

_STRTOD = re.compile(
    rb"\s*([+-]?(?:0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?[0-9]+)?"
    rb"|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf(?:inity)?|nan))", re.IGNORECASE)


def strtod(arg: bytes) -> float:
    m = _STRTOD.match(arg)
    if m is None:
        return 0.0
    text = m.group(1).decode()
    if "x" in text.lower():
        sign = -1.0 if text.startswith("-") else 1.0
        body = text.lstrip("+-")
        if "p" not in body.lower():
            body += "p0"
        return sign * float.fromhex(body)
    return float(text)


# -- the command --------------------------------------------------------------------------------


def _hex(d: bytes) -> Status:
    return Status(d.hex().encode())


def _debug_object(ctx: Any, key: bytes) -> Status:
    db = ctx.db
    value = db.data.get(key)  # a plain dict lookup: no expiry, no access time, as Redis
    if value is None:
        raise CommandError(NO_SUCH_KEY)
    cls = value.__class__
    if cls not in OBJECT_ENCODINGS:
        raise CommandError(f"ERR no encoding is defined for values of type {cls.__name__}")
    encoding = OBJECT_ENCODINGS[cls](value).decode()
    refcount = 1
    if encoding == "int" and cls in (bytes, int) and 0 <= int(value) < 10000:
        refcount = SHARED_REFCOUNT
    sizer = SERIALIZED_LENGTHS.get(cls, _generic_rdb_size)
    serialized = sizer(value, ctx.server.config["rdbcompression"])
    ks = db.keyspace
    # (Redis's 24-bit clock counts from 1970: see LRU_EPOCH.)
    now = (ks.lru_clock + LRU_EPOCH) & LRU_CLOCK_MAX
    if refcount == SHARED_REFCOUNT:
        # One shared object, created at startup, stands for every such integer.
        lru = int(ctx.server.start_time) & LRU_CLOCK_MAX
    elif ks.lfu:
        lru = db.freq.get(key, ks.lfu_init())  # under LFU the field holds the LFU word
    else:
        lru = (db.access.get(key, ks.lru_clock) + LRU_EPOCH) & LRU_CLOCK_MAX
    idle = now - lru if now >= lru else now + (LRU_CLOCK_MAX - lru)
    extra = OBJECT_EXTRAS[cls](value) if cls in OBJECT_EXTRAS else ""
    return Status(
        f"Value at:0x{id(value):x} refcount:{refcount} encoding:{encoding} "
        f"serializedlength:{serialized} lru:{lru} lru_seconds_idle:{idle}{extra}".encode())


def _populate(ctx: Any, argv: list[bytes]) -> Any:
    positive = "ERR value is out of range, must be positive"
    count = parse_int(argv[2], positive)
    if count < 0:
        raise CommandError(positive)
    size = 0
    if len(argv) == 5:
        size = parse_int(argv[4], positive)
        if size < 0:
            raise CommandError(positive)
    prefix = argv[3].split(b"\0", 1)[0] if len(argv) >= 4 else b"key"
    db = ctx.db
    for j in range(count):
        key = b"%b:%d" % (prefix, j)
        if db.peek(key) is not None:
            continue
        value = b"value:%d" % j
        if size:
            value = value[:size].ljust(size, b"\0")
        db.set(key, value)
    return OK


def _reload(ctx: Any, options: list[bytes]) -> Any:
    """DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: save, empty the dataset, load the file back.
    A file that fails to load is an error reply here (Redis exits), the server keeps running
    with what was loaded."""
    save = flush = True
    merge = False
    for opt in options:
        word = opt.lower()
        if word == b"merge":
            merge = True
        elif word == b"noflush":
            flush = False
        elif word == b"nosave":
            save = False
        else:
            raise CommandError("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE "
                               "options.")
    from node.rdb import RdbError  # node.rdb imports the data types, which import this module

    server = ctx.server
    snapshots = server.rdb
    if save and not snapshots.save():
        raise CommandError("ERR")
    if flush:
        server.keyspace.flush_all()
        server.functions.flush()  # (emptyData, functions included)
    try:
        snapshots.load(snapshots.path, allow_dup=merge)
    except (RdbError, OSError) as e:
        server.log("warning", f"DEBUG RELOAD failed: {e}")
        raise CommandError("ERR Error trying to load the RDB dump, check server logs.") from None
    server.log("warning", "DB reloaded by DEBUG RELOAD")
    return OK


PROTOCOL_TYPES = ("string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|"
                  "false")


def _protocol(ctx: Any, kind: bytes) -> Any:
    """DEBUG PROTOCOL: one sample reply of each RESP3 type, for client library tests."""
    if kind == b"string":
        return b"Hello World"
    if kind == b"integer":
        return 12345
    if kind == b"double":
        return DoubleText(b"3.141")
    if kind == b"bignum":
        return BigNumber(b"1234567999999999999999999999999999999")
    if kind == b"null":
        return None
    if kind == b"array":
        return [0, 1, 2]
    if kind == b"set":
        return SetReply([0, 1, 2])
    if kind == b"map":
        return {0: False, 1: True, 2: False}
    if kind in (b"attrib", b"push"):
        if kind == b"push" and ctx.protocol < 3:
            raise CommandError("ERR RESP2 is not supported by this command")
        # Both go out ahead of the reply they precede, as bytes of their own: Redis writes
        # them into the output buffer the same way, inside an EXEC's array too, and a RESP2
        # client gets no attribute at all.
        if ctx.protocol >= 3 and ctx.reply_mode == REPLY_ON:
            encode = ctx.encode
            if kind == b"attrib":
                ctx.out.append(b"|1\r\n" + encode(b"key-popularity") + encode([b"key:123", 90]))
            else:
                ctx.out.append(encode(Push([b"server-cpu-usage", 42])))
        if kind == b"attrib":
            return b"Some real reply following the attribute"
        return b"Some real reply following the push reply"
    if kind == b"verbatim":
        return Verbatim(b"This is a verbatim\nstring")
    if kind == b"true":
        return True
    if kind == b"false":
        return False
    raise CommandError("ERR Wrong protocol type name. Please use one of the following: "
                       + PROTOCOL_TYPES)


@command("debug", -2, "admin noscript loading stale", group="server",
         protected="enable-debug-command", complexity="Depends on subcommand.", doc_flags="syscmd",
         summary="A container for debugging commands")
def debug(ctx: Any, argv: list[bytes]) -> Any:
    sub = argv[1].lower()
    argc = len(argv)
    if sub == b"help" and argc == 2:
        return [Status(line.encode()) for line in HELP]
    if sub == b"client-eviction" and argc == 2:
        eviction = ctx.server.client_eviction
        if not eviction.limit:
            raise CommandError("ERR maxmemory-clients is disabled.")
        lines = []
        for low, high, total, count in eviction.buckets():
            span = f"{low:10d}+" if high is None else f"{low:10d} - {high:10d}"
            lines.append(f"bucket {span:<23}: tot-mem: {total:10d}, clients: {count}\n")
        return "".join(lines).encode()
    if sub == b"digest" and argc == 2:
        return _hex(digest.dataset_digest(ctx.server.keyspace.dbs))
    if sub == b"digest-value":
        db = ctx.db
        out = []
        for key in argv[2:]:
            value = db.data.get(key)  # logically expired keys count, as in Redis
            d = digest.ZERO if value is None else digest.object_digest(value, key in db.expires)
            out.append(_hex(d))
        return out
    if sub == b"object" and argc == 3:
        return _debug_object(ctx, argv[2])
    if sub == b"sleep" and argc == 3:
        seconds = strtod(argv[2])
        # Redis converts to whole microseconds in a long long; what is not a positive
        # finite number of them does not sleep.
        if math.isfinite(seconds) and 0 < seconds * 1e6 < INT64_MAX:
            time.sleep(int(seconds * 1e6) / 1e6)
        return OK
    if sub == b"populate" and 3 <= argc <= 5:
        return _populate(ctx, argv)
    if sub == b"log" and argc == 3:
        ctx.server.log("warning", "DEBUG LOG: " + argv[2].decode("utf-8", "replace"))
        return OK
    if sub == b"loadaof" and argc == 2:
        ctx.server.aof.reload()
        return OK
    if sub == b"reload":
        return _reload(ctx, argv[2:])
    if sub == b"quicklist-packed-threshold" and argc == 3:
        from node.commands.lists import set_packed_threshold  # (lists imports this module)

        size = parse_memory(argv[2].decode("latin-1"))
        if size is None or not set_packed_threshold(size):
            raise CommandError("ERR argument must be a memory value bigger than 1 and smaller "
                               "than 4gb")
        return OK
    if sub == b"set-active-expire" and argc == 3:
        ctx.server.active_expire = atoi(argv[2]) != 0
        return OK
    if sub == b"set-skip-checksum-validation" and argc == 3:
        ctx.server.rdb.skip_checksum = atoi(argv[2]) != 0
        return OK
    if sub == b"protocol" and argc == 3:
        return _protocol(ctx, argv[2].lower())
    if sub == b"change-repl-id" and argc == 2:
        from replication.manager import NO_ID, new_replid  # (it imports node.rdb: a cycle)

        ctx.server.log("warning", "Changing replication IDs after receiving DEBUG change-repl-id")
        repl = ctx.server.replication
        repl.replid = new_replid()
        repl.replid2, repl.second_offset = NO_ID, -1
        return OK
    if sub == b"pause-cron" and argc == 3:
        ctx.server.cron_paused = atoi(argv[2]) != 0
        return OK
    if sub == b"error" and argc == 3:
        # Sent as given (no ERR prefix) and, as in Redis, not counted in the error stats.
        return CommandError(argv[2].decode("utf-8", "surrogateescape"))
    raise subcommand_syntax_error(argv)
