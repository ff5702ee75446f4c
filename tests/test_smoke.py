"""The node answers a real client over a real socket, the same way redis-server does."""


def test_set_get_roundtrip(r):
    assert r.set("k", "v") is True
    assert r.get("k") == b"v"


def test_string_basics_match_redis(both):
    both.run(
        ("SET", "a", "1"), ("GET", "a"), ("INCR", "a"), ("INCRBY", "a", "10"),
        ("DECRBY", "a", "3"), ("APPEND", "a", "x"), ("INCR", "a"), ("STRLEN", "a"),
        ("GETRANGE", "a", "0", "-2"), ("SETRANGE", "b", "3", "hey"), ("GET", "b"),
        ("GET", "missing"), ("SET", "a", "v", "NX"), ("SET", "a", "v2", "XX", "GET"),
        ("SET", "a", "v", "EX", "0"), ("SET", "a", "v", "EX", "x"), ("SET", "a", "v", "NX", "XX"),
        ("GETSET", "a", "z"), ("GETDEL", "a"), ("GET", "a"), ("MSET", "x", "1", "y", "2"),
        ("MGET", "x", "y", "nope"), ("MSETNX", "x", "1", "q", "2"), ("MSET", "x"),
        ("INCRBYFLOAT", "f", "10.5"), ("INCRBYFLOAT", "f", "0.1"), ("INCRBYFLOAT", "f", "abc"),
        ("INCR", "b"), ("DECRBY", "n", "-9223372036854775808"), ("GET",), ("NOSUCHCMD", "x"),
    )


def test_entry_modules_import_on_their_own():
    # node.rdb needs the command modules' value types and DUMP/RESTORE need node.rdb: a
    # module-level import on either side made `import node.rdb` (or node.server) fail when it
    # came first, which only the order ops.cli happens to import in hid.
    import subprocess
    import sys

    for module in ("node.rdb", "node.rdb_reader", "node.server", "node.snapshot", "ops.cli"):
        result = subprocess.run([sys.executable, "-c", f"import {module}"],
                                capture_output=True, text=True)
        assert result.returncode == 0, f"import {module}: {result.stderr[-500:]}"
