"""ACL users and permission checks (node/acl.py, node/commands/acl.py) against redis-server.

Most tests send the same commands to slotkv and to the oracle and compare the replies: the
rules ACL LIST and ACL GETUSER print, the errors, NOPERM refusals for commands, keys and
channels, inside MULTI/EXEC and scripts, ACL DRYRUN, ACL LOG entries. Users created on the
shared servers are deleted after each test.
"""

from __future__ import annotations

import os
import re
import socket
import time
from typing import Any

import pytest
import redis

from conftest import Differential, reply_of, wait_until

DEFAULT_RULES = ("reset", "on", "nopass", "~*", "&*", "+@all")


@pytest.fixture(autouse=True)
def clean_users(r: redis.Redis, o: redis.Redis) -> Any:
    yield
    for client in (r, o):
        users = [u for u in reply_of(client, "ACL", "USERS") if u != b"default"]
        if users:
            reply_of(client, "ACL", "DELUSER", *users)
        reply_of(client, "ACL", "SETUSER", "default", *DEFAULT_RULES)
        reply_of(client, "ACL", "LOG", "RESET")


def _missing(r: redis.Redis, o: redis.Redis) -> set[str]:
    # Commands only one of them has: redis-server's MODULE, FUNCTION, ...; slotkv's 7.2
    # additions (WAITAOF, CLUSTER MYSHARDID).
    return ({c.decode() for c in reply_of(o, "COMMAND", "LIST")}
            ^ {c.decode() for c in reply_of(r, "COMMAND", "LIST")})


_RULES = re.compile(rb"([+-]@all)((?: [^ ()]+)*)")


def _norm(value: Any) -> Any:
    """A reply with the command rules of each description sorted: Redis emits single
    commands in the order of its command hash table, which a random seed shuffles."""
    if isinstance(value, bytes):
        return _RULES.sub(lambda m: m[1] + b" " + b" ".join(sorted(m[2].split())), value)
    if isinstance(value, (list, tuple)):
        return [_norm(v) for v in value]
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items()}
    if isinstance(value, Exception):
        return ("error", str(value))
    return value


def same(both: Differential, *args: Any) -> Any:
    """`both(*args)` for replies that describe command rules."""
    mine, theirs = _norm(reply_of(both.r, *args)), _norm(reply_of(both.o, *args))
    assert mine == theirs, f"{args!r}: slotkv={mine!r} redis={theirs!r}"
    return mine


def _login(server: Any, user: str, password: str = "pw", **kwargs: Any) -> redis.Redis:
    client = server.client(username=user, password=password, **kwargs)
    client.ping()
    return client


def _pair(node: Any, oracle: Any, user: str, password: str = "pw") -> Differential:
    return Differential(_login(node, user, password), _login(oracle, user, password))


# -- rules: ACL SETUSER, LIST, GETUSER ------------------------------------------------------

RULE_SETS = [
    ("on", ">pw", "~a*", "%R~b*", "%W~c*", "%RW~d*", "&ch*", "+get", "+set"),
    ("on", "nopass", "allkeys", "allchannels", "allcommands", "-debug", "-config|set"),
    ("+@hash", "-hset", "+@string", "resetchannels", "&x", "&y", "&x"),
    ("+@all", "-@admin", "+config|get", "-flushall", "~k", "~k", "%R~k"),
    ("+acl", "-acl|setuser", "+select|0", "+select|1", "-@all", "+client|id"),
    ("+@pubsub", "-publish", ">a", ">b", "<a", "#" + "ab" * 32, "!" + "ab" * 32),
    ("on", "(+get ~x)", "(", "+set", "%W~y", ")", "+ping"),
    ("reset", "skip-sanitize-payload", "nocommands", "+@read", "-@all", "+get"),
    ("on", "(+get ~x)", "clearselectors", "resetkeys", "~z", "resetpass", "nopass", "off"),
    ("+select", "+select|0", "-select", "+select|2", "+debug|object"),
    ("+@all", "-@dangerous", "+info"),
]


@pytest.mark.parametrize("rules", RULE_SETS)
def test_setuser_list_getuser(both: Differential, node: Any, oracle: Any,
                              rules: tuple[str, ...]) -> None:
    both("ACL", "SETUSER", "alice", *rules)
    same(both, "ACL", "LIST")
    same(both, "ACL", "GETUSER", "alice")
    both("ACL", "USERS")
    # A second SETUSER changes the existing user.
    both("ACL", "SETUSER", "alice", "+lpush", "~more")
    same(both, "ACL", "GETUSER", "alice")
    r3, o3 = node.client(protocol=3), oracle.client(protocol=3)
    same(Differential(r3, o3), "ACL", "GETUSER", "alice")
    r3.close()
    o3.close()


