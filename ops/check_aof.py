"""`slotkv check-aof [--fix|--truncate-to-timestamp <ts>] <file.manifest|file.aof>`

What redis-check-aof 7.0 does, with its messages: check a multi-part AOF (given its
manifest) or a single AOF file; report the first damage with its offset; with --fix, cut a
damaged LAST file back to its last whole command (asking first, as redis-check-aof does: the
answer is read from standard input). An unterminated MULTI counts as damage. With
--truncate-to-timestamp, cut the last file at the first `#TS:` annotation (aof-timestamp-
enabled) later than the given Unix time.

Exit status 0 when everything is (or was made) valid, 1 otherwise.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

from node import aof_manifest as mf
from node.aof_reader import AofReadError, CommandReader, Malformed, Truncated

USAGE = "Usage: slotkv check-aof [--fix|--truncate-to-timestamp $timestamp] <file.manifest|file.aof>"


class CheckFailed(Exception):
    """Stop with exit status 1 (the message has been printed)."""


@dataclass
class Analysis:
    size: int
    ok_up_to: int
    ok_line: int
    error: str | None  # "0x<offset>: <what>" as redis-check-aof prints it
    truncate_at: int = -1  # for --truncate-to-timestamp: where the later annotations start


def analyze(path: str, start: int = 0, to_timestamp: int | None = None) -> Analysis:
    """Walk one AOF file from `start`: how far it is good, and the first fault."""
    size = os.path.getsize(path)
    in_multi = False
    mark = prev = (start, 0)  # where an open MULTI began; where the last command ended
    error = None
    broke = False
    truncate_at = -1
    with open(path, "rb") as f:
        f.seek(start)
        reader = CommandReader(f, start, count_lines=True)
        try:
            if to_timestamp is not None:
                truncate_at = _first_later_annotation(path, start, to_timestamp)
            for argv in reader:
                name = argv[0].lower()
                if name == b"multi":
                    if in_multi:
                        error = f"0x{prev[0]:16x}: Unexpected MULTI"
                        broke = True
                        break
                    in_multi = True
                    mark = prev
                elif name == b"exec":
                    if not in_multi:
                        error = f"0x{prev[0]:16x}: Unexpected EXEC"
                        broke = True
                        break
                    in_multi = False
                prev = (reader.offset, reader.lines)
        except (Truncated, Malformed) as e:
            error = f"0x{e.offset:16x}: {e.detail}"
    if error is None and in_multi:
        error = f"0x{size:16x}: Reached EOF before reading EXEC for MULTI"
    # Good up to: before an open MULTI, before a misplaced one, or the last whole item read
    # (annotations included).
    good = mark if in_multi else prev if broke else (reader.offset, reader.lines)
    # Lines are numbered from 1, as redis-check-aof counts them.
    return Analysis(size, good[0], good[1] + 1, error, truncate_at)


def _first_later_annotation(path: str, start: int, ts: int) -> int:
    with open(path, "rb") as f:
        f.seek(start)
        pos = start
        for line in f:
            if line.startswith(b"#TS:"):
                try:
                    if int(line[4:].strip()) > ts:
                        return pos
                except ValueError:
                    pass
            pos += len(line)
    return -1


def _check_file(path: str, label: str, fix: bool, last: bool, to_ts: int | None,
                start: int = 0) -> None:
    """Check one file; print, fix or raise CheckFailed as redis-check-aof does."""
    name = os.path.basename(path) if label != "file" else path
    a = analyze(path, start, to_ts)
    if to_ts is not None:
        if a.error is not None:
            print(a.error)
            print(f"AOF {name} is not valid. Use the --fix option to try fixing it.")
            raise CheckFailed
        if a.truncate_at < 0:
            print(f"AOF {name} has nothing later than timestamp {to_ts}: nothing to truncate")
            return
        if not last:
            print(f"Failed to truncate AOF {name} to timestamp {to_ts} because it is not "
                  "the last file.")
            raise CheckFailed
        _truncate(path, name, a.size, a.truncate_at)
        print(f"Successfully truncated AOF to timestamp {to_ts}")
        return
    if a.error is not None:
        print(a.error)
    print(f"AOF analyzed: filename={name}, size={a.size}, ok_up_to={a.ok_up_to}, "
          f"ok_up_to_line={a.ok_line}, diff={a.size - a.ok_up_to}")
    if a.size - a.ok_up_to <= 0:
        return
    if not fix:
        print(f"AOF {name} is not valid. Use the --fix option to try fixing it.")
        raise CheckFailed
    if not last:
        print(f"Failed to truncate AOF {name} because it is not the last file")
        raise CheckFailed
    _truncate(path, name, a.size, a.ok_up_to)


def _truncate(path: str, name: str, size: int, at: int) -> None:
    print(f"This will shrink the AOF {name} from {size} bytes, with {size - at} bytes, to {at} "
          "bytes")
    print("Continue? [y/N]: ", end="", flush=True)
    answer = sys.stdin.readline()
    if not answer.lower().startswith("y"):
        print("Aborting...")
        raise CheckFailed
    try:
        os.truncate(path, at)
    except OSError:
        print(f"Failed to truncate AOF {name}")
        raise CheckFailed from None
    print(f"Successfully truncated AOF {name}")


def _is_manifest(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            for line in f:
                if line.startswith(b"#"):
                    continue
                return line.startswith(b"file ")
    except OSError:
        pass
    return False


def _starts_with_rdb(path: str) -> bool:
    with open(path, "rb") as f:
        return f.read(5) == b"REDIS"


def _check_rdb(path: str) -> int:
    """An RDB base or preamble: load it into a scratch keyspace (node/rdb_reader.py checks
    every record and the checksum); the offset where it ends."""
    import node.commands  # noqa: F401  (the data types the reader builds)
    from node import rdb, rdb_reader
    from node.keyspace import Keyspace

    try:
        with open(path, "rb") as f:
            report = rdb_reader.load(f, Keyspace(), expire=False)
    except rdb.RdbError as e:
        print(f"RDB preamble of AOF file is not sane, aborting: {e}")
        raise CheckFailed from None
    print(f"[offset {report.end}] RDB is valid: {report.keys_loaded} keys")
    return report.end


def check_manifest(path: str, fix: bool, to_ts: int | None) -> None:
    print("Start checking Multi Part AOF")
    dirname = os.path.dirname(path)
    try:
        with open(path, "rb") as f:
            am = mf.Manifest.parse(f.read().decode("utf-8", "surrogateescape"))
    except mf.ManifestError as e:
        print(e.report())
        raise CheckFailed from None
    files = am.loadable()
    for i, info in enumerate(files):
        fpath = os.path.join(dirname, info.name)
        last = i == len(files) - 1
        if not os.path.exists(fpath):
            print(f"AOF {info.name} does not exist")
            raise CheckFailed
        if info is am.base:
            rdb = _starts_with_rdb(fpath) if os.path.getsize(fpath) else False
            print(f"Start to check BASE AOF ({'RDB' if rdb else 'RESP'} format).")
        elif i == (1 if am.base else 0):
            print("Start to check INCR files.")
        kind = "BASE" if info is am.base else "INCR"
        if os.path.getsize(fpath) == 0:
            print(f"{kind} AOF {info.name} is empty")
            continue
        start = _check_rdb(fpath) if _starts_with_rdb(fpath) else 0
        if start and start == os.path.getsize(fpath):
            print(f"{kind} AOF {info.name} is valid")
            continue
        _check_file(fpath, kind, fix, last, to_ts if last else None, start)
        print(f"{kind} AOF {info.name} is valid")
    print("All AOF files and manifest are valid")


def check_single(path: str, fix: bool, to_ts: int | None) -> None:
    print("Start checking Old-Style AOF")
    if os.path.getsize(path) == 0:
        print(f"AOF {path} is empty")
        return
    start = 0
    if _starts_with_rdb(path):
        print("The AOF appears to start with an RDB preamble.\nChecking the RDB preamble to "
              "start:")
        start = _check_rdb(path)
        print("RDB preamble is OK, proceeding with AOF tail...")
    _check_file(path, "file", fix, True, to_ts, start)
    print(f"AOF {path} is valid")


def main(args: list[str]) -> int:
    fix = False
    to_ts: int | None = None
    if len(args) == 1 and args[0] not in ("--fix", "--truncate-to-timestamp"):
        path = args[0]
    elif len(args) == 2 and args[0] == "--fix":
        fix, path = True, args[1]
    elif len(args) == 3 and args[0] == "--truncate-to-timestamp":
        try:
            to_ts = int(args[1])
        except ValueError:
            print(f"Invalid timestamp: {args[1]}")
            return 1
        path = args[2]
    else:
        print(USAGE)
        return 1
    if not os.path.isfile(path):
        err = os.strerror(2) if not os.path.exists(path) else "Not a regular file"
        print(f"Cannot open file {path}: {err}")
        return 1
    try:
        if _is_manifest(path):
            check_manifest(path, fix, to_ts)
        else:
            check_single(path, fix, to_ts)
    except CheckFailed:
        return 1
    except (OSError, AofReadError) as e:
        print(f"Error checking {path}: {e}")
        return 1
    return 0
