"""Configuration directives, as redis-server has them: one table, three ways in.

Every directive is declared once in `DIRECTIVES` (name, kind, default, limits). The same table
parses a redis.conf-syntax file, `--name value` command-line flags, and `CONFIG GET/SET`, with
Redis's error wording. Directives are grouped by what slotkv does with them:

- `live`: read by the server; changing one at runtime takes effect (listeners).
- `tuning`: Redis internals slotkv has no counterpart for (encodings thresholds, I/O threads,
  jemalloc, defrag). Accepted and stored so a user's redis.conf loads; they change no reply.
- `fixed`: features this version does not have yet (AOF, RDB save points, replication,
  cluster, eviction, TLS). Only the default value is accepted; anything else is refused
  with a clear error rather than silently ignored.
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass, field
from typing import Any, Callable

from node.codec import split_args


class ConfigError(Exception):
    """A value a directive cannot take; the message is Redis's reason text."""


@dataclass(slots=True)
class Directive:
    name: str
    kind: str  # bool | int | memory | enum | string | save | bind | oom | cobl | percentiles
    default: Any
    group: str = "live"  # live | tuning | fixed
    lo: int = 0
    hi: int = 2**63 - 1
    choices: tuple[str, ...] = ()
    immutable: bool = False
    aliases: tuple[str, ...] = ()

    def parse(self, args: list[str]) -> Any:
        """A value from its words (a directive may take several, e.g. `save 60 10 300 1`)."""
        if self.kind in ("save", "bind", "oom", "cobl", "percentiles"):
            raw = " ".join(args)
        elif len(args) != 1:
            raise ConfigError("wrong number of arguments")
        else:
            raw = args[0]
        value = _PARSERS[self.kind](self, raw)
        if self.group == "fixed" and value != self.default:
            raise ConfigError(f"'{self.name}' cannot be changed in this slotkv version")
        return value

    def format(self, value: Any) -> str:
        return _FORMATTERS.get(self.kind, str)(value)


def _parse_bool(d: Directive, raw: str) -> bool:
    low = raw.lower()
    if low in ("yes", "no"):
        return low == "yes"
    raise ConfigError("argument must be 'yes' or 'no'")


def _parse_int(d: Directive, raw: str) -> int:
    try:
        if not raw or raw.strip() != raw or "_" in raw:
            raise ValueError
        value = int(raw, 10)
    except ValueError:
        raise ConfigError("argument couldn't be parsed into an integer") from None
    return _bounded(d, value)


def _parse_memory(d: Directive, raw: str) -> int:
    value = parse_memory(raw)
    if value is None:
        raise ConfigError("argument must be a memory value")
    return _bounded(d, value)


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
    return low


def _parse_save(d: Directive, raw: str) -> tuple[tuple[int, int], ...]:
    words = raw.split()
    if len(words) % 2:
        raise ConfigError("Invalid save parameters")
    try:
        pairs = tuple((int(words[i]), int(words[i + 1])) for i in range(0, len(words), 2))
    except ValueError:
        raise ConfigError("Invalid save parameters") from None
    if any(s < 1 or c < 0 for s, c in pairs):
        raise ConfigError("Invalid save parameters")
    return pairs


def _parse_words(d: Directive, raw: str) -> tuple[str, ...]:
    return tuple(raw.split())


def _parse_oom(d: Directive, raw: str) -> tuple[int, ...]:
    try:
        values = tuple(int(w) for w in raw.split())
    except ValueError:
        raise ConfigError("Invalid oom-score-adj-values") from None
    if len(values) != 3 or any(not -2000 <= v <= 2000 for v in values):
        raise ConfigError("Invalid oom-score-adj-values")
    return values


def _parse_percentiles(d: Directive, raw: str) -> tuple[float, ...]:
    try:
        values = tuple(float(w) for w in raw.split())
    except ValueError:
        raise ConfigError("latency-tracking-info-percentiles must be doubles") from None
    if any(not 0.0 <= v <= 100.0 for v in values):
        raise ConfigError("latency-tracking-info-percentiles must be between 0.0 and 100.0")
    return values


CLIENT_CLASSES = ("normal", "replica", "pubsub")


