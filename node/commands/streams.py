"""The stream group: XADD, reads (XRANGE, XREAD), trimming, consumer groups (XGROUP, XREADGROUP,
XACK, XPENDING, XCLAIM, XAUTOCLAIM), XINFO and XSETID (Redis's t_stream.c).

The value is a `node.stream.Stream` (see there for the structure and the ID format). Arguments
are checked in Redis's order, so the first error a bad call gets is Redis's. Like Redis, only
XADD, XDEL, XTRIM (when they change entries) and XGROUP CREATE MKSTREAM signal the key as
modified (WATCH, blocked readers); the consumer group commands only count as dirty. An emptied
stream keeps its key, as in Redis.

Blocking: XREAD / XREADGROUP with BLOCK park the client with `node.blocking.block`, passing the
command rewritten as Redis serves a blocked reader: `$` becomes the stream's last ID and,
without a COUNT, `COUNT 1000` is added. The handler is re-run when a key changes. A blocked
XREADGROUP is also re-run when its key is deleted, overwritten or its group destroyed
(XGROUP DESTROY signals the key), and then gets Redis 7.0's UNBLOCKED / NOGROUP errors; a
re-run XREAD treats a key that no longer holds a stream as absent, as 7.0 keeps it waiting.
As 7.0's serveClientsBlockedOnStreamKey, a re-run looks at the key made ready alone (when one
transaction feeds several of the streams a reader waits on, the reply has the first one only),
and serves it once its last generated ID passed the reader's, live entries after it or not.

Keyspace events are 7.0's: xadd (then xtrim if its trimming removed entries), xtrim, xdel,
xsetid, xgroup-create/-setid/-destroy/-delconsumer, and xgroup-createconsumer wherever a
consumer comes into being (XGROUP CREATECONSUMER, XREADGROUP, XCLAIM, XAUTOCLAIM); XACK and
delivering entries send none, and an emptied stream keeps its key, so there is no del.
"""

from __future__ import annotations

import sys
from itertools import islice
from typing import Any

from node import digest
from node.listpack import build, entry, int_entry
from node.blocking import block, parse_timeout_ms
from node.commands.client import subcommand_syntax_error
from node.commands.debug import SERIALIZED_LENGTHS, rdb_len_size, rdb_string_size
from node.commands.keys import COPY_FUNCS, OBJECT_ENCODINGS
from node.errors import NO_SUCH_KEY, SYNTAX, WRONGTYPE, CommandError, wrong_arity
from node.keyspace import TYPE_NAMES, Database
from node.notify import STREAM
from node.numbers import parse_int
from node.replies import NULL_ARRAY, OK, Status
from node.sizes import SIZERS
from node.stream import (
    LISTPACK_MAX, MAX_ID, NOT_READ, U64, Consumer, Group, Nack, Node, Stream, format_id, id_text,
    parse_id, parse_interval, rax_nodes,
)
from node.table import KeySpec, command

LONG_MAX = 2**63 - 1
ZERO_ID = b"0-0"
BLOCKED_DEFAULT_COUNT = b"1000"  # XREAD_BLOCKED_DEFAULT_COUNT
NOGROUP_BLOCKED = "NOGROUP the consumer group this client was blocked on no longer exists"
UNBLOCKED_GONE = "UNBLOCKED the stream key no longer exists"
TOO_LARGE = "ERR Elements are too large to be stored"
EXHAUSTED = "ERR The stream has exhausted the last possible ID, unable to add more items"
NOT_GREATER = "ERR The ID specified in XADD is equal or smaller than the target stream top item"
BAD_START = "ERR invalid start ID for the interval"
BAD_END = "ERR invalid end ID for the interval"
REQUIRES_KEY = ("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you "
                "may want to use the MKSTREAM option to create an empty stream automatically.")


def _text(arg: bytes) -> str:
    """An argument as Redis prints it with %s: up to a NUL, raw bytes kept for the encoder."""
    return arg.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")


def _nogroup(key: bytes, group: bytes, suffix: str = "") -> CommandError:
    return CommandError(
        f"NOGROUP No such key '{_text(key)}' or consumer group '{_text(group)}'{suffix}")


def _nogroup_for_key(group: bytes, key: bytes) -> CommandError:
    return CommandError(
        f"NOGROUP No such consumer group '{_text(group)}' for key name '{_text(key)}'")


def _read(db: Any, key: bytes) -> Stream | None:
    """lookupKeyRead + checkType."""
    value = db.get(key)
    if value is None or value.__class__ is Stream:
        return value
    raise CommandError(WRONGTYPE)


def _write(db: Any, key: bytes) -> Stream | None:
    """lookupKeyWrite + checkType."""
    value = db.lookup_write(key)
    if value is None or value.__class__ is Stream:
        return value
    raise CommandError(WRONGTYPE)


def _group(s: Stream | None, name: bytes) -> Group | None:
    return s.groups.get(name) if s is not None and s.groups else None


def _consumer(db: Database, key: bytes, group: Group, name: bytes, now: int) -> Consumer:
    """The group's consumer `name`, seen now; a new one counts as a change (dirty) and
    announces xgroup-createconsumer, as Redis's streamCreateConsumer (SCC_DEFAULT)."""
    if name not in group.consumers:
        db.keyspace.dirty += 1
        if db.keyspace.notify_flags:
            db.notify(STREAM, b"xgroup-createconsumer", key)
    return group.consumer(name, now)


def _start_bound(arg: bytes) -> int:
    start, exclusive = parse_interval(arg, 0)
    if exclusive:
        if start == MAX_ID:
            raise CommandError(BAD_START)
        start += 1
    return start


def _end_bound(arg: bytes) -> int:
    end, exclusive = parse_interval(arg, U64)
    if exclusive:
        if end == 0:
            raise CommandError(BAD_END)
        end -= 1
    return end


# -- XADD / XTRIM --------------------------------------------------------------------------------

# (maxlen or None, minid, approx, limit): what streamTrim gets.
Trim = tuple


