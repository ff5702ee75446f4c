"""The command table against redis-server's: COMMAND INFO, DOCS, GETKEYS, field by field.

For every command the node registers (COMMAND LIST), its COMMAND INFO entry must equal the
oracle's: name, arity, flags (as a set), first/last/step, ACL categories (as a set), tips, key
specs (flags as a set, begin_search, find_keys, notes) and subcommands, recursively. All
mismatches are collected and reported together, so the owner of a command module sees
everything to fix in one run.
"""

from __future__ import annotations

from typing import Any

import pytest
import redis


def raw(client: redis.Redis, *args: Any) -> Any:
    """A reply without redis-py's response callbacks; ("error", text) for an error reply."""
    conn = client.connection_pool.get_connection()
    try:
        conn.send_command(*args)
        try:
            return conn.read_response()
        except redis.ResponseError as e:
            return ("error", str(e))
    finally:
        client.connection_pool.release(conn)


def pairs(flat: Any) -> Any:
    """A RESP2 flat key/value list as a dict (RESP3 maps already are one)."""
    if isinstance(flat, dict):
        return flat
    return dict(zip(flat[::2], flat[1::2]))


def key_spec(spec: Any) -> dict:
    out: dict = {}
    for k, v in pairs(spec).items():
        if k == b"flags":
            out["flags"] = set(v)
        elif k in (b"begin_search", b"find_keys"):
            d = pairs(v)
            out[k.decode()] = (d[b"type"], pairs(d[b"spec"]))
        else:
            out[k.decode()] = v
    return out


def info(entry: list) -> dict:
    name, arity, flags, first, last, step, cats, tips, specs, subs = entry
    return {
        "name": name,
        "arity": arity,
        "flags": set(flags),
        "first/last/step": (first, last, step),
        "acl categories": set(cats),
        "tips": list(tips),
        "key specs": [key_spec(s) for s in specs],
        "subcommands": {s[0]: s for s in subs},
    }


def compare_info(mine: list, theirs: list, out: list[str]) -> None:
    m, t = info(mine), info(theirs)
    label = m["name"].decode()
    for field in ("name", "arity", "flags", "first/last/step", "acl categories", "tips", "key specs"):
        if m[field] != t[field]:
            out.append(f"{label}: {field}: slotkv={_show(m[field])} redis={_show(t[field])}")
    for sub, entry in m["subcommands"].items():
        if sub in LATER:
            continue  # compared with its own version's entry below
        if sub not in t["subcommands"]:
            out.append(f"{sub.decode()}: not a subcommand in Redis")
        else:
            compare_info(entry, t["subcommands"][sub], out)
    # A subcommand slotkv does not register is not a mismatch, as for whole commands: the
    # rule is that what is registered matches Redis (CLIENT TRACKING & co. come with client
    # side caching).


def _show(value: Any) -> str:
    if isinstance(value, set):
        return "{" + ", ".join(sorted(v.decode() if isinstance(v, bytes) else str(v) for v in value)) + "}"
    return repr(value)


# Commands of Redis versions after the oracle's 7.0 that slotkv registers, with the COMMAND
# INFO entry Redis gives them (from their command JSON files); compared here, not with the
# oracle.
LATER = {
    b"waitaof": [b"waitaof", 4, {b"noscript"}, 0, 0, 0, {b"@slow", b"@connection"},
                 [b"request_policy:all_shards", b"response_policy:agg_min"], [], []],
    b"cluster|myshardid": [b"cluster|myshardid", 2, {b"stale"}, 0, 0, 0, {b"@slow"},
                           [b"nondeterministic_output"], [], []],  # Redis 7.2
}


def registered(r) -> list[bytes]:
    """COMMAND LIST without the LATER commands (and subcommands)."""
    return [n for n in raw(r, "COMMAND", "LIST")
            if n not in LATER and n.split(b"|")[0] not in LATER]


@pytest.fixture
def names(r) -> list[bytes]:
    """Every top-level command the node registers that Redis 7.0 has."""
    return sorted({n.split(b"|")[0] for n in registered(r)})


def test_later_commands_match_their_redis_version(r):
    for name, expected in LATER.items():
        entry = raw(r, "COMMAND", "INFO", name)[0]
        assert entry is not None, name
        entry = [set(v) if i in (2, 6) else v for i, v in enumerate(entry)]
        assert entry == expected, name


def test_every_command_exists_in_redis(r, o):
    theirs = set(raw(o, "COMMAND", "LIST"))
    extra = sorted(n.decode() for n in registered(r) if n not in theirs)
    assert not extra, f"slotkv registers commands Redis 7.0 does not have: {extra}"
    count = raw(r, "COMMAND", "COUNT")
    assert count == len([n for n in raw(r, "COMMAND", "LIST") if b"|" not in n])
    assert count <= raw(o, "COMMAND", "COUNT")


