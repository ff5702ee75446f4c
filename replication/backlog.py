"""The replication backlog: the last `size` bytes of the write stream, addressed by offset.

A replica that lost its link asks to continue from the offset it has; if the backlog still
holds that byte, the primary sends the rest from here and no snapshot is needed (Redis's
partial resynchronization). Offsets are absolute positions in the stream since the history
began (`master_repl_offset` counts them); the backlog holds `[start, end)`.

The stream arrives one tick's bytes at a time; the backlog keeps those bytes objects as they
are (no copying into a ring) and drops whole chunks from the front once it holds more than
`size` bytes, cutting the oldest chunk so exactly `size` bytes remain.
"""

from __future__ import annotations

from collections import deque


class Backlog:
    def __init__(self, size: int, offset: int) -> None:
        self.size = size
        self.start = offset  # offset of the oldest byte held
        self.end = offset  # offset just past the newest byte
        self._chunks: deque[bytes] = deque()

    @property
    def histlen(self) -> int:
        return self.end - self.start

    def append(self, data: bytes) -> None:
        self._chunks.append(data)
        self.end += len(data)
        if self.end - self.start > self.size:
            self._trim()

    def _trim(self) -> None:
        chunks = self._chunks
        excess = self.end - self.start - self.size
        while chunks and len(chunks[0]) <= excess:
            first = chunks.popleft()
            excess -= len(first)
            self.start += len(first)
        if excess > 0:
            chunks[0] = chunks[0][excess:]
            self.start += excess

    def resize(self, size: int) -> None:
        self.size = size
        if self.end - self.start > size:
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
        pos = self.start
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
        self.start = self.end = offset