def _parse_add_trim(ctx: Any, argv: list[bytes],
                    xadd: bool) -> tuple[int, Trim | None, int, bool, int, bool]:
    """streamParseAddOrTrimArgsOrReply: (ID position, trim, position of the trim's threshold,
    NOMKSTREAM, ID or -1 for `*`, whether the ID's sequence was given)."""
    maxlen: int | None = None
    minid = 0
    strategy = False
    approx = False
    limit = 0
    limit_given = False
    trim_at = 0
    nomk = False
    sid, seq_given = -1, True
    n = len(argv)
    i = 2
    while i < n:
        more = n - 1 - i
        arg = argv[i]
        if xadd and arg == b"*":
            break
        opt = arg.lower()
        if (opt == b"maxlen" or opt == b"minid") and more:
            if strategy:
                raise CommandError("ERR syntax error, MAXLEN and MINID options at the same time "
                                   "are not compatible")
            approx = False
            after = argv[i + 1]
            if more >= 2 and after == b"~":
                approx = True
                i += 1
            elif more >= 2 and after == b"=":
                i += 1
            trim_at = i + 1
            if opt == b"maxlen":
                maxlen = parse_int(argv[i + 1])
                if maxlen < 0:
                    raise CommandError("ERR The MAXLEN argument must be >= 0.")
            else:
                minid = parse_id(argv[i + 1], strict=True)[0]
            strategy = True
            i += 1
        elif opt == b"limit" and more:
            limit = parse_int(argv[i + 1])
            if limit < 0:
                raise CommandError("ERR The LIMIT argument must be >= 0.")
            limit_given = True
            i += 1
        elif xadd and opt == b"nomkstream":
            nomk = True
        elif xadd:
            sid, seq_given = parse_id(arg, strict=True, seq_star=True)
            break
        else:
            raise CommandError(SYNTAX)
        i += 1
    if limit and not strategy:
        raise CommandError("ERR syntax error, LIMIT cannot be used without specifying a "
                           "trimming strategy")
    if not xadd and not strategy:
        raise CommandError("ERR syntax error, XTRIM must be called with a trimming strategy")
    if ctx.must_obey:
        # Replayed (AOF, a primary's stream): no LIMIT is enforced, for a `~` trim went out
        # as exact trimming to where it stopped, LIMIT left in (see `_rewrite_approx`).
        limit = 0
    elif limit_given:
        if not approx:
            raise CommandError("ERR syntax error, LIMIT cannot be used without the special ~ "
                               "option")
    elif approx:
        # At most 100 nodes' worth of entries per call, so trimming never stalls the server.
        limit = 100 * ctx.server.config["stream-node-max-entries"]
        if limit <= 0:
            limit = 10000
        elif limit > 1000000:
            limit = 1000000
    trim = (maxlen, minid, approx, limit) if strategy else None
    return i, trim, trim_at, nomk, sid, seq_given


@command("xadd", -5, "write denyoom fast", keys=(1, 1, 1), key_flags="RW update",
         key_notes="UPDATE instead of INSERT because of the optional trimming feature",
         tips="nondeterministic_output", group="stream", since="5.0.0",
         complexity="O(1) when adding a new entry, O(N) when trimming where N being the number "
         "of entries evicted.",
         summary="Appends a new entry to a stream",
         history=(("6.2.0", "Added the `NOMKSTREAM` option, `MINID` trimming strategy and the "
                            "`LIMIT` option."),
                  ("7.0.0", "Added support for the `<ms>-*` explicit ID form.")))
def xadd(ctx: Any, argv: list[bytes]) -> Any:
    if argv[2] == b"*" and len(argv) == 5:
        # XADD key * field value, redis-benchmark's form, on an existing stream: the general
        # path below with what this form cannot need left out (same checks, same order).
        db = ctx.db
        _, key, _, field, value = argv
        s = db.lookup_write(key)
        if s.__class__ is Stream:
            last = s.last_id
            ks = db.keyspace
            ms = ks.now
            if ms > last >> 64:
                sid, seq = ms << 64, 0
            elif last == MAX_ID:
                raise CommandError(EXHAUSTED)
            else:
                sid = last + 1
                ms, seq = sid >> 64, sid & U64
            if len(field) + len(value) > LISTPACK_MAX:
                raise CommandError(TOO_LARGE)
            server = ctx.server
            config = server.config.values
            s.append_pair(sid, ms, seq, field, value, config["stream-node-max-bytes"],
                          config["stream-node-max-entries"])
            if ks.on_modified:
                db.modified(key)
            else:
                ks.dirty += 1  # modified() without its call: no hook to run
            if ks.notify_flags:
                db.notify(STREAM, b"xadd", key)
            reply = id_text(ms, seq)
            if server.propagation.active:
                ctx.propagate_as([b"XADD", key, reply, field, value])
            return reply
    if argv[2] == b"*":  # no options, an automatic ID
        idpos, trim, trim_at, nomk, sid, seq_given = 2, None, 0, False, -1, True
    else:
        idpos, trim, trim_at, nomk, sid, seq_given = _parse_add_trim(ctx, argv, True)
    values = len(argv) - idpos - 1
    if values < 2 or values & 1:
        raise wrong_arity("xadd")
    auto = sid < 0 or not seq_given  # the ID is picked here: propagated as the one picked
    if sid == 0 and seq_given:
        raise CommandError("ERR The ID specified in XADD must be greater than 0-0")
    db = ctx.db
    key = argv[1]
    s = db.lookup_write(key)
    created = s is None
    if created:
        if nomk:
            return None
        s = Stream()
        db.set(key, s)
    elif s.__class__ is not Stream:
        raise CommandError(WRONGTYPE)
    last = s.last_id
    if last == MAX_ID:
        raise CommandError(EXHAUSTED)
    if sid < 0:
        ms = ctx.server.keyspace.now
        if ms > last >> 64:
            sid, seq = ms << 64, 0
        else:
            sid = last + 1
            ms, seq = sid >> 64, sid & U64
    else:
        if not seq_given and sid >> 64 == last >> 64:
            if last & U64 == U64:
                raise CommandError(TOO_LARGE)  # sic: what Redis 7.0 says of this overflow
            sid = last + 1
        if sid <= last:
            raise CommandError(NOT_GREATER)
        ms, seq = sid >> 64, sid & U64
    flat = tuple(argv[idpos + 1:])
    total = sum(map(len, flat))
    if total > LISTPACK_MAX:
        raise CommandError(TOO_LARGE)
    config = ctx.server.config.values
    if len(flat) == 2:
        s.append_pair(sid, ms, seq, flat[0], flat[1], config["stream-node-max-bytes"],
                      config["stream-node-max-entries"])
    else:
        s.append(sid, ms, seq, flat, config["stream-node-max-bytes"],
                 config["stream-node-max-entries"], total)
    trimmed = trim is not None and s.trim(*trim)
    if not created:
        db.modified(key)
    if db.keyspace.notify_flags:
        db.notify(STREAM, b"xadd", key)
        if trimmed:
            db.notify(STREAM, b"xtrim", key)
    reply = id_text(ms, seq)
    approx = trim is not None and trim[2]
    if (auto or approx) and ctx.server.propagation.active:
        # Replayed with the ID it got and the trim that really happened: the arguments as
        # sent, with those two rewritten in place (as Redis's rewriteClientCommandArgument).
        out = list(argv)
        if auto:
            out[idpos] = reply
        if approx:
            _rewrite_approx(out, trim_at, s, trim)  # type: ignore[arg-type]
        ctx.propagate_as(out)
    return reply


def _rewrite_approx(argv: list[bytes], at: int, s: Stream, trim: Trim) -> None:
    """streamRewriteApproxSpecifier / streamRewriteTrimArgument: `~` trimming (approximate,
    LIMIT-bounded) replays as exact trimming to where it stopped, `at` being its threshold's
    position. The rest stays as sent, LIMIT included (a replayed command ignores it).

    MINID's threshold is the first ID of the first listpack, an entry flagged deleted or not
    (streamGetEdgeID without skipping tombstones): its master ID, as nothing is removed from
    a listpack but whole."""
    argv[at - 1] = b"="
    if trim[0] is not None:
        argv[at] = b"%d" % s.length
    else:
        argv[at] = format_id(s.nodes[0].key if s.nodes else MAX_ID)


@command("xtrim", -4, "write", keys=(1, 1, 1), key_flags="RW delete",
         tips="nondeterministic_output", group="stream", since="5.0.0",
         complexity="O(N), with N being the number of evicted entries. Constant times are very "
         "small however, since entries are organized in macro nodes containing multiple entries "
         "that can be released with a single deallocation.",
         summary="Trims the stream to (approximately if '~' is passed) a certain size",
         history=(("6.2.0", "Added the `MINID` trimming strategy and the `LIMIT` option."),))