@pytest.mark.parametrize("rules", [
    ("+@read", "-get", "+set", "+config|get", "+select|0", "-@hash", "+client", "-client|kill"),
    ("+@write", "-@list", "+@read"),
    ("-@all", "+@slow", "-@dangerous"),
    ("+@all", "-@read", "-@write", "+get"),
    ("+@set", "+@list", "-lpush", "+@stream", "-@write", "+@admin", "-config"),
])
def test_command_rules_derived_like_redis(r: redis.Redis, o: redis.Redis,
                                         rules: tuple[str, ...]) -> None:
    """Where the rules name categories, Redis derives the shortest description from its
    command bitmap in hash-table order, so the same rules come out in another order: compare
    them as sets, leaving out commands slotkv does not have."""
    missing = _missing(r, o)
    descriptions = []
    for client in (r, o):
        reply_of(client, "ACL", "SETUSER", "bob", *rules)
        flat = reply_of(client, "ACL", "GETUSER", "bob")
        descriptions.append(dict(zip(flat[::2], flat[1::2]))[b"commands"].decode())
    mine, theirs = ({t for t in d.split() if t.lstrip("+-") not in missing}
                    for d in descriptions)
    assert mine == theirs
    assert descriptions[0].split()[0] == descriptions[1].split()[0]


@pytest.mark.parametrize("args", [
    ("x", "bogus"), ("x", "+nocmd"), ("x", "~*", "~a"), ("x", "<nopw"), ("x", "#abc"),
    ("x", "!" + "A" * 64), ("x", "+config|get|x"), ("x", "+get|"), ("x", "(+get", "~x"),
    ("x y",), ("x", "-select|0"), ("x", "%X~a"), ("x", "%RR~a"), ("x", "-@nosuch"),
    ("x", "&*", "&a"), ("x", "(+get ~x bogus)"), ("x", "+nosuch|sub"), ("x", "+config|nosub"),
    ("x", "~a b"), ("x", "on", "bogus"),
])
def test_setuser_errors(both: Differential, args: tuple[str, ...]) -> None:
    both("ACL", "SETUSER", *args)
    both("ACL", "USERS")  # a refused SETUSER creates nothing


def test_other_subcommand_errors(both: Differential) -> None:
    both.run(("ACL", "DELUSER", "default"), ("ACL", "DELUSER", "nosuch", "other"),
             ("ACL", "CAT", "nosuch"), ("ACL", "CAT", "a", "b"), ("ACL", "GENPASS", "0"),
             ("ACL", "GENPASS", "4097"), ("ACL", "GENPASS", "x"), ("ACL", "LOG", "x"),
             ("ACL", "LOG", "1", "2"), ("ACL", "GETUSER", "nosuch"), ("ACL", "LOAD"),
             ("ACL", "SAVE"), ("ACL", "foo"), ("ACL",), ("ACL", "HELP"), ("ACL", "WHOAMI"),
             ("ACL", "DRYRUN", "nosuch", "get", "x"), ("ACL", "DRYRUN", "default", "nocmd"),
             ("ACL", "LIST", "x"), ("ACL", "CAT"))


def test_cat(r: redis.Redis, o: redis.Redis) -> None:
    missing = _missing(r, o)
    categories = reply_of(r, "ACL", "CAT")
    assert categories == reply_of(o, "ACL", "CAT")
    for cat in categories:
        mine = {c.decode() for c in reply_of(r, "ACL", "CAT", cat)} - missing
        theirs = {c.decode() for c in reply_of(o, "ACL", "CAT", cat.upper())} - missing
        assert mine == theirs, cat


def test_genpass(r: redis.Redis) -> None:
    assert len(reply_of(r, "ACL", "GENPASS")) == 64
    assert len(reply_of(r, "ACL", "GENPASS", "5")) == 2
    assert len(reply_of(r, "ACL", "GENPASS", "4096")) == 1024
    int(reply_of(r, "ACL", "GENPASS", "9"), 16)
    assert reply_of(r, "ACL", "GENPASS") != reply_of(r, "ACL", "GENPASS")


# -- permission checks -----------------------------------------------------------------------

