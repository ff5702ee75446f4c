"""LATENCY LATEST/HISTORY/RESET/GRAPH/DOCTOR/HISTOGRAM/HELP, over node/latency.py.

Replies follow Redis 7.0's latency.c: GRAPH and DOCTOR are verbatim text, HISTOGRAM is a map
of command name -> {calls, histogram_usec: {bucket: cumulative count}}.
"""

from __future__ import annotations

import time
from typing import Any

from node.commands.command import find, help_reply
from node.errors import CommandError
from node.latency import anon_huge_pages, cumulative_levels, sparkline
from node.replies import Verbatim
from node.table import Command, all_commands, command

HELP = [
    "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "DOCTOR",
    "    Return a human readable latency analysis report.",
    "GRAPH <event>",
    "    Return an ASCII latency graph for the <event> class.",
    "HISTORY <event>",
    "    Return time-latency samples for the <event> class.",
    "LATEST",
    "    Return the latest latency samples for all events.",
    "RESET [<event> ...]",
    "    Reset latency data of one or more <event> classes.",
    "    (default: reset all data for all event classes)",
    "HISTOGRAM [COMMAND ...]",
    "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
    "    If no commands are specified then all histograms are replied.",
    "HELP",
    "    Prints this help.",
]

_ADMIN = "admin noscript loading stale"
_SPECIAL = "nondeterministic_output request_policy:all_nodes response_policy:special"

command("latency", -2, "", group="server", since="2.8.13", complexity="Depends on subcommand.",
        summary="A container for latency diagnostics commands")(None)


def _event(arg: bytes) -> str:
    return arg.decode("utf-8", "replace")


def _key(arg: bytes) -> str:
    # LATENCY RESET matches event names with strcasecmp (ASCII only), and every event name is
    # lower-case; HISTORY and GRAPH look them up exactly.
    return _event(arg.lower())


@command("latency|latest", 2, _ADMIN, group="server", since="2.8.13", tips=_SPECIAL,
         summary="Return the latest latency samples for all events.")
def latency_latest(ctx: Any, argv: list[bytes]) -> list:
    out = []
    for name, series in ctx.server.latency.events.items():
        when, ms = series.latest()
        out.append([name.encode(), when, ms, series.max])
    return out


@command("latency|history", 3, _ADMIN, group="server", since="2.8.13", tips=_SPECIAL,
         summary="Return timestamp-latency samples for the event.")
def latency_history(ctx: Any, argv: list[bytes]) -> list:
    series = ctx.server.latency.events.get(_event(argv[2]))
    if series is None:
        return []
    return [[when, ms] for when, ms in series.history()]


@command("latency|reset", -2, _ADMIN, group="server", since="2.8.13",
         tips="request_policy:all_nodes response_policy:all_succeeded",
         summary="Reset latency data for one or more events.")
def latency_reset(ctx: Any, argv: list[bytes]) -> int:
    monitor = ctx.server.latency
    if len(argv) == 2:
        return monitor.reset()
    return monitor.reset([_key(a) for a in argv[2:]])


@command("latency|graph", 3, _ADMIN, group="server", since="2.8.13", tips=_SPECIAL,
         summary="Return a latency graph for the event.")
def latency_graph(ctx: Any, argv: list[bytes]) -> Verbatim:
    event = _event(argv[2])
    series = ctx.server.latency.events.get(event)
    if series is None:
        raise CommandError(f"ERR No samples available for event '{event}'")
    now = int(time.time())
    samples = []
    for when, ms in series.history():
        elapsed = now - when
        if elapsed < 60:
            label = f"{elapsed}s"
        elif elapsed < 3600:
            label = f"{elapsed // 60}m"
        elif elapsed < 86400:
            label = f"{elapsed // 3600}h"
        else:
            label = f"{elapsed // 86400}d"
        samples.append((ms, label))
    values = [ms for ms, _ in samples]
    header = (f"{event} - high {max(values, default=0)} ms, low {min(values, default=0)} ms "
              f"(all time high {series.max} ms)\n" + "-" * 80 + "\n")
    return Verbatim((header + sparkline(samples)).encode())


@command("latency|doctor", 2, _ADMIN, group="server", since="2.8.13", tips=_SPECIAL,
         summary="Return a human readable latency analysis report.")
def latency_doctor(ctx: Any, argv: list[bytes]) -> Verbatim:
    return Verbatim(_report(ctx.server).encode())


