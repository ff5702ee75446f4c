"""The generic key commands against redis-server 7.0.15: replies, errors, metadata, SCAN."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time

import pytest
import redis

from conftest import reply_of
from node.cursor import SnapshotCursors, parse_cursor
from node.errors import CommandError

COMMANDS = ("del unlink exists type expire pexpire expireat pexpireat ttl pttl expiretime "
            "pexpiretime persist rename renamenx copy move keys scan randomkey touch "
            "object").split()


def _normalize_info(entry):
    # Redis lists subcommands in its dict's (randomly seeded) order; compare them as a set.
    if isinstance(entry, list) and len(entry) == 10:
        entry = list(entry)
        entry[9] = sorted((_normalize_info(s) for s in entry[9]), key=repr)
    return entry


@pytest.mark.parametrize("name", COMMANDS)
def test_command_info_matches_redis(r, o, name):
    mine = reply_of(r, "COMMAND", "INFO", name)
    theirs = reply_of(o, "COMMAND", "INFO", name)
    assert [_normalize_info(e) for e in mine] == [_normalize_info(e) for e in theirs]


def _as_dict(x):
    return x if isinstance(x, dict) else dict(zip(x[::2], x[1::2]))


def _docs(client, name):
    # The docs fields slotkv keeps (arguments and history are not in its command table).
    (body,) = _as_dict(reply_of(client, "COMMAND", "DOCS", name)).values()
    body = _as_dict(body)
    keep = (b"summary", b"since", b"group", b"complexity")
    out = {k: v for k, v in body.items() if k in keep}
    for sub, doc in _as_dict(body.get(b"subcommands", [])).items():
        out[sub] = {k: v for k, v in _as_dict(doc).items() if k in keep}
    return out


@pytest.mark.parametrize("name", COMMANDS)
def test_command_docs_match_redis(r, o, name):
    assert _docs(r, name) == _docs(o, name)


@pytest.mark.parametrize("args", [
    ("DEL", "a", "b", "c"), ("UNLINK", "a"), ("EXISTS", "a", "a"), ("TOUCH", "a", "b"),
    ("TYPE", "a"), ("EXPIRE", "a", "10", "NX"), ("PEXPIREAT", "a", "1"), ("TTL", "a"),
    ("PEXPIRETIME", "a"), ("PERSIST", "a"), ("RENAME", "a", "b"), ("RENAMENX", "a", "b"),
    ("COPY", "a", "b", "DB", "1", "REPLACE"), ("MOVE", "a", "1"), ("OBJECT", "ENCODING", "k"),
    ("OBJECT", "FREQ", "k"), ("OBJECT", "HELP"), ("SCAN", "0"), ("KEYS", "*"),
])
def test_command_getkeys(both, args):
    both("COMMAND", "GETKEYS", *args)


# -- DEL, UNLINK, EXISTS, TOUCH, TYPE ----------------------------------------------------------


def test_delete_exists_touch_type(both):
    both.run(
        ("MSET", "a", "1", "b", "2", "c", "3"),
        ("EXISTS", "a"), ("EXISTS", "a", "a", "b", "zz", "a"), ("EXISTS", "zz"),
        ("TOUCH", "a", "b", "zz", "a"), ("TYPE", "a"), ("TYPE", "zz"),
        ("DEL", "a", "a", "zz"), ("EXISTS", "a"), ("UNLINK", "b", "c", "b"), ("DBSIZE",),
        ("DEL", "nothing"), ("UNLINK", "nothing"),
        ("DEL",), ("UNLINK",), ("EXISTS",), ("TOUCH",), ("TYPE",), ("TYPE", "a", "b"),
    )


def _raw_exchange(port: int, payload: bytes, until: bytes) -> bytes:
    """Bytes the server sends back for `payload`, read until they end with `until`."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(payload)
        raw = b""
        while not raw.endswith(until):
            chunk = s.recv(4096)
            if not chunk:
                break
            raw += chunk
    return raw


def test_type_reply_is_a_status(r, node):
    r.set("s", "v")
    raw = _raw_exchange(node.port, b"TYPE s\r\nTYPE missing\r\nPING\r\n", b"+PONG\r\n")
    assert raw == b"+string\r\n+none\r\n+PONG\r\n"


def test_expired_keys_are_gone_for_every_command(both):
    both("SET", "k", "v", "PX", "1")
    time.sleep(0.02)
    both.run(("EXISTS", "k"), ("TYPE", "k"), ("TTL", "k"), ("DEL", "k"), ("TOUCH", "k"),
             ("RENAME", "k", "x"), ("COPY", "k", "x"), ("MOVE", "k", "1"), ("PERSIST", "k"),
             ("EXPIRE", "k", "10"), ("OBJECT", "ENCODING", "k"), ("KEYS", "*"), ("SCAN", "0"))


