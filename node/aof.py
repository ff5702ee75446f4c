"""The append-only file: every propagated write, logged to disk as Redis 7.0 lays it out.

The AOF is a sink of `server.propagation` (node/propagate.py), which hands it the RESP bytes
of each event-loop tick once; they go into `buf` and are written by `flush` (Redis's
flushAppendOnlyFile) at the end of that tick, in the propagation's `after_flush` hook. The
files are Redis 7.0's multi-part AOF (see node/aof_manifest.py): a base, incr files and a
manifest in `appenddirname`, so redis-server 7.0 loads a slotkv AOF directory and back.

fsync policies (`appendfsync`):
- `always` is a GROUP COMMIT. While propagated bytes are waiting for the end of the tick,
  `Client.flush` does not write replies: the client is held (`server.held`). The tick's
  commit writes every write of the iteration with one write(2), fdatasyncs once, and only
  then flushes the held clients. So a reply (to a write, or to a read that saw one) never
  reaches a socket before the write is on disk. A failed write or fsync exits the process,
  as Redis does: the promise cannot be kept any more.
- `everysec` writes on the loop each tick and fsyncs in the background thread (node/bio.py)
  at most once a second, never on the loop. If the previous fsync is still running, the
  write is postponed (the bytes stay in `buf`) for up to 2 seconds, then done anyway, counted
  in `aof_delayed_fsync`, as Redis does: write(2) would block behind the fsync.
- `no` writes each tick and leaves flushing to the kernel.
Under `everysec` and `no` the replies are held the same way until the tick's write(2) (only
the fsync is skipped), as Redis writes the AOF before an iteration's replies: a reply never
precedes its write reaching the kernel, so kill -9 loses no acknowledged write; a power cut
loses what was not fsynced yet (about a second under `everysec`). A write postponed behind a
slow fsync does not hold its replies (as in Redis): kill -9 can lose those, up to 2 seconds.

Offsets for WAITAOF and replication: `written_offset` and `fsynced_offset` are positions in
the propagation stream (`propagation.offset`, the replication offset): every byte below
`fsynced_offset` is on disk. Under `always` it follows every commit; under `everysec` the
background fsync advances it; under `no` only the fsyncs done on rotation, on disabling the
AOF and at shutdown move it (as Redis's WAITAOF, which a `no` AOF does not satisfy). The
callables in `on_fsynced` run on the event loop soon after it advanced (at the commit, or at
the next cron tick for the background fsync): WAITAOF waiters hang off it.

Rewrite (BGREWRITEAOF, auto-aof-rewrite-percentage/min-size): a forked child
(node/child.py) writes a new base from its copy-on-write image of the dataset, while the
parent, at the fork, starts a NEW incr file and keeps appending there; when the child
succeeds, the manifest is atomically replaced by one naming the new base and that incr, and
the old files are deleted in the background. A write is thus always in exactly one of: the
old files (before the fork; also in the child's snapshot) or the new incr (after it).
"""

from __future__ import annotations

import os
import signal
import time
from typing import TYPE_CHECKING, Any, Callable

from node import aof_manifest as mf
from node.aof_base import write_commands
from node.bio import FSYNC, Bio
from node.child import ChildResult, private_dirty
from node.config import ConfigError
from node.log import log

if TYPE_CHECKING:
    from node.server import Server

OFF, ON, WAIT_REWRITE = 0, 1, 2
REWRITE_LIMIT_THRESHOLD = 3  # consecutive failures before automatic rewrites back off
REWRITE_LIMIT_MAX_MINUTES = 60


class AofError(Exception):
    """Loading or opening the AOF failed; the node cannot start (exit 1)."""


