"""maxmemory and eviction: -OOM, the eviction policies, and what an eviction announces.

With `maxmemory 1` both servers are always over the limit, whatever their memory, so
redis-server's replies can be compared one for one: -OOM for `denyoom` commands and inside
MULTI, scripts, every key evicted under the allkeys policies and only keys with a TTL under
the volatile ones, `evicted` events and propagated DELs. The policies' choices (which keys
go first) and the memory figure itself are checked on slotkv alone, with a limit a few MB
over what the node uses at start.
"""

from __future__ import annotations

import time
from typing import Any, Iterator

import pytest
import redis

from aofhelp import aof_logged
from conftest import Differential, ServerProcess, reply_of, server_pair, wait_until
from notifyhelp import EventLog
from wirescript import READ, same_script

# (redis-py reads an -OOM error as OutOfMemoryError, the code left out of its text)
OOM = "command not allowed when used memory > 'maxmemory'."


@pytest.fixture(scope="module")
def pair() -> Iterator[tuple[ServerProcess, ServerProcess]]:
    yield from server_pair()


@pytest.fixture
def both(pair: tuple[ServerProcess, ServerProcess]) -> Iterator[Differential]:
    r, o = pair[0].client(), pair[1].client()
    for c in (r, o):
        c.config_set("maxmemory", 0)
        c.config_set("maxmemory-policy", "noeviction")
        c.flushall()
        c.config_resetstat()
    yield Differential(r, o)
    for c in (r, o):
        c.config_set("maxmemory", 0)
        c.config_set("maxmemory-policy", "noeviction")
        c.config_set("notify-keyspace-events", "")
        c.close()


def _over(both: Differential, policy: str) -> None:
    """Both servers over their limit from now on."""
    both("CONFIG", "SET", "maxmemory-policy", policy)
    both("CONFIG", "SET", "maxmemory", "1")


def test_noeviction_refuses_denyoom_commands(both: Differential) -> None:
    both.run(("SET", "a", "1"), ("RPUSH", "l", "x"), ("SET", "n", "5"))
    _over(both, "noeviction")
    for cmd in (("SET", "b", "2"), ("INCR", "n"), ("APPEND", "a", "x"), ("RPUSH", "l", "y"),
                ("HSET", "h", "f", "v"), ("SADD", "s", "m"), ("ZADD", "z", "1", "m"),
                ("SETRANGE", "a", "0", "x"), ("MSET", "a", "1", "b", "2"), ("PFADD", "p", "x"),
                ("XADD", "x", "*", "f", "v"), ("COPY", "a", "c"), ("LINSERT", "l", "BEFORE", "x", "y")):
        assert both(*cmd) == ("error", OOM)
    # Reads and the writes that cannot grow memory still run.
    both.run(("GET", "a"), ("LRANGE", "l", "0", "-1"), ("DBSIZE",), ("LPOP", "l"),
             ("EXPIRE", "a", "100"), ("PERSIST", "a"), ("DEL", "n"), ("EXISTS", "n"),
             ("INFO", "keyspace"))
    both("CONFIG", "GET", "maxmemory")
    both("CONFIG", "SET", "maxmemory", "0")
    both("SET", "b", "2")


def test_noeviction_inside_multi(both: Differential) -> None:
    _over(both, "noeviction")
    both("MULTI")
    assert both("SET", "a", "1") == ("error", OOM)
    assert both("GET", "a") == ("error", OOM)  # anything queued could grow the queue
    both("EXEC")  # EXECABORT
    both("MULTI")
    both("DISCARD")


def test_exec_of_queued_writes_once_over(pair: tuple[ServerProcess, ServerProcess],
                                         both: Differential) -> None:
    both("MULTI")
    both("SET", "a", "1")
    both("GET", "a")
    others = [proc.client() for proc in pair]
    _over(Differential(*others), "noeviction")  # another client lowers the limit
    both("EXEC")  # EXECABORT ... OOM
    both("GET", "a")
    for c in others:
        c.close()


