"""Configuration directives, as redis-server has them: one table, three ways in.

Every directive is declared once in `DIRECTIVES` (name, kind, default, limits). The same table
parses a redis.conf-syntax file, `--name value` command-line flags, and `CONFIG GET/SET`, with
Redis's error wording. Directives are grouped by what slotkv does with them:

- `live`: read by the server; changing one at runtime takes effect (listeners).
- `tuning`: Redis internals slotkv has no counterpart for (encodings thresholds, I/O threads,
  jemalloc, defrag). Accepted and stored so a user's redis.conf loads; they change no reply.
- `fixed`: features this version does not have yet (TLS, active defrag). Only the
  default value is accepted; anything else is refused with a clear error rather than silently
  ignored.

A few defaults differ from redis-server's on purpose (`redis_default` records Redis's), e.g.
`cluster-node-timeout` (2000 ms rather than 15000: the coordinator fails over a dead primary
after it, and slotkv promises a failover within seconds). A few directives are slotkv's own
(`slotkv_only`), e.g. `cluster-coordinator host:port`, where a cluster node finds the
coordinator that holds the topology (node/cluster.py); Redis nodes gossip instead.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from node import notify
from node.codec import split_args


class ConfigError(Exception):
    """A value a directive cannot take; the message is Redis's reason text."""


@dataclass(slots=True)
class Directive:
    name: str
    kind: str  # bool int memory mempct enum string notify proctitle hostname save bind oom cobl percentiles
    default: Any
    group: str = "live"  # live | tuning | fixed
    lo: int = 0
    hi: int = 2**63 - 1
    choices: tuple[str, ...] = ()
    immutable: bool = False
    aliases: tuple[str, ...] = ()
    clamp: tuple[int, int] | None = None  # accepted, then held within (hz: 1..500)
    protected: bool = False  # settable at runtime only with enable-protected-configs
    refusal: str = ""  # a fixed directive's reason for refusing other values, if not the usual
    hidden: bool = False  # a testing knob CONFIG GET shows only when asked for by exact name
    slotkv_only: bool = False  # not a redis-server directive (CONFIG GET * shows it anyway)
    # Where slotkv's default differs from redis-server 7.0's on purpose: Redis's default.
    redis_default: Any = None

    @property
    def multi_arg(self) -> bool:
        return self.kind in MULTI_ARG_KINDS

    def parse(self, args: list[str]) -> Any:
        """A value from its words (a directive may take several, e.g. `save 60 10 300 1`)."""
        if self.multi_arg:
            # One word is split on single spaces, as CONFIG SET and `--save "60 10"` give it.
            raw: Any = (args[0].split(" ") if args[0] else []) if len(args) == 1 else list(args)
        elif len(args) != 1:
            raise ConfigError("wrong number of arguments")
        else:
            raw = args[0]
        value = _PARSERS[self.kind](self, raw)
        if self.clamp is not None:
            value = max(self.clamp[0], min(self.clamp[1], value))
        if self.group == "fixed" and value != self.default:
            raise ConfigError(self.refusal or f"'{self.name}' cannot be changed in this slotkv version")
        return value

    def format(self, value: Any) -> str:
        return _FORMATTERS.get(self.kind, str)(value)


def _parse_bool(d: Directive, raw: str) -> bool:
    low = raw.lower()
    if low in ("yes", "no"):
        return low == "yes"
    raise ConfigError("argument must be 'yes' or 'no'")


_INT_RE = re.compile(r"(?:-?[1-9][0-9]{0,18}|0)\Z")


def _parse_int(d: Directive, raw: str) -> int:
    # string2ll: no sign `+`, no spaces, no leading zeros, 64-bit range.
    if not _INT_RE.match(raw) or not -(2**63) <= int(raw) < 2**63:
        raise ConfigError("argument couldn't be parsed into an integer")
    return _bounded(d, int(raw))


def _parse_memory(d: Directive, raw: str) -> int:
    value = parse_memory(raw)
    if value is None:
        raise ConfigError("argument must be a memory value")
    return _bounded(d, _signed(d, value))


def _signed(d: Directive, value: int) -> int:
    # A signed (long long) directive reads memtoull's result as two's complement, as Redis.
    return value - 2**64 if d.hi < 2**63 and value >= 2**63 else value


def _parse_memory_percent(d: Directive, raw: str) -> int:
    """A memory value or `N%` of maxmemory, stored as -N (maxmemory-clients)."""
    if len(raw) > 1 and raw.endswith("%") and _INT_RE.match(raw[:-1]) and int(raw[:-1]) >= 0:
        value = -int(raw[:-1])
    else:
        parsed = parse_memory(raw)
        if parsed is None:
            raise ConfigError("argument must be a memory or percent value")
        value = _signed(d, parsed)
    if value < 0:  # a percentage, stored negated
        if value < d.lo:
            raise ConfigError(f"percentage argument must be less or equal to {-d.lo}")
        return value
    return _bounded(d, value)


def _format_memory_percent(value: int) -> str:
    return f"{-value}%" if value < 0 else str(value)


def _bounded(d: Directive, value: int) -> int:
    if not d.lo <= value <= d.hi:
        raise ConfigError(f"argument must be between {d.lo} and {d.hi} inclusive")
    return value