LIMITED = ("on", ">pw", "~k*", "%R~ro*", "%W~wo*", "&ch", "&news.*", "+get", "+set", "+mget",
           "+publish", "+subscribe", "+psubscribe", "+multi", "+exec", "+eval", "+evalsha",
           "+ping", "+acl|whoami", "+client|info", "+copy", "+lmove", "+select|0", "+sort")


def test_denied_commands_keys_channels(both: Differential, node: Any, oracle: Any) -> None:
    both("ACL", "SETUSER", "lim", *LIMITED)
    user = _pair(node, oracle, "lim")
    user.run(("GET", "k1"), ("SET", "k1", "v"), ("GET", "other"), ("DEL", "k1"),
             ("CONFIG", "GET", "maxmemory"), ("SET", "ro1", "v"), ("GET", "ro1"),
             ("GET", "wo1"), ("SET", "wo1", "v"), ("COPY", "ro1", "wo1"),
             ("COPY", "wo1", "ro1"), ("MGET", "k1", "k2", "x"), ("PUBLISH", "ch", "m"),
             ("PUBLISH", "other", "m"), ("PUBLISH", "news.x", "m"), ("ACL", "WHOAMI"),
             ("SELECT", "0"), ("SELECT", "1"), ("ACL", "LIST"), ("PING",),
             ("SORT", "k1", "STORE", "x"), ("SORT", "k1", "BY", "nosort"),
             ("SORT", "k1", "BY", "k_*"), ("SORT", "k1", "GET", "#"),
             ("EVAL", "return redis.call('sort', 'k1', 'BY', 'k_*')", "0"))
    both("ACL", "SETUSER", "reader", "on", ">pw", "%R~*", "+@all")
    _pair(node, oracle, "reader").run(("SORT", "k1", "BY", "k_*"), ("SORT", "k1", "GET", "#"))
    both("ACL", "DRYRUN", "lim", "get", "x")
    both("ACL", "DRYRUN", "lim", "get", "k1")
    both("ACL", "DRYRUN", "lim", "del", "k1")
    both("ACL", "DRYRUN", "lim", "config", "get", "x")
    both("ACL", "DRYRUN", "lim", "publish", "zz", "m")
    both("ACL", "DRYRUN", "lim", "set", "ro", "v")
    both("ACL", "DRYRUN", "default", "flushall")
    both("ACL", "DRYRUN", "lim", "get")
    both("ACL", "DRYRUN", "lim", "config")
    both("ACL", "DRYRUN", "lim", "acl", "list", "x")
    # Key flags that depend on the arguments: a BITFIELD of GETs only reads.
    for args in (("k",), ("k", "GET", "u8", "0"), ("k", "GET", "u8"), ("k", "bogus"),
                 ("k", "OVERFLOW", "SAT", "INCRBY", "u8", "0", "1")):
        both("COMMAND", "GETKEYSANDFLAGS", "BITFIELD", *args)
        both("ACL", "DRYRUN", "lim", "BITFIELD", "ro", *args[1:])


def _raw(server: Any, *commands: bytes) -> bytes:
    """The replies to inline commands sent one by one on a fresh connection."""
    with socket.create_connection(("127.0.0.1", server.port)) as s:
        out = b""
        for cmd in commands:
            s.sendall(cmd + b"\r\n")
            time.sleep(0.03)
            out += s.recv(65536)
    return out


def test_subscribe_channels(both: Differential, node: Any, oracle: Any) -> None:
    both("ACL", "SETUSER", "lim", *LIMITED)
    replies = [_raw(server, b"AUTH lim pw", b"SUBSCRIBE other", b"PSUBSCRIBE news.*",
                    b"PSUBSCRIBE news.x", b"PSUBSCRIBE *", b"SUBSCRIBE ch")
               for server in (node, oracle)]
    assert replies[0] == replies[1]


def test_multi_and_exec(both: Differential, node: Any, oracle: Any) -> None:
    both("ACL", "SETUSER", "lim", *LIMITED)
    user = _pair(node, oracle, "lim")
    # Refused while queueing: the transaction is aborted.
    user.run(("MULTI",), ("GET", "k1"), ("DEL", "k1"), ("GET", "zz"), ("EXEC",))
    # Refused at EXEC: the rules changed after the commands were queued.
    user.run(("MULTI",), ("GET", "k1"), ("PUBLISH", "ch", "m"), ("SET", "k2", "v"))
    both("ACL", "SETUSER", "lim", "-get", "resetchannels", "&zz", "resetkeys", "~q")
    same(user, "EXEC")
    _compare_log(both, 5)