@pytest.mark.parametrize("script", [
    "return redis.call('set','x','1')",
    "return redis.pcall('set','x','1')",
    "redis.call('del','y') return redis.call('set','x','1')",  # a write came first: allowed
    "return redis.call('get','x')",
    "#!lua\nreturn redis.call('set','x','1')",
    "#!lua\nreturn 1",
    "#!lua flags=no-writes\nreturn redis.call('get','x')",
    "#!lua flags=allow-oom\nreturn redis.call('set','x','1')",
])
def test_scripts_over_the_limit(both: Differential, script: str) -> None:
    both("SET", "y", "1")
    _over(both, "noeviction")
    both("EVAL", script, "0")
    both("GET", "x")


def test_functions_over_the_limit(both: Differential) -> None:
    both("FUNCTION", "LOAD", "#!lua name=oomlib\n"
         "redis.register_function('w', function(k) return redis.call('set', k[1], '1') end)\n"
         "redis.register_function{function_name='r', callback=function(k) return 1 end, "
         "flags={'no-writes'}}\n"
         "redis.register_function{function_name='o', callback=function(k) "
         "return redis.call('set', k[1], '1') end, flags={'allow-oom'}}")
    try:
        _over(both, "noeviction")
        both("FCALL", "w", "1", "k")
        both("FCALL", "r", "0")
        both("FCALL", "o", "1", "k")
        both("GET", "k")
    finally:
        both("CONFIG", "SET", "maxmemory", "0")
        both("FUNCTION", "DELETE", "oomlib")


@pytest.mark.parametrize("policy", ["allkeys-lru", "allkeys-lfu", "allkeys-random"])
def test_allkeys_policies_evict_everything(both: Differential, policy: str) -> None:
    both.run(*[("SET", f"k{i}", "v") for i in range(20)], ("RPUSH", "l", "a", "b"),
             ("EXPIRE", "k1", "100"))
    _over(both, policy)
    both("DBSIZE")  # 0: every key evicted before the command ran
    assert both("SET", "a", "1") == ("error", OOM)  # nothing left to evict
    assert both.r.info("stats")["evicted_keys"] == both.o.info("stats")["evicted_keys"] == 21


@pytest.mark.parametrize("policy", ["volatile-lru", "volatile-lfu", "volatile-random",
                                    "volatile-ttl"])
def test_volatile_policies_evict_keys_with_a_ttl(both: Differential, policy: str) -> None:
    both.run(*[("SET", f"k{i}", "v", "EX", str(100 + i)) for i in range(10)],
             *[("SET", f"p{i}", "v") for i in range(5)])
    _over(both, policy)
    both("DBSIZE")  # the five without a TTL stay
    both("KEYS", "*", unordered=True)
    assert both("SET", "a", "1") == ("error", OOM)
    assert both.r.info("stats")["evicted_keys"] == both.o.info("stats")["evicted_keys"] == 10


def test_evicted_events_and_watch(both: Differential) -> None:
    both.run(("SET", "a", "1"), ("HSET", "h", "f", "v"), ("SET", "b", "2", "EX", "100"))
    logs = []
    try:
        for c in (both.r, both.o):
            c.config_set("notify-keyspace-events", "KEA")
            logs.append(EventLog(c))
        _over(both, "allkeys-random")
        both("DBSIZE")
        mine, theirs = (sorted(log.drain()) for log in logs)
        assert mine == theirs
        assert (b"__keyevent@0__:evicted", b"h") in mine and len(mine) == 6
    finally:
        for log in logs:
            log.close()


def test_an_evicted_key_fails_its_watchers(pair: tuple[ServerProcess, ServerProcess],
                                           both: Differential) -> None:
    both.run(("SET", "k", "1"), ("WATCH", "k"))
    others = [proc.client() for proc in pair]
    other = Differential(*others)
    _over(other, "allkeys-random")
    other("CONFIG", "SET", "maxmemory", "0")  # (the key is gone before this runs)
    both.run(("MULTI",), ("SET", "k", "2"), ("EXEC",), ("EXISTS", "k"))
    for c in others:
        c.close()