def _parse_enum(d: Directive, raw: str) -> str:
    low = raw.lower()
    if low not in d.choices:
        raise ConfigError(
            "argument(s) must be one of the following: " + ", ".join(d.choices)
        )
    return _ENUM_SYNONYMS.get((d.name, low), low)


# Enum words that share a value with an earlier word, which is what Redis prints back.
_ENUM_SYNONYMS = {("oom-score-adj", "relative"): "yes"}


def _parse_save(d: Directive, words: list[str]) -> tuple[tuple[int, int], ...]:
    if len(words) % 2:
        raise ConfigError("Invalid save parameters")
    values = [_strtoll(w) for w in words]
    pairs = tuple((values[i], values[i + 1]) for i in range(0, len(values), 2))
    if any(s is None or c is None or s < 1 or c < 0 for s, c in pairs):
        raise ConfigError("Invalid save parameters")
    return pairs  # type: ignore[return-value]


NOTIFY_CLASSES = "g$lshzxetdnKEmA"
_NOTIFY_ALL = "g$lshzxetd"


def _parse_hostname(d: Directive, raw: str) -> str:
    if len(raw) >= 256:
        raise ConfigError("Hostnames must be less than 256 characters")
    if re.search(r"[^A-Za-z0-9.-]", raw):
        raise ConfigError("Hostnames may only contain alphanumeric characters, hyphens or dots")
    return raw


class KeyspaceEvents(str):
    """notify-keyspace-events as Redis prints it back, and the event classes it turns on
    (`flags`, node/notify.py): the text alone can lose one, `An` printing as `A`."""

    flags: int

    def __new__(cls, text: str, flags: int) -> "KeyspaceEvents":
        value = super().__new__(cls, text)
        value.flags = flags
        return value


def _parse_notify(d: Directive, raw: str) -> str:
    """notify-keyspace-events, normalised as Redis prints it back (`KEA` -> `AKE`)."""
    if any(c not in NOTIFY_CLASSES for c in raw):
        raise ConfigError("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")
    flags = set(raw.replace("A", _NOTIFY_ALL))
    if all(c in flags for c in _NOTIFY_ALL):
        out = "A"  # Redis prints `n` only outside `A`, so `An` reads back as `A`
    else:
        out = "".join(c for c in "g$lshzxetdn" if c in flags)
    return KeyspaceEvents(out + "".join(c for c in "KEm" if c in flags), notify.flags_of(raw))


# Redis validates against placeholder values: only {title} and {server-mode} can be blank.
_PROC_TITLE_VARS = {"title": "", "listen-addr": "*:6379", "server-mode": "", "port": "6379",
                    "tls-port": "0", "unixsocket": "x", "config-file": "x"}


def _parse_proc_title(d: Directive, raw: str) -> str:
    # validateProcTitleTemplate: known {variables}, `{{` for a brace, not blank once expanded.
    out, i = [], 0
    while i < len(raw):
        start = raw.find("{", i)
        if start < 0:
            out.append(raw[i:])
            break
        out.append(raw[i:start])
        if start + 1 >= len(raw):
            raise ConfigError("template format is invalid or contains unknown variables")
        if raw[start + 1] == "{":
            out.append("{")
            i = start + 2
            continue
        end = raw.find("}", start + 1)
        if end < 0 or raw[start + 1:end] not in _PROC_TITLE_VARS:
            raise ConfigError("template format is invalid or contains unknown variables")
        out.append(_PROC_TITLE_VARS[raw[start + 1:end]])
        i = end + 1
    if not "".join(out).strip(" "):
        raise ConfigError("template format is invalid or contains unknown variables")
    return raw


def _parse_filename(d: Directive, raw: str) -> str:
    # pathIsBaseName: the file goes in `dir`; a path would escape it.
    if "/" in raw or "\\" in raw:
        raise ConfigError(f"{d.name} can't be a path, just a filename")
    return raw


def _parse_words(d: Directive, words: list[str]) -> tuple[str, ...]:
    return tuple(words)


def _parse_replicaof(d: Directive, words: list[str]) -> str:
    """`replicaof <host> <port>` (or `no one`), kept as Redis prints it back: "host port"."""
    if not words:
        return ""
    if len(words) != 2:
        raise ConfigError("wrong number of arguments")
    host, port = words
    if host.lower() == "no" and port.lower() == "one":
        return ""
    value = _strtoll(port)
    if value is None or not 0 <= value <= 65535:
        raise ConfigError("Invalid master port")
    return f"{host} {value}"


def _strtoll(word: str) -> int | None:
    # strtoll with the whole word consumed: leading blanks and a sign are allowed, and an
    # empty word reads as 0 (CONFIG SET splits on single spaces, so "0  200" has one).
    m = re.fullmatch(r"[ \t\n\v\f\r]*([-+]?[0-9]*)", word)
    if m is None or m.group(1) in ("-", "+"):
        return None
    return int(m.group(1) or "0")


def _parse_oom(d: Directive, words: list[str]) -> tuple[int, ...]:
    if len(words) != 3:
        raise ConfigError("wrong number of arguments")
    values = tuple(_strtoll(w) for w in words)
    if any(v is None or not -2000 <= v <= 2000 for v in values):
        raise ConfigError("Invalid oom-score-adj-values, elements must be between -2000 and 2000.")
    return values  # type: ignore[return-value]