def _parse_cobl(d: Directive, raw: str) -> dict[str, tuple[int, int, int]]:
    """client-output-buffer-limit: `<class> <hard> <soft> <soft seconds>` groups."""
    words = raw.split()
    if not words or len(words) % 4:
        raise ConfigError("Wrong number of arguments in buffer limit configuration.")
    current = dict(COBL_DEFAULT)
    for i in range(0, len(words), 4):
        cls = words[i].lower()
        if cls == "slave":
            cls = "replica"
        if cls not in CLIENT_CLASSES:
            raise ConfigError("Invalid client class specified in buffer limit configuration.")
        hard, soft = parse_memory(words[i + 1]), parse_memory(words[i + 2])
        try:
            secs = int(words[i + 3])
        except ValueError:
            secs = -1
        if hard is None or soft is None or secs < 0:
            raise ConfigError("Error in hard, soft or soft_seconds setting in buffer limit configuration.")
        current[cls] = (hard, soft, secs)
    return current


def _format_cobl(value: dict[str, tuple[int, int, int]]) -> str:
    names = {"normal": "normal", "replica": "slave", "pubsub": "pubsub"}
    return " ".join(f"{names[c]} {h} {s} {t}" for c, (h, s, t) in value.items())


def _format_percentiles(values: tuple[float, ...]) -> str:
    return " ".join(f"{v:g}" for v in values)


_PARSERS: dict[str, Callable[[Directive, str], Any]] = {
    "bool": _parse_bool, "int": _parse_int, "memory": _parse_memory, "enum": _parse_enum,
    "string": lambda d, raw: raw, "save": _parse_save, "bind": _parse_words,
    "oom": _parse_oom, "cobl": _parse_cobl, "percentiles": _parse_percentiles,
}
_FORMATTERS: dict[str, Callable[[Any], str]] = {
    "bool": lambda v: "yes" if v else "no",
    "save": lambda v: " ".join(f"{s} {c}" for s, c in v),
    "bind": " ".join,
    "oom": lambda v: " ".join(map(str, v)),
    "cobl": _format_cobl,
    "percentiles": _format_percentiles,
}

_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1024, "m": 1000**2, "mb": 1024**2,
          "g": 1000**3, "gb": 1024**3}


def parse_memory(raw: str) -> int | None:
    """Redis's memtoll: `100`, `1k` (1000), `1kb` (1024), `5mb`, `2gb`; None if invalid."""
    low = raw.strip().lower()
    digits = low.rstrip("bkmg")
    unit = low[len(digits):]
    if unit not in _UNITS or not digits or not (digits.isdigit() or
                                                 (digits[0] == "-" and digits[1:].isdigit())):
        return None
    return int(digits) * _UNITS[unit]


COBL_DEFAULT = {
    "normal": (0, 0, 0),
    "replica": (256 * 1024**2, 64 * 1024**2, 60),
    "pubsub": (32 * 1024**2, 8 * 1024**2, 60),
}