def _report(server: Any) -> str:
    """createLatencyReport, for the events slotkv records."""
    monitor = server.latency
    config = server.config
    threshold = config["latency-monitor-threshold"]
    if not monitor.events and threshold == 0:
        return ("I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis "
                "instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" "
                "in order to enable it. If we weren't in a deep space mission I'd suggest to take "
                "a look at https://redis.io/topics/latency-monitor.\n")
    report = []
    advices = 0
    slowlog_enabled = slowlog_tuning = slowlog_inspect = scheduler = large_objects = False
    for n, event in enumerate(monitor.events, 1):
        if n == 1:
            report.append("Dave, I have observed latency spikes in this Redis instance. "
                          "You don't mind talking about it, do you Dave?\n\n")
        s = monitor.analyze(event)
        report.append(f"{n}. {event}: {s['samples']} latency spikes (average {s['avg']}ms, "
                      f"mean deviation {s['mad']}ms, period {s['period'] / s['samples']:.2f} sec). "
                      f"Worst all time event {s['max']}ms.")
        low = event.lower()
        if low == "command":
            slowlog = config["slowlog-log-slower-than"]
            if slowlog < 0 or config["slowlog-max-len"] == 0:
                slowlog_enabled = True
                advices += 1
            elif slowlog // 1000 > threshold:
                slowlog_tuning = True
                advices += 1
            slowlog_inspect = large_objects = True
            advices += 2
        elif low == "fast-command":
            scheduler = True
            advices += 1
        report.append("\n")
    thp = anon_huge_pages() > 0
    if thp:
        advices += 1
    if not monitor.events and not advices:
        report.append("Dave, no latency spike was observed during the lifetime of this Redis "
                      "instance, not in the slightest bit. I honestly think you ought to sit down "
                      "calmly, take a stress pill, and think things over.\n")
    elif monitor.events and not advices:
        report.append("\nWhile there are latency events logged, I'm not able to suggest any easy "
                      "fix. Please use the Redis community to get some help, providing this "
                      "report in your request.\n")
    else:
        report.append("\nI have a few advices for you:\n\n")
        if slowlog_enabled:
            report.append("- There are latency issues with potentially slow commands you are "
                          "using. Try to enable the Slow Log Redis feature using the command "
                          f"'CONFIG SET slowlog-log-slower-than {threshold * 1000}'. If the Slow "
                          "log is disabled Redis is not able to log slow commands execution for "
                          "you.\n")
        if slowlog_tuning:
            report.append("- Your current Slow Log configuration only logs events that are "
                          "slower than your configured latency monitor threshold. Please use "
                          f"'CONFIG SET slowlog-log-slower-than {threshold * 1000}'.\n")
        if slowlog_inspect:
            report.append("- Check your Slow Log to understand what are the commands you are "
                          "running which are too slow to execute. Please check "
                          "https://redis.io/commands/slowlog for more information.\n")
        if scheduler:
            report.append(
                "- The system is slow to execute Redis code paths not containing system calls. "
                "This usually means the system does not provide Redis CPU time to run for long "
                "periods. You should try to:\n"
                "  1) Lower the system load.\n"
                "  2) Use a computer / VM just for Redis if you are running other software in "
                "the same system.\n"
                "  3) Check if you have a \"noisy neighbour\" problem.\n"
                "  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic "
                "latency in your system.\n"
                "  5) Check if the problem is allocator-related by recompiling Redis with "
                "MALLOC=libc, if you are using Jemalloc. However this may create fragmentation "
                "problems.\n")
        if large_objects:
            report.append("- Deleting, expiring or evicting (because of maxmemory policy) large "
                          "objects is a blocking operation. If you have very large objects that "
                          "are often deleted, expired, or evicted, try to fragment those objects "
                          "into multiple smaller objects.\n")
        if thp:
            report.append(
                "- I detected a non zero amount of anonymous huge pages used by your process. "
                "This creates very serious latency events in different conditions, especially "
                "when Redis is persisting on disk. To disable THP support use the command 'echo "
                "never > /sys/kernel/mm/transparent_hugepage/enabled', make sure to also add it "
                "into /etc/rc.local so that the command will be executed again after a reboot. "
                "Note that even if you have already disabled THP, you still need to restart the "
                "Redis process to get rid of the huge pages already created.\n")
    return "".join(report)


def _cdf(hist: list[int]) -> dict:
    return {"calls": sum(hist), "histogram_usec": dict(cumulative_levels(hist))}


@command("latency|histogram", -2, _ADMIN, group="server", since="7.0.0", tips=_SPECIAL,
         complexity="O(N) where N is the number of commands with latency information being retrieved.",
         summary="Return the cumulative distribution of latencies of a subset of commands or all.")
def latency_histogram(ctx: Any, argv: list[bytes]) -> Any:
    monitor = ctx.server.latency
    # A list of pairs, not a dict: Redis answers a command named twice twice.
    pairs: list[tuple[bytes, dict]] = []

    def add(cmd: Command) -> None:
        hist = monitor.histogram(cmd)
        if any(hist):
            pairs.append((cmd.name.encode(), _cdf(hist)))

    if len(argv) == 2:
        for cmd in all_commands():
            add(cmd)
    else:
        for name in argv[2:]:
            cmd = find(name)
            if cmd is None:
                continue
            add(cmd)
            for sub in cmd.subcommands.values():
                add(sub)
    return _PairMap(pairs)


class _PairMap(dict):
    """A map reply that may repeat a key (the encoder iterates `items()`)."""

    def __init__(self, pairs: list[tuple[bytes, Any]]) -> None:
        super().__init__()
        self.pairs = pairs

    def __len__(self) -> int:
        return len(self.pairs)

    def items(self) -> Any:  # type: ignore[override]
        return iter(self.pairs)


@command("latency|help", 2, "loading stale", group="server", since="2.8.13",
         summary="Show helpful text about the different subcommands.")
def latency_help(ctx: Any, argv: list[bytes]) -> list:
    return help_reply(HELP)