_DOUBLE_RE = re.compile(r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?\Z")


def _parse_percentiles(d: Directive, words: list[str]) -> tuple[float, ...]:
    values = []
    for w in words:
        if not _DOUBLE_RE.match(w):
            raise ConfigError("Invalid latency-tracking-info-percentiles parameters")
        v = float(w)
        if not 0.0 <= v <= 100.0:
            raise ConfigError(
                "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]")
        values.append(v)
    return tuple(values)


CLIENT_CLASSES = ("normal", "replica", "pubsub")


def _parse_cobl(d: Directive, words: list[str]) -> dict[str, tuple[int, int, int]]:
    """client-output-buffer-limit: `<class> <hard> <soft> <soft seconds>` groups."""
    # Only the classes named; Config.apply merges them into the current limits, as Redis
    # leaves the other classes alone. An empty value changes nothing, as in Redis.
    if not words:
        return {}
    if len(words) % 4:
        raise ConfigError("Wrong number of arguments in buffer limit configuration.")
    given: dict[str, tuple[int, int, int]] = {}
    for i in range(0, len(words), 4):
        cls = words[i].lower()
        if cls == "slave":
            cls = "replica"
        if cls not in CLIENT_CLASSES:
            raise ConfigError("Invalid client class specified in buffer limit configuration.")
        hard, soft = parse_memory(words[i + 1]), parse_memory(words[i + 2])
        secs = _strtoll(words[i + 3])
        if hard is None or soft is None or secs is None or secs < 0:
            raise ConfigError("Error in hard, soft or soft_seconds setting in buffer limit configuration.")
        given[cls] = (hard, soft, secs)
    return given


def _format_cobl(value: dict[str, tuple[int, int, int]]) -> str:
    names = {"normal": "normal", "replica": "slave", "pubsub": "pubsub"}
    return " ".join(f"{names[c]} {h} {s} {t}" for c, (h, s, t) in value.items())


def _format_percentiles(values: tuple[float, ...]) -> str:
    return " ".join(format_percentile(v) for v in values)


def format_percentile(v: float) -> str:
    """`%f` without trailing zeros, as Redis prints percentiles (99.9, 50, 0.0001)."""
    text = "%f" % v
    return text.rstrip("0").rstrip(".") if "." in text else text


_PARSERS: dict[str, Callable[[Directive, Any], Any]] = {
    "bool": _parse_bool, "int": _parse_int, "memory": _parse_memory, "enum": _parse_enum,
    "string": lambda d, raw: raw, "filename": _parse_filename, "save": _parse_save, "bind": _parse_words,
    "oom": _parse_oom, "cobl": _parse_cobl, "percentiles": _parse_percentiles,
    "mempct": _parse_memory_percent, "notify": _parse_notify, "proctitle": _parse_proc_title,
    "hostname": _parse_hostname, "replicaof": _parse_replicaof,
}
MULTI_ARG_KINDS = frozenset(("save", "bind", "oom", "cobl", "percentiles", "replicaof"))
_FORMATTERS: dict[str, Callable[[Any], str]] = {
    "bool": lambda v: "yes" if v else "no",
    "save": lambda v: " ".join(f"{s} {c}" for s, c in v),
    "bind": " ".join,
    "oom": lambda v: " ".join(map(str, v)),
    "cobl": _format_cobl,
    "percentiles": _format_percentiles,
    "mempct": _format_memory_percent,
}

_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1024, "m": 1000**2, "mb": 1024**2,
          "g": 1000**3, "gb": 1024**3}


def parse_memory(raw: str) -> int | None:
    """Redis's memtoull: `100`, `1k` (1000), `1kb` (1024), `5mb`, `2gb`; None if invalid.

    As memtoull: no sign, leading zeros allowed, no digits reads as 0 (`kb`), a number past
    2**64-1 saturates, and an overflowing product is an error.
    """
    i = 0
    while i < len(raw) and raw[i] in "0123456789":
        i += 1
    mul = _UNITS.get(raw[i:].lower())
    if mul is None:
        return None
    value = min(int(raw[:i] or "0"), 2**64 - 1)
    if value > (2**64 - 1) // mul:
        return None
    return value * mul


COBL_DEFAULT = {
    "normal": (0, 0, 0),
    "replica": (256 * 1024**2, 64 * 1024**2, 60),
    "pubsub": (32 * 1024**2, 8 * 1024**2, 60),
}

ENUMS = {
    "loglevel": ("debug", "verbose", "notice", "warning"),
    "appendfsync": ("everysec", "always", "no"),
    "oom-score-adj": ("no", "yes", "relative", "absolute"),
    "tls-auth-clients": ("no", "yes", "optional"),
    "maxmemory-policy": ("volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
                         "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"),
    "supervised": ("upstart", "systemd", "auto", "no"),
    "syslog-facility": ("user", "local0", "local1", "local2", "local3", "local4", "local5",
                        "local6", "local7"),
    "repl-diskless-load": ("disabled", "on-empty-db", "swapdb"),
    "cluster-preferred-endpoint-type": ("ip", "hostname", "unknown-endpoint"),
    "propagation-error-behavior": ("ignore", "panic", "panic-on-replicas"),
    "shutdown-on-sigint": ("default", "save", "nosave", "now", "force"),
    "shutdown-on-sigterm": ("default", "save", "nosave", "now", "force"),
    "acl-pubsub-default": ("allchannels", "resetchannels"),
    "enable-protected-configs": ("no", "yes", "local"),
    "enable-debug-command": ("no", "yes", "local"),
    "enable-module-command": ("no", "yes", "local"),
    "sanitize-dump-payload": ("no", "yes", "clients"),
}

