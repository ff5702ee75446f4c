"""The replication backlog: the last `size` bytes of the write stream, addressed by offset.

A replica that lost its link asks to continue from the offset it has; if the backlog still
holds that byte, the primary sends the rest from here and no snapshot is needed (Redis's
partial resynchronization). Offsets are absolute positions in the stream since the history
began (`master_repl_offset` counts them); the backlog holds `[start, end)`.

The stream arrives one tick's bytes at a time; the backlog keeps those bytes objects as they
are (no copying into a ring, no slicing) and drops whole chunks from the front while the rest
still holds at least `size` bytes. It reports, and serves, exactly the last `size` bytes
(Redis's repl_backlog_histlen never exceeds repl-backlog-size); the older part of its oldest
chunk is kept only because cutting it would cost a copy per tick.
"""

from __future__ import annotations

from collections import deque


class Backlog:
    def __init__(self, size: int, offset: int) -> None:
        self.size = size
        self._first = offset  # offset of the oldest byte held (of the first chunk)
        self.end = offset  # offset just past the newest byte
        self._chunks: deque[bytes] = deque()

    @property
    def start(self) -> int:
        """Offset of the oldest byte the backlog answers for."""
        return max(self._first, self.end - self.size)

    @property
    def histlen(self) -> int:
        return self.end - self.start

    def append(self, data: bytes) -> None:
        self._chunks.append(data)
        self.end += len(data)
        if self.end - self._first - len(self._chunks[0]) >= self.size:
            self._trim()

    def _trim(self) -> None:
        chunks = self._chunks
        while len(chunks) > 1 and self.end - self._first - len(chunks[0]) >= self.size:
            self._first += len(chunks.popleft())

    def resize(self, size: int) -> None:
        self.size = size
        self._trim()

    def covers(self, offset: int) -> bool:
        """Whether the stream can be continued from `offset` out of this backlog."""
        return self.start <= offset <= self.end

    def read(self, offset: int, limit: int = 1 << 62) -> bytes:
        """Up to `limit` bytes from `offset` on (which `covers` must accept)."""
        if not self.start <= offset <= self.end:
            raise ValueError(f"offset {offset} outside the backlog [{self.start}, {self.end}]")
        want = min(limit, self.end - offset)
        out: list[bytes] = []
        pos = self._first
        for chunk in self._chunks:
            if want <= 0:
                break
            nxt = pos + len(chunk)
            if nxt > offset:
                piece = chunk[max(0, offset - pos):][:want]
                out.append(piece)
                want -= len(piece)
            pos = nxt
        return b"".join(out)

    def reset(self, offset: int) -> None:
        """Forget everything; the history goes on from `offset` (after a full sync)."""
        self._chunks.clear()
        self._first = self.end = offset
