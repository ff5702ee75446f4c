"""The multi-part AOF manifest, in Redis 7.0's format and with its naming rules.

An AOF directory (`appenddirname`) holds one BASE file (a snapshot: RDB or commands), INCR
files (the commands logged since that snapshot) and, briefly, HISTORY files (the previous
base and incrs, deleted once a rewrite is done). The manifest `<appendfilename>.manifest`
lists them, one line each, base first, then history, then incr:

    file appendonly.aof.2.base.rdb seq 2 type b
    file appendonly.aof.3.incr.aof seq 3 type i

File names follow `<appendfilename>.<seq>.base.rdb|aof` and `<appendfilename>.<seq>.incr.aof`.
The manifest is replaced atomically (written to `temp-<name>`, fsynced, renamed, directory
fsynced), so a crash leaves either the old or the new one. Parsing reports errors with
Redis's wording (`ManifestError`), which the loader prints in Redis's FATAL block.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from node.codec import split_args
from node.config import repr_quote

BASE, HISTORY, INCR = "b", "h", "i"
TEMP_PREFIX = "temp-"


class ManifestError(Exception):
    """A manifest that cannot be read; `line` and `lineno` locate it when known."""

    def __init__(self, reason: str, line: str = "", lineno: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line
        self.lineno = lineno

    def report(self) -> str:
        """Redis's FATAL AOF MANIFEST FILE ERROR block."""
        out = "\n*** FATAL AOF MANIFEST FILE ERROR ***\n"
        if self.line:
            out += f"Reading the manifest file, at line {self.lineno}\n>>> '{self.line}'\n"
        return out + self.reason


@dataclass
class AofFile:
    name: str
    seq: int
    type: str  # BASE | HISTORY | INCR

    def line(self) -> str:
        return f"file {_repr_name(self.name)} seq {self.seq} type {self.type}\n"


@dataclass
class Manifest:
    base: AofFile | None = None
    history: list[AofFile] = field(default_factory=list)
    incrs: list[AofFile] = field(default_factory=list)
    base_seq: int = 0  # the last base sequence number handed out
    incr_seq: int = 0  # the last incr sequence number handed out

    # -- text ---------------------------------------------------------------------------------

    @classmethod
    def parse(cls, text: str) -> "Manifest":
        """aofLoadManifestFromFile, with its checks and error texts."""
        am = cls()
        maxseq = 0
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        if not lines:
            raise ManifestError("Found an empty AOF manifest")
        for lineno, raw in enumerate(lines, 1):
            if raw.startswith("#"):
                continue
            if len(raw) > 1024:
                raise ManifestError("The AOF manifest file contains too long line")
            line = raw.strip(" \t\r\n")
            if not line:
                raise ManifestError("Invalid AOF manifest file format", line, lineno)
            words = split_args(line.encode("utf-8", "surrogateescape"))
            # More than six words is accepted for forward compatibility, as Redis does.
            if words is None or len(words) < 6 or len(words) % 2:
                raise ManifestError("Invalid AOF manifest file format", line, lineno)
            name, seq, ftype = None, 0, ""
            for i in range(0, len(words), 2):
                k = words[i].lower()
                v = words[i + 1].decode("utf-8", "surrogateescape")
                if k == b"file":
                    name = v
                    if os.path.basename(name) != name:
                        raise ManifestError("File can't be a path, just a filename", line, lineno)
                elif k == b"seq":
                    seq = _atoll(v)
                elif k == b"type":
                    ftype = v[:1]
            if not name or not seq or not ftype:
                raise ManifestError("Invalid AOF manifest file format", line, lineno)
            info = AofFile(name, seq, ftype)
            if ftype == BASE:
                if am.base is not None:
                    raise ManifestError("Found duplicate base file information", line, lineno)
                am.base = info
                am.base_seq = seq
            elif ftype == HISTORY:
                am.history.append(info)
            elif ftype == INCR:
                if seq <= maxseq:
                    raise ManifestError("Found a non-monotonic sequence number", line, lineno)
                am.incrs.append(info)
                am.incr_seq = maxseq = seq
            else:
                raise ManifestError("Unknown AOF file type", line, lineno)
        return am

    def text(self) -> str:
        out = [self.base.line()] if self.base else []
        out.extend(f.line() for f in self.history)
        out.extend(f.line() for f in self.incrs)
        return "".join(out)

    def copy(self) -> "Manifest":
        return Manifest(
            AofFile(**vars(self.base)) if self.base else None,
            [AofFile(**vars(f)) for f in self.history],
            [AofFile(**vars(f)) for f in self.incrs],
            self.base_seq, self.incr_seq)

    # -- changes (Redis's getNew*Name / mark*AsHistory) ----------------------------------------

    def new_base(self, filename: str, rdb: bool) -> str:
        """Name the next base file, turning the current one into history."""
        if self.base is not None:
            self.base.type = HISTORY
            self.history.insert(0, self.base)
        self.base_seq += 1
        suffix = ".rdb" if rdb else ".aof"
        self.base = AofFile(f"{filename}.{self.base_seq}.base{suffix}", self.base_seq, BASE)
        return self.base.name

    def new_incr(self, filename: str) -> str:
        self.incr_seq += 1
        info = AofFile(f"{filename}.{self.incr_seq}.incr.aof", self.incr_seq, INCR)
        self.incrs.append(info)
        return info.name

    def last_incr(self, filename: str) -> str:
        """The incr file to append to: the last one listed, or a new one."""
        return self.incrs[-1].name if self.incrs else self.new_incr(filename)

    def retire_incrs(self, keep_last: bool) -> None:
        """After a rewrite: every incr but the one being written becomes history."""
        keep = self.incrs[-1:] if keep_last else []
        for info in reversed(self.incrs[:len(self.incrs) - len(keep)]):
            info.type = HISTORY
            self.history.insert(0, info)
        self.incrs = keep

    def loadable(self) -> list[AofFile]:
        """The files to replay, in order: the base, then the incrs."""
        return ([self.base] if self.base else []) + list(self.incrs)