def _hits_misses(client):
    info = client.info("stats")
    return info["keyspace_hits"], info["keyspace_misses"]


def test_lookups_count_hits_and_misses_like_redis(both, r, o):
    """Which commands count keyspace hits/misses (read lookups) and which do not (writes)."""
    both.run(("SET", "a", "1"), ("SET", "b", "2"), ("EXPIRE", "b", "100"))
    script = [
        ("EXISTS", "a", "zz", "a"), ("TYPE", "a"), ("TYPE", "zz"), ("TTL", "a"), ("PTTL", "zz"),
        ("EXPIRETIME", "b"), ("PEXPIRETIME", "zz"), ("TOUCH", "a", "zz"),
        ("OBJECT", "ENCODING", "a"), ("OBJECT", "REFCOUNT", "zz"), ("OBJECT", "IDLETIME", "a"),
        ("COPY", "a", "c"), ("COPY", "zz", "c"), ("EXPIRE", "a", "100"), ("EXPIRE", "zz", "1"),
        ("PERSIST", "a"), ("RENAME", "c", "d"), ("RENAMENX", "zz", "d"), ("MOVE", "d", "1"),
        ("DEL", "a", "zz"), ("UNLINK", "b"), ("KEYS", "*"), ("SCAN", "0"), ("RANDOMKEY",),
    ]
    for cmd in script:
        before = _hits_misses(r), _hits_misses(o)
        if cmd[:2] == ("OBJECT", "IDLETIME"):
            # Its value depends on when each server's one-second LRU clock ticked; only the
            # lookup accounting is compared here.
            reply_of(r, *cmd), reply_of(o, *cmd)
        else:
            both(*cmd)
        after = _hits_misses(r), _hits_misses(o)
        mine = tuple(x - y for x, y in zip(after[0], before[0]))
        theirs = tuple(x - y for x, y in zip(after[1], before[1]))
        assert mine == theirs, (cmd, mine, theirs)


# -- RENAME, RENAMENX -----------------------------------------------------------------------


def test_rename(both):
    both.run(
        ("RENAME", "nokey", "x"), ("RENAME", "nokey", "nokey"), ("RENAMENX", "nokey", "x"),
        ("RENAMENX", "nokey", "nokey"),
        ("SET", "a", "1"), ("RENAME", "a", "a"), ("RENAMENX", "a", "a"), ("GET", "a"),
        ("SET", "b", "2"), ("EXPIRE", "b", "1000"),
        ("RENAMENX", "a", "b"), ("GET", "a"), ("GET", "b"),
        ("RENAME", "a", "b"), ("GET", "a"), ("GET", "b"), ("TTL", "b"),
        ("EXPIRE", "b", "500"), ("RENAME", "b", "c"), ("TTL", "c"), ("EXISTS", "b"),
        ("RENAMENX", "c", "d"), ("TTL", "d"), ("GET", "d"),
        ("RENAME", "d"), ("RENAMENX", "d", "e", "f"),
    )


def test_rename_copy_move_flush_count_changes_as_redis(both):
    # One change per RENAME, COPY or MOVE whatever it replaced or carried over (a deadline,
    # an overwritten key); one per key a FLUSHDB / FLUSHALL removed.
    both.run(("SET", "a", "1"), ("SET", "b", "2"), ("EXPIRE", "a", "100"))
    both.same_changes(("RENAME", "a", "b"), ("RENAMENX", "b", "c"), ("SET", "d", "x"),
                      ("RENAMENX", "c", "d"), ("COPY", "c", "d", "REPLACE"), ("COPY", "c", "e"),
                      ("MOVE", "e", "1"), ("RENAME", "c", "c"), ("MSET", "x", "1", "y", "2"),
                      ("FLUSHDB",), ("MSET", "x", "1", "y", "2", "z", "3"), ("FLUSHALL",))


def test_writes_with_a_ttl_count_one_change_as_redis(both, r):
    # Storing a key with its deadline is one change (Redis's setExpire counts none itself);
    # they were counted two, so save points fired twice as early for TTL writes.
    both.run(("SET", "src", "v"))
    payload = r.dump("src")
    both.same_changes(("SET", "a", "1", "EX", "100"), ("SET", "a", "2", "PX", "100000", "GET"),
                      ("SETEX", "b", "100", "x"), ("PSETEX", "c", "100000", "y"),
                      ("SET", "d", "1", "EXAT", "4000000000"), ("GETEX", "d", "EX", "50"),
                      ("RESTORE", "e", "100000", payload), ("EXPIRE", "e", "10"))