def test_command_info_matches_redis(r, o, names):
    mismatches: list[str] = []
    mine_all = raw(r, "COMMAND", "INFO", *names)
    theirs_all = raw(o, "COMMAND", "INFO", *names)
    for name, mine, theirs in zip(names, mine_all, theirs_all):
        if mine is None:
            mismatches.append(f"{name.decode()}: COMMAND INFO gives nil on slotkv")
        elif theirs is None:
            mismatches.append(f"{name.decode()}: not a Redis command")
        else:
            compare_info(mine, theirs, mismatches)
    assert not mismatches, f"{len(mismatches)} COMMAND INFO mismatches:\n" + "\n".join(mismatches)


def test_command_info_of_subcommands_and_unknowns(r, o):
    # `COMMAND INFO container|sub` gives the same entry as the container's nested one.
    subs = [n for n in raw(r, "COMMAND", "LIST") if b"|" in n]
    unknown = ["nosuchcommand", "get|nosuch", "config|", "config|nosuch", "config|get|x", "|"]
    args = ["COMMAND", "INFO", *subs, *unknown]
    mine = raw(r, *args)
    assert len(mine) == len(subs) + len(unknown)
    assert mine[-len(unknown):] == raw(o, "COMMAND", "INFO", *unknown) == [None] * len(unknown)
    assert raw(r, "COMMAND", "DOCS", *unknown) == raw(o, "COMMAND", "DOCS", *unknown)
    for sub, entry in zip(subs, mine):
        container = raw(r, "COMMAND", "INFO", sub.split(b"|")[0])[0]
        nested = {e[0]: e for e in container[9]}
        assert entry == nested[sub], sub


def test_whole_command_reply_has_the_info_shape(r, names):
    everything = raw(r, "COMMAND")
    assert sorted(e[0] for e in everything) == sorted([*names, *(n for n in LATER if b"|" not in n)])
    assert all(len(e) == 10 for e in everything)


def test_command_docs_shape(r, o, names):
    mismatches: list[str] = []
    mine = pairs(raw(r, "COMMAND", "DOCS", *names))
    theirs = pairs(raw(o, "COMMAND", "DOCS", *names))
    assert set(mine) == set(names), "COMMAND DOCS must answer for every command asked"

    def check(label: str, m: Any, t: Any) -> None:
        m, t = pairs(m), pairs(t)
        for field in (b"summary", b"since", b"group", b"complexity"):
            if field not in m and field in t:
                mismatches.append(f"{label}: docs lack '{field.decode()}'")
        if m.get(b"group") != t.get(b"group"):
            mismatches.append(f"{label}: docs group slotkv={m.get(b'group')!r} redis={t.get(b'group')!r}")
        msubs, tsubs = pairs(m.get(b"subcommands", [])), pairs(t.get(b"subcommands", []))
        for sub, doc in msubs.items():
            if sub in tsubs:
                check(sub.decode(), doc, tsubs[sub])

    for name in names:
        check(name.decode(), mine[name], theirs[name])
    assert not mismatches, f"{len(mismatches)} COMMAND DOCS mismatches:\n" + "\n".join(mismatches)


@pytest.mark.parametrize("container", ["COMMAND", "CONFIG", "CLIENT", "MEMORY", "LATENCY",
                                       "SLOWLOG", "OBJECT", "XINFO", "XGROUP", "PUBSUB"])
def test_help_of_containers(r, o, container):
    assert raw(r, container, "HELP") == raw(o, container, "HELP")


def test_command_docs_of_unknown_commands(r, o):
    assert raw(r, "COMMAND", "DOCS", "nosuchcommand") == raw(o, "COMMAND", "DOCS", "nosuchcommand")


