"""RDB snapshots with real processes: redis-server's dump.rdb into slotkv and slotkv's into
redis-server, DUMP/RESTORE both ways, restarts, corrupt files, BGSAVE, save points, -MISCONF.

One redis-server (the oracle of this module) is filled with every data type in small and large
encodings, several databases, TTLs and an already expired key, and saves. slotkv loads that
file at start; redis-server reloads the same file (DEBUG RELOAD), and the two are compared
key by key: DEBUG DIGEST-VALUE, TYPE, OBJECT ENCODING, TTL and the replies of reads.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from typing import Any, Iterator

import pytest
import redis
from conftest import ServerProcess, reply_of, start_redis, start_slotkv, wait_until

import node.commands  # noqa: F401  (registers the data types the reader builds)
from node import rdb_reader
from node.keyspace import Keyspace

DEBUG = ("--enable-debug-command", "yes")


def populate(c: redis.Redis) -> None:
    """Every type, small and large encodings, in db 0; a few keys in dbs 3 and 15."""
    rnd = random.Random(7)
    p = c.pipeline(transaction=False)
    p.set("s:raw", "hello world")
    for name, v in (("int", "12345"), ("int8", "-7"), ("int16", "-30000"),
                    ("int32", "2000000000"), ("int64", "9000000000000"), ("zero", "0"),
                    ("lead0", "007"), ("neg0", "-0"), ("empty", ""), ("embstr", "e" * 44),
                    ("raw45", "r" * 45), ("long", "abc" * 200), ("lzf", "x" * 1000 + "y" * 999),
                    ("bin", bytes(range(256)) * 3)):
        p.set(f"s:{name}", v)
    p.append("s:appended", "abc")
    p.setrange("s:setrange", 5, "zz")
    p.pfadd("hll:sparse", *[f"e{i}" for i in range(50)])
    p.pfadd("hll:dense", *[f"e{i}" for i in range(3000)])
    p.rpush("l:small", "a", "1", "-5", "bbb", "300", "70000", "9999999999", "-9223372036854775808")
    p.rpush("l:big", *[f"item-{i}-" + "z" * rnd.randrange(0, 300) for i in range(1500)])
    p.rpush("l:longel", "q" * 70000, "r")
    p.sadd("set:int", 1, 2, 3, -100, 70000, 2**40)
    p.sadd("set:str", "a", "b", "c")
    p.sadd("set:bigint", *range(600))
    p.sadd("set:big", *[f"m{i}" for i in range(300)])
    p.zadd("z:small", {"a": 1, "b": 2.5, "c": -3, "d": 1e300, "e": float("inf"), "f": 0,
                       "g": float("-inf"), "h": 0.1})
    p.zadd("z:big", {f"m{i}": rnd.random() * 1000 for i in range(300)})
    p.zadd("z:longmember", {"m" * 100: 1, "n": 2})
    p.hset("h:small", mapping={"f1": "v1", "f2": "2", "f3": "-7", "": "empty field"})
    p.hset("h:big", mapping={f"f{i}": f"v{i}" for i in range(600)})
    p.hset("h:longval", mapping={"a": "v" * 100, "b": "x"})
    p.geoadd("geo", (13.361389, 38.115556, "Palermo"), (15.087269, 37.502669, "Catania"))
    for i in range(1, 60):
        p.xadd("st", {"f": f"v{i}", "n": i}, id=f"{i}-1")
    p.xadd("st", {"other": "x", "more": "y"}, id="100-5")
    p.xdel("st", "3-1", "4-1")
    p.xgroup_create("st", "g1", id="0")
    p.xgroup_create("st", "g2", id="10-1")
    p.execute()
    c.xreadgroup("g1", "alice", {"st": ">"}, count=5)
    c.xreadgroup("g1", "bob", {"st": ">"}, count=3)
    c.xreadgroup("g2", "carol", {"st": ">"}, count=2, noack=True)
    c.xack("st", "g1", "1-1")
    c.xgroup_createconsumer("st", "g1", "dave")
    c.xadd("st:empty", {"a": "b"}, id="5-5")
    c.xdel("st:empty", "5-5")
    c.xgroup_create("st:mk", "g", id="$", mkstream=True)
    p = c.pipeline(transaction=False)
    for i in range(300):
        p.xadd("st:big", {"k": "v" * (i % 50), "i": i}, id=f"{1000 + i}-0")
    p.execute()
    c.xtrim("st:big", minid="1150-0")
    c.xdel("st:big", "1200-0", "1201-0")
    c.set("ttl:s", "v", px=500000)
    c.hset("ttl:h", "a", "b")
    c.pexpire("ttl:h", 900000)
    for db, n in ((3, 5), (15, 2)):
        other = redis.Redis(port=c.connection_pool.connection_kwargs["port"], db=db)
        for i in range(n):
            other.set(f"db{db}:{i}", i)
        other.rpush(f"db{db}:list", "x")
        other.close()


def read_replies(c: redis.Redis, key: bytes, kind: bytes) -> Any:
    """Replies of the reads a user would make on a key of type `kind`."""
    if kind == b"string":
        return [reply_of(c, "GET", key), reply_of(c, "STRLEN", key)]
    if kind == b"list":
        return [reply_of(c, "LRANGE", key, 0, -1), reply_of(c, "LLEN", key)]
    if kind == b"set":
        return [sorted(reply_of(c, "SMEMBERS", key)), reply_of(c, "SCARD", key)]
    if kind == b"zset":
        return [reply_of(c, "ZRANGE", key, 0, -1, "WITHSCORES")]
    if kind == b"hash":
        flat = reply_of(c, "HGETALL", key)
        if c.object("encoding", key) == b"listpack":  # its order is Redis's too
            return [flat]
        return [sorted(zip(flat[0::2], flat[1::2]))]  # a hash table's order is its own
    if kind == b"stream":
        info = reply_of(c, "XINFO", "STREAM", key, "FULL")
        return [reply_of(c, "XRANGE", key, "-", "+"), mask(info)]
    raise AssertionError(kind)


def mask(reply: Any) -> Any:
    """XINFO STREAM FULL with its clock-dependent fields (seen/active times) blanked."""
    if isinstance(reply, list):
        out = []
        skip = False
        for item in reply:
            if skip:
                out.append("*")
                skip = False
                continue
            out.append(mask(item))
            skip = item in (b"seen-time",)
        return out
    return reply


@pytest.fixture(scope="module")
def redis_dump() -> Iterator[ServerProcess]:
    """A redis-server filled by `populate`, its dump.rdb saved (and one expired key in it)."""
    proc = start_redis(*DEBUG)
    try:
        c = proc.client()
        populate(c)
        c.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
        c.set("ttl:past", "gone", px=1)
        time.sleep(0.01)
        assert c.save()
        c.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")
        yield proc
    finally:
        proc.stop()


@pytest.fixture(scope="module")
def loaded(redis_dump: ServerProcess) -> Iterator[ServerProcess]:
    """A slotkv node started on a copy of redis-server's dump.rdb."""
    workdir = os.path.join(redis_dump.workdir, "slotkv")
    os.makedirs(workdir)
    shutil.copy(os.path.join(redis_dump.workdir, "dump.rdb"), workdir)
    proc = start_slotkv(*DEBUG, workdir=workdir)
    yield proc
    proc.stop()