ENUMS = {
    "loglevel": ("debug", "verbose", "notice", "warning"),
    "appendfsync": ("everysec", "always", "no"),
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
    ("dir", "string", "", "live", {}),
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
    ("latency-monitor-threshold", "int", 0, "live", dict(hi=G)),
    ("latency-tracking", "bool", True, "live", {}),
    ("latency-tracking-info-percentiles", "percentiles", (50.0, 99.0, 99.9), "live", {}),
    ("hz", "int", 10, "live", dict(lo=0, hi=2**31 - 1)),
    ("daemonize", "bool", False, "live", dict(immutable=True)),
    ("pidfile", "string", "", "live", dict(immutable=True)),
    ("enable-debug-command", "enum", "no", "live", {}),
    ("protected-mode", "bool", True, "live", {}),
    ("active-expire-effort", "int", 1, "live", dict(lo=1, hi=10)),
    ("always-show-logo", "bool", False, "live", dict(immutable=True)),
    ("set-proc-title", "bool", True, "live", dict(immutable=True)),
    ("proc-title-template", "string", "{title} {listen-addr} {server-mode}", "live", {}),
    ("shutdown-timeout", "int", 10, "live", dict(hi=2**31 - 1)),
    ("shutdown-on-sigint", "enum", "default", "live", {}),
    ("shutdown-on-sigterm", "enum", "default", "live", {}),
    ("maxmemory-policy", "enum", "noeviction", "live", {}),
    ("lfu-log-factor", "int", 10, "live", dict(hi=2**31 - 1)),
    ("lfu-decay-time", "int", 1, "live", dict(hi=2**31 - 1)),
    ("busy-reply-threshold", "int", 5000, "live", dict(hi=G, aliases=("lua-time-limit",))),
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
    ("activedefrag", "bool", False, "tuning", {}),
    ("active-defrag-ignore-bytes", "memory", 100 * 1024**2, "tuning", dict(lo=1, hi=G)),
    ("active-defrag-threshold-lower", "int", 10, "tuning", dict(hi=1000)),
    ("active-defrag-threshold-upper", "int", 100, "tuning", dict(hi=1000)),
    ("active-defrag-cycle-min", "int", 1, "tuning", dict(lo=1, hi=99)),
    ("active-defrag-cycle-max", "int", 25, "tuning", dict(lo=1, hi=99)),
    ("active-defrag-max-scan-fields", "int", 1000, "tuning", dict(lo=1, hi=G)),
    ("lazyfree-lazy-eviction", "bool", False, "tuning", {}),
    ("lazyfree-lazy-expire", "bool", False, "tuning", {}),
    ("lazyfree-lazy-server-del", "bool", False, "tuning", {}),
    ("lazyfree-lazy-user-del", "bool", False, "tuning", {}),
    ("lazyfree-lazy-user-flush", "bool", False, "tuning", {}),
    ("hash-max-listpack-entries", "int", 512, "tuning", dict(hi=G, aliases=("hash-max-ziplist-entries",))),
    ("hash-max-listpack-value", "int", 64, "tuning", dict(hi=G, aliases=("hash-max-ziplist-value",))),
    ("list-max-listpack-size", "int", -2, "tuning", dict(lo=-5, hi=2**31 - 1, aliases=("list-max-ziplist-size",))),
    ("list-compress-depth", "int", 0, "tuning", dict(hi=2**31 - 1)),
    ("set-max-intset-entries", "int", 512, "tuning", dict(hi=G)),
    ("zset-max-listpack-entries", "int", 128, "tuning", dict(hi=G, aliases=("zset-max-ziplist-entries",))),
    ("zset-max-listpack-value", "int", 64, "tuning", dict(hi=G, aliases=("zset-max-ziplist-value",))),
    ("hll-sparse-max-bytes", "memory", 3000, "tuning", dict(hi=G)),
    ("stream-node-max-bytes", "memory", 4096, "tuning", dict(hi=G)),
    ("stream-node-max-entries", "int", 100, "tuning", dict(hi=G)),
    ("tracking-table-max-keys", "int", 1000000, "tuning", dict(hi=G)),
    ("acllog-max-len", "int", 128, "tuning", dict(hi=G)),
    ("acl-pubsub-default", "enum", "resetchannels", "tuning", {}),
    ("aclfile", "string", "", "tuning", dict(immutable=True)),
    ("maxmemory-samples", "int", 5, "tuning", dict(lo=1, hi=64)),
    ("maxmemory-eviction-tenacity", "int", 10, "tuning", dict(hi=100)),
    ("maxmemory-clients", "memory", 0, "tuning", dict(hi=G)),
    ("socket-mark-id", "int", 0, "tuning", dict(hi=U32)),
    ("bind-source-addr", "string", "", "tuning", {}),
    ("server_cpulist", "string", "", "tuning", dict(immutable=True)),
    ("bio_cpulist", "string", "", "tuning", dict(immutable=True)),
    ("aof_rewrite_cpulist", "string", "", "tuning", dict(immutable=True)),
    ("bgsave_cpulist", "string", "", "tuning", dict(immutable=True)),
    ("ignore-warnings", "string", "", "tuning", {}),
    ("sanitize-dump-payload", "enum", "no", "tuning", {}),
    ("rdbcompression", "bool", True, "tuning", {}),
    ("rdbchecksum", "bool", True, "tuning", dict(immutable=True)),
    ("rdb-del-sync-files", "bool", False, "tuning", {}),
    ("rdb-save-incremental-fsync", "bool", True, "tuning", {}),
    ("aof-rewrite-incremental-fsync", "bool", True, "tuning", {}),
    ("aof-use-rdb-preamble", "bool", True, "tuning", {}),
    ("aof-timestamp-enabled", "bool", False, "tuning", {}),
    ("aof-disable-auto-gc", "bool", False, "tuning", {}),
    ("no-appendfsync-on-rewrite", "bool", False, "tuning", {}),
    ("stop-writes-on-bgsave-error", "bool", True, "tuning", {}),
    ("repl-diskless-sync", "bool", True, "tuning", {}),
    ("repl-diskless-sync-delay", "int", 5, "tuning", dict(hi=2**31 - 1)),
    ("repl-diskless-sync-max-replicas", "int", 0, "tuning", dict(hi=2**31 - 1)),
    ("repl-diskless-load", "enum", "disabled", "tuning", {}),
    ("repl-disable-tcp-nodelay", "bool", False, "tuning", {}),
    ("repl-ping-replica-period", "int", 10, "tuning", dict(lo=1, hi=2**31 - 1, aliases=("repl-ping-slave-period",))),
    ("repl-timeout", "int", 60, "tuning", dict(lo=1, hi=2**31 - 1)),
    ("repl-backlog-ttl", "int", 3600, "tuning", dict(hi=2**31 - 1)),
    ("replica-serve-stale-data", "bool", True, "tuning", dict(aliases=("slave-serve-stale-data",))),
    ("replica-lazy-flush", "bool", False, "tuning", dict(aliases=("slave-lazy-flush",))),
    ("replica-priority", "int", 100, "tuning", dict(hi=2**31 - 1, aliases=("slave-priority",))),
    ("replica-announced", "bool", True, "tuning", {}),
    ("replica-announce-ip", "string", "", "tuning", dict(aliases=("slave-announce-ip",))),
    ("replica-announce-port", "int", 0, "tuning", dict(hi=65535, aliases=("slave-announce-port",))),
    ("replica-ignore-maxmemory", "bool", True, "tuning", dict(aliases=("slave-ignore-maxmemory",))),
    ("replica-ignore-disk-write-errors", "bool", False, "tuning", {}),
    ("propagation-error-behavior", "enum", "ignore", "tuning", {}),
    ("cluster-config-file", "string", "nodes.conf", "tuning", dict(immutable=True)),
    ("cluster-node-timeout", "int", 15000, "tuning", dict(hi=G)),
    ("cluster-port", "int", 0, "tuning", dict(hi=65535, immutable=True)),
    ("cluster-announce-ip", "string", "", "tuning", {}),
    ("cluster-announce-hostname", "string", "", "tuning", {}),
    ("cluster-announce-port", "int", 0, "tuning", dict(hi=65535)),
    ("cluster-announce-bus-port", "int", 0, "tuning", dict(hi=65535)),
    ("cluster-announce-tls-port", "int", 0, "tuning", dict(hi=65535)),
    ("cluster-migration-barrier", "int", 1, "tuning", dict(hi=2**31 - 1)),
    ("cluster-replica-validity-factor", "int", 10, "tuning", dict(hi=2**31 - 1, aliases=("cluster-slave-validity-factor",))),
    ("cluster-replica-no-failover", "bool", False, "tuning", dict(aliases=("cluster-slave-no-failover",))),
    ("cluster-require-full-coverage", "bool", True, "tuning", {}),
    ("cluster-allow-reads-when-down", "bool", False, "tuning", {}),
    ("cluster-allow-pubsubshard-when-down", "bool", True, "tuning", {}),
    ("cluster-allow-replica-migration", "bool", True, "tuning", {}),
    ("cluster-link-sendbuf-limit", "memory", 0, "tuning", dict(hi=G)),
    ("cluster-preferred-endpoint-type", "enum", "ip", "tuning", {}),
    ("tls-session-caching", "bool", True, "tuning", {}),
    ("tls-session-cache-size", "int", 20480, "tuning", dict(hi=2**31 - 1)),
    ("tls-session-cache-timeout", "int", 300, "tuning", dict(hi=2**31 - 1)),
    ("tls-prefer-server-ciphers", "bool", False, "tuning", {}),
    ("tls-auth-clients", "string", "yes", "tuning", {}),
    ("tls-protocols", "string", "", "tuning", {}),
    ("tls-ciphers", "string", "", "tuning", {}),
    ("tls-ciphersuites", "string", "", "tuning", {}),
    ("tls-ca-cert-dir", "string", "", "tuning", {}),
    ("tls-ca-cert-file", "string", "", "tuning", {}),
    ("tls-dh-params-file", "string", "", "tuning", {}),
    ("tls-client-cert-file", "string", "", "tuning", {}),
    ("tls-client-key-file", "string", "", "tuning", {}),
    ("tls-client-key-file-pass", "string", "", "tuning", {}),
    ("tls-cert-file", "string", "", "tuning", {}),
    ("tls-key-file", "string", "", "tuning", {}),
    ("tls-key-file-pass", "string", "", "tuning", {}),
    ("notify-keyspace-events", "string", "", "tuning", {}),
    # features that land in later versions: only their defaults are accepted
    ("appendonly", "bool", False, "fixed", {}),
    ("appendfsync", "enum", "everysec", "fixed", {}),
    ("appendfilename", "string", "appendonly.aof", "fixed", dict(immutable=True)),
    ("appenddirname", "string", "appendonlydir", "fixed", dict(immutable=True)),
    ("auto-aof-rewrite-percentage", "int", 100, "fixed", dict(hi=2**31 - 1)),
    ("auto-aof-rewrite-min-size", "memory", 64 * 1024**2, "fixed", dict(hi=G)),
    ("aof-load-truncated", "bool", True, "fixed", {}),
    ("save", "save", (), "fixed", {}),
    ("dbfilename", "string", "dump.rdb", "fixed", {}),
    ("replicaof", "string", "", "fixed", dict(aliases=("slaveof",), immutable=True)),
    ("masterauth", "string", "", "fixed", {}),
    ("masteruser", "string", "", "fixed", {}),
    ("replica-read-only", "bool", True, "fixed", dict(aliases=("slave-read-only",))),
    ("repl-backlog-size", "memory", 1024**2, "fixed", dict(lo=1, hi=G)),
    ("min-replicas-to-write", "int", 0, "fixed", dict(hi=2**31 - 1, aliases=("min-slaves-to-write",))),
    ("min-replicas-max-lag", "int", 10, "fixed", dict(hi=2**31 - 1, aliases=("min-slaves-max-lag",))),
    ("cluster-enabled", "bool", False, "fixed", dict(immutable=True)),
    ("maxmemory", "memory", 0, "fixed", dict(hi=G)),
    ("tls-port", "int", 0, "fixed", dict(hi=65535)),
    ("tls-replication", "bool", False, "fixed", {}),
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

    def __getitem__(self, name: str) -> Any:
        return self.values[DIRECTIVES[name].name]

    def set(self, name: str, args: list[str], at_start: bool = False) -> None:
        d = DIRECTIVES.get(name.lower())
        if d is None:
            raise KeyError(name)
        if d.immutable and not at_start:
            raise ConfigError("can't set immutable config")
        value = d.parse(args)
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
            if name in out:
                continue
            for pat in patterns:
                if glob_match(pat.encode(), name.encode(), nocase=True):
                    out[name] = d.format(self.values[d.name])
                    break
        return out

    def rewrite(self) -> None:
        """CONFIG REWRITE: keep the file's lines and comments, update what differs."""
        if not self.file:
            raise ConfigError("The server is running without a config file")
        with open(self.file) as f:
            lines = f.read().splitlines()
        written: set[str] = set()
        out = []
        for line in lines:
            words = split_args(line.encode()) if line.strip() and not line.lstrip().startswith("#") else None
            if not words:
                out.append(line)
                continue
            d = DIRECTIVES.get(words[0].decode().lower())
            if d is None or d.name in written:
                continue
            written.add(d.name)
            if self.values[d.name] != d.default:
                out.append(self._line(d))
        for d in {d.name: d for d in DIRECTIVES.values()}.values():
            if d.name not in written and self.values[d.name] != d.default:
                out.append(self._line(d))
        tmp = self.file + ".tmp"
        with open(tmp, "w") as f:
            f.write("\n".join(out) + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.file)

    def _line(self, d: Directive) -> str:
        text = d.format(self.values[d.name])
        if d.kind in ("save", "bind", "oom", "cobl", "percentiles"):
            return f"{d.name} {text}" if text else f'{d.name} ""'
        return f"{d.name} {shlex.quote(text) if text else chr(34) * 2}"


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
        d = DIRECTIVES.get(name)
        if d is None or not values:
            _fatal(lineno, stripped, "Bad directive or wrong number of arguments")
        try:
            config.set(name, values, at_start=True)
        except ConfigError as e:
            _fatal(lineno, stripped, str(e))
    return config


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