GETKEYS = [
    ("SET", "a", "b"), ("GET", "a"), ("MSET", "a", "1", "b", "2"), ("MGET", "a", "b", "c"),
    ("DEL", "a", "b", "c"), ("EXISTS", "x"), ("GETEX", "k", "EX", "10"), ("APPEND", "k", "v"),
    ("RENAME", "a", "b"), ("COPY", "a", "b", "DB", "1"), ("BITOP", "AND", "dest", "a", "b"),
    ("LCS", "a", "b"), ("EXPIRE", "k", "10"), ("OBJECT", "ENCODING", "k"), ("MSETNX", "a", "1"),
    ("PING",), ("COMMAND", "INFO"), ("NOSUCH", "a"), ("GET",), ("SET", "a"), ("MSET", "a"),
    ("EVAL", "return 1", "2", "k1", "k2", "arg"), ("SORT", "k", "STORE", "dest"),
    ("ZUNIONSTORE", "dest", "2", "a", "b"), ("XREAD", "STREAMS", "s1", "s2", "0", "0"),
    ("MIGRATE", "h", "1", "", "0", "5", "KEYS", "a", "b"), ("LMOVE", "a", "b", "LEFT", "RIGHT"),
    ("BLPOP", "a", "b", "0"), ("GEORADIUS", "k", "0", "0", "1", "m", "STORE", "d"),
    # A numkeys the arguments contradict: no keys at all, not the keys of the other specs.
    ("ZINTERSTORE", "d", "0", "a"), ("ZUNIONSTORE", "d", "-1", "a"), ("ZDIFFSTORE", "d", "3", "a"),
    ("ZUNION", "+1", "a"), ("ZINTER", " 1", "a"), ("ZDIFF", "1x", "a"), ("SINTERCARD", "0", "a"),
    ("LMPOP", "2", "a", "LEFT"), ("ZINTERCARD", "2", "a", "b"),
    # ... unless Redis's getkeys_proc, reading it with atoi, finds keys (store key last).
    ("ZUNIONSTORE", "d", "+1", "a"), ("ZUNIONSTORE", "d", "01", "a", "b"), ("ZINTERCARD", "1x", "a"),
    ("SINTERCARD", "+1", "a"), ("ZMPOP", "01", "a", "MIN"), ("BZMPOP", "0", "1x", "a", "MIN"),
    ("LMPOP", "+1", "a", "LEFT"), ("ZUNIONSTORE", "d", "1", "a", "b", "c"),
    # Containers: an unknown subcommand is no command; the container alone has too few args.
    ("CLIENT", "NOSUCH"), ("CONFIG",), ("OBJECT", "NOSUCH", "k"), ("OBJECT", "encoding", "k"),
    # Shard channels are routed like keys but are none; "no key arguments" precedes arity.
    ("SPUBLISH", "ch", "m"), ("SSUBSCRIBE", "a", "b"), ("SUNSUBSCRIBE",), ("SPUBLISH", "ch"),
    ("PUBLISH", "ch"), ("ECHO", "a", "b"),
]


@pytest.mark.parametrize("cmd", GETKEYS, ids=lambda c: " ".join(c))
def test_command_getkeys(r, o, cmd):
    known = set(raw(r, "COMMAND", "LIST"))
    if cmd[0].lower().encode() not in known and cmd[0] != "NOSUCH":
        pytest.skip(f"{cmd[0]} is not registered yet")
    for sub in ("GETKEYS", "GETKEYSANDFLAGS"):
        mine, theirs = raw(r, "COMMAND", sub, *cmd), raw(o, "COMMAND", sub, *cmd)
        if sub == "GETKEYSANDFLAGS" and isinstance(theirs, list):
            mine = [(k, set(f)) for k, f in mine] if isinstance(mine, list) else mine
            theirs = [(k, set(f)) for k, f in theirs]
        assert mine == theirs, f"COMMAND {sub} {' '.join(cmd)}"


def test_command_list_filters(r, o):
    for args in (("FILTERBY", "PATTERN", "get*"), ("FILTERBY", "PATTERN", "CONFIG|*"),
                 ("FILTERBY", "ACLCAT", "nosuchcat"), ("FILTERBY", "MODULE", "x"), ("FILTERBY", "x", "y"),
                 ("FILTERBY",), ("x",)):
        mine, theirs = raw(r, "COMMAND", "LIST", *args), raw(o, "COMMAND", "LIST", *args)
        if isinstance(theirs, list):
            mine_set = set(mine)
            # only what slotkv registers can be listed; everything listed must be Redis's too
            assert mine_set <= set(theirs), args
            assert mine_set == set(theirs) & set(raw(r, "COMMAND", "LIST")), args
        else:
            assert mine == theirs, args


@pytest.mark.parametrize("category", ["string", "keyspace", "read", "write", "fast", "slow",
                                      "admin", "dangerous", "connection", "bitmap"])
def test_command_list_by_acl_category(r, o, category):
    mine = set(raw(r, "COMMAND", "LIST", "FILTERBY", "ACLCAT", category)) - set(LATER)
    theirs = set(raw(o, "COMMAND", "LIST", "FILTERBY", "ACLCAT", category))
    known = set(registered(r))
    assert mine == theirs & known, (
        f"@{category}: only slotkv {sorted(mine - theirs)}, missing {sorted((theirs & known) - mine)}")