def test_rename_keeps_exact_deadline(r):
    r.set("a", "v")
    r.pexpireat("a", 4102444800123)
    r.rename("a", "b")
    assert r.pexpiretime("b") == 4102444800123
    assert r.renamenx("b", "c") is True
    assert r.pexpiretime("c") == 4102444800123


# -- COPY, MOVE -----------------------------------------------------------------------------


def test_copy(both):
    both.run(
        ("COPY", "nokey", "x"), ("SET", "a", "hello"), ("COPY", "a", "a"),
        ("COPY", "a", "a", "DB", "0"), ("COPY", "a", "b"), ("GET", "b"), ("COPY", "a", "b"),
        ("SET", "a", "other"), ("COPY", "a", "b", "REPLACE"), ("GET", "b"),
        ("EXPIRE", "a", "1000"), ("COPY", "a", "c"), ("TTL", "c"), ("TTL", "a"),
        ("COPY", "a", "a", "DB", "1"), ("COPY", "a", "a", "db", "1"),
        ("COPY", "a", "x", "DB", "16"), ("COPY", "a", "x", "DB", "-1"),
        ("COPY", "a", "x", "DB", "abc"), ("COPY", "a", "x", "DB", "+1"),
        ("COPY", "a", "x", "DB", "99999999999"), ("COPY", "a", "x", "DB"),
        ("COPY", "a", "x", "FOO"), ("COPY", "nokey", "x", "DB"),
        ("COPY", "a", "x", "REPLACE", "REPLACE", "DB", "1", "DB", "2"),
        ("COPY", "nokey", "nokey"), ("COPY", "a"),
    )
    for db in (1, 2):
        both("SELECT", str(db))
        both.run(("GET", "a"), ("GET", "x"), ("TTL", "a"))
        both("SELECT", "0")


def test_copy_is_deep_for_modified_strings(both):
    both.run(("SET", "a", "abc"), ("APPEND", "a", "def"), ("COPY", "a", "b"),
             ("APPEND", "b", "X"), ("SETRANGE", "a", "0", "Z"), ("GET", "a"), ("GET", "b"),
             ("OBJECT", "ENCODING", "b"), ("COPY", "b", "b", "DB", "3"),
             ("APPEND", "b", "Y"), ("GET", "b"))
    both("SELECT", "3")
    both("GET", "b")
    both("SELECT", "0")


def test_copy_registry_falls_back_to_deepcopy():
    from node.commands.keys import COPY_FUNCS, copy_value

    value = bytearray(b"xy")
    dup = copy_value(value)
    assert dup == value and dup is not value
    assert copy_value(b"imm") == b"imm"
    nested = {b"f": [bytearray(b"1")]}
    dup = copy_value(nested)
    assert dup == nested and dup[b"f"][0] is not nested[b"f"][0]
    assert bytes in COPY_FUNCS and bytearray in COPY_FUNCS


def test_move(both):
    both.run(
        ("MOVE", "nokey", "1"), ("SET", "a", "1"), ("MOVE", "a", "0"), ("MOVE", "a", "16"),
        ("MOVE", "a", "-1"), ("MOVE", "a", "x"), ("MOVE", "a", "+1"), ("MOVE", "a", " 1"),
        ("MOVE", "a", "99999999999"), ("MOVE", "nokey", "0"),
        ("EXPIRE", "a", "1000"), ("MOVE", "a", "1"), ("EXISTS", "a"), ("MOVE", "a", "1"),
        ("SET", "b", "here"), ("MOVE", "b", "1"), ("GET", "b"),
        ("MOVE", "a"), ("MOVE", "a", "1", "2"),
    )
    both("SELECT", "1")
    both.run(("GET", "a"), ("TTL", "a"), ("SET", "b", "there"), ("MOVE", "b", "0"),
             ("GET", "b"))
    both("SELECT", "0")
    both("GET", "b")


def test_select_and_swapdb_index_errors(both):
    # Both read the index with getIntFromObjectOrReply: 64-bit parse, then the C int range
    # (SWAPDB's own message for either failure), then the db count.
    for index in ("16", "-1", "x", "+1", " 1", "1.0", "2147483647", "2147483648",
                  "-2147483649", "4294967296", "99999999999999999999"):
        both("SELECT", index)
        both("SWAPDB", index, "0")
        both("SWAPDB", "0", index)
    both("SELECT", "0")


def test_swapdb_counts_as_a_change_even_with_itself(r, o):
    def changes(client):
        return client.info("persistence")["rdb_changes_since_last_save"]

    for client in (r, o):
        before = changes(client)
        client.execute_command("SWAPDB", "0", "0")
        client.execute_command("SWAPDB", "1", "0")
        assert changes(client) - before == 2