def keys_of(c: redis.Redis) -> list[bytes]:
    return sorted(c.keys())


def test_redis_dump_loads_into_slotkv(redis_dump: ServerProcess, loaded: ServerProcess) -> None:
    log = loaded.log()
    assert "Loading RDB produced by version 7.0.15" in log
    assert "Done loading RDB, keys loaded: 48, keys expired: 1." in log
    assert "DB loaded from disk:" in log
    theirs = redis_dump.client()
    # Redis reloads the same file, so both sides hold what loading it gives.
    assert theirs.execute_command("DEBUG", "RELOAD") == b"OK"
    mine = loaded.client()
    assert mine.execute_command("DEBUG", "DIGEST") == theirs.execute_command("DEBUG", "DIGEST")
    info = mine.info("persistence")
    assert info["rdb_last_load_keys_loaded"] == 48 and info["rdb_last_load_keys_expired"] == 1
    for db in (0, 3, 15):
        m = loaded.client(db=db)
        t = redis_dump.client(db=db)
        keys = keys_of(t)
        assert keys_of(m) == keys
        for key in keys:
            kind = t.type(key)
            assert m.type(key) == kind, key
            assert m.object("encoding", key) == t.object("encoding", key), key
            assert (m.execute_command("DEBUG", "DIGEST-VALUE", key)
                    == t.execute_command("DEBUG", "DIGEST-VALUE", key)), key
            assert abs(m.pttl(key) - t.pttl(key)) < 5000, key
            assert (m.pttl(key) < 0) == (t.pttl(key) < 0), key
            assert read_replies(m, key, kind) == read_replies(t, key, kind), key
    for key in ("hll:sparse", "hll:dense"):
        assert mine.pfcount(key) == theirs.pfcount(key)
    assert mine.geopos("geo", "Palermo") == theirs.geopos("geo", "Palermo")
    assert mine.xpending_range("st", "g1", "-", "+", 100) is not None
    assert (reply_of(mine, "XPENDING", "st", "g1") == reply_of(theirs, "XPENDING", "st", "g1"))
    # The streams' listpack nodes were rebuilt as Redis had them (tombstones counted), so new
    # entries fill and open nodes as they do in Redis.
    for c in (mine, theirs):
        for i in range(150):
            c.xadd("st:big", {"k": "v" * (i % 7)}, id=f"{5000 + i}-0")
    assert (mask(reply_of(mine, "XINFO", "STREAM", "st:big", "FULL"))
            == mask(reply_of(theirs, "XINFO", "STREAM", "st:big", "FULL")))


