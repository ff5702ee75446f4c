"""RDB snapshots of a running server: SAVE, BGSAVE, save points, loading at start, and the
state INFO persistence reports (Redis's rdb.c and the snapshot half of server.c's cron).

`server.rdb` is a `Snapshots`. What it does, as Redis does it:

- SAVE writes the snapshot in the event loop (`temp-<pid>.rdb`, fsync, rename over
  `dir/dbfilename`); BGSAVE forks (node/child.py) and the child does the same while the
  parent serves. After a successful save the changes counted since are those made since the
  save began (the fork, for BGSAVE).
- Save points: the cron starts a BGSAVE when, for one `save <seconds> <changes>` pair, at
  least `changes` writes happened and more than `seconds` passed since the last successful
  save; after a failed one, not before 5 seconds (CONFIG_BGSAVE_RETRY_DELAY). A BGSAVE asked
  for while another child runs (AOF rewrite) with SCHEDULE, or inside MULTI/EXEC, starts as
  soon as that child is gone.
- `stop-writes-on-bgsave-error`: while save points are configured and the last background
  save failed, write commands (and PING) get Redis's -MISCONF error. `server.write_denied`
  holds that error (None when writes are allowed), so the request path tests one attribute.
- At start (`load_at_start`), `dir/dbfilename` is loaded before clients are accepted, with
  Redis's log lines; a file that cannot be loaded is reported with its offset and the node
  exits with code 1.

The child reports progress (keys written, copy-on-write size) through node/child.py's pipe.
Other parts hook in with `on_bgsave_done` (replication waits for a snapshot to ship).
"""

from __future__ import annotations

import os
import signal
import time
from typing import Any, Callable

from node import rdb, rdb_reader
from node.child import private_dirty
from node.errors import CommandError
from node.log import log

BGSAVE_RETRY_DELAY = 5  # CONFIG_BGSAVE_RETRY_DELAY, seconds

MISCONF = ("MISCONF Redis is configured to save RDB snapshots, but it's currently unable to "
           "persist to disk. Commands that may modify the data set are disabled, because this "
           "instance is configured to report errors during writes if RDB snapshotting fails "
           "(stop-writes-on-bgsave-error option). Please check the Redis logs for details "
           "about the RDB error.")


class LoadFailed(Exception):
    """The dataset file could not be loaded at start (the message is for the log)."""