def manifest_name(filename: str) -> str:
    return filename + ".manifest"


def temp_incr_name(filename: str) -> str:
    """The incr file written while AOF is being turned on (before its first base exists)."""
    return f"{TEMP_PREFIX}{filename}.incr"


def read_manifest(dirname: str, filename: str) -> Manifest | None:
    """The manifest in `dirname`, None if the directory or the manifest does not exist."""
    path = os.path.join(dirname, manifest_name(filename))
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return None
    return Manifest.parse(data.decode("utf-8", "surrogateescape"))


def write_manifest(dirname: str, filename: str, am: Manifest) -> None:
    """Replace the manifest atomically (writeAofManifestFile); raises OSError."""
    name = manifest_name(filename)
    tmp = os.path.join(dirname, TEMP_PREFIX + name)
    fd = os.open(tmp, os.O_WRONLY | os.O_TRUNC | os.O_CREAT, 0o644)
    try:
        data = am.text().encode("utf-8", "surrogateescape")
        while data:
            data = data[os.write(fd, data):]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, os.path.join(dirname, name))
    fsync_dir(dirname)


def fsync_dir(dirname: str) -> None:
    """Make created, renamed or removed entries of a directory durable."""
    fd = os.open(dirname or ".", os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _atoll(text: str) -> int:
    # atoll: leading blanks, a sign and digits; anything else ends the number.
    text = text.lstrip(" \t\n\v\f\r")
    i = 1 if text[:1] in "+-" else 0
    while i < len(text) and text[i].isdigit():
        i += 1
    try:
        return int(text[:i])
    except ValueError:
        return 0


def _repr_name(name: str) -> str:
    # sdsneedsrepr: names with spaces, quotes, backslashes or unprintable bytes are quoted.
    raw = name.encode("utf-8", "surrogateescape")
    if all(33 <= b < 127 and b not in b'"\'\\' for b in raw):
        return name
    return repr_quote(name)