def test_slotkv_snapshot_loads_into_redis(loaded: ServerProcess, tmp_path: Any) -> None:
    """SAVE and BGSAVE files of the loaded node, each read back by a fresh redis-server."""
    mine = loaded.client()
    mine.incr("counter")  # counters are kept as numbers: saved int-encoded, or as text
    mine.incrby("bigcounter", 2**40)
    digest = mine.execute_command("DEBUG", "DIGEST")
    path = os.path.join(loaded.workdir, "dump.rdb")
    for how in ("SAVE", "BGSAVE"):
        os.unlink(path)
        before = mine.lastsave()
        assert reply_of(mine, how) in (b"OK", b"Background saving started")
        wait_until(lambda: os.path.exists(path) and mine.info("persistence")[
            "rdb_bgsave_in_progress"] == 0, 20.0, f"{how} to finish")
        assert mine.lastsave() >= before
        redis_dir = tmp_path / how
        redis_dir.mkdir()
        shutil.copy(path, redis_dir / "dump.rdb")
        port_proc = start_redis(*DEBUG, "--dir", str(redis_dir))
        try:
            assert "Done loading RDB" in port_proc.log()
            theirs = port_proc.client()
            assert theirs.execute_command("DEBUG", "DIGEST") == digest, how
            assert theirs.dbsize() == mine.dbsize()
            assert theirs.object("encoding", "h:small") == b"listpack"
            assert theirs.object("encoding", "set:bigint") == b"hashtable"
            assert theirs.object("encoding", "z:big") == b"skiplist"
            assert 400_000 < theirs.pttl("ttl:s") <= 500_000
            assert theirs.get("bigcounter") == b"%d" % 2**40
        finally:
            port_proc.stop()


def test_dump_restore_both_ways(redis_dump: ServerProcess, loaded: ServerProcess) -> None:
    theirs = redis_dump.client()
    mine = loaded.client()
    keys = keys_of(theirs)
    assert len(keys) > 35
    for key in keys:
        from_redis = theirs.dump(key)
        from_slotkv = mine.dump(key)
        digest = theirs.execute_command("DEBUG", "DIGEST-VALUE", key)
        assert mine.restore(b"copy:" + key, 0, from_redis) == b"OK"
        assert theirs.restore(b"copy:" + key, 0, from_slotkv) == b"OK"
        for c in (mine, theirs):
            # the copy has no TTL; the original may: compare the value digests through TYPE
            assert c.type(b"copy:" + key) == theirs.type(key)
            assert c.object("encoding", b"copy:" + key) == theirs.object("encoding", key), key
        if theirs.pttl(key) < 0:
            for c in (mine, theirs):
                assert c.execute_command("DEBUG", "DIGEST-VALUE", b"copy:" + key) == digest, key
        mine.delete(b"copy:" + key)
        theirs.delete(b"copy:" + key)


