"""The dataset as one file, for a full sync: written by a forked child, loaded by a replica.

INTERIM: until the RDB writer and loader (node/rdb.py) land, the snapshot is the keyspace's
databases pickled as they are, which both ends of a link running the same slotkv can read.
It is replaced by the RDB format (with the repl-id / repl-offset aux fields) when they do.
"""

from __future__ import annotations

import pickle
from typing import Any

_MAGIC = b"SLOTKV-SNAPSHOT-1\n"


def write(keyspace: Any, path: str) -> None:
    """Write every database of `keyspace` to `path` (run in a forked child)."""
    dbs = [(db.index, db.data, db.expires) for db in keyspace.dbs if db.data]
    with open(path, "wb") as f:
        f.write(_MAGIC)
        pickle.dump(dbs, f, protocol=pickle.HIGHEST_PROTOCOL)


def load(keyspace: Any, path: str) -> int:
    """Replace the contents of `keyspace` with the snapshot at `path`; the keys loaded."""
    with open(path, "rb") as f:
        if f.read(len(_MAGIC)) != _MAGIC:
            raise ValueError("not a slotkv snapshot")
        dbs = pickle.load(f)
    keyspace.flush_all()
    loaded = 0
    for index, data, expires in dbs:
        db = keyspace.dbs[index]
        for key, value in data.items():
            db.set(key, value)
        for key, when in expires.items():
            db.set_deadline(key, when)
        loaded += len(data)
    return loaded