# -- KEYS, RANDOMKEY ------------------------------------------------------------------------

KEY_NAMES = ["foo", "foobar", "fo", "f", "bar", "baz", "b*r", "b?r", "b[a]r", "h\\llo", "hallo",
             "hello", "hxllo", "heeeello", "Hello", "x", "-", "a-z", "]", "^", "\\", "",
             "k\x00ey", "\u00e9t\u00e9", "*", "?", "[", "ab\nc"]
PATTERNS = ["*", "f*", "*o", "*o*", "?", "??", "f?o*", "b[ae]r", "b[^e]r", "b[!e]r",
            "b[a-z]r", "b[z-a]r", "h[^e]llo", "h\\[llo", "b\\*r", "b\\?r", "b\\[a\\]r",
            "\\\\", "h\\\\llo", "[", "[]", "[]]", "[^]]", "[a-", "a[-]z", "b[", "*[", "\\",
            "*\\", "**", "***o", "h*llo", "H*", "h[el]*o", "[\\]]", "k\x00*", "\u00e9*",
            "[\u00e9]t*", "ab?c", "", "x*y*z*w*v*", "*a*b*c*d*e*f*"]


@pytest.fixture
def many_names(both):
    for i, name in enumerate(KEY_NAMES):
        both("SET", name, str(i))


@pytest.mark.parametrize("pattern", PATTERNS)
def test_keys_glob_patterns(both, many_names, pattern):
    both("KEYS", pattern, unordered=True)


def test_a_backtracking_pattern_is_answered_at_once(node, both):
    # Translated plainly into a regex (`.*a.*a...c`), this near miss backtracks exponentially:
    # it held the server for minutes. Redis's stringmatchlen answers at once, and so must
    # every use of the matcher: KEYS, SCAN MATCH, PSUBSCRIBE.
    pattern = "*a" * 12 + "*c"
    subject = "a" * 60 + "b"
    both.run(("SET", subject, "v"), ("KEYS", pattern), ("SCAN", "0", "MATCH", pattern))
    quick = node.client(socket_timeout=10)
    sub = quick.pubsub()
    sub.psubscribe(pattern)
    assert sub.get_message(timeout=5)["type"] == "psubscribe"
    for _ in range(20):
        assert quick.publish(subject, "m") == 0
    assert quick.ping()
    sub.close()


def test_keys_skips_expired_and_errors(both):
    both.run(("KEYS", "*"), ("SET", "a", "1"), ("SET", "gone", "1", "PX", "1"))
    time.sleep(0.02)
    both.run(("KEYS", "*"), ("KEYS", "*", "x"), ("KEYS",))


def test_randomkey(both, r):
    both.run(("RANDOMKEY",), ("SET", "only", "1"), ("RANDOMKEY",), ("RANDOMKEY", "x"))
    r.mset({f"k{i}": i for i in range(50)})
    seen = {r.randomkey() for _ in range(200)}
    assert len(seen) > 10 and seen <= {b"only", *(f"k{i}".encode() for i in range(50))}


def test_randomkey_all_expired(both):
    both("SET", "a", "1", "PX", "1")
    both("SET", "b", "1", "PX", "1")
    time.sleep(0.02)
    both("RANDOMKEY")


# -- SCAN -----------------------------------------------------------------------------------


def _full_scan(client, *opts, after_each=None):
    seen = []
    cursor = b"0"
    calls = 0
    while True:
        cursor, keys = reply_of(client, "SCAN", cursor, *opts)
        seen.extend(keys)
        calls += 1
        if after_each is not None:
            after_each(calls)
        if cursor == b"0":
            return seen, calls
        assert calls < 100000


def test_scan_full_iteration(r):
    r.mset({f"key:{i}": i for i in range(1000)})
    seen, calls = _full_scan(r)
    assert sorted(seen) == sorted(f"key:{i}".encode() for i in range(1000))
    assert 50 <= calls <= 200  # COUNT 10 by default, approximately
    seen, calls = _full_scan(r, "COUNT", "100")
    assert len(set(seen)) == 1000 and calls <= 20


def test_scan_reply_shape(r, o):
    for client in (r, o):
        client.mset({"a": 1, "b": 2})
        cursor, keys = reply_of(client, "SCAN", "0")
        assert cursor == b"0" and sorted(keys) == [b"a", b"b"]
        assert reply_of(client, "SCAN", "0", "MATCH", "nothing*") == [b"0", []]