@pytest.mark.parametrize("args", [
    ("k", "0", "PAYLOAD"), ("k", "0", "PAYLOAD", "REPLACE"), ("new", "-1", "PAYLOAD"),
    ("new", "abc", "PAYLOAD"), ("new", "0", "PAYLOAD", "IDLETIME", "-1"),
    ("new", "0", "PAYLOAD", "FREQ", "256"), ("new", "0", "PAYLOAD", "FREQ", "1", "IDLETIME", "1"),
    ("new", "0", "PAYLOAD", "BOGUS"), ("new", "0", "PAYLOAD", "IDLETIME"),
    ("new", "0", "short"), ("new", "0", "BADCRC"), ("new", "0", "NEWVERSION"),
    ("new", "0", "BADBODY"), ("k", "0", "rubbish", "FREQ", "300"),
    ("new", "0", "PAYLOAD", "REPLACE", "ABSTTL", "IDLETIME", "10"),
    ("new", "1", "PAYLOAD", "ABSTTL"), ("new", "99999999999999", "PAYLOAD", "ABSTTL"),
    # a relative TTL that takes the deadline past int64 wraps round, as in Redis: expired
    ("new", "9223372036854775807", "PAYLOAD"), ("k", "9223372036854775000", "PAYLOAD", "REPLACE"),
])
def test_restore_errors_like_redis(r: redis.Redis, o: redis.Redis, args: tuple) -> None:
    from node.crc64 import crc64

    for c in (r, o):
        c.set("k", "v")
    good = o.dump("k")
    body = good[:-10]
    payloads = {
        "PAYLOAD": good,
        "BADCRC": good[:-1] + bytes([good[-1] ^ 1]),
        "NEWVERSION": body + b"\x0b\x00" + crc64(body + b"\x0b\x00").to_bytes(8, "little"),
        "BADBODY": b"\x00" + b"\x0a\x00" + crc64(b"\x00\x0a\x00").to_bytes(8, "little"),
    }
    argv = [payloads.get(a, a) if isinstance(a, str) else a for a in args]
    mine, theirs = reply_of(r, "RESTORE", *argv), reply_of(o, "RESTORE", *argv)
    assert mine == theirs
    assert reply_of(r, "GET", "new") == reply_of(o, "GET", "new")
    assert (r.pttl("new") > 0) == (o.pttl("new") > 0)
    assert r.exists("k") == o.exists("k")


def test_restore_options_and_propagated_form(r: redis.Redis, o: redis.Redis) -> None:
    for c in (r, o):
        c.set("src", "value")
    payload = o.dump("src")
    assert r.restore("dst", 5000, payload) == b"OK"
    assert 4000 < r.pttl("dst") <= 5000
    assert r.restore("dst", 0, payload, replace=True, idletime=1000) == b"OK"
    assert r.object("idletime", "dst") >= 1000
    assert r.pttl("dst") == -1
    when = int(time.time() * 1000) + 60_000
    assert r.restore("abs", when, payload, absttl=True) == b"OK"
    assert 50_000 < r.pttl("abs") <= 60_000
    # a past absolute TTL with REPLACE deletes the key and creates nothing
    assert r.restore("abs", 1, payload, absttl=True, replace=True) == b"OK"
    assert r.exists("abs") == 0
    assert r.dump("nosuchkey") is None
    try:
        for c in (r, o):
            c.config_set("maxmemory-policy", "allkeys-lfu")
            assert c.restore("lfu", 0, payload, frequency=77) == b"OK"
            assert c.object("freq", "lfu") == 77
    finally:
        for c in (r, o):
            c.config_set("maxmemory-policy", "noeviction")


# -- restarts -------------------------------------------------------------------------------------