class Snapshots:
    def __init__(self, server: Any) -> None:
        self.server = server
        now = int(time.time())
        self.last_save = now  # LASTSAVE, rdb_last_save_time
        self.dirty_at_save = 0  # keyspace.dirty when the data last saved was taken
        self.dirty_before_bgsave = 0
        self.last_bgsave_ok = True
        self.last_bgsave_try = 0
        self.last_bgsave_seconds = -1
        self.bgsave_started = -1.0  # time.time() of the running BGSAVE's fork; -1: none
        self.bgsave_scheduled = False
        self.saves = 0  # rdb_saves: SAVE commands and background saves started
        self.last_cow_size = 0
        self.keys_loaded = 0  # rdb_last_load_keys_loaded
        self.keys_expired = 0  # rdb_last_load_keys_expired
        self.loading = False
        self.skip_checksum = False  # DEBUG SET-SKIP-CHECKSUM-VALIDATION (files and RESTORE)
        self.on_bgsave_done: list[Callable[[bool], None]] = []
        self.loaded_aux: dict[bytes, bytes] = {}  # the AUX fields of the last file loaded
        for name in ("save", "stop-writes-on-bgsave-error"):
            server.config.listen(name, lambda _value: self.update_write_denied())

    # -- what to write, and where -----------------------------------------------------------

    @property
    def path(self) -> str:
        """The dataset file: `dbfilename` in the working directory (`dir`)."""
        return self.server.config["dbfilename"]

    def options(self, aof_base: bool = False) -> rdb.Options:
        server = self.server
        config = server.config
        policy = config["maxmemory-policy"]
        # A snapshot remembers the replication history it is a point of (not an AOF base).
        repl = None if aof_base or server.replication is None else server.replication.save_info()
        return rdb.Options(
            compression=config["rdbcompression"], checksum=config["rdbchecksum"],
            aux=rdb.aux_fields(server.used_memory_rss(), aof_base, repl),
            key_delay_us=config["rdb-key-save-delay"],
            save_lru=policy.endswith("-lru"), save_lfu=policy.endswith("-lfu"),
            functions=server.functions.codes())

    def limits(self) -> rdb_reader.Limits:
        return rdb_reader.Limits.from_config(self.server.config)

    @property
    def bgsave_in_progress(self) -> bool:
        return self.server.children.kind == "rdb"

    def changes(self) -> int:
        """rdb_changes_since_last_save."""
        return self.server.keyspace.dirty - self.dirty_at_save

    # -- SAVE -------------------------------------------------------------------------------

    def save(self) -> bool:
        """rdbSave in the event loop; False (and logged) when the file could not be written."""
        path = self.path
        try:
            rdb.save(self.server.keyspace, path, self.options())
        except OSError as e:
            log("warning", f"Write error saving DB on disk: {e.strerror or e}")
            return False
        log("notice", "DB saved on disk")
        self.dirty_at_save = self.server.keyspace.dirty
        self.last_save = int(time.time())
        self.last_bgsave_ok = True
        self.update_write_denied()
        return True

    # -- BGSAVE -----------------------------------------------------------------------------

    def bgsave(self) -> bool:
        """rdbSaveBackground: fork a saving child; False when none could be started."""
        server = self.server
        children = server.children
        if children.busy:
            return False
        self.saves += 1
        ks = server.keyspace
        self.dirty_before_bgsave = ks.dirty
        self.last_bgsave_try = int(time.time())
        options = self.options()
        options.progress = children.report
        path = self.path

        def work() -> None:
            log.role = "C"
            rdb.save(ks, path, options)
            log("notice", "DB saved on disk")
            children.report(sum(len(db.data) for db in ks.dbs), final=True)
            cow = private_dirty() // (1024 * 1024)
            log("notice", f"Fork CoW for RDB: current {cow} MB, peak {cow} MB, average {cow} MB")

        try:
            pid = children.start("rdb", work, self._bgsave_done)
        except OSError as e:
            self.last_bgsave_ok = False
            self.update_write_denied()
            log("warning", f"Can't save in background: fork: {e.strerror or e}")
            return False
        children.progress.keys_total = sum(len(db.data) for db in ks.dbs)
        self.bgsave_started = time.time()
        log("notice", f"Background saving started by pid {pid}")
        return True

    def _bgsave_done(self, result: Any) -> None:
        """backgroundSaveDoneHandlerDisk."""
        if result.ok:
            log("notice", "Background saving terminated with success")
            self.dirty_at_save = self.dirty_before_bgsave
            self.last_save = int(time.time())
            self.last_bgsave_ok = True
            self.last_cow_size = result.cow_size
        elif not result.signaled:
            log("warning", "Background saving error")
            self.last_bgsave_ok = False
        else:
            log("warning", f"Background saving terminated by signal {result.signal}")
            remove_quietly(rdb.temp_path("", result.pid))
            # SIGUSR1 is how a save is cancelled on purpose: not an error.
            if result.signal != signal.SIGUSR1:
                self.last_bgsave_ok = False
        self.last_bgsave_seconds = int(time.time() - self.bgsave_started)
        self.bgsave_started = -1.0
        self.update_write_denied()
        for hook in list(self.on_bgsave_done):
            hook(result.ok)

    def kill_child(self) -> None:
        """killRDBChild, then the temp file removed (SHUTDOWN, FLUSHALL)."""
        children = self.server.children
        if children.kind == "rdb":
            pid = children.pid
            children.kill(signal.SIGUSR1)
            remove_quietly(rdb.temp_path("", pid))

    def flushed_all(self) -> None:
        """FLUSHALL's part (flushAllDataAndResetRDB): a saving child's snapshot is stale, so
        it is stopped; with save points configured, the now empty dataset is saved at once."""
        self.kill_child()
        if self.server.config["save"]:
            self.save()

    # -- the cron ---------------------------------------------------------------------------

    def cron(self) -> None:
        """Save points and scheduled BGSAVEs (serverCron)."""
        server = self.server
        if server.children.busy:
            return
        now = int(time.time())
        retry_ok = self.last_bgsave_ok or now - self.last_bgsave_try > BGSAVE_RETRY_DELAY
        changes = self.changes()
        for seconds, wanted in server.config["save"]:
            if changes >= wanted and now - self.last_save > seconds and retry_ok:
                log("notice", f"{wanted} changes in {seconds} seconds. Saving...")
                self.bgsave()
                return
        if self.bgsave_scheduled and retry_ok and self.bgsave():
            self.bgsave_scheduled = False

    # -- stop-writes-on-bgsave-error --------------------------------------------------------

    def update_write_denied(self) -> None:
        """writeCommandsDeniedByDiskError: a failed background save, else an AOF that cannot
        be written (node/aof.py calls this when its state changes)."""
        server = self.server
        config = server.config
        denied = (config["stop-writes-on-bgsave-error"] and bool(config["save"])
                  and not self.last_bgsave_ok)
        aof_error = server.aof.disk_error()
        if denied:
            server.write_denied = CommandError(MISCONF)
        elif aof_error is not None:
            server.write_denied = CommandError(f"MISCONF Errors writing to the AOF file: {aof_error}")
        else:
            server.write_denied = None
        server.checks_changed()

    # -- shutdown ---------------------------------------------------------------------------

    def before_shutdown(self, save: bool | None, force: bool) -> bool:
        """finishShutdown's snapshot part: stop a saving child, then save if save points are
        configured (unless `save` is False) or `save` is True. False when that save failed
        and not `force`: the server must keep running."""
        if self.server.children.kind == "rdb":
            log("warning", "There is a child saving an .rdb. Killing it!")
            self.kill_child()
        if save is True or (save is None and self.server.config["save"]):
            log("notice", "Saving the final RDB snapshot before exiting.")
            if not self.save():
                if not force:
                    log("warning", "Error trying to save the DB, can't exit.")
                    return False
                log("warning", "Error trying to save the DB. Exit anyway.")
        return True

    # -- loading ----------------------------------------------------------------------------

    def load(self, path: str, allow_dup: bool = False) -> rdb_reader.LoadReport:
        """rdbLoad: the file into the keyspace; RdbError (with the offset) when it cannot."""
        server = self.server
        self.loading = True
        self.keys_loaded = self.keys_expired = 0
        try:
            report = rdb_reader.load(
                path, server.keyspace, self.limits(), expire=not server.keyspace.replica,
                allow_dup=allow_dup,
                checksum=server.config["rdbchecksum"] and not self.skip_checksum, log=log,
                functions=server.functions.load_callback(allow_dup))
        finally:
            self.loading = False
        self.keys_loaded = report.keys_loaded
        self.keys_expired = report.keys_expired
        self.loaded_aux = report.aux
        return report

    def load_at_start(self) -> None:
        """loadDataFromDisk's RDB branch: load `dir/dbfilename` if it exists. Raises
        LoadFailed when it exists and cannot be loaded."""
        path = self.path
        if not os.path.exists(path):
            return
        t0 = time.monotonic()
        try:
            self.load(path)
        except rdb.RdbError as e:
            if e.message == "Unexpected EOF reading RDB file":
                log("warning", "Short read or OOM loading DB. Unrecoverable error, aborting "
                    "now.")
            log("warning", str(e))
            raise LoadFailed("Terminating server after rdb file reading failure.") from None
        except OSError as e:
            raise LoadFailed(f"Fatal error loading the DB: {e.strerror or e}. Exiting.") from None
        log("notice", f"DB loaded from disk: {time.monotonic() - t0:.3f} seconds")
        # What was just loaded is what is on disk.
        self.dirty_at_save = self.server.keyspace.dirty
        try:
            self.last_save = int(os.stat(path).st_mtime)
        except OSError:
            pass

    # -- INFO -------------------------------------------------------------------------------

    def info_fields(self) -> list[tuple[str, Any]]:
        """INFO persistence, the RDB part (loading .. rdb_last_load_keys_loaded)."""
        children = self.server.children
        busy = children.busy
        p = children.read_progress() if busy else None
        now = time.time()
        current = -1
        if self.bgsave_in_progress and self.bgsave_started >= 0:
            current = int(now - self.bgsave_started)
        perc = 0.0
        if p is not None and p.keys_total:
            perc = min(p.keys_processed / p.keys_total * 100, 100.0)
        age = int(time.monotonic() - p.cow_updated) if p is not None and p.cow_updated else 0
        return [
            ("loading", int(self.loading)),
            ("async_loading", 0),
            ("current_cow_peak", p.cow_peak if p else 0),
            ("current_cow_size", p.cow_size if p else 0),
            ("current_cow_size_age", age),
            ("current_fork_perc", f"{perc:.2f}"),
            ("current_save_keys_processed", p.keys_processed if p else 0),
            ("current_save_keys_total", p.keys_total if p else 0),
            ("rdb_changes_since_last_save", self.changes()),
            ("rdb_bgsave_in_progress", int(self.bgsave_in_progress)),
            ("rdb_last_save_time", self.last_save),
            ("rdb_last_bgsave_status", "ok" if self.last_bgsave_ok else "err"),
            ("rdb_last_bgsave_time_sec", self.last_bgsave_seconds),
            ("rdb_current_bgsave_time_sec", current),
            ("rdb_saves", self.saves),
            ("rdb_last_cow_size", self.last_cow_size),
            ("rdb_last_load_keys_expired", self.keys_expired),
            ("rdb_last_load_keys_loaded", self.keys_loaded),
        ]


def remove_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