def test_scan_while_keys_change(r):
    stable = {f"stable:{i}".encode() for i in range(500)}
    r.mset({k: 1 for k in stable})
    r.mset({f"doomed:{i}": 1 for i in range(500)})
    added = iter(range(10**6))

    def mutate(call):
        pipe = r.pipeline(transaction=False)
        for _ in range(5):
            pipe.set(f"new:{next(added)}", 1)
            pipe.delete(f"doomed:{next(added) % 500}")
        pipe.execute()

    seen, calls = _full_scan(r, "COUNT", "7", after_each=mutate)
    assert stable <= set(seen)
    assert len(seen) == len(set(seen))  # one snapshot per iteration: no repeats
    assert calls <= 1000 // 7 + 2


def test_scan_skips_deleted_and_expired(r):
    r.mset({f"k{i}": 1 for i in range(100)})
    cursor, first = reply_of(r, "SCAN", "0", "COUNT", "10")
    assert cursor != b"0"
    r.delete(*(f"k{i}" for i in range(50, 100)))
    for i in range(20, 50):
        r.pexpire(f"k{i}", 1)
    time.sleep(0.02)
    seen = list(first)
    while cursor != b"0":
        cursor, keys = reply_of(r, "SCAN", cursor, "COUNT", "10")
        seen.extend(keys)
    live = {f"k{i}".encode() for i in range(20)}
    assert live <= set(seen)
    assert set(seen) - set(first) <= live


def test_scan_match_count_type(both, r):
    r.mset({f"user:{i}": i for i in range(300)})
    r.mset({f"item:{i}": i for i in range(300)})
    seen, _ = _full_scan(r, "MATCH", "user:1*", "COUNT", "25")
    assert sorted(seen) == sorted(k for k in (f"user:{i}".encode() for i in range(300))
                                  if k.startswith(b"user:1"))
    seen, _ = _full_scan(r, "TYPE", "STRING", "COUNT", "1000")
    assert len(seen) == 600
    seen, _ = _full_scan(r, "TYPE", "list")
    assert seen == []
    # Small keyspaces come back in one call on both servers; options are compared there.
    both("FLUSHALL")
    both.run(("SET", "a1", "1"), ("SET", "a2", "2"), ("SET", "b1", "3"))
    for opts in (("MATCH", "a*"), ("MATCH", "*"), ("TYPE", "string"), ("TYPE", "StRiNg"),
                 ("TYPE", "hash"), ("TYPE", "nosuchtype"), ("MATCH", "a*", "TYPE", "string"),
                 ("COUNT", "1000", "MATCH", "b?"), ("match", "[ab]1", "count", "50")):
        mine = reply_of(both.r, "SCAN", "0", *opts)
        theirs = reply_of(both.o, "SCAN", "0", *opts)
        assert mine[0] == theirs[0] == b"0"
        assert sorted(mine[1]) == sorted(theirs[1]), opts


@pytest.mark.parametrize("args", [
    ("abc",), (" 1",), ("1 ",), ("+",), ("-",), ("0x10",), ("18446744073709551616",),
    ("-18446744073709551616",), ("1.5",),
    ("0", "COUNT", "0"), ("0", "COUNT", "-1"), ("0", "COUNT", "abc"),
    ("0", "COUNT", "99999999999999999999"), ("0", "COUNT"), ("0", "MATCH"), ("0", "TYPE"),
    ("0", "FOO", "bar"), ("abc", "FOO"), ("0", "MATCH", "*", "COUNT"), ("0", "COUNT", "1.0"),
])
def test_scan_errors(both, args):
    both("SCAN", *args)


@pytest.mark.parametrize("cursor", ["", "0", "+0", "-0", "000"])
def test_scan_cursor_spellings_of_zero(both, cursor):
    both("SET", "a", "1")
    both("SCAN", cursor)


def test_scan_unknown_cursor_is_not_an_error(r):
    r.mset({f"k{i}": 1 for i in range(30)})
    for cursor in ("18446744073709551615", "-1", "12345", "1"):
        reply = reply_of(r, "SCAN", cursor)
        assert isinstance(reply, list) and len(reply) == 2
    # A cursor this process never issued resumes a fresh snapshot at its offset.
    cursor, keys = reply_of(r, "SCAN", "5", "COUNT", "100")
    assert cursor == b"0" and len(keys) == 25


def test_scan_cursor_belongs_to_its_database(r, node):
    r.mset({f"k{i}": 1 for i in range(100)})
    other = node.client(db=5)
    other.mset({f"k{i}": 1 for i in range(100, 150)})
    try:
        cursor, _ = reply_of(r, "SCAN", "0")
        seen = []
        while True:
            cursor, keys = reply_of(other, "SCAN", cursor)
            seen.extend(keys)
            if cursor == b"0":
                break
        assert set(seen) <= {f"k{i}".encode() for i in range(100, 150)}
    finally:
        other.flushdb()
        other.close()