def xtrim(ctx: Any, argv: list[bytes]) -> int:
    _, trim, trim_at, *_ = _parse_add_trim(ctx, argv, False)
    db = ctx.db
    s = _write(db, argv[1])
    if s is None:
        return 0
    deleted = s.trim(*trim)  # type: ignore[misc]
    if deleted:
        db.modified(argv[1])
        db.keyspace.dirty += deleted - 1
        db.notify(STREAM, b"xtrim", argv[1])
        if trim[2]:  # type: ignore[index]
            out = list(argv)
            _rewrite_approx(out, trim_at, s, trim)  # type: ignore[arg-type]
            ctx.propagate_as(out)
    return deleted


# -- XLEN, XRANGE, XREVRANGE, XDEL ---------------------------------------------------------------


@command("xlen", 2, "readonly fast", keys=(1, 1, 1), key_flags="RO", group="stream",
         since="5.0.0", summary="Return the number of entries in a stream")
def xlen(ctx: Any, argv: list[bytes]) -> int:
    s = _read(ctx.db, argv[1])
    return 0 if s is None else s.length


def _xrange(ctx: Any, argv: list[bytes], rev: bool) -> Any:
    start = _start_bound(argv[3] if rev else argv[2])
    end = _end_bound(argv[2] if rev else argv[3])
    count = -1
    n = len(argv)
    i = 4
    while i < n:
        if argv[i].lower() == b"count" and i + 1 < n:
            count = max(parse_int(argv[i + 1]), 0)
            i += 2
        else:
            raise CommandError(SYNTAX)
    s = _read(ctx.db, argv[1])
    if s is None:
        return []
    if count == 0:
        return NULL_ARRAY
    return s.range(start, end, max(count, 0), rev)


@command("xrange", -4, "readonly", keys=(1, 1, 1), group="stream", since="5.0.0",
         complexity="O(N) with N being the number of elements being returned. If N is constant "
         "(e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).",
         summary="Return a range of elements in a stream, with IDs matching the specified IDs "
         "interval",
         history=(("6.2.0", "Added exclusive ranges."),))
def xrange(ctx: Any, argv: list[bytes]) -> Any:
    return _xrange(ctx, argv, False)


@command("xrevrange", -4, "readonly", keys=(1, 1, 1), group="stream", since="5.0.0",
         complexity="O(N) with N being the number of elements returned. If N is constant (e.g. "
         "always asking for the first 10 elements with COUNT), you can consider it O(1).",
         summary="Return a range of elements in a stream, with IDs matching the specified IDs "
         "interval, in reverse order (from greater to smaller IDs) compared to XRANGE",
         history=(("6.2.0", "Added exclusive ranges."),))
def xrevrange(ctx: Any, argv: list[bytes]) -> Any:
    return _xrange(ctx, argv, True)


@command("xdel", -3, "write fast", keys=(1, 1, 1), key_flags="RW delete", group="stream",
         since="5.0.0",
         complexity="O(1) for each single item to delete in the stream, regardless of the "
         "stream size.",
         summary="Removes the specified entries from the stream. Returns the number of items "
         "actually deleted, that may be different from the number of IDs passed in case certain "
         "IDs do not exist.")
def xdel(ctx: Any, argv: list[bytes]) -> int:
    db = ctx.db
    s = _write(db, argv[1])
    if s is None:
        return 0
    ids = [parse_id(arg, strict=True)[0] for arg in argv[2:]]
    deleted = 0
    first = False
    for sid in ids:
        if s.delete(sid):
            if sid == s.first_id:
                first = True
            if sid > s.max_deleted:
                s.max_deleted = sid
            deleted += 1
    if deleted:
        if s.length == 0:
            s.first_id = 0
        elif first:
            s.first_id = s.first_valid()
        db.modified(argv[1])
        db.keyspace.dirty += deleted - 1
        db.notify(STREAM, b"xdel", argv[1])
    return deleted


# -- XREAD / XREADGROUP --------------------------------------------------------------------------


class _MapKey(bytes):
    """A RESP3 map key compared by identity: XREAD naming a stream twice lists it twice."""

    __slots__ = ()
    __hash__ = object.__hash__

    def __eq__(self, other: object) -> bool:
        return self is other


def _is_stream(value: Any) -> bool:
    return value.__class__ is Stream


def _always(value: Any) -> bool:
    # A blocked XREADGROUP must also hear of its key's deletion or overwrite (an error).
    return True