def test_restart_round_trip(start_node: Any, tmp_path: Any) -> None:
    """Data written, SHUTDOWN (save points configured), node restarted: all back, TTLs too;
    then SIGTERM, and SAVE followed by SIGKILL."""
    workdir = str(tmp_path)
    node = start_node(*DEBUG, "--save", "3600 1", workdir=workdir)
    c = node.client()
    c.set("plain", "v")
    c.set("ttl", "v", px=600_000)
    c.rpush("list", *range(100))
    c.hset("hash", mapping={"a": 1, "b": 2})
    c.zadd("zset", {"a": 1.5})
    c.sadd("set", "x", "y")
    c.xadd("stream", {"f": "v"}, id="1-1")
    c2 = node.client(db=2)
    c2.set("in-db-2", "yes")
    digest = c.execute_command("DEBUG", "DIGEST")
    c.shutdown()  # redis-py swallows the connection closing, as SHUTDOWN is meant to
    node.proc.wait(10)
    assert "Saving the final RDB snapshot before exiting." in node.log()
    assert "DB saved on disk" in node.log()
    node = start_node(*DEBUG, "--save", "3600 1", workdir=workdir)
    c = node.client()
    assert c.execute_command("DEBUG", "DIGEST") == digest
    assert 500_000 < c.pttl("ttl") <= 600_000
    assert node.client(db=2).get("in-db-2") == b"yes"
    c.set("after-restart", "1")
    digest = c.execute_command("DEBUG", "DIGEST")
    node.proc.send_signal(signal.SIGTERM)
    node.proc.wait(10)
    assert "Received SIGTERM scheduling shutdown..." in node.log()
    node = start_node(*DEBUG, workdir=workdir)
    c = node.client()
    assert c.execute_command("DEBUG", "DIGEST") == digest
    # SAVE, a write that is not saved, SIGKILL: the restart has what SAVE wrote.
    assert c.config_set("save", "") is True
    c.set("saved", "1")
    assert c.save()
    c.set("lost", "1")
    node.proc.kill()
    node.proc.wait(10)
    c = start_node(*DEBUG, workdir=workdir).client()
    assert c.get("saved") == b"1" and c.get("lost") is None


def test_expired_keys_are_skipped_at_load(start_node: Any, tmp_path: Any) -> None:
    node = start_node(*DEBUG, workdir=str(tmp_path))
    c = node.client()
    c.set("soon", "v", px=300)
    c.set("stays", "v")
    assert c.save()
    node.stop()
    time.sleep(0.4)
    c = start_node(workdir=str(tmp_path)).client()
    assert c.keys() == [b"stays"]
    info = c.info("persistence")
    assert info["rdb_last_load_keys_loaded"] == 1 and info["rdb_last_load_keys_expired"] == 1


def test_debug_reload_keeps_everything(start_node: Any) -> None:
    c = start_node(*DEBUG).client()
    c.set("a", "1", px=100_000)
    c.hset("h", "f", "v")
    c.xadd("s", {"f": "v"})
    c.xgroup_create("s", "g", "0")
    digest = c.execute_command("DEBUG", "DIGEST")
    assert c.execute_command("DEBUG", "RELOAD") == b"OK"
    assert c.execute_command("DEBUG", "DIGEST") == digest
    assert c.pttl("a") > 90_000
    assert reply_of(c, "DEBUG", "RELOAD", "BOGUS")[0] == "error"


# -- corrupt files --------------------------------------------------------------------------------


def start_fails(workdir: str, content: bytes) -> str:
    """Start a node on a dump.rdb holding `content`; its exit code must be 1: its log."""
    with open(os.path.join(workdir, "dump.rdb"), "wb") as f:
        f.write(content)
    proc = subprocess.run(
        [sys.executable, "-m", "ops.cli", "node", "--port", "0", "--bind", "127.0.0.1"],
        cwd=workdir, capture_output=True, timeout=60,
        env=dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(__file__))))
    out = (proc.stdout + proc.stderr).decode()
    assert proc.returncode == 1, out
    assert "Traceback" not in out, out
    assert "Terminating server after rdb file reading failure." in out or "Exiting" in out, out
    return out