@pytest.mark.skipif(shutil.which("redis-cli") is None, reason="redis-cli not installed")
def test_redis_cli_scan(r, node):
    r.mset({f"cli:{i}": i for i in range(345)})
    r.mset({f"other:{i}": i for i in range(55)})
    out = subprocess.run(["redis-cli", "-p", str(node.port), "--scan", "--pattern", "cli:*"],
                         capture_output=True, check=True, timeout=30).stdout
    assert sorted(out.split()) == sorted(f"cli:{i}".encode() for i in range(345))
    out = subprocess.run(["redis-cli", "-p", str(node.port), "--scan"],
                         capture_output=True, check=True, timeout=30).stdout
    assert len(set(out.split())) == 400


def test_cursor_cache_is_bounded():
    cache = SnapshotCursors(max_snapshots=3, max_members=100)
    owner = object()
    members = list(range(50))
    cursors = []
    for _ in range(5):
        cursor, out = cache.scan(owner, 0, 10, lambda: list(members), lambda m: True)
        assert out == list(range(10)) and cursor
        cursors.append(cursor)
    assert len(cache) <= 2  # 50 members each, at most 100 held
    cursor, out = cache.scan(owner, cursors[-1], 10, lambda: list(members), lambda m: True)
    assert out == list(range(10, 20))
    # An evicted cursor resumes at its offset from a fresh snapshot.
    cursor, out = cache.scan(owner, cursors[0], 10, lambda: list(members), lambda m: True)
    assert out == list(range(10, 20))
    # A finished iteration frees its snapshot.
    while cursor:
        cursor, out = cache.scan(owner, cursor, 10, lambda: list(members), lambda m: True)
    assert cursor == 0


def test_cursor_other_owner_starts_over():
    cache = SnapshotCursors()
    a, b = object(), object()
    cursor, _ = cache.scan(a, 0, 2, lambda: ["a1", "a2", "a3", "a4"], lambda m: True)
    cursor, out = cache.scan(b, cursor, 2, lambda: ["b1", "b2", "b3", "b4"], lambda m: True)
    assert out == ["b3", "b4"] and cursor == 0


def test_cursor_skips_dead_members_but_bounds_work():
    cache = SnapshotCursors()
    members = list(range(1000))
    alive = {999}
    cursor, out = cache.scan(object(), 0, 5, lambda: members, alive.__contains__)
    assert out == [] and cursor & 0xFFFFFFFF == 50  # looked at 10 * COUNT entries


def test_parse_cursor():
    assert parse_cursor(b"") == 0
    assert parse_cursor(b"-1") == 2**64 - 1
    assert parse_cursor(b"+7") == 7
    assert parse_cursor(b"18446744073709551615") == 2**64 - 1
    assert parse_cursor(b"5\x00junk") == 5
    for bad in (b" 1", b"1 ", b"x", b"+", b"18446744073709551616", b"1e3"):
        with pytest.raises(CommandError):
            parse_cursor(bad)


# -- OBJECT ---------------------------------------------------------------------------------


def test_object_encoding_and_refcount(both):
    values = ["0", "1", "9999", "10000", "-1", "-0", "01", "+1", " 1", "9223372036854775807",
              "9223372036854775808", "-9223372036854775808", "12345678901234567890",
              "x" * 44, "x" * 45, "hello", "", "1.5"]
    for i, v in enumerate(values):
        both("SET", f"k{i}", v)
        both("OBJECT", "ENCODING", f"k{i}")
        both("OBJECT", "REFCOUNT", f"k{i}")
    both.run(("APPEND", "new", "123"), ("OBJECT", "ENCODING", "new"),
             ("OBJECT", "REFCOUNT", "new"), ("APPEND", "new", "4"),
             ("OBJECT", "ENCODING", "new"), ("OBJECT", "REFCOUNT", "new"),
             ("SETRANGE", "sr", "0", "12"), ("OBJECT", "ENCODING", "sr"),
             ("INCR", "n"), ("OBJECT", "ENCODING", "n"), ("OBJECT", "REFCOUNT", "n"),
             ("INCRBY", "n", "100000"), ("OBJECT", "ENCODING", "n"),
             ("OBJECT", "REFCOUNT", "n"), ("SET", "big", "y" * 100), ("COPY", "big", "big2"),
             ("OBJECT", "ENCODING", "big2"),
             ("OBJECT", "ENCODING", "missing"), ("OBJECT", "REFCOUNT", "missing"),
             ("OBJECT", "IDLETIME", "missing"), ("OBJECT", "FREQ", "missing"))