def test_scripts_run_as_the_caller(both: Differential, node: Any, oracle: Any) -> None:
    both("ACL", "SETUSER", "lim", *LIMITED)
    user = _pair(node, oracle, "lim")
    user.run(("EVAL", "return redis.call('get', 'k1')", "0"),
             ("EVAL", "return redis.call('get', 'x')", "0"),
             ("EVAL", "return redis.call('del', 'k1')", "0"),
             ("EVAL", "return redis.pcall('get', 'x')", "0"),
             ("EVAL", "return redis.call('publish', 'zz', 'm')", "0"),
             ("EVAL", "return redis.acl_check_cmd('get', 'k1')", "0"),
             ("EVAL", "return redis.acl_check_cmd('get', 'x')", "0"),
             ("EVAL", "return redis.acl_check_cmd('del', 'k1')", "0"),
             ("EVAL", "return redis.acl_check_cmd('nosuch')", "0"))
    _compare_log(both, 4)



def test_functions_run_as_the_caller(both: Differential, node: Any, oracle: Any) -> None:
    library = ("#!lua name=acllib\n"
               "redis.register_function('w', function(k, a) return redis.call('set', k[1], a[1]) end)\n"
               "redis.register_function{function_name='r', flags={'no-writes'},"
               " callback=function(k) return redis.call('get', k[1]) end}")
    both("FUNCTION", "LOAD", "REPLACE", library)
    try:
        both("ACL", "SETUSER", "fu", "on", ">pw", "~a*", "+fcall", "+fcall_ro", "+get", "+ping")
        user = _pair(node, oracle, "fu")
        user.run(("FCALL", "w", "1", "ab", "1"),  # SET inside the function: not allowed
                 ("FCALL", "w", "1", "zz", "1"),  # the key, before the function runs
                 ("FCALL_RO", "r", "1", "zz"),
                 ("FCALL_RO", "r", "1", "ab"))
        _compare_log(both, 3)
    finally:
        both("FUNCTION", "DELETE", "acllib")

def _compare_log(both: Differential, count: int) -> None:
    entries = []
    for client in (both.r, both.o):
        raw = reply_of(client, "ACL", "LOG", str(count))
        entries.append([dict(zip(e[::2], e[1::2])) for e in raw])
    assert len(entries[0]) == len(entries[1])
    for mine, theirs in zip(*entries):
        assert float(mine.pop(b"age-seconds")) >= 0
        theirs.pop(b"age-seconds")
        info = mine.pop(b"client-info"), theirs.pop(b"client-info")
        assert mine == theirs
        assert [f for f in info[0].split() if f.startswith((b"user=", b"cmd="))] == \
            [f for f in info[1].split() if f.startswith((b"user=", b"cmd="))]


def test_log(both: Differential, node: Any, oracle: Any) -> None:
    both("ACL", "SETUSER", "lim", *LIMITED)
    user = _pair(node, oracle, "lim")
    user.run(("GET", "x"), ("GET", "x"), ("DEL", "x"), ("PUBLISH", "zz", "m"))
    for server in (node, oracle):
        assert _raw(server, b"AUTH lim wrong", b"AUTH nosuch wrong", b"HELLO 2 AUTH x y") \
            .count(b"WRONGPASS") == 3
    _compare_log(both, 10)
    both("ACL", "LOG", "-1")
    assert len(reply_of(both.r, "ACL", "LOG", "2")) == 2
    both("ACL", "LOG", "RESET")
    both("ACL", "LOG")


def test_log_max_len(node: Any, r: redis.Redis) -> None:
    r.config_set("acllog-max-len", 2)
    try:
        for i in range(4):
            reply_of(r, "ACL", "SETUSER", f"u{i}", "on", "nopass", "-@all", "+ping")
            c = _login(node, f"u{i}")
            with pytest.raises(redis.ResponseError):
                c.get("k")
            c.close()
        assert len(reply_of(r, "ACL", "LOG")) == 2
    finally:
        r.config_set("acllog-max-len", 128)


# -- authentication and clients --------------------------------------------------------------

def test_auth_hello_whoami_client_info(both: Differential, node: Any, oracle: Any) -> None:
    both("ACL", "SETUSER", "alice", "on", ">pw", "+@all", "~*")
    both("ACL", "SETUSER", "off", "off", ">pw", "+@all")
    script = (b"AUTH alice pw", b"ACL WHOAMI", b"AUTH off pw", b"AUTH alice x", b"AUTH pw",
              b"ACL WHOAMI", b"RESET", b"ACL WHOAMI", b"AUTH default x", b"ACL WHOAMI")
    assert _raw(node, *script) == _raw(oracle, *script)
    for server in (node, oracle):
        out = _raw(server, b"HELLO 2 AUTH alice pw", b"ACL WHOAMI", b"CLIENT INFO")
        assert out.endswith(b"user=alice redir=-1 resp=2\n\r\n") and b"$5\r\nalice" in out