def test_an_evicted_key_is_invalidated_for_its_readers(
        pair: tuple[ServerProcess, ServerProcess], both: Differential) -> None:
    same_script(*pair, [
        ("a", ("HELLO", "3")), ("a", ("CLIENT", "TRACKING", "ON")),
        ("b", ("SET", "k", "1")), ("a", ("GET", "k")),
        ("b", ("CONFIG", "SET", "maxmemory-policy", "allkeys-random")),
        ("b", ("CONFIG", "SET", "maxmemory", "1")), ("b", ("CONFIG", "SET", "maxmemory", "0")),
        ("a", READ), ("a", ("EXISTS", "k")),
    ])


def test_config_and_info_fields(both: Differential) -> None:
    both("CONFIG", "SET", "maxmemory", "100mb")
    both("CONFIG", "GET", "maxmemory")
    both("CONFIG", "SET", "maxmemory-samples", "10")
    both("CONFIG", "GET", "maxmemory-samples")
    both("CONFIG", "SET", "maxmemory-eviction-tenacity", "50")
    both("CONFIG", "GET", "maxmemory-eviction-tenacity")
    both("CONFIG", "SET", "lazyfree-lazy-eviction", "yes")
    both("CONFIG", "SET", "lazyfree-lazy-eviction", "no")
    both("CONFIG", "SET", "maxmemory", "-1")
    for c in (both.r, both.o):
        mem = c.info("memory")
        assert mem["maxmemory"] == 104857600 and mem["maxmemory_human"] == "100.00M"
        assert mem["used_memory"] < mem["maxmemory"]
        stats = c.info("stats")
        assert {"evicted_keys", "total_eviction_exceeded_time",
                "current_eviction_exceeded_time"} <= set(stats)
    both("CONFIG", "SET", "maxmemory-eviction-tenacity", "10")
    both("CONFIG", "SET", "maxmemory-samples", "5")


def test_evictions_propagate_as_dels(aof_pair: tuple[ServerProcess, ServerProcess]) -> None:
    """Keys evicted after CONFIG SET lowers the limit (between commands) go out as DELs."""
    try:
        mine, theirs = aof_logged(aof_pair, [
            ("SET", "a", "1"), ("SET", "b", "2"),
            ("CONFIG", "SET", "maxmemory-policy", "allkeys-lru"),
            ("CONFIG", "SET", "maxmemory", "1"),
            ("CONFIG", "SET", "maxmemory", "0"),
        ])
    finally:
        for proc in aof_pair:
            proc.client().config_set("maxmemory-policy", "noeviction")
    assert sorted(mine) == sorted(theirs)
    assert [b"DEL", b"a"] in [[a[0].upper(), *a[1:]] for a in mine]


# -- slotkv alone: the memory figure and the policies' choices ---------------------------------


def _used(r: redis.Redis) -> int:
    """The figure maxmemory limits: used_memory less what it leaves out."""
    mem = r.info("memory")
    return mem["used_memory"] - mem["mem_not_counted_for_evict"]


def _fill(r: redis.Redis, prefix: str, count: int, size: int = 100, **kwargs: Any) -> None:
    pipe = r.pipeline(transaction=False)
    for i in range(count):
        pipe.set(f"{prefix}{i}", "v" * size, **kwargs)
    for reply in pipe.execute(raise_on_error=False):
        assert reply is True or isinstance(reply, redis.ResponseError)


@pytest.fixture
def roomy(start_node: Any) -> redis.Redis:
    """A node whose limit leaves about 3 MB for keys."""
    r = start_node().client()
    r.config_set("maxmemory", "1gb")  # the figure maxmemory limits, from now on
    r.config_set("maxmemory", _used(r) + 3 * 1024 * 1024)
    return r


def test_used_memory_follows_the_keys(roomy: redis.Redis) -> None:
    r = roomy
    r.config_set("maxmemory", "1gb")
    empty = _used(r)
    _fill(r, "k", 10000)
    full = _used(r)
    # 10000 keys of 100 bytes: about 300 bytes each in CPython, tables included.
    assert 2_000_000 < full - empty < 5_000_000
    r.flushall()
    assert _used(r) - empty < 200_000
    _fill(r, "k", 10000)
    r.delete(*[f"k{i}" for i in range(5000)])
    assert abs((_used(r) - empty) - (full - empty) / 2) < 1_000_000  # tables do not shrink


