"""Reading a RESP command log (an AOF file) command by command, knowing where each one ends.

The loader and `slotkv check-aof` both walk AOF files with `CommandReader`: it yields each
command's argv and keeps `offset`, the file position just after the last complete command,
so a torn tail can be cut exactly there. The format is the one Redis writes
(`*<argc>\r\n` then `$<len>\r\n<bytes>\r\n` per argument); lines starting with `#` are
annotations (`#TS:<unix time>`, aof-timestamp-enabled) and are skipped, as Redis does.

Two ways to fail, as Redis distinguishes them:
- `Truncated`: the file ends inside a command (a crash mid-write). What came before is good.
  A tail of zero bytes counts as one too (what a file system leaves of a write it lost in a
  power cut); Redis calls that a format error.
- `Malformed`: bytes that are not the format (garbage, a corrupt middle), at `offset`.

The file is read in large chunks; a command is parsed from an in-memory buffer with
`bytes.find`, so a big AOF loads at the speed of the command dispatcher, not of the parser.
"""

from __future__ import annotations

from typing import BinaryIO, Iterator

CHUNK = 4 << 20
_MAX_ARGC = 1 << 31


class AofReadError(Exception):
    """The log cannot be read at `offset` (the file position of the fault); `detail` says
    why. The reader's own `offset` still marks the end of the last good command."""

    def __init__(self, offset: int, detail: str) -> None:
        super().__init__(f"{detail} at offset {offset}")
        self.offset = offset
        self.detail = detail


class Truncated(AofReadError):
    """The log ends in the middle of a command."""


class Malformed(AofReadError):
    """The log holds bytes that are not a command."""


class _Incomplete(Exception):
    """The buffer ends inside the command being parsed (more bytes may complete it)."""

    def __init__(self, pos: int, detail: str) -> None:
        self.pos = pos
        self.detail = detail


class _Bad(Exception):
    def __init__(self, pos: int, detail: str) -> None:
        self.pos = pos
        self.detail = detail


def _line(buf: bytes, pos: int, prefix: int, what: str) -> tuple[int, int]:
    """A `<prefix><integer>\\r\\n` line at `pos`: (the integer, the position after it)."""
    if pos >= len(buf):
        raise _Incomplete(pos, f"Expected prefix '{chr(prefix)}', got EOF")
    if buf[pos] != prefix:
        got = chr(buf[pos]) if 32 <= buf[pos] < 127 else "\\x%02x" % buf[pos]
        raise _Bad(pos, f"Expected prefix '{chr(prefix)}', got: '{got}'")
    end = buf.find(b"\n", pos)
    if end < 0:
        if len(buf) - pos > 64:
            raise _Bad(pos, f"Invalid {what}")
        raise _Incomplete(pos, f"Expected \\r\\n after the {what}, got EOF")
    text = buf[pos + 1:end]
    if not text.endswith(b"\r"):
        raise _Bad(pos, f"Expected \\r\\n after the {what}")
    try:
        value = int(text[:-1])
    except ValueError:
        raise _Bad(pos, f"Invalid {what}: '{text[:-1].decode('latin-1')}'") from None
    return value, end + 1


def parse_command(buf: bytes, pos: int) -> tuple[list[bytes] | None, int]:
    """One command (or annotation, returned as None) starting at `pos`: (argv, end)."""
    if buf[pos] == 35:  # '#': an annotation line
        end = buf.find(b"\n", pos)
        if end < 0:
            raise _Incomplete(pos, "Expected \\n after an annotation, got EOF")
        return None, end + 1
    argc, p = _line(buf, pos, 42, "multibulk count")  # '*'
    if argc < 1 or argc > _MAX_ARGC:
        raise _Bad(pos, f"Invalid multibulk count {argc}")
    argv = []
    n = len(buf)
    for _ in range(argc):
        size, p = _line(buf, p, 36, "bulk length")  # '$'
        if size < 0:
            raise _Bad(p, f"Invalid bulk length {size}")
        end = p + size
        if end + 2 > n:
            got = max(n - p, 0)
            raise _Incomplete(p, f"Expected to read {size + 2} bytes, got {got} bytes")
        if buf[end:end + 2] != b"\r\n":
            raise _Bad(end, "Expected \\r\\n, got: %s" % buf[end:end + 2].hex())
        argv.append(buf[p:end])
        p = end + 2
    return argv, p


def _zeros_to_eof(f: BinaryIO, buf: bytes, pos: int) -> bool:
    if buf[pos:].strip(b"\0"):
        return False
    here = f.tell()
    try:
        while chunk := f.read(CHUNK):
            if chunk.strip(b"\0"):
                return False
        return True
    finally:
        f.seek(here)


class CommandReader:
    """Iterate the commands of an open binary file from its current position.

    `offset` is the file position after the last command yielded (annotations included);
    `lines` counts the newlines up to there when `count_lines` is set (check-aof reports it).
    """

    def __init__(self, f: BinaryIO, start: int = 0, count_lines: bool = False) -> None:
        self.f = f
        self.offset = start
        self.count_lines = count_lines
        self.lines = 0

    def __iter__(self) -> Iterator[list[bytes]]:
        f = self.f
        buf = b""
        base = self.offset  # file position of buf[0]
        pos = 0
        count = self.count_lines
        while True:
            if pos < len(buf):
                try:
                    argv, end = parse_command(buf, pos)
                except _Incomplete as e:
                    more = f.read(max(CHUNK, len(buf) - pos))
                    if more:
                        buf = buf[pos:] + more
                        base += pos
                        pos = 0
                        continue
                    raise Truncated(base + e.pos, e.detail) from None
                except _Bad as e:
                    if _zeros_to_eof(f, buf, pos):
                        # A file system that lost the tail of a write after a power cut fills
                        # it with zeros: that is a torn tail, not damage in the middle.
                        raise Truncated(base + pos, "Zero bytes up to the end of the file") \
                            from None
                    raise Malformed(base + e.pos, e.detail) from None
                if count:
                    self.lines += buf.count(b"\n", pos, end)
                pos = end
                self.offset = base + end
                if argv is not None:
                    yield argv
                continue
            more = f.read(CHUNK)
            if not more:
                return
            buf = more
            base += pos
            pos = 0
