"""The latency monitor (LATENCY LATEST/HISTORY/GRAPH/DOCTOR) and per-command latency histograms.

Two independent instruments, as in Redis 7.0 (`latency.c`, `call()` in `server.c`):

- **Events.** With `latency-monitor-threshold` > 0, a command that ran for at least that many
  milliseconds adds a sample to the `command` event (`fast-command` for commands flagged
  `fast`). Each event keeps the last 160 samples at one-second resolution (a second's sample
  is the worst latency seen in it) and its all-time maximum. Other subsystems can add their
  own events with `LatencyMonitor.add_sample`.
- **Histograms.** With `latency-tracking yes` (the default) every executed command counts its
  duration in `Command.hist`: 64 integer buckets, bucket `i` holding durations of
  `2**(i-1) <= ns < 2**i` (`ns.bit_length()`), so the hot path pays one list increment.
  LATENCY HISTOGRAM and INFO latencystats read them. Redis uses an HDR histogram with two
  significant digits; the log2 buckets report the same power-of-two bucket labels for
  LATENCY HISTOGRAM, but INFO percentiles are the upper bound of a power-of-two bucket rather
  than an HDR sub-bucket, so they are coarser than Redis's.

The request path sends only commands slower than `server.slow_ns` to `Client._record_slow`,
which applies the slow log's and this monitor's own thresholds; `slow_ns` is the smaller of
the two, kept up to date here, so a fast command pays a single comparison for both. A run of
one command within a pipelined read is timed as a whole and each of its calls counts as the
run's average (`Client._charge`).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from node.table import Command, all_commands

if TYPE_CHECKING:
    from node.server import Server

TS_LEN = 160  # samples kept per event (LATENCY_TS_LEN)
HIST_BUCKETS = 64  # bit_length() of any 64-bit duration in ns
GRAPH_COLS = 80
_NEVER = 1 << 62  # a duration no command reaches

# Redis's histogram starts reporting at 1024 ns and stops at 1 s (clamped), in powers of two.
_FIRST_LEVEL = 10  # 2**10 ns
_LAST_LEVEL = 30  # 2**30 ns covers the 1e9 ns clamp


class EventSeries:
    """One latency event: a ring of (unix second, ms) samples plus the all-time max."""

    __slots__ = ("samples", "idx", "max")

    def __init__(self) -> None:
        self.samples: list[tuple[int, int]] = [(0, 0)] * TS_LEN
        self.idx = 0
        self.max = 0

    def add(self, now: int, ms: int) -> None:
        if ms > self.max:
            self.max = ms
        prev = (self.idx + TS_LEN - 1) % TS_LEN
        t, worst = self.samples[prev]
        if t == now:
            # One sample per second: the worst of that second.
            if ms > worst:
                self.samples[prev] = (now, ms)
            return
        self.samples[self.idx] = (now, ms)
        self.idx = (self.idx + 1) % TS_LEN

    def latest(self) -> tuple[int, int]:
        return self.samples[(self.idx + TS_LEN - 1) % TS_LEN]

    def history(self) -> list[tuple[int, int]]:
        """The samples, oldest first."""
        out = []
        for j in range(TS_LEN):
            sample = self.samples[(self.idx + j) % TS_LEN]
            if sample[0]:
                out.append(sample)
        return out


class LatencyMonitor:
    """Latency events and the per-command histograms' switch; one per server."""

    def __init__(self, server: "Server") -> None:
        self.server = server
        self.events: dict[str, EventSeries] = {}
        self.threshold_ns = 0
        # While latency-tracking is off, every Command.hist points at this scratch list and the
        # real histograms wait here, so the hot path needs no flag test.
        self._scratch = [0] * HIST_BUCKETS
        self._parked: dict[int, list[int]] | None = None
        config = server.config
        config.listen("latency-monitor-threshold", self._update_thresholds)
        config.listen("slowlog-log-slower-than", self._update_thresholds)
        config.listen("latency-tracking", self._set_tracking)
        self._update_thresholds(None)
        self._set_tracking(config["latency-tracking"])

    # -- thresholds --------------------------------------------------------------------------

    def _update_thresholds(self, _value: Any) -> None:
        config = self.server.config
        self.threshold_ns = config["latency-monitor-threshold"] * 1_000_000
        slowlog = config["slowlog-log-slower-than"]
        candidates = [_NEVER]
        if slowlog >= 0:
            candidates.append(slowlog * 1000)
        if self.threshold_ns > 0:
            candidates.append(self.threshold_ns)
        self.server.slow_ns = min(candidates)

    # -- events ------------------------------------------------------------------------------

    def command_sample(self, cmd: Command, nsec: int) -> None:
        """A command that ran `nsec`: a `command`/`fast-command` sample if over the threshold."""
        if 0 < self.threshold_ns <= nsec:
            self.add_sample("fast-command" if "fast" in cmd.flags else "command",
                            nsec // 1_000_000)

    def add_sample(self, event: str, ms: int) -> None:
        """Record `ms` for `event` (callers check the threshold, as latencyAddSampleIfNeeded)."""
        series = self.events.get(event)
        if series is None:
            series = self.events[event] = EventSeries()
        series.add(int(time.time()), ms)

    def add_sample_if_needed(self, event: str, ms: int) -> None:
        threshold = self.server.config["latency-monitor-threshold"]
        if threshold and ms >= threshold:
            self.add_sample(event, ms)

    def reset(self, events: list[str] | None = None) -> int:
        """Forget the named events (all when None); how many existed."""
        if events is None:
            count = len(self.events)
            self.events.clear()
            return count
        count = 0
        for event in events:
            if self.events.pop(event, None) is not None:
                count += 1
        return count

    def analyze(self, event: str) -> dict[str, int | float]:
        """analyzeLatencyForEvent: samples, avg, mean deviation, period, for LATENCY DOCTOR."""
        series = self.events[event]
        values = [(t, ms) for t, ms in series.samples if t]
        n = len(values)
        stats: dict[str, int | float] = {"samples": n, "avg": 0, "mad": 0, "period": 0,
                                         "max": series.max}
        if not n:
            return stats
        avg = sum(ms for _, ms in values) // n
        period = int(time.time()) - min(t for t, _ in values)
        stats["avg"] = avg
        stats["period"] = period or 1
        stats["mad"] = sum(abs(avg - ms) for _, ms in values) // n
        return stats

    # -- histograms --------------------------------------------------------------------------

    def _set_tracking(self, enabled: bool) -> None:
        if enabled and self._parked is not None:
            for cmd in all_commands():
                cmd.hist = self._parked.get(id(cmd)) or [0] * HIST_BUCKETS
            self._parked = None
        elif not enabled and self._parked is None:
            self._parked = {id(cmd): cmd.hist for cmd in all_commands()}
            for cmd in all_commands():
                cmd.hist = self._scratch

    @property
    def tracking(self) -> bool:
        return self._parked is None

    def histogram(self, cmd: Command) -> list[int]:
        """The real histogram of `cmd` (also while tracking is paused)."""
        if self._parked is not None:
            return self._parked.get(id(cmd)) or [0] * HIST_BUCKETS
        return cmd.hist

    def reset_histograms(self) -> None:
        for cmd in all_commands():
            if self._parked is not None:
                self._parked[id(cmd)] = [0] * HIST_BUCKETS
            else:
                cmd.hist = [0] * HIST_BUCKETS


def cumulative_levels(hist: list[int]) -> list[tuple[int, int]]:
    """LATENCY HISTOGRAM's `histogram_usec`: (bucket label in usec, cumulative count).

    The levels are Redis's: powers of two from 1024 ns to 2**30 ns, each labelled with the
    highest value its HDR bucket holds, in whole microseconds (1, 2, 4, 8, 16, 33, 66, ...).
    Only levels where the count grows are listed.
    """
    out = []
    cumulative = sum(hist[: _FIRST_LEVEL + 1])
    previous = 0
    for level in range(_FIRST_LEVEL, _LAST_LEVEL + 1):
        if level > _FIRST_LEVEL:
            cumulative += hist[level]
        if level == _LAST_LEVEL:
            cumulative += sum(hist[level + 1:])  # Redis clamps at 1 s
        if cumulative > previous:
            value = 1 << level
            out.append(((value + (value >> 7) - 1) // 1000, cumulative))
        previous = cumulative
    return out


def percentile_usec(hist: list[int], percentile: float) -> float:
    """hdr_value_at_percentile, in usec, over log2 buckets: the bucket's highest value."""
    total = sum(hist)
    if not total:
        return 0.0
    wanted = max(1, int(min(percentile, 100.0) / 100 * total + 0.5))
    seen = 0
    for i, count in enumerate(hist):
        seen += count
        if seen >= wanted:
            i = max(1, min(i, _LAST_LEVEL))
            if percentile == 0.0:
                return (1 << (i - 1)) / 1000
            return ((1 << i) - 1) / 1000
    return 0.0


def anon_huge_pages() -> int:
    """Bytes of transparent huge pages this process uses (Redis warns about them)."""
    try:
        with open("/proc/self/smaps_rollup") as f:
            for line in f:
                if line.startswith("AnonHugePages:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


# -- LATENCY GRAPH: Redis's sparkline.c ----------------------------------------------------

_CHARSET_FILL = "_o#"


def sparkline(samples: list[tuple[float, str]], columns: int = GRAPH_COLS, rows: int = 4) -> str:
    """sparklineRender with SPARKLINE_FILL: `rows` of bars, then each sample's label, vertical."""
    if not samples:
        return ""
    lo = min(v for v, _ in samples)
    hi = max(v for v, _ in samples)
    labels = sum(1 for _, label in samples if label)
    out = []
    for start in range(0, len(samples), columns):
        if start:
            out.append("\n")
        out.append(_render_range(samples[start:start + columns], lo, hi, labels, rows))
    return "".join(out)


def _render_range(part: list[tuple[float, str]], lo: float, hi: float, labels: int,
                  rows: int) -> str:
    relmax = hi - lo or 1
    steps = len(_CHARSET_FILL) * rows
    out = []
    row = 0
    while True:
        chars = [" "] * len(part)
        more = False
        for j, (value, label) in enumerate(part):
            step = int(int((value - lo) * steps) / relmax)
            step = max(0, min(step, steps - 1))
            if row < rows:
                more = True
                idx = step - (rows - row - 1) * len(_CHARSET_FILL)
                if 0 <= idx < len(_CHARSET_FILL):
                    chars[j] = _CHARSET_FILL[idx]
                elif idx >= len(_CHARSET_FILL):
                    chars[j] = "|"
            else:
                if labels and row - rows < 1:  # one blank line between bars and labels
                    more = True
                    break
                pos = row - rows - 1
                if label and len(label) > pos:
                    more = True
                    chars[j] = label[pos]
        if not more:
            break
        row += 1
        out.append("".join(chars) + "\n")
    return "".join(out)