def _mixed_workload(r: redis.Redis) -> None:
    """Keys of every type, created and then changed in place in every way."""
    pipe = r.pipeline(transaction=False)
    for i in range(200):
        pipe.set(f"s{i}", "x" * (i % 50))
        pipe.append(f"s{i}", "tail" * (i % 7))
        pipe.setrange(f"r{i}", i % 30, "abc")
        pipe.setbit(f"b{i}", i * 13, 1)
        pipe.incrby(f"n{i}", i * 1000003)
        pipe.pfadd(f"p{i}", *[f"e{j}" for j in range(i % 40)])
        pipe.rpush(f"l{i}", *[f"item{j}" for j in range(i % 20 + 1)])
        pipe.lpop(f"l{i}")
        pipe.hset(f"h{i}", mapping={f"f{j}": "v" * j for j in range(i % 15 + 1)})
        pipe.hdel(f"h{i}", "f0")
        pipe.sadd(f"t{i}", *range(i % 25 + 1))
        pipe.srem(f"t{i}", 0)
        pipe.zadd(f"z{i}", {f"m{j}": j for j in range(i % 30 + 1)})
        pipe.zincrby(f"z{i}", 2.5, "m0")
        pipe.xadd(f"x{i}", {"f": "v" * (i % 9)})
        pipe.expire(f"s{i}", 1000)
    for i in range(0, 200, 10):
        pipe.rename(f"s{i}", f"renamed{i}")
        pipe.copy(f"h{i}", f"hcopy{i}")
        pipe.move(f"t{i}", 1)
        pipe.sunionstore(f"u{i}", [f"t{i + 1}", f"t{i + 2}"])
        pipe.xgroup_create(f"x{i}", "g", id="0")
        pipe.xreadgroup("g", "c", {f"x{i}": ">"})
    pipe.swapdb(0, 1)
    pipe.swapdb(0, 1)
    pipe.execute()


def _delete_everything(r: redis.Redis) -> None:
    for db in (0, 1):
        r.execute_command("SELECT", db)
        keys = r.keys("*")
        for i in range(0, len(keys), 500):
            r.delete(*keys[i:i + 500])
    r.execute_command("SELECT", 0)


def test_the_account_takes_back_what_it_added(start_node: Any) -> None:
    """The memory account must not drift: after every key is deleted one by one, the same
    workload again ends at the same figure (the dict tables, grown by the first round,
    stay; a leak or a double count in any write path would show as a difference)."""
    r = start_node().client(single_connection_client=True)
    r.config_set("maxmemory", "1gb")
    _mixed_workload(r)
    _delete_everything(r)
    emptied = _used(r)
    _mixed_workload(r)
    full = _used(r)
    _delete_everything(r)
    assert abs(_used(r) - emptied) < 20_000, (_used(r), emptied)
    _mixed_workload(r)
    assert abs(_used(r) - full) < 20_000, (_used(r), full)
    assert full - emptied > 500_000


def test_noeviction_fills_up_then_refuses(roomy: redis.Redis) -> None:
    r = roomy
    _fill(r, "k", 30000)  # 9 MB of keys into 3 MB: the later ones are refused
    kept = r.dbsize()
    assert 3000 < kept < 30000
    with pytest.raises(redis.exceptions.OutOfMemoryError):
        r.set("one-more", "v" * 100)
    assert r.get("k0") == b"v" * 100
    assert r.info("stats")["evicted_keys"] == 0
    r.delete(*[f"k{i}" for i in range(1000)])  # room again
    assert r.set("one-more", "v" * 100)


