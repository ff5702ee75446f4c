"""The open-files limit `maxclients` needs (Redis's adjustOpenFilesLimit).

Each client is a socket, so a node needs `maxclients` file descriptors plus a few of its own
(listening sockets, the AOF, snapshots). At start and on `CONFIG SET maxclients` the
process's RLIMIT_NOFILE is raised as far as the system allows; at start a limit that cannot
be raised enough lowers `maxclients` to fit (with Redis's warnings), and CONFIG SET refuses
a value that does not fit, naming the most that would.
"""

from __future__ import annotations

import os
import resource

from node.log import log

# CONFIG_MIN_RESERVED_FDS: the descriptors kept for the server's own use.
RESERVED_FDS = 32


def fit_maxclients(maxclients: int) -> int:
    """Make room for `maxclients` clients, raising the open-files limit if need be; the
    number of clients the limit then leaves room for (`maxclients` when it fits; 0 or less
    when not even the server's own descriptors fit)."""
    wanted = maxclients + RESERVED_FDS
    try:
        old, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (OSError, ValueError) as e:
        log("warning", f"Unable to obtain the current NOFILE limit ({e}), assuming 1024 and "
            "setting the max clients configuration accordingly.")
        return 1024 - RESERVED_FDS
    if old == resource.RLIM_INFINITY or old >= wanted:
        return maxclients
    # The limit asked for, or else the highest below it the system grants, 16 at a time.
    best, error = wanted, 0
    while best > old:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (best, best))
            break
        except (OSError, ValueError) as e:
            error = e.errno if isinstance(e, OSError) and e.errno else 1
        if best < 16:
            best = old
            break
        best -= 16
    best = max(best, old)
    if best >= wanted:
        log("notice", f"Increased maximum number of open files to {wanted} (it was "
            f"originally set to {old}).")
        return maxclients
    if best <= RESERVED_FDS:
        log("warning", f"Your current 'ulimit -n' of {old} is not enough for the server to "
            f"start. Please increase your open file limit to at least {wanted}. Exiting.")
        return best - RESERVED_FDS
    reduced = best - RESERVED_FDS
    log("warning", f"You requested maxclients of {maxclients} requiring at least {wanted} "
        "max file descriptors.")
    log("warning", f"Server can't set maximum open files to {wanted} because of OS error: "
        f"{os.strerror(error)}.")
    log("warning", f"Current maximum open files is {best}. maxclients has been reduced to "
        f"{reduced} to compensate for low ulimit. If you need higher maxclients increase "
        "'ulimit -n'.")
    return reduced
