"""Replacing a file atomically: after a crash the old version or the new one is there, whole.

Write a temporary file next to it, fsync it, rename it over the old one, fsync the directory
(so the rename itself is durable). Used for small state files that are rewritten whole: the
cluster node's cluster-config-file, the coordinator's topology, the aclfile.
"""

from __future__ import annotations

import os


def write_atomically(path: str, data: bytes) -> None:
    """Replace `path` with `data` so a crash leaves the old file or the new one, never a mix:
    write a temporary file, fsync it, rename it over, fsync the directory."""
    tmp = f"{path}.tmp-{os.getpid()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError:
        try:
            os.unlink(tmp)  # a full disk must not keep a half-written copy around
        except OSError:
            pass
        raise
    dirfd = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
    try:
        os.fsync(dirfd)
    finally:
        os.close(dirfd)