def _xread(ctx: Any, argv: list[bytes], grouped: bool) -> Any:
    n = len(argv)
    timeout = -1
    count = 0
    streams_at = 0
    noack = False
    group_name: bytes | None = None
    consumer_name = b""
    ks = ctx.server.keyspace
    i = 1
    while i < n:
        more = n - i - 1
        opt = argv[i].lower()
        if opt == b"block" and more:
            i += 1
            timeout = parse_timeout_ms(argv[i])
        elif opt == b"count" and more:
            i += 1
            count = max(parse_int(argv[i]), 0)
        elif opt == b"streams" and more:
            streams_at = i + 1
            if (n - streams_at) % 2:
                raise CommandError("ERR Unbalanced XREAD list of streams: for each stream key an "
                                   "ID or '$' must be specified.")
            break
        elif opt == b"group" and more >= 2:
            if not grouped:
                raise CommandError("ERR The GROUP option is only supported by XREADGROUP. You "
                                   "called XREAD instead.")
            group_name, consumer_name = argv[i + 1], argv[i + 2]
            i += 2
        elif opt == b"noack":
            if not grouped:
                raise CommandError("ERR The NOACK option is only supported by XREADGROUP. You "
                                   "called XREAD instead.")
            noack = True
        else:
            raise CommandError(SYNTAX)
        i += 1
    if not streams_at:
        raise CommandError(SYNTAX)
    if grouped and group_name is None:
        raise CommandError("ERR Missing GROUP option for XREADGROUP")
    nkeys = (n - streams_at) // 2
    keys = argv[streams_at:streams_at + nkeys]
    id_args = argv[streams_at + nkeys:]

    db = ctx.db
    blocking = ctx.server.blocking
    rerun = ctx in blocking.clients  # woken from a block: see the module doc
    if rerun:
        # Redis 7.0 serves a woken reader from the key made ready alone, under the ID it
        # gave first for it (serveClientsBlockedOnStreamKey).
        ready = blocking.served_key(ctx)
        if ready in keys:
            k = keys.index(ready)
            keys, id_args = [keys[k]], [id_args[k]]
    # Serving a woken reader looks its keys up without statistics or keymiss events, as
    # Redis's handleClientsBlockedOnKeys (LOOKUP_NONOTIFY | LOOKUP_NOSTATS).
    lookup = db.peek if rerun else db.get
    ids: list[int] = []
    groups: list[Group] = []
    dollar = False
    for key, arg in zip(keys, id_args):
        s = lookup(key)
        if s is not None and s.__class__ is not Stream:
            if not rerun:
                raise CommandError(WRONGTYPE)
            if grouped:
                raise CommandError(UNBLOCKED_GONE)
            s = None
        if grouped:
            group = _group(s, group_name)
            if group is None:
                if rerun:
                    raise CommandError(UNBLOCKED_GONE if s is None else NOGROUP_BLOCKED)
                raise _nogroup(key, group_name, " in XREADGROUP with GROUP option")
            groups.append(group)
        if arg == b"$":
            if grouped:
                raise CommandError(
                    "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read "
                    "the history of this consumer by specifying a proper ID, or use the > ID to "
                    "get new messages. The $ ID would just return an empty result set.")
            ids.append(s.last_id if s is not None else 0)
            dollar = True
        elif arg == b">":
            if not grouped:
                raise CommandError("ERR The > ID can be specified only when calling XREADGROUP "
                                   "using the GROUP <group> <consumer> option.")
            ids.append(MAX_ID)  # Redis's marker for `>` (an explicit maximal ID reads the same)
        else:
            ids.append(parse_id(arg, strict=True)[0])

    served: list[tuple[bytes, list]] = []
    now = ks.now
    # Never the read itself goes out: only the changes it made to its groups (below).
    propagating = grouped and ctx.server.propagation.active
    for idx, key in enumerate(keys):
        s = lookup(key)
        if s is None or s.__class__ is not Stream:
            continue
        gt = ids[idx]
        if grouped:
            group = groups[idx]
            fresh = consumer_name not in group.consumers
            last_id, entries_read = group.last_id, group.entries_read
            if gt != MAX_ID:
                consumer = _consumer(db, key, group, consumer_name, now)
                entries = s.read_history(consumer, gt + 1, count, now)
            elif _has_new(s, group.last_id, rerun):
                consumer = _consumer(db, key, group, consumer_name, now)
                entries = s.read_group(group, consumer, group.last_id + 1, count, noack, now)
            else:
                continue
            if not rerun:  # (served late, 7.0 counts only a consumer it creates)
                ks.dirty += 1
            if propagating:
                if gt != MAX_ID:
                    # Redis 7.0 propagates nothing of a history read (its new delivery
                    # times and counts stay on this node), nor the command itself.
                    ctx.propagate_as()
                else:
                    _propagate_delivery(ctx, key, group_name, group, consumer, entries, fresh,
                                        noack and (last_id, entries_read) != (
                                            group.last_id, group.entries_read))
        elif _has_new(s, gt, rerun):
            entries = s.range(gt + 1, MAX_ID, count)
        else:
            continue
        served.append((key, entries))

    if served:
        if ctx.protocol == 2:
            return [[key, entries] for key, entries in served]
        if len({key for key, _ in served}) == len(served):
            return dict(served)
        return {_MapKey(key): entries for key, entries in served}
    if timeout == -1:
        return NULL_ARRAY
    rewritten = None
    if dollar or count == 0:
        rewritten = argv[:streams_at - 1]
        if count == 0:
            rewritten += [b"COUNT", BLOCKED_DEFAULT_COUNT]
        rewritten += argv[streams_at - 1:streams_at + nkeys]
        rewritten += [format_id(ids[k]) if arg == b"$" else arg
                      for k, arg in enumerate(argv[streams_at + nkeys:])]
    return block(ctx, keys, timeout, NULL_ARRAY, _always if grouped else _is_stream, rewritten)


def _has_new(s: Stream, after: int, rerun: bool) -> bool:
    """Whether a read of the entries after `after` is served now. A first run needs a live
    entry there; a woken reader only a last generated ID past it, as Redis 7.0's
    serveClientsBlockedOnStreamKey, so an entry trimmed or deleted as soon as added (XADD
    MAXLEN 0, XADD then XDEL in a transaction) wakes it with an empty list."""
    if rerun:
        return s.last_id > after
    return s.length > 0 and s.last_valid() > after


def _propagate_delivery(ctx: Any, key: bytes, name: bytes, group: Group, consumer: Consumer,
                        entries: list, fresh: bool, noack_moved: bool) -> None:
    """What an XREADGROUP `>` did to its group, as the commands that redo it, as Redis 7.0
    writes them: an XCLAIM per entry added to the PEL, each with the group's last ID as it
    stood once that entry was delivered (the XCLAIMs move the group, and FORCE makes the
    consumer); with NOACK, the consumer's creation if new and the group's new last ID
    (streamPropagateConsumerCreation, streamPropagateXCLAIM, streamPropagateGroupID)."""
    out = []
    if noack_moved:
        if fresh:
            out.append([b"XGROUP", b"CREATECONSUMER", key, name, consumer.name])
        out.append(_setid_argv(key, name, group))
    else:
        pel = consumer.pel
        for sid_text, _ in entries:
            nack = pel.get(parse_id(sid_text)[0])
            if nack is not None:
                out.append(_xclaim_argv(key, name, sid_text, nack, sid_text))
    ctx.propagate_as(*out)


def _xclaim_argv(key: bytes, name: bytes, sid: bytes, nack: Nack, last_id: bytes) -> list[bytes]:
    """XCLAIM that sets one pending entry exactly: owner (the one it has now, as Redis's
    streamPropagateXCLAIM: for an entry deleted from the stream, its old owner), delivery
    time and count, and the group's last ID."""
    assert nack.consumer is not None
    return [b"XCLAIM", key, name, nack.consumer.name, b"0", sid, b"TIME",
            b"%d" % nack.delivery_time, b"RETRYCOUNT", b"%d" % nack.delivery_count, b"FORCE",
            b"JUSTID", b"LASTID", last_id]


def _setid_argv(key: bytes, name: bytes, group: Group) -> list[bytes]:
    return [b"XGROUP", b"SETID", key, name, format_id(group.last_id), b"ENTRIESREAD",
            b"%d" % group.entries_read]


