"""Loading the AOF at start: replaying its files through the command dispatcher.

As Redis's loadAppendOnlyFiles: the manifest names a base and incr files; each is replayed
in order by a pseudo client (no replies, no propagation, never blocking) through
`Client.execute`, the same path a connection's commands take. While loading, keys are not
expired, nor seen as expired (the keyspace is in replica mode, replaying as its primary's
stream), so the log replays exactly as it was written: its own DELs remove what expired.

A base that starts with `REDIS` is an RDB file (aof-use-rdb-preamble), read by node/rdb.py.

Damage, as Redis treats it:
- the LAST file ends inside a command (a crash mid-write), or inside a MULTI that never got
  its EXEC: with aof-load-truncated yes the file is truncated at the end of the last whole
  command (the transaction's MULTI for an open one), with Redis's log lines and how many
  bytes went, and the node starts; otherwise it stops.
- anything else (bytes that are not the format, a command slotkv does not know, a damaged
  file that is not the last one, a file the manifest names but the disk lacks): the node
  stops with the file and the offset, exit 1. Never a traceback.

An old single-file AOF (`appendfilename` in the working directory, no manifest) is moved
into the AOF directory as its base first, as Redis 7.0 upgrades one.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, BinaryIO

from node import aof_manifest as mf
from node.aof import AofError
from node.aof_reader import CommandReader, Malformed, Truncated
from node.client import REPLY_OFF, Client
from node.log import log
from node.table import COMMANDS

if TYPE_CHECKING:
    from node.server import Server

# loadAppendOnlyFiles' results
OK, NOT_EXIST, EMPTY, TRUNCATED = "ok", "not-exist", "empty", "truncated"


class ReplayClient(Client):
    """The AOF's pseudo client (Redis's createAOFClient): never blocks, never replies."""

    # A replica's AOF replays writes a read-only replica would refuse, and a cluster node's
    # writes to slots its last known map gives to others.
    MUST_OBEY = True

    # Blocking commands act as inside EXEC (they never wait): CLIENT_DENY_BLOCKING.
    in_exec = property(lambda self: True, lambda self, value: None)

    def __init__(self, server: "Server") -> None:
        super().__init__(server)
        self.authenticated = True
        self.reply_mode = REPLY_OFF


def load_manifest(server: "Server") -> mf.Manifest:
    """aofLoadManifestFromDisk; raises AofError with Redis's FATAL block."""
    aof = server.aof
    try:
        am = mf.read_manifest(aof.dirname, aof.filename)
    except mf.ManifestError as e:
        raise AofError(e.report()) from None
    except OSError as e:
        raise AofError("Fatal error: can't open the AOF manifest file "
                       f"{mf.manifest_name(aof.filename)} for reading: {e.strerror}") from None
    return am if am is not None else mf.Manifest()


def load_append_only_files(server: "Server") -> str:
    """Replay the AOF named by `server.aof.manifest`; OK, NOT_EXIST, EMPTY or TRUNCATED.
    Raises AofError when the node must not start."""
    aof = server.aof
    am = aof.manifest
    _upgrade_old_style(server, am)
    files = am.loadable()
    if not files:
        return NOT_EXIST
    total = 0
    for info in files:
        try:
            total += os.stat(aof.path(info.name)).st_size
        except OSError as e:
            raise AofError(f"Unable to obtain the AOF file {info.name} length. stat: "
                           f"{e.strerror}") from None
    if total == 0:
        return EMPTY
    ks = server.keyspace
    # No expiry while loading, and nothing counts as expired either (keyIsExpired is false
    # while loading): every command replays as it ran, when its keys were live.
    was_replica, ks.replica = ks.replica, True
    was_from_master, ks.from_master = ks.from_master, True
    propagation = server.propagation
    was_active, propagation.active = propagation.active, False
    result = OK
    try:
        for i, info in enumerate(files):
            last = i == len(files) - 1
            start = time.monotonic()
            status = _load_file(server, info.name, last)
            if status == TRUNCATED:
                result = TRUNCATED
            if status in (OK, TRUNCATED):
                kind = "base" if info is am.base else "incr"
                log("notice", f"DB loaded from {kind} file {info.name}: "
                    f"{time.monotonic() - start:.3f} seconds")
    finally:
        ks.replica = was_replica
        ks.from_master = was_from_master
        propagation.active = was_active
        ks.tick()
    aof.current_size = total
    aof.base_size = aof._size(am.base.name) if am.base else 0
    aof.fsync_offset = total
    return result