G = 2**63 - 1
U32 = 2**32 - 1

# name, kind, default, group, extra — the whole redis 7.0 directive set.
_TABLE: list[tuple] = [
    # served by slotkv now
    ("port", "int", 6379, "live", dict(hi=65535, immutable=True)),
    ("bind", "bind", ("*", "-::*"), "live", dict(immutable=True)),
    ("requirepass", "string", "", "live", {}),
    ("maxclients", "int", 10000, "live", dict(lo=1, hi=U32)),
    ("dir", "string", "", "live", dict(protected=True)),
    ("logfile", "string", "", "live", dict(immutable=True)),
    ("loglevel", "enum", "notice", "live", {}),
    ("databases", "int", 16, "live", dict(lo=1, hi=2**31 - 1, immutable=True)),
    ("timeout", "int", 0, "live", dict(hi=2**31 - 1)),
    ("tcp-keepalive", "int", 300, "live", dict(hi=2**31 - 1)),
    ("tcp-backlog", "int", 511, "live", dict(hi=2**31 - 1, immutable=True)),
    ("proto-max-bulk-len", "memory", 512 * 1024**2, "live", dict(lo=1024**2, hi=G)),
    ("client-query-buffer-limit", "memory", 1024**3, "live", dict(lo=1024**2, hi=G)),
    ("client-output-buffer-limit", "cobl", COBL_DEFAULT, "live", {}),
    ("slowlog-log-slower-than", "int", 10000, "live", dict(lo=-1, hi=G)),
    ("slowlog-max-len", "int", 128, "live", dict(hi=G)),
    # the append-only file (node/aof.py)
    ("appendonly", "bool", False, "live", {}),
    ("appendfsync", "enum", "everysec", "live", {}),
    ("appendfilename", "filename", "appendonly.aof", "live", dict(immutable=True)),
    ("appenddirname", "string", "appendonlydir", "live", dict(immutable=True)),
    ("auto-aof-rewrite-percentage", "int", 100, "live", dict(hi=2**31 - 1)),
    ("auto-aof-rewrite-min-size", "memory", 64 * 1024**2, "live", dict(hi=G)),
    ("aof-load-truncated", "bool", True, "live", {}),
    ("latency-monitor-threshold", "int", 0, "live", dict(hi=G)),
    ("latency-tracking", "bool", True, "live", {}),
    ("latency-tracking-info-percentiles", "percentiles", (50.0, 99.0, 99.9), "live", {}),
    ("hz", "int", 10, "live", dict(lo=0, hi=2**31 - 1, clamp=(1, 500))),
    ("daemonize", "bool", False, "live", dict(immutable=True)),
    ("pidfile", "string", "", "live", dict(immutable=True)),
    ("enable-debug-command", "enum", "no", "live", dict(immutable=True)),
    ("protected-mode", "bool", True, "live", {}),
    ("active-expire-effort", "int", 1, "live", dict(lo=1, hi=10)),
    ("always-show-logo", "bool", False, "live", dict(immutable=True)),
    ("set-proc-title", "bool", True, "live", dict(immutable=True)),
    ("proc-title-template", "proctitle", "{title} {listen-addr} {server-mode}", "live", {}),
    ("shutdown-timeout", "int", 10, "live", dict(hi=2**31 - 1)),
    ("shutdown-on-sigint", "enum", "default", "live", {}),
    ("shutdown-on-sigterm", "enum", "default", "live", {}),
    ("maxmemory", "memory", 0, "live", dict(hi=2**64 - 1)),
    ("maxmemory-policy", "enum", "noeviction", "live", {}),
    ("lfu-log-factor", "int", 10, "live", dict(hi=2**31 - 1)),
    ("lfu-decay-time", "int", 1, "live", dict(hi=2**31 - 1)),
    ("busy-reply-threshold", "int", 5000, "live", dict(hi=G, aliases=("lua-time-limit",))),
    ("cluster-enabled", "bool", False, "live", dict(immutable=True)),
    ("cluster-config-file", "string", "nodes.conf", "live", dict(immutable=True)),
    ("cluster-node-timeout", "int", 2000, "live", dict(hi=G, redis_default=15000)),
    ("cluster-port", "int", 0, "live", dict(hi=65535, immutable=True)),
    ("cluster-announce-ip", "string", "", "live", {}),
    ("cluster-announce-hostname", "hostname", "", "live", {}),
    ("cluster-announce-port", "int", 0, "live", dict(hi=65535)),
    ("cluster-announce-bus-port", "int", 0, "live", dict(hi=65535)),
    ("cluster-require-full-coverage", "bool", True, "live", {}),
    ("cluster-allow-reads-when-down", "bool", False, "live", {}),
    ("cluster-preferred-endpoint-type", "enum", "ip", "live", {}),
    ("cluster-coordinator", "string", "", "live", dict(immutable=True, slotkv_only=True)),
    # RDB snapshots (node/snapshot.py)
    ("save", "save", ((3600, 1), (300, 100), (60, 10000)), "live", {}),
    ("dbfilename", "filename", "dump.rdb", "live", dict(protected=True)),
    ("rdbcompression", "bool", True, "live", {}),
    ("rdbchecksum", "bool", True, "live", dict(immutable=True)),
    ("rdb-del-sync-files", "bool", False, "live", {}),
    ("stop-writes-on-bgsave-error", "bool", True, "live", {}),
    ("rdb-key-save-delay", "int", 0, "live", dict(lo=-(2**31), hi=2**31 - 1, hidden=True)),
    ("syslog-enabled", "bool", False, "tuning", dict(immutable=True)),
    ("syslog-ident", "string", "redis", "tuning", dict(immutable=True)),
    ("syslog-facility", "enum", "local0", "tuning", dict(immutable=True)),
    ("supervised", "enum", "no", "tuning", dict(immutable=True)),
    ("unixsocket", "string", "", "tuning", dict(immutable=True)),
    ("unixsocketperm", "int", 0, "tuning", dict(hi=0o777, immutable=True)),
    ("crash-log-enabled", "bool", True, "tuning", {}),
    ("crash-memcheck-enabled", "bool", True, "tuning", {}),
    ("enable-protected-configs", "enum", "no", "tuning", dict(immutable=True)),
    ("enable-module-command", "enum", "no", "tuning", dict(immutable=True)),
    ("io-threads", "int", 1, "tuning", dict(lo=1, hi=128, immutable=True)),
    ("io-threads-do-reads", "bool", False, "tuning", dict(immutable=True)),
    ("jemalloc-bg-thread", "bool", True, "tuning", {}),
    ("disable-thp", "bool", True, "tuning", dict(immutable=True)),
    ("oom-score-adj", "enum", "no", "tuning", {}),
    ("oom-score-adj-values", "oom", (0, 200, 800), "tuning", {}),
    ("activerehashing", "bool", True, "tuning", {}),
    ("dynamic-hz", "bool", True, "tuning", {}),
    ("activedefrag", "bool", False, "fixed", dict(refusal=(
        "Active defragmentation cannot be enabled: it requires a Redis server compiled with a "
        "modified Jemalloc like the one shipped by default with the Redis source distribution"))),
    ("active-defrag-ignore-bytes", "memory", 100 * 1024**2, "tuning", dict(lo=1, hi=G)),
    ("active-defrag-threshold-lower", "int", 10, "tuning", dict(hi=1000)),
    ("active-defrag-threshold-upper", "int", 100, "tuning", dict(hi=1000)),
    ("active-defrag-cycle-min", "int", 1, "tuning", dict(lo=1, hi=99)),
    ("active-defrag-cycle-max", "int", 25, "tuning", dict(lo=1, hi=99)),
    ("active-defrag-max-scan-fields", "int", 1000, "tuning", dict(lo=1, hi=G)),
    ("lazyfree-lazy-eviction", "bool", False, "live", {}),
    ("lazyfree-lazy-expire", "bool", False, "live", {}),
    ("lazyfree-lazy-server-del", "bool", False, "tuning", {}),
    ("lazyfree-lazy-user-del", "bool", False, "tuning", {}),
    ("lazyfree-lazy-user-flush", "bool", False, "tuning", {}),
    ("hash-max-listpack-entries", "int", 512, "tuning", dict(hi=G, aliases=("hash-max-ziplist-entries",))),
    ("hash-max-listpack-value", "memory", 64, "tuning", dict(hi=G, aliases=("hash-max-ziplist-value",))),
    ("list-max-listpack-size", "int", -2, "tuning", dict(lo=-(2**31), hi=2**31 - 1, aliases=("list-max-ziplist-size",))),
    ("list-compress-depth", "int", 0, "tuning", dict(hi=2**31 - 1)),
    ("set-max-intset-entries", "int", 512, "tuning", dict(hi=G)),
    ("zset-max-listpack-entries", "int", 128, "tuning", dict(hi=G, aliases=("zset-max-ziplist-entries",))),
    ("zset-max-listpack-value", "memory", 64, "tuning", dict(hi=G, aliases=("zset-max-ziplist-value",))),
    ("hll-sparse-max-bytes", "memory", 3000, "tuning", dict(hi=G)),
    ("stream-node-max-bytes", "memory", 4096, "tuning", dict(hi=G)),
    ("stream-node-max-entries", "int", 100, "tuning", dict(hi=G)),
    ("tracking-table-max-keys", "int", 1000000, "tuning", dict(hi=G)),
    ("acllog-max-len", "int", 128, "live", dict(hi=G)),
    ("acl-pubsub-default", "enum", "resetchannels", "live", {}),
    ("aclfile", "string", "", "live", dict(immutable=True)),
    ("maxmemory-samples", "int", 5, "live", dict(lo=1, hi=2**31 - 1)),
    ("maxmemory-eviction-tenacity", "int", 10, "live", dict(hi=100)),
    ("maxmemory-clients", "mempct", 0, "tuning", dict(lo=-100, hi=G)),
    ("socket-mark-id", "int", 0, "tuning", dict(hi=U32, immutable=True)),
    ("bind-source-addr", "string", "", "tuning", {}),
    ("server_cpulist", "string", "", "tuning", dict(immutable=True)),
    ("bio_cpulist", "string", "", "tuning", dict(immutable=True)),
    ("aof_rewrite_cpulist", "string", "", "tuning", dict(immutable=True)),
    ("bgsave_cpulist", "string", "", "tuning", dict(immutable=True)),
    ("ignore-warnings", "string", "", "tuning", {}),
    ("sanitize-dump-payload", "enum", "no", "tuning", {}),
    ("rdb-save-incremental-fsync", "bool", True, "tuning", {}),
    ("aof-rewrite-incremental-fsync", "bool", True, "live", {}),
    ("aof-use-rdb-preamble", "bool", True, "live", {}),
    ("aof-timestamp-enabled", "bool", False, "live", {}),
    ("aof-disable-auto-gc", "bool", False, "live", {}),
    ("no-appendfsync-on-rewrite", "bool", False, "live", {}),
    ("repl-diskless-sync", "bool", True, "tuning", {}),
    ("repl-diskless-sync-delay", "int", 5, "tuning", dict(hi=2**31 - 1)),
    ("repl-diskless-sync-max-replicas", "int", 0, "tuning", dict(hi=2**31 - 1)),
    ("repl-diskless-load", "enum", "disabled", "tuning", {}),
    ("repl-disable-tcp-nodelay", "bool", False, "tuning", {}),
    ("repl-ping-replica-period", "int", 10, "live", dict(lo=1, hi=2**31 - 1, aliases=("repl-ping-slave-period",))),
    ("repl-timeout", "int", 60, "live", dict(lo=1, hi=2**31 - 1)),
    ("repl-backlog-ttl", "int", 3600, "live", dict(hi=G)),
    ("replica-serve-stale-data", "bool", True, "live", dict(aliases=("slave-serve-stale-data",))),
    ("replica-lazy-flush", "bool", False, "tuning", dict(aliases=("slave-lazy-flush",))),
    ("replica-priority", "int", 100, "live", dict(hi=2**31 - 1, aliases=("slave-priority",))),
    ("replica-announced", "bool", True, "live", {}),
    ("replica-announce-ip", "string", "", "live", dict(aliases=("slave-announce-ip",))),
    ("replica-announce-port", "int", 0, "live", dict(hi=65535, aliases=("slave-announce-port",))),
    ("replica-ignore-maxmemory", "bool", True, "live", dict(aliases=("slave-ignore-maxmemory",))),
    ("replica-ignore-disk-write-errors", "bool", False, "tuning", {}),
    ("propagation-error-behavior", "enum", "ignore", "tuning", {}),
    ("cluster-announce-tls-port", "int", 0, "tuning", dict(hi=65535)),
    ("cluster-migration-barrier", "int", 1, "tuning", dict(hi=2**31 - 1)),
    ("cluster-replica-validity-factor", "int", 10, "tuning", dict(hi=2**31 - 1, aliases=("cluster-slave-validity-factor",))),
    ("cluster-replica-no-failover", "bool", False, "tuning", dict(aliases=("cluster-slave-no-failover",))),
    ("cluster-allow-pubsubshard-when-down", "bool", True, "tuning", {}),
    ("cluster-allow-replica-migration", "bool", True, "tuning", {}),
    ("cluster-link-sendbuf-limit", "memory", 0, "tuning", dict(hi=2**64 - 1)),
    ("tls-session-caching", "bool", True, "tuning", {}),
    ("tls-session-cache-size", "int", 20480, "tuning", dict(hi=2**31 - 1)),
    ("tls-session-cache-timeout", "int", 300, "tuning", dict(hi=2**31 - 1)),
    ("tls-prefer-server-ciphers", "bool", False, "tuning", {}),
    ("tls-auth-clients", "enum", "yes", "live", {}),
    ("tls-protocols", "string", "", "tuning", {}),
    ("tls-ciphers", "string", "", "tuning", {}),
    ("tls-ciphersuites", "string", "", "tuning", {}),
    ("tls-ca-cert-dir", "string", "", "tuning", {}),
    ("tls-ca-cert-file", "string", "", "live", {}),
    ("tls-dh-params-file", "string", "", "tuning", {}),
    ("tls-client-cert-file", "string", "", "live", {}),
    ("tls-client-key-file", "string", "", "live", {}),
    ("tls-client-key-file-pass", "string", "", "tuning", {}),
    ("tls-cert-file", "string", "", "live", {}),
    ("tls-key-file", "string", "", "live", {}),
    ("tls-key-file-pass", "string", "", "tuning", {}),
    ("notify-keyspace-events", "notify", KeyspaceEvents("", 0), "live", {}),
    # replication (replication/): REPLICAOF changes `replicaof` at runtime
    ("replicaof", "replicaof", "", "live", dict(aliases=("slaveof",), immutable=True)),
    ("masterauth", "string", "", "live", {}),
    ("masteruser", "string", "", "live", {}),
    ("replica-read-only", "bool", True, "live", dict(aliases=("slave-read-only",))),
    # 16 MB where Redis 7.0 has 1 MB: the backlog is what lets a replica come back without a
    # snapshot, and a Python node's snapshot costs more than Redis's.
    ("repl-backlog-size", "memory", 16 * 1024**2, "live", dict(lo=1, hi=G, redis_default=1024**2)),
    ("min-replicas-to-write", "int", 0, "live", dict(hi=2**31 - 1, aliases=("min-slaves-to-write",))),
    ("min-replicas-max-lag", "int", 10, "live", dict(hi=2**31 - 1, aliases=("min-slaves-max-lag",))),
    ("tls-replication", "bool", False, "live", {}),
    # slotkv's own: the gRPC replication listener (0: the client port + 10000), and the
    # primary's, for a replica whose primary does not use that default.
    ("replication-port", "int", 0, "live", dict(hi=65535, immutable=True, slotkv_only=True)),
    ("master-replication-port", "int", 0, "live", dict(hi=65535, slotkv_only=True)),
    # features that land in later versions: only their defaults are accepted
    ("tls-port", "int", 0, "fixed", dict(hi=65535)),
    ("tls-cluster", "bool", False, "fixed", {}),
]