class AOF:
    def __init__(self, server: "Server") -> None:
        self.server = server
        config = server.config
        self.state = OFF
        self.fd = -1
        self.manifest = mf.Manifest()
        self.buf: list[bytes] = []
        self.buf_len = 0
        self.buf_end = 0  # propagation offset at the end of `buf`
        self.policy = config["appendfsync"]
        self.current_size = 0  # aof_current_size: the base and incr files
        self.base_size = 0  # aof_rewrite_base_size: the size after the last rewrite
        self.last_incr_size = 0
        self.fsync_offset = 0  # aof_current_size at the last fsync (file-size terms)
        self.last_fsync = 0  # unix seconds
        self.flush_postponed_start = 0
        self.delayed_fsync = 0
        self.write_error: str | None = None  # aof_last_write_status err, with its reason
        self.written_offset = 0
        self.fsynced_offset = 0
        self.on_fsynced: list[Callable[[], None]] = []
        self._announced = 0  # the fsynced_offset on_fsynced last heard of
        self.bio = Bio()
        self.attached = False
        self.timestamp = 0  # of the last `#TS:` annotation
        # rewrite state
        self.rewrite_scheduled = False
        self.rewrite_time_start = -1.0
        self.rewrite_time_last = -1
        self.rewrite_ok = True  # aof_last_bgrewrite_status
        self.rewrites = 0
        self.rewrite_failures = 0  # consecutive
        self.last_cow_size = 0
        self._child_pid = 0
        self._child_rdb = False
        self._killing = False
        self._next_delay_minutes = 0
        self._next_rewrite_time = 0.0
        server.propagation.after_flush.append(self.commit)
        config.listen("appendonly", self._set_appendonly)
        config.listen("appendfsync", self._set_policy)

    # -- names ---------------------------------------------------------------------------------

    @property
    def dirname(self) -> str:
        return self.server.config["appenddirname"]

    @property
    def filename(self) -> str:
        return self.server.config["appendfilename"]

    def path(self, name: str) -> str:
        return os.path.join(self.dirname, name)

    def _use_rdb(self) -> bool:
        return bool(self.server.config["aof-use-rdb-preamble"])

    # -- the sink and the per-tick commit ------------------------------------------------------

    def feed(self, data: bytes) -> None:
        """The propagation sink: this tick's writes, RESP-encoded."""
        if self.state == ON or (self.state == WAIT_REWRITE and self._child_pid):
            if self.server.config["aof-timestamp-enabled"]:
                now = int(time.time())
                if now > self.timestamp:  # a `#TS:` annotation each new second
                    self.timestamp = now
                    data = b"#TS:%d\r\n" % now + data
            self.buf.append(data)
            self.buf_len += len(data)
            self.buf_end = self.server.propagation.offset

    def commit(self) -> None:
        """End of a tick (propagation's after_flush): write the tick's bytes (fsync them under
        `always`), then release the replies held for them."""
        if self.state != OFF:
            self.flush(False)
            if self.fsynced_offset != self._announced:
                self._announce()
        server = self.server
        held = server.held
        if held:
            server.held = {}
            for client in held:
                client.flush()

    def _announce(self) -> None:
        self._announced = self.fsynced_offset
        for fn in self.on_fsynced:
            fn()

    def _attach(self) -> None:
        if not self.attached:
            self.server.propagation.attach(self.feed, durable=True)
            self.attached = True
        self.server.propagation.reselect()
        self._update_hold()

    def _detach(self) -> None:
        if self.attached:
            self.server.propagation.detach(self.feed)
            self.attached = False
        self._update_hold()

    def _update_hold(self) -> None:
        # Under every policy a reply waits for its write(2), as Redis writes the AOF before
        # the replies of an iteration: a kill -9 then never loses an acknowledged write (the
        # page cache has it). Under `always` the commit fsyncs as well.
        self.server.hold_replies = self.state != OFF

    # -- writing -------------------------------------------------------------------------------

    def flush(self, force: bool) -> None:
        """flushAppendOnlyFile: write `buf`, then fsync as the policy says."""
        now = int(time.time())
        everysec = self.policy == "everysec"
        sync_in_progress = False
        if not self.buf:
            # Data written but never fsynced because the writes stopped: fsync it now.
            if not (everysec and self.fsync_offset != self.current_size and now > self.last_fsync
                    and not self.bio.pending(FSYNC)):
                return
        else:
            if everysec:
                sync_in_progress = self.bio.pending(FSYNC) != 0
                if sync_in_progress and not force:
                    if not self.flush_postponed_start:
                        self.flush_postponed_start = now
                        return
                    if now - self.flush_postponed_start < 2:
                        return
                    self.delayed_fsync += 1
                    log("notice", "Asynchronous AOF fsync is taking too long (disk is busy?). "
                        "Writing the AOF buffer without waiting for fsync to complete, this "
                        "may slow down Redis.")
            if not self._write_buf():
                return
        if self.server.config["no-appendfsync-on-rewrite"] and self.server.children.busy:
            return
        if self.policy == "always":
            try:
                os.fdatasync(self.fd)
            except OSError as e:
                log("warning", "Can't persist AOF for fsync error when the AOF fsync policy is "
                    f"'always': {e.strerror}. Exiting...")
                os._exit(1)
            self.fsync_offset = self.current_size
            self.fsynced_offset = self.written_offset
            self.last_fsync = now
        elif everysec and now > self.last_fsync:
            if not sync_in_progress:
                self._background_fsync(self.fd)
                self.fsync_offset = self.current_size
            self.last_fsync = now

    def _write_buf(self) -> bool:
        data = b"".join(self.buf)
        self.flush_postponed_start = 0
        written = 0
        error = None
        try:
            while written < len(data):
                written += os.write(self.fd, data[written:] if written else data)
        except OSError as e:
            error = e
        if error is not None:
            if written:
                # A short write: take it back so the file ends on a command boundary.
                try:
                    os.ftruncate(self.fd, self.last_incr_size)
                    written = 0
                except OSError:
                    pass
            reason = error.strerror or str(error)
            if self.write_error is None:
                log("warning", f"Error writing to the AOF file: {reason}")
            if self.policy == "always":
                log("warning", "Can't recover from AOF write error when the AOF fsync policy "
                    "is 'always'. Exiting...")
                os._exit(1)
            self.write_error = reason
            self.server.rdb.update_write_denied()
            if written:
                self.current_size += written
                self.last_incr_size += written
                rest = data[written:]
                self.buf = [rest]
                self.buf_len = len(rest)
            return False
        if self.write_error is not None:
            log("warning", "AOF write error looks solved, Redis can write again.")
            self.write_error = None
            self.server.rdb.update_write_denied()
        self.current_size += written
        self.last_incr_size += written
        self.buf.clear()
        self.buf_len = 0
        self.written_offset = self.buf_end
        return True

    def _background_fsync(self, fd: int) -> None:
        offset = self.written_offset

        def synced() -> None:  # in the bio thread: one assignment
            if offset > self.fsynced_offset:
                self.fsynced_offset = offset

        self.bio.fsync(fd, synced)

    # -- turning on and off --------------------------------------------------------------------

    def _set_policy(self, value: str) -> None:
        self.policy = value
        self._update_hold()

    def _set_appendonly(self, on: bool) -> None:
        if not on and self.state != OFF:
            self.stop()
        elif on and self.state == OFF:
            if not self.start():
                raise ConfigError("Unable to turn on AOF. Check server logs.")

    def stop(self) -> None:
        """stopAppendOnly: CONFIG SET appendonly no."""
        propagation = self.server.propagation
        if not propagation.in_exec:  # (inside EXEC, as in Redis, none of it is logged)
            propagation.flush()  # this tick's writes still belong to the AOF
        self.flush(True)
        try:
            os.fdatasync(self.fd)
            self.fsync_offset = self.current_size
            self.fsynced_offset = self.written_offset
            self.last_fsync = int(time.time())
        except OSError as e:
            log("warning", f"Fail to fsync the AOF file: {e.strerror}")
        os.close(self.fd)
        self.fd = -1
        self.state = OFF
        self.rewrite_scheduled = False
        self.last_incr_size = 0
        self._detach()
        self.kill_child()
        self.buf.clear()
        self.buf_len = 0
        self.server.rdb.update_write_denied()

    def start(self) -> bool:
        """startAppendOnly: CONFIG SET appendonly yes; the AOF is on once a rewrite made its
        first base (WAIT_REWRITE until then)."""
        self.state = WAIT_REWRITE
        children = self.server.children
        if children.busy and children.kind != "aof":
            self.rewrite_scheduled = True
            log("warning", "AOF was enabled but there is already another background operation. "
                "An AOF background was scheduled to start when possible.")
        elif self.server.propagation.in_exec:
            self.rewrite_scheduled = True
            log("warning", "AOF was enabled during a transaction. An AOF background was "
                "scheduled to start when possible.")
        else:
            if children.kind == "aof":
                log("warning", "AOF was enabled but there is already an AOF rewriting in "
                    "background. Stopping background AOF and starting a rewrite now.")
                self.kill_child()
            if not self.rewrite_background():
                self.state = OFF
                log("warning", "Redis needs to enable the AOF but can't trigger a background AOF "
                    "rewrite operation. Check the above logs for more info about the error.")
                return False
        self.last_fsync = int(time.time())
        if self.write_error is not None:
            log("warning", "AOF reopen, just ignore the last error.")
            self.write_error = None
        if self.bio.fsync_error is not None:
            log("warning", "AOF reopen, just ignore the AOF fsync error in bio job")
            self.bio.fsync_error = None
        self.server.rdb.update_write_denied()
        self._update_hold()
        return True

    # -- start-up ------------------------------------------------------------------------------

    def open_on_start(self) -> None:
        """aofOpenIfNeededOnServerStart: after loading, with appendonly yes, make sure a base
        exists (an empty dataset gets one now), open the last incr file for appending (or a
        new one) and persist the manifest. Raises AofError."""
        if not self.server.config["appendonly"]:
            return
        am = self.manifest
        try:
            os.makedirs(self.dirname, exist_ok=True)
        except OSError as e:
            raise AofError(f"Can't open or create append-only dir {self.dirname}: {e.strerror}")
        changed = False
        had_incrs = bool(am.incrs)
        if am.base is None and not am.incrs:
            name = am.new_base(self.filename, self._use_rdb())
            try:
                self.write_base(self.path(name), name.endswith(".rdb"))
            except OSError as e:
                raise AofError(f"Write error writing append only file on disk: {e.strerror}")
            log("notice", f"Creating AOF base file {name} on server start")
            changed = True
        count = len(am.incrs)
        name = am.last_incr(self.filename)
        changed = changed or len(am.incrs) != count
        try:
            self.fd = os.open(self.path(name), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as e:
            raise AofError(f"Can't open the append-only file {name}: {e.strerror}")
        if changed:
            try:
                mf.write_manifest(self.dirname, self.filename, am)
            except OSError as e:
                raise AofError(f"Can't write the AOF manifest file: {e.strerror}")
        self.last_incr_size = os.fstat(self.fd).st_size
        self.current_size = sum(self._size(f.name) for f in am.loadable())
        if not self.base_size:
            self.base_size = self._size(am.base.name) if am.base else 0
        self.fsync_offset = self.current_size
        self.state = ON
        self.last_fsync = int(time.time())
        self.written_offset = self.fsynced_offset = self.server.propagation.offset
        self._attach()
        log("notice", f"{'Opening' if had_incrs else 'Creating'} AOF incr file {name} on server start")
        self.delete_history()

    def _size(self, name: str) -> int:
        try:
            return os.stat(self.path(name)).st_size
        except OSError as e:
            log("warning", f"Unable to obtain the AOF file {name} length. stat: {e.strerror}")
            return 0

    def write_base(self, path: str, use_rdb: bool,
                   progress: Callable[[int], None] | None = None) -> None:
        """rewriteAppendOnlyFile: the dataset to `path` (via a temp file, fsynced, renamed).
        Raises OSError."""
        from node import rdb  # (node.rdb knows the data types, which import this module)

        keyspace = self.server.keyspace
        if use_rdb:
            options = self.server.rdb.options(aof_base=True)
            options.progress = progress
            fill = lambda f: rdb.write(keyspace, f, options)  # noqa: E731
        else:
            incremental = self.server.config["aof-rewrite-incremental-fsync"]
            codes = self.server.functions.codes()
            fill = lambda f: write_commands(keyspace, f, incremental, codes)  # noqa: E731
        rdb.write_durably(path, f"temp-rewriteaof-{os.getpid()}.aof", fill)

    # -- rewrite -------------------------------------------------------------------------------

    def rewrite_background(self) -> bool:
        """rewriteAppendOnlyFileBackground: fork the child that writes a new base. False (and
        logged) if it could not start."""
        server = self.server
        if server.children.busy:
            return False
        try:
            os.makedirs(self.dirname, exist_ok=True)
        except OSError as e:
            log("warning", f"Can't open or create append-only dir {self.dirname}: {e.strerror}")
            self.rewrite_ok = False
            return False
        # Every write made so far goes to the current file (and is in the child's snapshot);
        # every later one to the new incr file.
        server.propagation.flush()
        if self.state != OFF:
            self.flush(True)
        try:
            self._open_new_incr()
        except OSError:
            self.rewrite_ok = False
            return False
        use_rdb = self._use_rdb()

        children = server.children
        keys = sum(len(db.data) for db in server.keyspace.dbs)

        def work() -> None:
            log.role = "C"
            tmp = f"temp-rewriteaof-bg-{os.getpid()}.aof"
            self.write_base(tmp, use_rdb, children.report)
            log("notice", f"Successfully created the temporary AOF base file {tmp}")
            children.report(keys, final=True)
            cow = private_dirty() // (1024 * 1024)
            log("notice", f"Fork CoW for AOF rewrite: current {cow} MB, peak {cow} MB, "
                f"average {cow} MB")

        try:
            pid = server.children.start("aof", work, self._rewrite_done)
        except OSError as e:
            self.rewrite_ok = False
            log("warning", f"Can't rewrite append only file in background: fork: {e.strerror}")
            return False
        self.rewrites += 1
        children.progress.keys_total = keys
        self._child_pid = pid
        self._child_rdb = use_rdb
        if self.state == WAIT_REWRITE:
            self._attach()  # from now on writes are logged, to the temp incr file
        else:
            server.propagation.reselect()
        log("notice", f"Background append only file rewriting started by pid {pid}")
        self.rewrite_scheduled = False
        self.rewrite_time_start = time.time()
        return True

    def _open_new_incr(self) -> None:
        """openNewIncrAofForAppend: the file writes go to from the fork on."""
        if self.state == OFF:
            return
        am = None
        if self.state == WAIT_REWRITE:
            name = mf.temp_incr_name(self.filename)
        else:
            am = self.manifest.copy()
            name = am.new_incr(self.filename)
        try:
            fd = os.open(self.path(name), os.O_WRONLY | os.O_TRUNC | os.O_CREAT | os.O_APPEND,
                         0o644)
        except OSError as e:
            log("warning", f"Can't open the append-only file {name}: {e.strerror}")
            raise
        if am is not None:
            try:
                mf.write_manifest(self.dirname, self.filename, am)
            except OSError as e:
                log("warning", f"Can't persist the AOF manifest file: {e.strerror}")
                os.close(fd)
                raise
        log("notice", f"Creating AOF incr file {name} on background rewrite")
        if self.fd != -1:
            # The old file is complete: fsync it and close it off the loop.
            self._background_fsync(self.fd)
            self.bio.close(self.fd, fsync_first=False)
            self.fsync_offset = self.current_size
            self.last_fsync = int(time.time())
        self.fd = fd
        self.last_incr_size = 0
        if am is not None:
            self.manifest = am

    def _rewrite_done(self, result: ChildResult) -> None:
        """backgroundRewriteDoneHandler."""
        pid = self._child_pid
        self._child_pid = 0
        killed, self._killing = self._killing, False
        tmp = f"temp-rewriteaof-bg-{pid}.aof"
        if result.ok:
            self.last_cow_size = result.cow_size
            log("notice", "Background AOF rewrite terminated with success")
            if self._install(tmp):
                self.rewrite_ok = True
                self.rewrite_failures = 0
                log("notice", "Background AOF rewrite finished successfully")
            else:
                self.rewrite_ok = False
                self.rewrite_failures += 1
        elif not result.signaled:
            self.rewrite_ok = False
            self.rewrite_failures += 1
            log("warning", "Background AOF rewrite terminated with error")
        else:
            if not killed:
                self.rewrite_ok = False
                self.rewrite_failures += 1
            log("warning", f"Background AOF rewrite terminated by signal {result.signal}")
        for name in (tmp, f"temp-rewriteaof-{pid}.aof"):
            if os.path.exists(name):
                self.bio.unlink(name)
        if self.state == WAIT_REWRITE:
            # The AOF is not on yet: what was logged meanwhile is covered by the next rewrite.
            self.buf.clear()
            self.buf_len = 0
            self._detach()
            if self.fd != -1:
                os.close(self.fd)
                self.fd = -1
            temp = self.path(mf.temp_incr_name(self.filename))
            log("notice", "Removing the temp incr aof file "
                f"{mf.temp_incr_name(self.filename)} in the background")
            self.bio.unlink(temp)
            self.rewrite_scheduled = True
        self.rewrite_time_last = int(time.time() - self.rewrite_time_start)
        self.rewrite_time_start = -1.0

    def _install(self, tmp: str) -> bool:
        """Make the child's file the new base, and the manifest say so (atomically)."""
        am = self.manifest.copy()
        base = am.new_base(self.filename, self._child_rdb)
        try:
            os.replace(tmp, self.path(base))
        except OSError as e:
            log("warning", f"Error trying to rename the temporary AOF base file {tmp} into "
                f"{base}: {e.strerror}")
            return False
        log("notice", f"Successfully renamed the temporary AOF base file {tmp} into {base}")
        new_incr = None
        if self.state == WAIT_REWRITE:
            temp = mf.temp_incr_name(self.filename)
            new_incr = am.new_incr(self.filename)
            # The temp file's bytes reach the disk before the manifest names them.
            if self.fd != -1:
                self.flush(True)
                try:
                    os.fdatasync(self.fd)
                except OSError:
                    pass
            try:
                os.replace(self.path(temp), self.path(new_incr))
            except OSError as e:
                log("warning", f"Error trying to rename the temporary AOF incr file {temp} into "
                    f"{new_incr}: {e.strerror}")
                self.bio.unlink(self.path(base))
                return False
            log("notice", f"Successfully renamed the temporary AOF incr file {temp} into "
                f"{new_incr}")
        am.retire_incrs(keep_last=self.fd != -1)
        try:
            mf.write_manifest(self.dirname, self.filename, am)
        except OSError as e:
            log("warning", f"Can't persist the AOF manifest file: {e.strerror}")
            self.bio.unlink(self.path(base))
            if new_incr:
                self.bio.unlink(self.path(new_incr))
            return False
        self.manifest = am
        if self.fd != -1:
            self.server.propagation.reselect()
            self.current_size = self._size(base) + self.last_incr_size
            self.base_size = self.current_size
            self.fsync_offset = self.current_size
            self.last_fsync = int(time.time())
        self.delete_history()
        if self.state == WAIT_REWRITE:
            self.state = ON
            self.fsynced_offset = self.written_offset
            self._update_hold()
        return True

    def delete_history(self) -> None:
        """aofDelHistoryFiles: remove the files a rewrite made history (in the background)."""
        am = self.manifest
        if not am.history or self.server.config["aof-disable-auto-gc"]:
            return
        for info in am.history:
            log("notice", f"Removing the history file {info.name} in the background")
            self.bio.unlink(self.path(info.name))
        am.history = []
        try:
            mf.write_manifest(self.dirname, self.filename, am)
        except OSError as e:
            log("warning", f"Can't persist the AOF manifest file: {e.strerror}")

    def kill_child(self) -> None:
        """killAppendOnlyChild: stop a running rewrite (AOF turned off, shutdown)."""
        children = self.server.children
        if children.kind != "aof":
            return
        log("notice", f"Killing running AOF rewrite child: {children.pid}")
        self._killing = True
        children.kill(signal.SIGUSR1)

    def request_rewrite(self, in_exec: bool) -> str:
        """BGREWRITEAOF: 'started' or 'scheduled'; raises AofError when it cannot start."""
        children = self.server.children
        if children.kind == "aof":
            raise AofError("Background append only file rewriting already in progress")
        if children.busy or in_exec:
            self.rewrite_scheduled = True
            self.rewrite_failures = 0
            return "scheduled"
        if self.rewrite_background():
            return "started"
        raise AofError("Can't execute an AOF background rewriting. Please check the server logs "
                       "for more information.")

    def _rewrite_limited(self) -> bool:
        """aofRewriteLimited: after repeated failures, automatic rewrites back off."""
        if self.rewrite_failures < REWRITE_LIMIT_THRESHOLD:
            self._next_delay_minutes = 0
            self._next_rewrite_time = 0.0
            return False
        now = time.time()
        if self._next_rewrite_time:
            if now < self._next_rewrite_time:
                return True
            self._next_rewrite_time = 0.0
            return False
        self._next_delay_minutes = min(max(1, self._next_delay_minutes * 2),
                                       REWRITE_LIMIT_MAX_MINUTES)
        self._next_rewrite_time = now + self._next_delay_minutes * 60
        log("warning", "Background AOF rewrite has repeatedly failed and triggered the limit, "
            f"will retry in {self._next_delay_minutes} minutes")
        return True

    def disk_error(self) -> str | None:
        """Why writes must be refused (Redis's -MISCONF for the AOF), or None."""
        if self.state == OFF:
            return None
        return self.write_error or self.bio.fsync_error

    def cron(self) -> None:
        """The AOF's part of serverCron."""
        denied = self.server.write_denied is not None
        if denied != (self.disk_error() is not None):  # (a bio fsync error, or it went away)
            self.server.rdb.update_write_denied()
        busy = self.server.children.busy
        if not busy and self.rewrite_scheduled and not self._rewrite_limited():
            self.rewrite_background()
        if self.state != OFF:
            # Postponed writes, an error to retry, the everysec fsync of an idle AOF.
            self.flush(False)
        if self.fsynced_offset != self._announced:
            self._announce()
        config = self.server.config
        perc = config["auto-aof-rewrite-percentage"]
        if (self.state == ON and not self.server.children.busy and perc
                and self.current_size > config["auto-aof-rewrite-min-size"]):
            base = self.base_size or 1
            growth = self.current_size * 100 // base - 100
            if growth >= perc and not self._rewrite_limited():
                log("notice", f"Starting automatic rewriting of AOF on {growth}% growth")
                self.rewrite_background()

    def shutdown(self) -> None:
        """At shutdown: stop a rewrite, write and fsync what is buffered."""
        self.kill_child()
        if self.state == OFF or self.fd == -1:
            return
        self.server.propagation.flush()
        self.flush(True)
        log("notice", "Calling fsync() on the AOF file.")
        try:
            os.fdatasync(self.fd)
            self.fsynced_offset = self.written_offset
        except OSError:
            pass
        self.bio.drain()

    def reload(self) -> None:
        """DEBUG LOADAOF: write out what is buffered, empty the dataset and load the AOF
        files back (exits, as Redis does, if they cannot be loaded)."""
        from node import aof_load

        server = self.server
        server.propagation.flush()
        if self.state == ON:
            self.flush(True)
        ks = server.keyspace
        dirty = ks.dirty
        ks.flush_all()
        try:
            self.manifest = aof_load.load_manifest(server)
            self.delete_history()
            aof_load.load_append_only_files(server)
        except AofError as e:
            for line in str(e).split("\n"):
                log("warning", line)
            os._exit(1)
        # What was loaded is not a change to propagate (DEBUG LOADAOF itself must not be
        # logged, or the next load would run it again).
        ks.dirty = dirty
        log("warning", "Append Only File loaded by DEBUG LOADAOF")

    # -- INFO ----------------------------------------------------------------------------------

    def info(self) -> list[tuple[str, Any]]:
        """The AOF fields of INFO persistence, as Redis 7.0 names and orders them."""
        children = self.server.children
        rewriting = children.kind == "aof"
        ok = self.write_error is None and self.bio.fsync_error is None
        fields: list[tuple[str, Any]] = [
            ("aof_enabled", int(self.state != OFF)),
            ("aof_rewrite_in_progress", int(rewriting)),
            ("aof_rewrite_scheduled", int(self.rewrite_scheduled)),
            ("aof_last_rewrite_time_sec", self.rewrite_time_last),
            ("aof_current_rewrite_time_sec",
             int(time.time() - self.rewrite_time_start) if rewriting else -1),
            ("aof_last_bgrewrite_status", "ok" if self.rewrite_ok else "err"),
            ("aof_rewrites", self.rewrites),
            ("aof_rewrites_consecutive_failures", self.rewrite_failures),
            ("aof_last_write_status", "ok" if ok else "err"),
            ("aof_last_cow_size", self.last_cow_size),
            ("module_fork_in_progress", 0),
            ("module_fork_last_cow_size", 0),
        ]
        if self.server.config["appendonly"]:
            fields += [
                ("aof_current_size", self.current_size),
                ("aof_base_size", self.base_size),
                ("aof_pending_rewrite", int(self.rewrite_scheduled)),
                ("aof_buffer_length", self.buf_len),
                ("aof_pending_bio_fsync", self.bio.pending(FSYNC)),
                ("aof_delayed_fsync", self.delayed_fsync),
            ]
        return fields