def _upgrade_old_style(server: "Server", am: mf.Manifest) -> None:
    """aofUpgradePrepare: adopt a pre-7.0 single AOF file as the base of a new directory."""
    aof = server.aof
    old = aof.filename
    if not os.path.isfile(old):
        return
    if not (not os.path.isdir(aof.dirname) or (am.base is None and not am.incrs)
            or (am.base is not None and not am.incrs and am.base.name == old
                and not os.path.exists(aof.path(old)))):
        return
    try:
        os.makedirs(aof.dirname, exist_ok=True)
    except OSError as e:
        raise AofError(f"Can't open or create append-only dir {aof.dirname}: {e.strerror}")
    am.base = mf.AofFile(old, 1, mf.BASE)
    am.base_seq = 1
    try:
        mf.write_manifest(aof.dirname, aof.filename, am)
        os.rename(old, aof.path(old))
    except OSError as e:
        raise AofError(f"Error trying to move the old AOF file {old} into dir {aof.dirname}: "
                       f"{e.strerror}") from None
    log("notice", f"Successfully migrated an old-style AOF file ({old}) into the AOF directory "
        f"({aof.dirname}).")


def _load_file(server: "Server", name: str, last: bool) -> str:
    """loadSingleAppendOnlyFile."""
    path = server.aof.path(name)
    try:
        f = open(path, "rb")
    except FileNotFoundError:
        raise AofError(f"The append log file {name} doesn't exist") from None
    except OSError as e:
        raise AofError(f"Fatal error: can't open the append log file {name} for reading: "
                       f"{e.strerror}") from None
    with f:
        size = os.fstat(f.fileno()).st_size
        if size == 0:
            return EMPTY
        start = 0
        if f.read(5) == b"REDIS":
            start = _load_rdb(server, f, name)
        f.seek(start)
        reader = CommandReader(f, start)
        client = ReplayClient(server)
        ks = server.keyspace
        execute = client.execute
        out = client.out
        before_multi = start  # where an open MULTI began
        valid = start
        problem = None
        n = 0
        try:
            for argv in reader:
                name0 = argv[0].lower()
                if COMMANDS.get(name0) is None:
                    raise AofError(f"Unknown command '{argv[0].decode('utf-8', 'replace')}' "
                                   f"reading the append only file {name}")
                if name0 == b"multi":
                    before_multi = valid
                execute(argv)
                valid = reader.offset
                n += 1
                if not n & 1023:
                    ks.tick()
                    out.clear()
        except Truncated as e:
            problem = f"{e.detail} at offset {e.offset}"
        except Malformed as e:
            raise AofError(f"Bad file format reading the append only file {name}: make a backup "
                           "of your AOF file, then use ./redis-check-aof --fix "
                           f"<filename.manifest> ({e.detail} at offset {e.offset})") from None
        except OSError as e:
            raise AofError(f"Unrecoverable error reading the append only file {name}: "
                           f"{e.strerror}") from None
        if problem is None and client.multi is not None:
            log("warning", f"Revert incomplete MULTI/EXEC transaction in AOF file {name}")
            client.discard_transaction()
            valid = before_multi
            problem = "an unterminated MULTI"
        elif problem is not None and client.multi is not None:
            client.discard_transaction()
            valid = before_multi
        client.discard_transaction()
    if problem is None:
        return OK
    # An unexpected end of file (a torn tail).
    if not server.config["aof-load-truncated"]:
        raise AofError(f"Unexpected end of file reading the append only file {name} ({problem}). "
                       "You can: 1) Make a backup of your AOF file, then use ./redis-check-aof "
                       "--fix <filename.manifest>. 2) Alternatively you can set the "
                       "'aof-load-truncated' configuration option to yes and restart the server.")
    if not last:
        raise AofError(f"Fatal error: the truncated file is not the last file ({name}: "
                       f"{problem})")
    log("warning", f"!!! Warning: short read while loading the AOF file {name}!!!")
    log("warning", f"!!! Truncating the AOF {name} at offset {valid} !!!")
    try:
        os.truncate(path, valid)
    except OSError as e:
        raise AofError(f"Error truncating the AOF file {name}: {e.strerror}") from None
    log("warning", f"AOF {name} loaded anyway because aof-load-truncated is enabled "
        f"({size - valid} bytes of a torn tail removed: {problem})")
    return TRUNCATED


def _load_rdb(server: "Server", f: BinaryIO, name: str) -> int:
    """An RDB base (or an old-style RDB preamble): load it; the file position after it."""
    from node import rdb, rdb_reader

    old_style = name == server.aof.filename
    log("notice", "Reading RDB preamble from AOF file..." if old_style
        else "Reading RDB base file on AOF loading...")
    f.seek(0)
    config = server.config
    try:
        report = rdb_reader.load(f, server.keyspace, server.rdb.limits(), expire=False,
                                 checksum=config["rdbchecksum"] and not server.rdb.skip_checksum,
                                 log=log, functions=server.functions.load_callback(False))
    except rdb.RdbError as e:
        kind = "RDB preamble of the AOF file" if old_style else "RDB base file"
        raise AofError(f"Error reading the {kind} {name}, AOF loading aborted ({e})") from None
    if old_style:
        log("notice", "Reading the remaining AOF tail...")
    return report.end