@pytest.mark.parametrize("threshold", [0, 1], ids=["untimed", "each-deletion-timed"])
def test_allkeys_lru_keeps_the_recently_used(roomy: redis.Redis, threshold: int) -> None:
    r = roomy
    r.config_set("maxmemory-policy", "allkeys-lru")
    # With a latency threshold each deletion is timed alone (LATENCY's eviction-del).
    r.config_set("latency-monitor-threshold", threshold)
    r.config_set("maxmemory-samples", "10")
    _fill(r, "old", 3000)
    time.sleep(1.1)  # the LRU clock counts seconds, as Redis's
    _fill(r, "new", 3000)
    time.sleep(1.1)
    _fill(r, "more", 10000)  # about 4.8 MB more than fits
    stats = r.info("stats")
    assert stats["evicted_keys"] > 5000
    old = sum(r.exists(f"old{i}") for i in range(0, 3000, 10))
    new = sum(r.exists(f"new{i}") for i in range(0, 3000, 10))
    assert old < new, (old, new)
    # A dict table that doubled on the last writes is measured by the cron, within 1/hz.
    wait_until(lambda: _used(r) <= r.info("memory")["maxmemory"], timeout=2,
               what="the cron to evict for a table's growth")


def test_volatile_lru_ranks_by_access_not_deadline(roomy: redis.Redis) -> None:
    r = roomy
    r.config_set("maxmemory-policy", "volatile-lru")
    r.config_set("maxmemory-samples", "10")
    _fill(r, "old", 3000, ex=100000)  # used long ago, but the later deadline
    time.sleep(1.1)
    _fill(r, "new", 3000, ex=50000)
    _fill(r, "keep", 2000)  # no TTL: never evicted
    time.sleep(1.1)
    _fill(r, "more", 3000, ex=50000)
    assert r.info("stats")["evicted_keys"] > 1000
    old = sum(r.exists(f"old{i}") for i in range(0, 3000, 10))
    new = sum(r.exists(f"new{i}") for i in range(0, 3000, 10))
    assert old < new, (old, new)
    assert all(r.exists(f"keep{i}") for i in range(0, 2000, 50))


def test_lru_across_databases(roomy: redis.Redis) -> None:
    # Keys of several databases are ranked together: the old ones go, wherever they are.
    r = roomy
    r.config_set("maxmemory-policy", "allkeys-lru")
    r.config_set("maxmemory-samples", "10")
    address = r.connection_pool.connection_kwargs
    other = redis.Redis(host=address["host"], port=address["port"], db=3)
    _fill(other, "old", 3000)
    _fill(r, "old", 3000)
    time.sleep(1.1)
    _fill(other, "new", 2000)
    _fill(r, "new", 2000)
    time.sleep(1.1)
    _fill(r, "more", 6000)
    assert r.info("stats")["evicted_keys"] > 3000
    for db in (r, other):
        old = sum(db.exists(f"old{i}") for i in range(0, 3000, 10))
        new = sum(db.exists(f"new{i}") for i in range(0, 2000, 10)) * 3 // 2
        assert old < new, (db, old, new)


def test_allkeys_lfu_keeps_the_frequently_used(roomy: redis.Redis) -> None:
    r = roomy
    r.config_set("maxmemory-policy", "allkeys-lfu")
    r.config_set("lfu-log-factor", "0")  # every access counts
    _fill(r, "hot", 500)
    pipe = r.pipeline(transaction=False)
    for _ in range(20):
        for i in range(500):
            pipe.get(f"hot{i}")
    pipe.execute()
    _fill(r, "cold", 15000)
    hot = sum(r.exists(f"hot{i}") for i in range(500))
    assert hot > 450, hot
    assert r.info("stats")["evicted_keys"] > 5000


def test_volatile_ttl_evicts_the_nearest_deadlines_first(roomy: redis.Redis) -> None:
    r = roomy
    r.config_set("maxmemory-policy", "volatile-ttl")
    _fill(r, "soon", 3000, ex=1000)
    _fill(r, "late", 3000, ex=100000)
    _fill(r, "keep", 2000)
    _fill(r, "more", 6000, ex=50000)
    assert r.info("stats")["evicted_keys"] > 1000
    soon = sum(r.exists(f"soon{i}") for i in range(0, 3000, 10))
    late = sum(r.exists(f"late{i}") for i in range(0, 3000, 10))
    assert soon < late, (soon, late)
    assert all(r.exists(f"keep{i}") for i in range(0, 2000, 50))