def _build() -> dict[str, Directive]:
    table: dict[str, Directive] = {}
    for name, kind, default, group, extra in _TABLE:
        d = Directive(name, kind, default, group, choices=ENUMS.get(name, ()), **extra)
        if kind == "enum" and not d.choices:
            d.choices = ("yes", "no")
        table[name] = d
        for alias in d.aliases:
            table[alias] = d
    return table


DIRECTIVES: dict[str, Directive] = _build()


@dataclass
class Config:
    """The running values of every directive, plus who to tell when one changes."""

    values: dict[str, Any] = field(default_factory=lambda: {
        d.name: d.default for d in DIRECTIVES.values()})
    file: str | None = None
    listeners: dict[str, list[Callable[[Any], None]]] = field(default_factory=dict)
    _save_read: bool = False  # a `save` line was read at start (later ones add points)
    # `user` lines of the file (name and rules), loaded by node/acl.py; CONFIG REWRITE
    # writes what `user_lines` gives (the ACL's users, none with an aclfile).
    users: list[list[str]] = field(default_factory=list)
    user_lines: Callable[[], list[str]] | None = None

    def __getitem__(self, name: str) -> Any:
        return self.values[DIRECTIVES[name].name]

    def set(self, name: str, args: list[str], at_start: bool = False) -> None:
        d = DIRECTIVES.get(name.lower())
        if d is None:
            raise KeyError(name)
        if d.immutable and not at_start:
            raise ConfigError("can't set immutable config")
        value = d.parse(args)
        if d.kind == "save" and at_start:
            # As redis.conf: the file's first `save` line replaces the default, each later
            # one adds its points, and `save ""` clears them.
            if self._save_read and value:
                value = self.values[d.name] + value
            self._save_read = True
        self.apply(d.name, value)

    def apply(self, name: str, value: Any) -> None:
        """Store an already parsed value and tell the listeners (who may refuse it)."""
        d = DIRECTIVES[name]
        if d.kind == "cobl":
            value = {**self.values[d.name], **value}
        self.values[d.name] = value
        for fn in self.listeners.get(d.name, ()):
            fn(value)

    def listen(self, name: str, fn: Callable[[Any], None]) -> None:
        self.listeners.setdefault(DIRECTIVES[name].name, []).append(fn)

    def get_matching(self, patterns: list[str]) -> dict[str, str]:
        """CONFIG GET: every directive (and alias) any glob pattern matches, formatted."""
        from node.glob import glob_match

        out: dict[str, str] = {}
        for name, d in DIRECTIVES.items():
            if name in out or d.hidden:
                continue
            for pat in patterns:
                if glob_match(pat.encode(), name.encode(), nocase=True):
                    out[name] = d.format(self.values[d.name])
                    break
        return out

    def rewrite(self) -> None:
        """CONFIG REWRITE, as Redis's rewriteConfig.

        Every line of the file stays where it is; a directive's first line takes its current
        value (aliases become the canonical name) and its repeats become blank lines. Settings
        not in the file that differ from their defaults (and `save`, `dir`,
        `latency-tracking-info-percentiles`, which Redis always writes) are appended after a
        `# Generated by CONFIG REWRITE` line.
        """
        if not self.file:
            raise ConfigError("The server is running without a config file")
        try:
            with open(self.file) as f:
                lines = f.read().split("\n")
        except FileNotFoundError:
            lines = []
        if lines and lines[-1] == "":
            lines.pop()
        by_option: dict[str, list[int]] = {}
        user_slots: list[int] = []
        has_tail = REWRITE_SIGNATURE in lines
        for i, line in enumerate(lines):
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            words = split_args(stripped.encode())
            d = DIRECTIVES.get(words[0].decode("utf-8", "replace").lower()) if words else None
            if d is not None:
                by_option.setdefault(d.name, []).append(i)
            elif words and words[0].lower() == b"user":
                user_slots.append(i)
        appended: list[str] = []
        for d in {d.name: d for d in DIRECTIVES.values()}.values():
            slots = by_option.pop(d.name, [])
            for text, force in self._rewrite_lines(d):
                if slots:
                    lines[slots.pop(0)] = text
                elif force:
                    appended.append(text)
            for i in slots:
                lines[i] = ""  # an orphaned repeat of this directive
        for text in self.user_lines() if self.user_lines is not None else ():
            if user_slots:
                lines[user_slots.pop(0)] = text
            else:
                appended.append(text)
        for i in user_slots:
            lines[i] = ""
        if appended:
            if not has_tail:
                if lines and lines[-1].strip():
                    lines.append("")
                lines.append(REWRITE_SIGNATURE)
            lines.extend(appended)
        tmp = self.file + ".tmp"
        with open(tmp, "w") as f:
            f.write("\n".join(lines) + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.file)

    def _rewrite_lines(self, d: Directive) -> list[tuple[str, bool]]:
        """The lines `d` rewrites to, each with whether it must be written if not in the file."""
        value = self.values[d.name]
        differs = value != d.default
        if d.name == "dir":
            return [(f"dir {repr_quote(os.getcwd())}", True)]
        if d.kind == "save":
            if not value:
                return [('save ""', True)]
            return [(f"save {s} {c}", True) for s, c in value]
        if d.kind == "replicaof":  # a primary has no line at all
            return [(f"{d.name} {value}", True)] if value else []
        if d.kind == "percentiles":
            return [(f"{d.name} {d.format(value)}" if value else f'{d.name} ""', True)]
        if d.kind == "cobl":
            names = {"normal": "normal", "replica": "slave", "pubsub": "pubsub"}
            return [(f"{d.name} {names[c]} {format_memory(h)} {format_memory(s)} {t}",
                     (h, s, t) != COBL_DEFAULT[c]) for c, (h, s, t) in value.items()]
        if d.kind in ("string", "filename", "notify", "proctitle", "hostname"):
            return [(f"{d.name} {repr_quote(value)}", differs)]
        if d.kind == "memory":
            return [(f"{d.name} {format_memory(value)}", differs)]
        if d.kind == "mempct":
            text = f"{-value}%" if value < 0 else format_memory(value)
            return [(f"{d.name} {text}", differs)]
        return [(f"{d.name} {d.format(value)}", differs)]