def test_deluser_and_client_kill_user(both: Differential, node: Any, oracle: Any) -> None:
    both("ACL", "SETUSER", "alice", "on", ">pw", "+@all", "~*")
    for server in (node, oracle):
        admin = server.client()
        killed = [_login(server, "alice", single_connection_client=True) for _ in range(2)]
        assert admin.execute_command("CLIENT", "KILL", "USER", "alice") == 2
        for c in killed:
            c.close()
        c = _login(server, "alice", single_connection_client=True, retry=None)
        assert admin.execute_command("ACL", "DELUSER", "alice") == 1
        with pytest.raises(redis.ConnectionError):
            c.ping()
        with pytest.raises(redis.ResponseError, match="No such user"):
            admin.execute_command("CLIENT", "KILL", "USER", "alice")


def test_restricting_default_applies_to_connected_clients(node: Any, r: redis.Redis) -> None:
    other = node.client(single_connection_client=True)
    pipe = other.pipeline(transaction=False)
    pipe.set("k", "v").get("k")
    assert pipe.execute() == [True, b"v"]
    r.execute_command("ACL", "SETUSER", "default", "-get")
    with pytest.raises(redis.ResponseError, match="this user has no permissions to run "
                                                  "the 'get' command"):
        other.get("k")
    new = node.client(single_connection_client=True)  # a client that connects afterwards
    with pytest.raises(redis.ResponseError, match="no permissions"):
        new.get("k")
    new.close()
    pipe = other.pipeline(transaction=False)
    pipe.set("k", "v2").get("k").set("k", "v3")
    assert pipe.execute(raise_on_error=False)[::2] == [True, True]
    r.execute_command("ACL", "SETUSER", "default", "+get")
    assert other.get("k") == b"v3"
    other.close()


def test_requirepass_is_the_default_users_password(start_node: Any, start_oracle: Any) -> None:
    lists = []
    for start in (start_node, start_oracle):
        server = start("--requirepass", "s3cret")
        c = server.client(password="s3cret")
        lists.append(c.execute_command("ACL", "LIST"))
        c.config_set("requirepass", "other")
        lists.append(c.execute_command("ACL", "LIST"))
        assert _raw(server, b"AUTH s3cret").startswith(b"-WRONGPASS")
        assert server.client(password="other").ping()
        assert server.client(username="default", password="other").ping()
        c.config_set("requirepass", "")
        lists.append(c.execute_command("ACL", "LIST"))
        assert server.client().ping()
        c.execute_command("ACL", "SETUSER", "default", "resetpass", ">p2")
        assert _raw(server, b"PING").startswith(b"-NOAUTH")
        lists.append(c.execute_command("ACL", "LIST"))
    assert lists[:4] == lists[4:]


# -- configuration ---------------------------------------------------------------------------

def _conf(tmp_path: Any, name: str, lines: list[str]) -> str:
    path = os.path.join(str(tmp_path), name)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def test_user_directives_and_rewrite(tmp_path: Any, start_node: Any, start_oracle: Any) -> None:
    lines = ["user alice on >pw ~a* +get", "user bob off (+set ~b) &x",
             "user default on nopass ~* &* +@all -debug"]
    servers = [start_node(_conf(tmp_path, "n.conf", lines)),
               start_oracle(*(w for line in lines for w in ["--" + line.split()[0],
                                                          *line.split()[1:]]))]
    lists = [_norm(s.client().execute_command("ACL", "LIST")) for s in servers]
    assert lists[0] == lists[1]
    node = servers[0].client()
    node.execute_command("ACL", "SETUSER", "carol", "on", ">x", "+ping")
    node.execute_command("ACL", "DELUSER", "bob")
    node.config_rewrite()
    with open(os.path.join(str(tmp_path), "n.conf")) as f:
        written = [line for line in f.read().split("\n") if line.startswith("user ")]
    assert written == [line.decode() for line in node.execute_command("ACL", "LIST")]