def test_lowering_the_limit_evicts_without_commands(start_node: Any) -> None:
    node = start_node("--maxmemory-policy", "allkeys-random")
    r = node.client()
    _fill(r, "k", 20000)
    r.config_set("maxmemory", "1gb")
    base = _used(r) - 20000 * 250
    r.config_set("maxmemory", str(base + 2 * 1024 * 1024))
    assert "is smaller than the current memory usage" in node.log()
    # Evicted by the cron (and the loop's background pass), not only before commands.
    wait_until(lambda: r.info("stats")["evicted_keys"] > 5000, what="evictions")
    assert r.dbsize() < 15000


def test_maxmemory_from_the_command_line(start_node: Any) -> None:
    node = start_node("--maxmemory", "2gb", "--maxmemory-policy", "allkeys-lru")
    r = node.client()
    assert r.config_get("maxmemory") == {"maxmemory": str(2 * 1024**3)}
    _fill(r, "k", 1000)
    assert r.dbsize() == 1000
    assert r.info("memory")["maxmemory_policy"] == "allkeys-lru"


def test_a_small_limit_leaves_room_for_keys(pair: tuple[ServerProcess, ServerProcess]) -> None:
    # The heap held at start (about 25 MB) is left out of the figure, as Redis's own start
    # (about 1 MB) barely counts: `maxmemory 10mb` holds megabytes of keys on both.
    for proc in pair:
        r = proc.client()
        r.flushall()
        r.config_set("maxmemory-policy", "noeviction")
        r.config_set("maxmemory", "10mb")
        try:
            _fill(r, "small", 20_000, size=100)  # 2 MB of values
            assert r.dbsize() == 20_000
            mem = r.info("memory")
            assert mem["used_memory"] - mem["mem_not_counted_for_evict"] <= 10 * 1024 * 1024
            # Past the limit, -OOM as before.
            with pytest.raises(redis.exceptions.OutOfMemoryError):
                _fill_until_refused(r)
        finally:
            r.config_set("maxmemory", "0")
            r.flushall()


def _fill_until_refused(r: redis.Redis) -> None:
    for i in range(0, 2_000_000, 1000):
        pipe = r.pipeline(transaction=False)
        for j in range(i, i + 1000):
            pipe.set(f"fill{j}", "v" * 100)
        pipe.execute()


def test_table_slack_left_by_deletions_goes_before_keys(start_node: Any) -> None:
    # A CPython dict keeps its size when keys are deleted; the limit counts the tables whole,
    # so the slack they hold after a mass deletion is given back before any key is evicted.
    r = start_node().client()
    r.config_set("maxmemory", "1gb")
    r.config_set("maxmemory-policy", "allkeys-random")
    _fill(r, "gone", 150_000, size=10)
    r.delete(*[f"gone{i}" for i in range(140_000)])
    used = _used(r)
    r.config_set("maxmemory", used - 4 * 1024 * 1024)  # the tables hold about 10 MB of slack
    r.set("one-more", "x")
    assert r.info("stats")["evicted_keys"] == 0
    assert r.dbsize() == 10_001
    assert _used(r) <= r.info("memory")["maxmemory"]


def test_resetstat_ends_the_eviction_timer(r: redis.Redis, o: redis.Redis) -> None:
    # Time over the limit is counted from a write refused under noeviction; CONFIG RESETSTAT
    # zeroes the total and drops the running period, even with the limit gone meanwhile.
    for c in (r, o):
        c.config_set("maxmemory", 1)
        with pytest.raises(redis.exceptions.OutOfMemoryError):
            c.set("k", "v")
        c.config_set("maxmemory", 0)
        time.sleep(0.03)
        assert c.info("stats")["current_eviction_exceeded_time"] >= 20
        c.config_resetstat()
        time.sleep(0.03)
        stats = c.info("stats")
        assert stats["total_eviction_exceeded_time"] == stats["current_eviction_exceeded_time"] == 0