REWRITE_SIGNATURE = "# Generated by CONFIG REWRITE"


def format_memory(n: int) -> str:
    """rewriteConfigFormatMemory: the largest of gb/mb/kb that divides `n` exactly."""
    for unit, size in (("gb", 1024**3), ("mb", 1024**2), ("kb", 1024)):
        if n and n % size == 0:
            return f"{n // size}{unit}"
    return str(n)


def repr_quote(text: str) -> str:
    """sdscatrepr: a double-quoted string with C escapes, readable back by split_args."""
    out = ['"']
    for b in text.encode("utf-8", "surrogateescape"):
        c = chr(b)
        if c in '\\"':
            out.append("\\" + c)
        elif c in _REPR_ESCAPES:
            out.append(_REPR_ESCAPES[c])
        elif 32 <= b < 127:
            out.append(c)
        else:
            out.append("\\x%02x" % b)
    out.append('"')
    return "".join(out)


_REPR_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\a": "\\a", "\b": "\\b"}


class StartupError(Exception):
    """A configuration problem found at start; printed as Redis's FATAL CONFIG FILE ERROR."""


def load(file: str | None, args: list[str]) -> Config:
    """The configuration from an optional redis.conf file and `--name value ...` flags.

    As redis-server does, the flags are appended to the file's text, so they override it and
    errors point at a line number either way.
    """
    config = Config(file=os.path.abspath(file) if file else None)
    text = ""
    if file:
        try:
            with open(file) as f:
                text = f.read()
        except OSError as e:
            raise StartupError(f"Fatal error, can't open config file '{file}': {e.strerror}")
    text += "\n" + _args_to_lines(args)
    for lineno, line in enumerate(text.split("\n"), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        words = split_args(stripped.encode())
        if words is None:
            _fatal(lineno, stripped, "Unbalanced quotes in configuration line")
        name = words[0].decode("utf-8", "replace").lower()
        values = [w.decode("utf-8", "replace") for w in words[1:]]
        if name == "include":
            _fatal(lineno, stripped, "include is not supported by slotkv")
        if name == "user" and values:
            _add_user(config, lineno, stripped, values)
            continue
        d = DIRECTIVES.get(name)
        if d is None or not values:
            _fatal(lineno, stripped, "Bad directive or wrong number of arguments")
        try:
            config.set(name, values, at_start=True)
        except ConfigError as e:
            _fatal(lineno, stripped, str(e))
    return config


def _add_user(config: Config, lineno: int, line: str, words: list[str]) -> None:
    from node.acl import E_DUPLICATE, validate_user_line

    if any(u[0] == words[0] for u in config.users):
        _fatal(lineno, line, f"Error in user declaration '{words[0]}': {E_DUPLICATE}")
    error = validate_user_line(words)
    if error is not None:
        _fatal(lineno, line, error)
    config.users.append(words)


def _args_to_lines(args: list[str]) -> str:
    lines: list[str] = []
    for arg in args:
        if arg.startswith("--") and len(arg) > 2:
            lines.append(arg[2:])
        elif lines:
            lines[-1] += " " + _quote(arg)
        else:
            raise StartupError(f"Invalid argument '{arg}' (directives are given as --name value)")
    return "\n".join(lines)


def _quote(arg: str) -> str:
    return '"' + arg.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _fatal(lineno: int, line: str, reason: str) -> None:
    raise StartupError(
        "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\n"
        f"Reading the configuration file, at line {lineno}\n>>> '{line}'\n{reason}"
    )