def xread_keys(argv: list[bytes]) -> list[int]:
    """Redis's xreadGetKeys (XREAD and XREADGROUP), which cluster routing uses: the options
    are skipped up to STREAMS, then the first half of what follows are the keys; none when
    STREAMS is missing, an option is unknown or the keys and IDs do not pair up."""
    i, streams = 1, -1
    while i < len(argv):
        arg = argv[i].lower()
        if arg in (b"block", b"count"):
            i += 2
        elif arg == b"group":
            i += 3
        elif arg == b"noack":
            i += 1
        elif arg == b"streams":
            streams = i
            break
        else:
            break
    num = len(argv) - streams - 1
    if streams < 0 or num == 0 or num % 2:
        return []
    return list(range(streams + 1, streams + 1 + num // 2))


_XREAD_SPEC = (KeySpec(("RO", "access"), 1, begin_keyword=b"STREAMS", lastkey=-1, limit=2),)
_XREADGROUP_SPEC = (KeySpec(("RO", "access"), 4, begin_keyword=b"STREAMS", lastkey=-1, limit=2),)


@command("xread", -4, "readonly blocking movablekeys", key_specs=_XREAD_SPEC,
         keys_fallback=xread_keys, group="stream", since="5.0.0",
         complexity="For each stream mentioned: O(N) with N being the number of elements being "
         "returned, it means that XREAD-ing with a fixed COUNT is O(1). Note that when the BLOCK "
         "option is used, XADD will pay O(M) time in order to serve the M clients blocked on the "
         "stream getting new data.",
         summary="Return never seen elements in multiple streams, with IDs greater than the ones "
         "reported by the caller for each stream. Can block.")
def xread(ctx: Any, argv: list[bytes]) -> Any:
    return _xread(ctx, argv, False)


@command("xreadgroup", -7, "write blocking movablekeys", key_specs=_XREADGROUP_SPEC,
         keys_fallback=xread_keys, group="stream", since="5.0.0",
         complexity="For each stream mentioned: O(M) with M being the number of elements "
         "returned. If M is constant (e.g. always asking for the first 10 elements with COUNT), "
         "you can consider it O(1). On the other side when XREADGROUP blocks, XADD will pay the "
         "O(N) time in order to serve the N clients blocked on the stream getting new data.",
         summary="Return new entries from a stream using a consumer group, or access the history "
         "of the pending entries for a given consumer. Can block.")
def xreadgroup(ctx: Any, argv: list[bytes]) -> Any:
    return _xread(ctx, argv, True)


# -- XACK, XPENDING, XCLAIM, XAUTOCLAIM ----------------------------------------------------------


@command("xack", -4, "write fast", keys=(1, 1, 1), key_flags="RW update", group="stream",
         since="5.0.0", complexity="O(1) for each message ID processed.",
         summary="Marks a pending message as correctly processed, effectively removing it from "
         "the pending entries list of the consumer group. Return value of the command is the "
         "number of messages successfully acknowledged, that is, the IDs we were actually able "
         "to resolve in the PEL.")
def xack(ctx: Any, argv: list[bytes]) -> int:
    db = ctx.db
    group = _group(_read(db, argv[1]), argv[2])
    if group is None:
        return 0
    # All IDs are parsed first: the reply cannot be an error once some were acknowledged.
    ids = [parse_id(arg, strict=True)[0] for arg in argv[3:]]
    acked = 0
    pel = group.pel
    for sid in ids:
        if sid in pel:
            group.remove_nack(sid)
            acked += 1
    db.keyspace.dirty += acked
    return acked


@command("xpending", -3, "readonly", keys=(1, 1, 1), tips="nondeterministic_output",
         group="stream", since="5.0.0",
         complexity="O(N) with N being the number of elements returned, so asking for a small "
         "fixed number of entries per call is O(1). O(M), where M is the total number of entries "
         "scanned when used with the IDLE filter. When the command returns just the summary and "
         "the list of consumers is small, it runs in O(1) time; otherwise, an additional O(N) "
         "time for iterating every consumer.",
         summary="Return information and entries from a stream consumer group pending entries "
         "list, that are messages fetched but never acknowledged.",
         history=(("6.2.0", "Added the `IDLE` option and exclusive range intervals."),))
def xpending(ctx: Any, argv: list[bytes]) -> Any:
    n = len(argv)
    if n != 3 and not 6 <= n <= 9:
        raise CommandError(SYNTAX)
    start = end = count = minidle = 0
    consumer_name = None
    if n >= 6:
        at = 3
        if argv[3].lower() == b"idle":
            minidle = parse_int(argv[4])
            if n < 8:
                raise CommandError(SYNTAX)
            at = 5
        count = max(parse_int(argv[at + 2]), 0)
        start = _start_bound(argv[at])
        end = _end_bound(argv[at + 1])
        if at + 3 < n:
            consumer_name = argv[at + 3]
    group = _group(_read(ctx.db, argv[1]), argv[2])
    if group is None:
        raise _nogroup(argv[1], argv[2])
    pel = group.pel
    if n == 3:
        if not pel:
            return [0, None, None, NULL_ARRAY]
        owners = [[name, b"%d" % len(c.pel)] for name, c in sorted(group.consumers.items())
                  if c.pel]
        return [len(pel), format_id(pel.keys()[0]), format_id(pel.keys()[-1]), owners]
    if consumer_name is not None:
        consumer = group.consumers.get(consumer_name)
        if consumer is None:
            return []
        pel = consumer.pel
    now = ctx.server.keyspace.now
    out = []
    for sid in pel.irange(start, end):
        if not count:
            break
        nack = pel[sid]
        idle = now - nack.delivery_time
        if minidle and idle < minidle:
            continue
        out.append([format_id(sid), nack.consumer.name, max(idle, 0), nack.delivery_count])
        count -= 1
    return out


def _parse_claim_ids(argv: list[bytes], at: int) -> list[int]:
    # XCLAIM's IDs run until the first argument that is not one: the options follow.
    ids = []
    for arg in argv[at:]:
        try:
            ids.append(parse_id(arg, strict=True)[0])
        except CommandError:
            break
    return ids


@command("xclaim", -6, "write fast", keys=(1, 1, 1), key_flags="RW update",
         tips="nondeterministic_output", group="stream", since="5.0.0",
         complexity="O(log N) with N being the number of messages in the PEL of the consumer "
         "group.",
         summary="Changes (or acquires) ownership of a message in a consumer group, as if the "
         "message was delivered to the specified consumer.")
def xclaim(ctx: Any, argv: list[bytes]) -> list:
    db = ctx.db
    s = _read(db, argv[1])
    group = _group(s, argv[2])
    if group is None:
        raise _nogroup(argv[1], argv[2])
    assert s is not None
    minidle = max(parse_int(argv[4], "ERR Invalid min-idle-time argument for XCLAIM"), 0)
    ids = _parse_claim_ids(argv, 5)
    ks = db.keyspace
    now = ks.now
    force = justid = False
    delivery = retrycount = -1
    last_id = 0
    n = len(argv)
    j = 5 + len(ids)
    while j < n:
        more = j < n - 1
        opt = argv[j].lower()
        if opt == b"force":
            force = True
        elif opt == b"justid":
            justid = True
        elif opt == b"idle" and more:
            j += 1
            delivery = now - parse_int(argv[j], "ERR Invalid IDLE option argument for XCLAIM")
        elif opt == b"time" and more:
            j += 1
            delivery = parse_int(argv[j], "ERR Invalid TIME option argument for XCLAIM")
        elif opt == b"retrycount" and more:
            j += 1
            retrycount = parse_int(argv[j], "ERR Invalid RETRYCOUNT option argument for XCLAIM")
        elif opt == b"lastid" and more:
            j += 1
            last_id = parse_id(argv[j], strict=True)[0]
        else:
            raise CommandError(f"ERR Unrecognized XCLAIM option '{_text(argv[j])}'")
        j += 1
    moved = last_id > group.last_id
    if moved:
        group.last_id = last_id
    dirty = ks.dirty
    prop: list | None = [] if ctx.server.propagation.active else None
    # A bogus time (say, a client clock ahead of ours) is not worth an error: it means now.
    if delivery < 0 or delivery > now:
        delivery = now
    pel = group.pel
    consumer = None
    out: list = []
    for sid in ids:
        nack = pel.get(sid)
        flat = s.flat(sid)
        if flat is None:  # deleted from the stream: forget it
            if nack is not None:
                if prop is not None:  # replays the same way: the entry is gone there too
                    prop.append(_xclaim_argv(argv[1], argv[2], format_id(sid), nack,
                                             format_id(group.last_id)))
                group.remove_nack(sid)
                ks.dirty += 1
            continue
        if nack is None:
            if not force:
                continue
            nack = pel[sid] = Nack(now, 1, None)
        elif nack.consumer is not None and minidle and now - nack.delivery_time < minidle:
            continue
        if consumer is None:
            consumer = _consumer(db, argv[1], group, argv[3], now)
        nack.delivery_time = delivery
        if retrycount >= 0:
            nack.delivery_count = retrycount
        elif not justid:
            nack.delivery_count += 1
        if nack.consumer is not consumer:
            if nack.consumer is not None:
                del nack.consumer.pel[sid]
            consumer.pel[sid] = nack
            nack.consumer = consumer
        out.append(format_id(sid) if justid else [format_id(sid), flat])
        ks.dirty += 1
        if prop is not None:
            prop.append(_xclaim_argv(argv[1], argv[2], format_id(sid), nack,
                                     format_id(group.last_id)))
    # A moved last ID counts as a change of its own only when no entry did (Redis's
    # propagate_last_id: an XCLAIM per entry carries it, else one XGROUP SETID).
    if moved and ks.dirty == dirty:
        ks.dirty += 1
        if prop is not None:
            prop.append(_setid_argv(argv[1], argv[2], group))
    if prop:  # (empty exactly when nothing changed)
        ctx.propagate_as(*prop)
    return out


@command("xautoclaim", -6, "write fast", keys=(1, 1, 1), key_flags="RW delete",
         tips="nondeterministic_output", group="stream", since="6.2.0",
         complexity="O(1) if COUNT is small.",
         summary="Changes (or acquires) ownership of messages in a consumer group, as if the "
         "messages were delivered to the specified consumer.",
         history=(("7.0.0", "Added an element to the reply array, containing deleted entries "
                            "the command cleared from the PEL"),))
def xautoclaim(ctx: Any, argv: list[bytes]) -> list:
    minidle = max(parse_int(argv[4], "ERR Invalid min-idle-time argument for XAUTOCLAIM"), 0)
    start = _start_bound(argv[5])
    count = 100
    justid = False
    n = len(argv)
    j = 6
    while j < n:
        opt = argv[j].lower()
        if opt == b"count" and j < n - 1:
            count = parse_int(argv[j + 1], "ERR COUNT must be > 0")
            if not 1 <= count <= LONG_MAX // 16:
                raise CommandError("ERR COUNT must be > 0")
            j += 1
        elif opt == b"justid":
            justid = True
        else:
            raise CommandError(SYNTAX)
        j += 1
    db = ctx.db
    s = _read(db, argv[1])
    group = _group(s, argv[2])
    if group is None:
        raise _nogroup(argv[1], argv[2])
    assert s is not None
    ks = db.keyspace
    now = ks.now
    attempts = count * 10
    pel = group.pel
    # The PEL changes as we go: walk a snapshot of what this call may look at, plus the next
    # ID, which is the cursor to return.
    window = list(islice(pel.irange(minimum=start), attempts + 1))
    prop: list | None = [] if ctx.server.propagation.active else None
    consumer = None
    claimed: list = []
    deleted: list = []
    seen = 0
    for sid in window:
        if not attempts or not count:
            break
        attempts -= 1
        seen += 1
        nack = pel[sid]
        flat = s.flat(sid)
        if flat is None:
            if prop is not None:
                prop.append(_xclaim_argv(argv[1], argv[2], format_id(sid), nack,
                                         format_id(group.last_id)))
            group.remove_nack(sid)
            deleted.append(format_id(sid))
            count -= 1  # COUNT bounds the reply, deleted IDs included
            ks.dirty += 1
            continue
        if minidle and now - nack.delivery_time < minidle:
            continue
        if consumer is None:
            consumer = _consumer(db, argv[1], group, argv[3], now)
        if nack.consumer is not consumer:
            if nack.consumer is not None:
                del nack.consumer.pel[sid]
            consumer.pel[sid] = nack
            nack.consumer = consumer
        nack.delivery_time = now
        if not justid:
            nack.delivery_count += 1
        claimed.append(format_id(sid) if justid else [format_id(sid), flat])
        count -= 1
        ks.dirty += 1
        if prop is not None:
            prop.append(_xclaim_argv(argv[1], argv[2], format_id(sid), nack,
                                     format_id(group.last_id)))
    if prop:
        ctx.propagate_as(*prop)
    cursor = format_id(window[seen]) if seen < len(window) else ZERO_ID
    return [cursor, claimed, deleted]


# -- XSETID ----------------------------------------------------------------------------------------


@command("xsetid", -3, "write denyoom fast", keys=(1, 1, 1), key_flags="RW update",
         group="stream", since="5.0.0",
         summary="An internal command for replicating stream values",
         history=(("7.0.0", "Added the `entries_added` and `max_deleted_entry_id` arguments."),))
def xsetid(ctx: Any, argv: list[bytes]) -> Any:
    sid = parse_id(argv[2], strict=True)[0]
    entries_added = -1
    max_deleted = 0
    n = len(argv)
    i = 3
    while i < n:
        opt = argv[i].lower()
        if opt == b"entriesadded" and i < n - 1:
            entries_added = parse_int(argv[i + 1])
            if entries_added < 0:
                raise CommandError("ERR entries_added must be positive")
        elif opt == b"maxdeletedid" and i < n - 1:
            max_deleted = parse_id(argv[i + 1], strict=True)[0]
            if sid < max_deleted:
                raise CommandError("ERR The ID specified in XSETID is smaller than the provided "
                                   "max_deleted_entry_id")
        else:
            raise CommandError(SYNTAX)
        i += 2
    db = ctx.db
    s = _write(db, argv[1])
    if s is None:
        raise CommandError(NO_SUCH_KEY)
    if s.length:
        if sid < s.last_valid():
            raise CommandError("ERR The ID specified in XSETID is smaller than the target stream "
                               "top item")
        if entries_added != -1 and s.length > entries_added:
            raise CommandError("ERR The entries_added specified in XSETID is smaller than the "
                               "target stream length")
    s.last_id = sid
    if entries_added != -1:
        s.entries_added = entries_added
    if max_deleted:
        s.max_deleted = max_deleted
    db.keyspace.dirty += 1
    db.notify(STREAM, b"xsetid", argv[1])
    return OK


# -- XGROUP ----------------------------------------------------------------------------------------

XGROUP_HELP = [
    "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CREATE <key> <groupname> <id|$> [option]",
    "    Create a new consumer group. Options are:",
    "    * MKSTREAM",
    "      Create the empty stream if it does not exist.",
    "    * ENTRIESREAD entries_read",
    "      Set the group's entries_read counter (internal use).",
    "CREATECONSUMER <key> <groupname> <consumer>",
    "    Create a new consumer in the specified group.",
    "DELCONSUMER <key> <groupname> <consumer>",
    "    Remove the specified consumer.",
    "DESTROY <key> <groupname>",
    "    Remove the specified group.",
    "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
    "    Set the current group ID and entries_read counter.",
    "HELP",
    "    Prints this help.",
]


def _xgroup_target(ctx: Any, argv: list[bytes], sub: bytes) -> tuple[Stream | None, Group | None,
                                                                     bool, int]:
    """xgroupCommand's common part: (stream, group, MKSTREAM, ENTRIESREAD) after its checks."""
    mkstream = False
    entries_read = NOT_READ
    create = sub == b"create"
    n = len(argv)
    i = 5
    while i < n:
        opt = argv[i].lower()
        if create and opt == b"mkstream":
            mkstream = True
            i += 1
        elif (create or sub == b"setid") and opt == b"entriesread" and i + 1 < n:
            entries_read = parse_int(argv[i + 1])
            if entries_read < 0 and entries_read != NOT_READ:
                raise CommandError("ERR value for ENTRIESREAD must be positive or -1")
            i += 2
        else:
            raise subcommand_syntax_error(argv)
    s = _write(ctx.db, argv[2])
    group = _group(s, argv[3])
    if not mkstream:
        if s is None:
            raise CommandError(REQUIRES_KEY)
        if group is None and sub in (b"setid", b"createconsumer", b"delconsumer"):
            raise _nogroup_for_key(argv[3], argv[2])
    return s, group, mkstream, entries_read


command("xgroup", -2, categories="slow", group="stream", since="5.0.0",
        complexity="Depends on subcommand.",
        summary="A container for consumer groups commands")(None)


@command("xgroup|create", -5, "write denyoom", keys=(2, 2, 1), key_flags="RW insert",
         group="stream", since="5.0.0", summary="Create a consumer group.",
         history=(("7.0.0", "Added the `entries_read` named argument."),))
def xgroup_create(ctx: Any, argv: list[bytes]) -> Any:
    s, group, _, entries_read = _xgroup_target(ctx, argv, b"create")
    if len(argv) > 8:
        raise subcommand_syntax_error(argv)
    if argv[4] == b"$":
        sid = s.last_id if s is not None else 0
    else:
        sid = parse_id(argv[4], strict=True)[0]
    db = ctx.db
    if s is None:  # MKSTREAM, now that nothing can fail
        s = Stream()
        # Counted as the one change (dirty) the command makes: Redis's dbAdd counts none.
        db.set(argv[2], s)
    elif group is not None:
        raise CommandError("BUSYGROUP Consumer Group name already exists")
    else:
        db.keyspace.dirty += 1
    if s.groups is None:
        s.groups = {}
    s.groups[argv[3]] = Group(sid, entries_read)
    db.notify(STREAM, b"xgroup-create", argv[2])
    return OK


@command("xgroup|setid", -5, "write", keys=(2, 2, 1), key_flags="RW update", group="stream",
         since="5.0.0", summary="Set a consumer group to an arbitrary last delivered ID value.",
         history=(("7.0.0", "Added the optional `entries_read` argument."),))
def xgroup_setid(ctx: Any, argv: list[bytes]) -> Any:
    s, group, _, entries_read = _xgroup_target(ctx, argv, b"setid")
    if len(argv) not in (5, 7):
        raise subcommand_syntax_error(argv)
    assert s is not None and group is not None
    group.last_id = s.last_id if argv[4] == b"$" else parse_id(argv[4])[0]
    group.entries_read = entries_read
    ctx.db.keyspace.dirty += 1
    ctx.db.notify(STREAM, b"xgroup-setid", argv[2])
    return OK


@command("xgroup|destroy", 4, "write", keys=(2, 2, 1), key_flags="RW delete", group="stream",
         since="5.0.0",
         complexity="O(N) where N is the number of entries in the group's pending entries list "
         "(PEL).",
         summary="Destroy a consumer group.")
def xgroup_destroy(ctx: Any, argv: list[bytes]) -> int:
    s, group, _, _ = _xgroup_target(ctx, argv, b"destroy")
    if group is None:
        return 0
    assert s is not None and s.groups is not None
    del s.groups[argv[3]]
    db = ctx.db
    db.keyspace.dirty += 1
    db.notify(STREAM, b"xgroup-destroy", argv[2])
    ctx.server.blocking.key_ready(db, argv[2])  # its blocked readers get NOGROUP
    return 1


@command("xgroup|createconsumer", 5, "write denyoom", keys=(2, 2, 1), key_flags="RW insert",
         group="stream", since="6.2.0", summary="Create a consumer in a consumer group.")
def xgroup_createconsumer(ctx: Any, argv: list[bytes]) -> int:
    group = _xgroup_target(ctx, argv, b"createconsumer")[1]
    assert group is not None
    if argv[4] in group.consumers:
        return 0
    _consumer(ctx.db, argv[2], group, argv[4], ctx.server.keyspace.now)  # (counts as dirty)
    return 1


@command("xgroup|delconsumer", 5, "write", keys=(2, 2, 1), key_flags="RW delete",
         group="stream", since="5.0.0", summary="Delete a consumer from a consumer group.")
def xgroup_delconsumer(ctx: Any, argv: list[bytes]) -> int:
    group = _xgroup_target(ctx, argv, b"delconsumer")[1]
    assert group is not None
    consumer = group.consumers.pop(argv[4], None)
    if consumer is None:
        return 0
    # Its pending entries are dropped from the group too: nobody owns them any more.
    pel = group.pel
    for sid in consumer.pel:
        del pel[sid]
    ctx.db.keyspace.dirty += 1
    ctx.db.notify(STREAM, b"xgroup-delconsumer", argv[2])
    return len(consumer.pel)


@command("xgroup|help", 2, "loading stale", group="stream", since="5.0.0",
         summary="Show helpful text about the different subcommands")
def xgroup_help(ctx: Any, argv: list[bytes]) -> list:
    return [Status(line.encode()) for line in XGROUP_HELP]


# -- XINFO -----------------------------------------------------------------------------------------

XINFO_HELP = [
    "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CONSUMERS <key> <groupname>",
    "    Show consumers of <groupname>.",
    "GROUPS <key>",
    "    Show the stream consumer groups.",
    "STREAM <key> [FULL [COUNT <count>]",
    "    Show information about the stream.",
    "HELP",
    "    Prints this help.",
]


def _info_stream(ctx: Any, argv: list[bytes]) -> Stream:
    s = _read(ctx.db, argv[2])
    if s is None:
        raise CommandError(NO_SUCH_KEY)
    return s


def _entries_read(group: Group) -> int | None:
    return None if group.entries_read == NOT_READ else group.entries_read


command("xinfo", -2, categories="slow", group="stream", since="5.0.0",
        complexity="Depends on subcommand.",
        summary="A container for stream introspection commands")(None)


@command("xinfo|help", 2, "loading stale", group="stream", since="5.0.0",
         summary="Show helpful text about the different subcommands")
def xinfo_help(ctx: Any, argv: list[bytes]) -> list:
    return [Status(line.encode()) for line in XINFO_HELP]


@command("xinfo|stream", -3, "readonly", keys=(2, 2, 1), group="stream", since="5.0.0",
         summary="Get information about a stream",
         history=(("6.0.0", "Added the `FULL` modifier."),
                  ("7.0.0", "Added the `max-deleted-entry-id`, `entries-added`, "
                            "`recorded-first-entry-id`, `entries-read` and `lag` fields")))
def xinfo_stream(ctx: Any, argv: list[bytes]) -> dict:
    s = _info_stream(ctx, argv)
    n = len(argv)
    full = n > 3
    count = 10  # FULL's default: a huge stream must not stall the server
    if full:
        if n not in (4, 6) or argv[3].lower() != b"full":
            raise subcommand_syntax_error(argv)
        if n == 6:
            if argv[4].lower() != b"count":
                raise subcommand_syntax_error(argv)
            count = parse_int(argv[5])
            if count < 0:
                count = 10
    info: dict = {
        b"length": s.length,
        b"radix-tree-keys": len(s.nodes),
        b"radix-tree-nodes": rax_nodes(s.keys),
        b"last-generated-id": format_id(s.last_id),
        b"max-deleted-entry-id": format_id(s.max_deleted),
        b"entries-added": s.entries_added,
        b"recorded-first-entry-id": format_id(s.first_id),
    }
    groups = sorted(s.groups.items()) if s.groups else []
    if not full:
        info[b"groups"] = len(groups)
        first = s.range(0, MAX_ID, 1)
        last = s.range(0, MAX_ID, 1, reverse=True)
        info[b"first-entry"] = first[0] if first else None
        info[b"last-entry"] = last[0] if last else None
        return info
    info[b"entries"] = s.range(0, MAX_ID, count)
    info[b"groups"] = [_full_group(s, name, group, count) for name, group in groups]
    return info


def _full_group(s: Stream, name: bytes, group: Group, count: int) -> dict:
    pending = [[format_id(sid), nack.consumer.name, nack.delivery_time, nack.delivery_count]
               for sid, nack in islice(group.pel.items(), count or None)]
    consumers = []
    for cname, consumer in sorted(group.consumers.items()):
        consumers.append({
            b"name": cname,
            b"seen-time": consumer.seen_time,
            b"pel-count": len(consumer.pel),
            b"pending": [[format_id(sid), nack.delivery_time, nack.delivery_count]
                         for sid, nack in islice(consumer.pel.items(), count or None)],
        })
    return {
        b"name": name,
        b"last-delivered-id": format_id(group.last_id),
        b"entries-read": _entries_read(group),
        b"lag": s.lag(group),
        b"pel-count": len(group.pel),
        b"pending": pending,
        b"consumers": consumers,
    }


@command("xinfo|groups", 3, "readonly", keys=(2, 2, 1), group="stream", since="5.0.0",
         summary="List the consumer groups of a stream",
         history=(("7.0.0", "Added the `entries-read` and `lag` fields"),))
def xinfo_groups(ctx: Any, argv: list[bytes]) -> list:
    s = _info_stream(ctx, argv)
    if not s.groups:
        return []
    return [{
        b"name": name,
        b"consumers": len(group.consumers),
        b"pending": len(group.pel),
        b"last-delivered-id": format_id(group.last_id),
        b"entries-read": _entries_read(group),
        b"lag": s.lag(group),
    } for name, group in sorted(s.groups.items())]


@command("xinfo|consumers", 4, "readonly", keys=(2, 2, 1), tips="nondeterministic_output",
         group="stream", since="5.0.0", summary="List the consumers in a consumer group")
def xinfo_consumers(ctx: Any, argv: list[bytes]) -> list:
    s = _info_stream(ctx, argv)
    group = _group(s, argv[3])
    if group is None:
        raise _nogroup_for_key(argv[3], argv[2])
    now = ctx.server.keyspace.now
    return [{b"name": name, b"pending": len(c.pel), b"idle": max(now - c.seen_time, 0)}
            for name, c in sorted(group.consumers.items())]


# -- the registries every data type fills ----------------------------------------------------------


def _digest(d: bytes, s: Stream) -> bytes:
    # debug.c: each entry's "ms.seq", then its fields and values, in ID order.
    mix = digest.mix
    for sid, flat in s.items():
        d = mix(d, b"%d.%d" % (sid >> 64, sid & U64))
        for item in flat:
            d = mix(d, item)
    return d


def node_listpack(s: Stream, node: Node) -> bytes:
    """The node's listpack, byte for byte when it holds no tombstones (the entries a listpack
    keeps flagged deleted are not kept here, so it is written without them: the same live
    entries, as the RDB writer saves it)."""
    parts = [int_entry(len(node.ids)), int_entry(0), int_entry(len(node.fields))]
    parts += [entry(f) for f in node.fields]
    parts.append(int_entry(0))
    count = 4 + len(node.fields)  # listpack elements: the master entry's, then each entry's
    for k, sid in enumerate(node.ids):
        flat = node.entry(k)
        fields = flat[0::2]
        same = fields == node.fields
        parts += [int_entry(2 if same else 0), int_entry(_int64((sid >> 64) - node.ms)),
                  int_entry(_int64((sid & U64) - node.seq))]
        if same:
            parts += [entry(v) for v in flat[1::2]]
            parts.append(int_entry(len(fields) + 3))
            count += 4 + len(fields)
        else:
            parts.append(int_entry(len(fields)))
            parts += [entry(x) for x in flat]
            parts.append(int_entry(2 * len(fields) + 4))
            count += 5 + 2 * len(fields)
    return build(parts, count)


def _int64(v: int) -> int:
    v &= U64
    return v - (1 << 64) if v >= 1 << 63 else v


def _rdb_size(s: Stream, compression: bool) -> int:
    """RDB_TYPE_STREAM_LISTPACKS_3 as rdb.c writes it. A listpack holding tombstones cannot be
    rebuilt: it counts uncompressed."""
    size = rdb_len_size(len(s.nodes))
    for node in s.nodes:
        size += 17  # the 16-byte master ID
        if node.deleted:
            nbytes = node.nbytes()
            size += rdb_len_size(nbytes) + nbytes
        else:
            size += rdb_string_size(node_listpack(s, node), compression)
    for sid in (s.last_id, s.first_id, s.max_deleted):
        size += rdb_len_size(sid >> 64) + rdb_len_size(sid & U64)
    size += rdb_len_size(s.length) + rdb_len_size(s.entries_added)
    groups = s.groups or {}
    size += rdb_len_size(len(groups))
    for name, group in groups.items():
        size += rdb_string_size(name, compression)
        size += rdb_len_size(group.last_id >> 64) + rdb_len_size(group.last_id & U64)
        size += rdb_len_size(group.entries_read & U64)
        size += rdb_len_size(len(group.pel))
        size += sum(24 + rdb_len_size(nack.delivery_count) for nack in group.pel.values())
        size += rdb_len_size(len(group.consumers))
        for cname, consumer in group.consumers.items():
            size += rdb_string_size(cname, compression) + 8
            size += rdb_len_size(len(consumer.pel)) + 16 * len(consumer.pel)
    return size


def _memory(s: Stream, samples: int) -> int:
    """MEMORY USAGE: this model's footprint, entries sampled as objectComputeSize does."""
    getsizeof = sys.getsizeof
    size = getsizeof(s) + getsizeof(s.nodes) + getsizeof(s.keys)
    size += sum(getsizeof(node) + getsizeof(node.ids) + getsizeof(node.flats)
                for node in s.nodes)
    seen = total = 0
    # The objects held: a tuple, or a value alone (node/stream.py).
    held = (pair for node in s.nodes for pair in zip(node.ids, node.flats))
    for sid, flat in islice(held, samples):
        total += getsizeof(sid) + getsizeof(flat)
        if flat.__class__ is tuple:
            total += sum(map(getsizeof, flat))
        seen += 1
    if seen:
        size += total * s.length // seen
    for name, group in (s.groups or {}).items():
        nack_size = getsizeof(Nack(0, 0, None)) + 2 * 56  # the Nack and its PEL slots
        size += getsizeof(group) + getsizeof(name) + nack_size * len(group.pel)
        for cname, consumer in group.consumers.items():
            size += getsizeof(consumer) + getsizeof(cname) + 56 * len(consumer.pel)
    return size


TYPE_NAMES[Stream] = b"stream"
COPY_FUNCS[Stream] = Stream.copy
OBJECT_ENCODINGS[Stream] = lambda s: b"stream"
SERIALIZED_LENGTHS[Stream] = _rdb_size
SIZERS[Stream] = _memory
digest.register(Stream, digest.OBJ_STREAM, _digest)