def test_bad_user_directive_stops_the_start(tmp_path: Any, start_node: Any) -> None:
    for lines, why in (
            (["user alice on bogus"], "Error in user declaration 'alice': Syntax error"),
            (["user alice on", "user alice off"], "Error in user declaration 'alice': "
                                                  "Duplicate user found"),
            (["user alice on +get ~* ~a"], "Error in user declaration '+get': Adding a"),
            (["user alice on +nosuch"], "Error loading ACL rule '+nosuch' for the user named "
                                        "'alice': Unknown command or category name in ACL"),
            (["user alice on", f"aclfile {tmp_path}/users.acl"], "not both")):
        with pytest.raises(RuntimeError, match="exited with 1") as e:
            start_node(_conf(tmp_path, "bad.conf", lines))
        assert why in str(e.value)


def test_aclfile_save_and_load(tmp_path: Any, start_node: Any, start_oracle: Any) -> None:
    acl = ["user alice on #" + "ab" * 32 + " ~a* &c +get", "user default on nopass ~* &* +@all"]
    results = []
    for start, name in ((start_node, "n.acl"), (start_oracle, "o.acl")):
        path = _conf(tmp_path, name, acl)
        server = start("--aclfile", path)
        c = server.client()
        results.append(c.execute_command("ACL", "LIST"))
        c.execute_command("ACL", "SETUSER", "bob", "on", "nopass", "+ping")
        assert c.execute_command("ACL", "SAVE") == b"OK"
        with open(path) as f:
            results.append(f.read())
        c.execute_command("ACL", "SETUSER", "alice", "on", "nopass", "+ping")
        alice = _login(server, "alice", single_connection_client=True, retry=None)
        with open(path, "a") as f:
            f.write("user carol on nopass +@all ~*\n")
        assert c.execute_command("ACL", "LOAD") == b"OK"
        results.append(c.execute_command("ACL", "LIST"))
        with pytest.raises(redis.ConnectionError):  # ACL LOAD logs out the other users
            alice.ping()
        with open(path, "a") as f:
            f.write("user dave on bogus\nfoo bar\nuser carol on\n")
        with pytest.raises(redis.ResponseError) as e:
            c.execute_command("ACL", "LOAD")
        results.append(str(e.value).replace(path, "FILE"))
        results.append(c.execute_command("ACL", "LIST"))
    half = len(results) // 2
    assert _norm(results[:half]) == _norm(results[half:])


def test_acl_pubsub_default(start_node: Any, start_oracle: Any) -> None:
    lists = []
    for start in (start_node, start_oracle):
        c = start("--acl-pubsub-default", "allchannels").client()
        c.execute_command("ACL", "SETUSER", "alice", "on", "+@all")
        c.execute_command("ACL", "SETUSER", "bob", "reset")
        c.config_set("acl-pubsub-default", "resetchannels")
        c.execute_command("ACL", "SETUSER", "carol")
        c.execute_command("ACL", "SETUSER", "alice", "reset")
        lists.append(_norm(c.execute_command("ACL", "LIST")))
    assert lists[0] == lists[1]


def test_subscribers_lose_revoked_channels(both: Differential, node: Any,
                                           oracle: Any) -> None:
    both("ACL", "SETUSER", "lim", *LIMITED)
    for server, admin in ((node, both.r), (oracle, both.o)):
        sub = _login(server, "lim", retry=None).pubsub()
        sub.subscribe("ch")
        wait_until(lambda: sub.get_message(timeout=0.1), what="subscribed")
        admin.execute_command("ACL", "SETUSER", "lim", "resetchannels", "&ch", "&more")
        admin.execute_command("PUBLISH", "ch", "m")
        assert wait_until(lambda: sub.get_message(timeout=0.1), what="message")
        admin.execute_command("ACL", "SETUSER", "lim", "resetchannels", "&more")
        with pytest.raises(redis.ConnectionError):
            for _ in range(20):
                sub.get_message(timeout=0.1)
        sub.close()


def test_replica_logs_in_as_masteruser(start_node: Any) -> None:
    from replication_helpers import in_sync, start_repl_node, start_replica

    primary = start_repl_node(start_node, "--requirepass", "s3cret")
    p = primary.client(password="s3cret")
    p.execute_command("ACL", "SETUSER", "repl", "on", ">rpw", "+@all")
    # A restricted default user: the replica's stream is applied unchecked all the same.
    replica = start_replica(start_node, primary, "--masteruser", "repl", "--masterauth", "rpw",
                            "--user", "default", "on", "nopass", "~*", "&*", "+@all", "-set")
    p.set("k", "v")
    r = replica.client()
    wait_until(lambda: in_sync(p, r), 20, "the sync as user repl")
    assert r.get("k") == b"v"