def test_corrupt_and_truncated_files_stop_start_up(redis_dump: ServerProcess,
                                                    tmp_path: Any) -> None:
    with open(os.path.join(redis_dump.workdir, "dump.rdb"), "rb") as f:
        good = f.read()
    out = start_fails(str(tmp_path), good[:len(good) // 2])
    assert "Short read or OOM loading DB. Unrecoverable error, aborting now." in out
    assert f"Internal error in RDB reading offset {len(good) // 2} -> Unexpected EOF" in out
    flipped = bytearray(good)
    flipped[len(good) - 20] ^= 0xFF
    out = start_fails(str(tmp_path), bytes(flipped))
    assert "RDB CRC error" in out or "Internal error in RDB reading offset" in out
    out = start_fails(str(tmp_path), b"NOTREDIS0010")
    assert "Wrong signature trying to load DB from file" in out
    out = start_fails(str(tmp_path), b"REDIS0011" + good[9:])
    assert "Can't handle RDB format version 11" in out


# -- BGSAVE, save points, errors ------------------------------------------------------------------


def test_bgsave_in_progress_and_info(start_node: Any) -> None:
    node = start_node()
    c = node.client()
    c.mset({f"k{i}": i for i in range(50)})
    c.config_set("rdb-key-save-delay", 20000)  # 20 ms a key: about a second in all
    assert c.config_get("*").get("rdb-key-save-delay") is None  # hidden from patterns
    assert c.config_get("rdb-key-save-delay") == {"rdb-key-save-delay": "20000"}
    assert reply_of(c, "BGSAVE") == b"Background saving started"
    assert reply_of(c, "BGSAVE") == ("error", "Background save already in progress")
    assert reply_of(c, "BGSAVE", "SCHEDULE") == ("error", "Background save already in progress")
    assert reply_of(c, "SAVE") == ("error", "Background save already in progress")
    assert reply_of(c, "BGSAVE", "NOW") == ("error", "syntax error")
    info = c.info("persistence")
    assert info["rdb_bgsave_in_progress"] == 1
    assert info["current_save_keys_total"] == 50
    assert info["rdb_current_bgsave_time_sec"] >= 0
    assert c.info("stats")["total_forks"] == 1
    assert c.ping()  # the loop keeps serving
    wait_until(lambda: c.info("persistence")["current_save_keys_processed"] > 0, 20.0, "progress")
    c.config_set("rdb-key-save-delay", 0)
    wait_until(lambda: c.info("persistence")["rdb_bgsave_in_progress"] == 0, 20.0, "the child")
    info = c.info("persistence")
    assert info["rdb_last_bgsave_status"] == "ok"
    assert info["rdb_changes_since_last_save"] == 0
    assert info["rdb_saves"] == 1
    assert "Background saving terminated with success" in node.log()
    # inside MULTI a BGSAVE is scheduled, and the cron starts it
    conn = c.connection_pool.get_connection()
    for cmd in (("MULTI",), ("BGSAVE",)):
        conn.send_command(*cmd)
        conn.read_response()
    conn.send_command("EXEC")
    assert conn.read_response() == [b"Background saving scheduled"]
    c.connection_pool.release(conn)
    wait_until(lambda: c.info("persistence")["rdb_saves"] == 2, 20.0, "the scheduled BGSAVE")


def test_save_points_fire_from_the_cron(start_node: Any) -> None:
    node = start_node("--save", "1 2")
    c = node.client()
    c.set("a", 1)
    time.sleep(1.3)
    assert c.info("persistence")["rdb_saves"] == 0  # one change: not enough
    c.set("b", 2)
    wait_until(lambda: c.info("persistence")["rdb_saves"] == 1, 20.0, "a save point")
    wait_until(lambda: c.info("persistence")["rdb_changes_since_last_save"] == 0, 20.0, "the save")
    assert "2 changes in 1 seconds. Saving..." in node.log()
    assert os.path.exists(os.path.join(node.workdir, "dump.rdb"))


def test_failed_bgsave_stops_writes_with_misconf(start_node: Any) -> None:
    node = start_node("--save", "3600 1")
    c = node.client()
    os.mkdir(os.path.join(node.workdir, "dump.rdb"))  # the rename over it fails
    c.set("a", 1)
    assert reply_of(c, "SAVE") == ("error", "")  # a bare "-ERR", as Redis's shared.err
    assert reply_of(c, "BGSAVE") == b"Background saving started"
    wait_until(lambda: c.info("persistence")["rdb_last_bgsave_status"] == "err", 20.0, "the failure")
    assert "Background saving error" in node.log()
    error = reply_of(c, "SET", "b", 2)
    assert error[0] == "error" and error[1].startswith(
        "MISCONF Redis is configured to save RDB snapshots")
    assert reply_of(c, "PING")[0] == "error"
    assert reply_of(c, "GET", "a") == b"1"  # reads are served
    p = c.pipeline(transaction=True)
    p.set("c", 3)
    with pytest.raises(redis.ResponseError):
        p.execute()
    # the shutdown's save fails too: the node stays up unless FORCE
    assert reply_of(c, "SHUTDOWN") == ("error", "Errors trying to SHUTDOWN. Check logs.")
    assert c.get("a") == b"1"
    c.config_set("stop-writes-on-bgsave-error", "no")
    assert c.set("b", 2)
    c.config_set("stop-writes-on-bgsave-error", "yes")
    os.rmdir(os.path.join(node.workdir, "dump.rdb"))
    assert c.save()
    assert c.set("b", 3)  # a successful save clears the error
    assert reply_of(c, "SHUTDOWN", "NOSAVE", "SAVE") == ("error", "syntax error")
    assert reply_of(c, "SHUTDOWN", "ABORT") == ("error", "No shutdown in progress.")


def test_flushall_saves_the_empty_dataset(r: redis.Redis, o: redis.Redis, node: Any) -> None:
    """With save points, FLUSHALL saves at once (and stops a running BGSAVE)."""
    path = os.path.join(node.workdir, "dump.rdb")
    for c in (r, o):
        c.config_set("save", "3600 1")
        c.set("a", 1)
        c.set("b", 2)
    r.config_set("rdb-key-save-delay", 100_000)
    assert r.bgsave()
    try:
        for c in (r, o):
            assert c.flushall()
        for c in (r, o):
            info = c.info("persistence")
            assert info["rdb_changes_since_last_save"] == 0
            assert info["rdb_bgsave_in_progress"] == 0
        back = Keyspace()
        assert rdb_reader.load(path, back).keys_loaded == 0
        for c in (r, o):
            c.config_set("save", "")
            c.set("a", 1)
            assert c.flushall()
        assert (r.info("persistence")["rdb_changes_since_last_save"]
                == o.info("persistence")["rdb_changes_since_last_save"])
    finally:
        r.config_set("rdb-key-save-delay", 0)
        for c in (r, o):
            c.config_set("save", "")


def test_config_of_snapshots(r: redis.Redis, o: redis.Redis) -> None:
    for c in (r, o):
        assert reply_of(c, "CONFIG", "SET", "save", "100 10 5 1") == b"OK"
        assert reply_of(c, "CONFIG", "GET", "save") == [b"save", b"100 10 5 1"]
        assert reply_of(c, "CONFIG", "SET", "save", "") == b"OK"
    for args in (("save", "0 1"), ("save", "10"), ("dbfilename", "x.rdb"), ("rdbchecksum", "no"),
                 ("rdb-key-save-delay", "x"), ("rdbcompression", "maybe")):
        assert reply_of(r, "CONFIG", "SET", *args) == reply_of(o, "CONFIG", "SET", *args)
    for name in ("rdbcompression", "stop-writes-on-bgsave-error", "rdb-del-sync-files",
                 "dbfilename", "rdb-key-save-delay"):
        assert reply_of(r, "CONFIG", "GET", name) == reply_of(o, "CONFIG", "GET", name)


def test_dbfilename_must_be_a_file_name(tmp_path: Any) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "ops.cli", "node", "--port", "0", "--dbfilename", "a/b.rdb"],
        cwd=str(tmp_path), capture_output=True, timeout=60,
        env=dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(__file__))))
    assert proc.returncode == 1
    assert b"dbfilename can't be a path, just a filename" in proc.stderr