def test_object_errors_and_help(both):
    both.run(("SET", "k", "v"), ("OBJECT",), ("OBJECT", "HELP"), ("object", "help"),
             ("OBJECT", "HELP", "x"), ("OBJECT", "ENCODING"), ("OBJECT", "ENCODING", "k", "x"),
             ("OBJECT", "NOPE"), ("OBJECT", "NOPE", "k"), ("OBJECT", "FREQ", "k"),
             ("OBJECT", "REFCOUNT"))
    # The idle time itself depends on when each server's one-second LRU clock ticked.
    assert reply_of(both.r, "OBJECT", "IDLETIME", "k") in (0, 1)
    assert reply_of(both.o, "OBJECT", "IDLETIME", "k") in (0, 1)


def test_object_null_reply_in_resp3(node):
    raw = _raw_exchange(node.port, b"HELLO 3\r\nOBJECT ENCODING nope\r\nPING\r\n",
                        b"+PONG\r\n")
    assert raw.endswith(b"_\r\n+PONG\r\n")


def test_object_idletime(r):
    r.set("k", "v")
    r.set("other", "v")
    assert reply_of(r, "OBJECT", "IDLETIME", "k") == 0
    time.sleep(2.1)
    assert reply_of(r, "OBJECT", "IDLETIME", "k") >= 1
    r.ttl("k"), r.type("k"), r.exists("k"), r.object("encoding", "k")  # no touch
    assert reply_of(r, "OBJECT", "IDLETIME", "k") >= 1
    r.get("k")
    assert reply_of(r, "OBJECT", "IDLETIME", "k") == 0
    r.expire("other", 100)  # a write lookup touches the key
    assert reply_of(r, "OBJECT", "IDLETIME", "other") == 0


def test_write_lookups_touch_existing_keys_like_redis(both):
    # Redis's lookupKeyWrite refreshes a key's access time even when the write changes
    # nothing (SETNX, ZADD of the same score); only the untouched key stays idle. (Not INCR:
    # Redis stores small counters as shared integer objects, whose idle time is not theirs.)
    both.run(("SET", "s", "1"), ("SET", "nx", "v"), ("SET", "b", "v"),
             ("RPUSH", "l", "a", "b"), ("SADD", "set", "m"), ("HSET", "h", "f", "v"),
             ("ZADD", "z", "1", "m"), ("XADD", "x", "1-1", "f", "v"), ("SET", "idle", "v"))
    time.sleep(2.1)
    both.run(("APPEND", "s", "2"), ("SETNX", "nx", "w"), ("SETBIT", "b", "1", "1"),
             ("LPUSH", "l", "c"), ("RPOP", "l"), ("SADD", "set", "m"), ("HSET", "h", "f", "v"),
             ("ZADD", "z", "1", "m"), ("XADD", "x", "2-1", "f", "v"))
    keys = ("s", "nx", "b", "l", "set", "h", "z", "x", "idle")
    mine = [reply_of(both.r, "OBJECT", "IDLETIME", k) for k in keys]
    theirs = [reply_of(both.o, "OBJECT", "IDLETIME", k) for k in keys]
    assert mine[:-1] == theirs[:-1] == [0] * (len(keys) - 1)
    assert mine[-1] >= 2 and theirs[-1] >= 2


@pytest.fixture
def lfu_pair(start_node, o):
    """A Differential between an LFU node (log factor 0: +1 per access, no decay) and the
    oracle set the same way at runtime (restored afterwards: the oracle is shared)."""
    from conftest import Differential

    # No decay either, so a minute boundary mid-test cannot take a point off one side.
    node = start_node("--maxmemory-policy", "allkeys-lfu", "--lfu-log-factor", "0",
                      "--lfu-decay-time", "0")
    client = node.client()
    o.config_set("maxmemory-policy", "allkeys-lfu")
    o.config_set("lfu-log-factor", "0")
    o.config_set("lfu-decay-time", "0")
    try:
        yield Differential(client, o)
    finally:
        o.config_set("maxmemory-policy", "noeviction")
        o.config_set("lfu-log-factor", "10")
        o.config_set("lfu-decay-time", "1")
        client.close()


