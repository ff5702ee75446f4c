"""Error replies, with Redis 7's exact wording.

A handler raises `CommandError`; the dispatcher turns it into a `-...` reply. The message
carries its own prefix (`ERR`, `WRONGTYPE`, `NOAUTH`, ...) because clients branch on it.
The constants are the strings Redis keeps in `shared.*`, so every command says them the same way.
"""

from __future__ import annotations


class CommandError(Exception):
    """An error reply. `str(e)` is the message without the leading `-`."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ProtocolError(Exception):
    """Malformed RESP from a client: answered with `-ERR Protocol error: ...`, then closed."""


WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
SYNTAX = "ERR syntax error"
NOT_INTEGER = "ERR value is not an integer or out of range"
NOT_FLOAT = "ERR value is not a valid float"
NO_SUCH_KEY = "ERR no such key"
INDEX_OUT_OF_RANGE = "ERR index out of range"
OVERFLOW = "ERR increment or decrement would overflow"
STRING_TOO_LONG = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
DB_OUT_OF_RANGE = "ERR DB index is out of range"
NOAUTH = "NOAUTH Authentication required."
OOM = "OOM command not allowed when used memory > 'maxmemory'."
WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled."
TIMEOUT_NOT_FLOAT = "ERR timeout is not a float or out of range"


def wrong_arity(name: str) -> CommandError:
    return CommandError(f"ERR wrong number of arguments for '{name}' command")


def unknown_command(argv: list[bytes]) -> CommandError:
    # Redis echoes at most 128 bytes of the name and about 128 bytes of arguments in total,
    # each cut at a NUL byte (it formats them with %s).
    args = b""
    for a in argv[1:]:
        if len(args) >= 128:
            break
        args += b"'%b' " % _clip(a, 128 - len(args))
    return _raw_error(b"ERR unknown command '%b', with args beginning with: %b"
                      % (_clip(argv[0]), args))


def unknown_subcommand(container: str, sub: bytes) -> CommandError:
    return _raw_error(b"ERR unknown subcommand '%b'. Try %b HELP."
                      % (_clip(sub), container.upper().encode()))


def _clip(arg: bytes, limit: int = 128) -> bytes:
    return arg[:limit].split(b"\0", 1)[0]


def as_text(b: bytes) -> str:
    """Client bytes as a str for a message (an error, ACL LIST), every byte kept: they travel
    through str with surrogateescape, and the encoder restores them."""
    return b.decode("utf-8", "surrogateescape")


def _raw_error(message: bytes) -> CommandError:
    return CommandError(as_text(message))