def test_object_freq_under_lfu(lfu_pair):
    both = lfu_pair
    both.run(("SET", "fresh", "value"), ("OBJECT", "FREQ", "fresh"), ("GET", "fresh"),
             ("OBJECT", "FREQ", "fresh"), ("OBJECT", "IDLETIME", "fresh"),
             ("OBJECT", "FREQ", "missing"), ("OBJECT", "IDLETIME", "missing"),
             ("COPY", "fresh", "dup"), ("OBJECT", "FREQ", "dup"), ("OBJECT", "FREQ", "fresh"),
             ("RENAME", "fresh", "moved"), ("OBJECT", "FREQ", "moved"),
             ("MOVE", "moved", "2"), ("EXISTS", "moved"),
             ("EXPIRE", "dup", "100"), ("OBJECT", "FREQ", "dup"),
             ("TTL", "dup"), ("TYPE", "dup"), ("EXISTS", "dup"), ("OBJECT", "FREQ", "dup"),
             ("SET", "dup", "overwritten"), ("OBJECT", "FREQ", "dup"),
             ("DEL", "dup"), ("SET", "dup", "again"), ("OBJECT", "FREQ", "dup"),
             ("MSET", "m1", "x", "m2", "y"), ("OBJECT", "FREQ", "m1"), ("MSET", "m1", "z"),
             ("OBJECT", "FREQ", "m1"), ("APPEND", "m2", "more"), ("OBJECT", "FREQ", "m2"))
    for _ in range(100):
        both("GET", "hot")
    both("SET", "hot", "v")
    for _ in range(100):
        both("GET", "hot")
    both("TOUCH", "hot", "hot")
    assert both("OBJECT", "FREQ", "hot") == 107
    both("SELECT", "2")
    both("OBJECT", "FREQ", "moved")


def test_object_freq_counts_one_access_per_write(lfu_pair):
    # A write looks its key up once (lookupKeyWrite), whether it then changes the value in
    # place or replaces it; SET's GET adds a read lookup. (Counters start past 10000: Redis
    # keeps smaller ones as shared objects, whose counter every user of the number bumps.)
    both = lfu_pair
    both.run(("SET", "s", "10001"), ("SET", "s", "2", "NX"), ("SET", "s", "10003", "XX", "GET"),
             ("INCR", "s"), ("INCRBYFLOAT", "s", "1.5"), ("APPEND", "s", "x"),
             ("APPEND", "s", "y"), ("SETRANGE", "s", "0", "z"), ("SETBIT", "s", "1", "1"),
             ("SETNX", "s", "v"), ("OBJECT", "FREQ", "s"),
             ("RPUSH", "l", "a"), ("LPUSH", "l", "b"), ("RPOP", "l"), ("LSET", "l", "0", "c"),
             ("OBJECT", "FREQ", "l"),
             ("SADD", "set", "a"), ("SADD", "set", "a", "b"), ("OBJECT", "FREQ", "set"),
             ("HSET", "h", "f", "v"), ("HSET", "h", "f", "w"), ("OBJECT", "FREQ", "h"),
             ("ZADD", "z", "1", "m"), ("ZADD", "z", "1", "m"), ("ZINCRBY", "z", "1", "m"),
             ("OBJECT", "FREQ", "z"),
             ("XADD", "x", "1-1", "f", "v"), ("XADD", "x", "1-*", "f", "v"))
    for client in (both.r, both.o):  # the IDs differ: XADD's own fast path for `*`
        client.execute_command("XADD", "x", "*", "f", "v")
    both("OBJECT", "FREQ", "x")


def test_lfu_counter_grows_logarithmically(start_node):
    node = start_node("--maxmemory-policy", "allkeys-lfu")
    client = node.client()
    try:
        client.set("k", "v")
        for _ in range(2000):
            client.get("k")
        # With lfu-log-factor 10, ~2000 hits land around 25 (Redis's table: 1K hits -> 18);
        # the increments are random: 30 was passed in 2% of simulated runs, 40 in none of
        # 200,000. A linear counter would be at 255.
        assert 12 <= reply_of(client, "OBJECT", "FREQ", "k") <= 40
    finally:
        client.close()


def test_lfu_policy_switched_at_runtime(r):
    if isinstance(reply_of(r, "CONFIG", "GET", "maxmemory-policy"), tuple):
        pytest.skip("CONFIG is not served yet")
    r.set("k", "v")
    try:
        r.config_set("maxmemory-policy", "volatile-lfu")
        assert reply_of(r, "OBJECT", "FREQ", "k") == 5
        r.get("k")
        assert reply_of(r, "OBJECT", "FREQ", "k") == 6
    finally:
        r.config_set("maxmemory-policy", "noeviction")
    assert reply_of(r, "OBJECT", "FREQ", "k")[0] == "error"
    assert reply_of(r, "OBJECT", "IDLETIME", "k") == 0


def test_lfu_policy_from_the_command_line(start_node):
    node = start_node("--maxmemory-policy", "volatile-lfu", "--lfu-decay-time", "0")
    client = node.client()
    try:
        client.set("k", "v")
        assert client.object("freq", "k") == 5
        client.get("k")
        assert client.object("freq", "k") == 6
        with pytest.raises(redis.ResponseError, match="LFU maxmemory policy is selected"):
            client.object("idletime", "k")
        client.delete("k")
        client.set("k", "v")
        assert client.object("freq", "k") == 5  # a new key starts over
    finally:
        client.close()
