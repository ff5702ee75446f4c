"""DEBUG DIGEST: Redis's fingerprint of a dataset, bit for bit (debug.c).

The same dataset gives the same 40 hex digits on slotkv and on redis-server, so tests and
operators can compare two servers' contents with one command. Redis builds it from SHA1 with
two combinators over a 20-byte state:

    xor(d, data) = d XOR SHA1(data)          order-free: sets, hash fields, keys of a db
    mix(d, data) = SHA1(d XOR SHA1(data))    order-sensitive: a key, its type, list items

A key's digest starts at zero: mix(key), mix(type code as 4 big-endian bytes), the value's
digest (per type, below), then xor("!!expire!!") if the key has a TTL (its value does not
count). Per database that holds keys (logically expired ones included, as Redis iterates the
dict), the dataset digest is mixed with the db number, then each key digest is xor-ed in
(through SHA1, as Redis's xorDigest always hashes its input). An empty dataset is all zeros.

Value digests are registered per Python class (`register(cls, OBJ_LIST, fn)`, where
`fn(digest, value)` returns the digest with the value folded in), so the data type modules
plug in theirs. Redis's rules for each type, written with the helpers here (tests check them
against redis-server's DEBUG DIGEST-VALUE):

    list    for item in order:        d = mix(d, item)
    set     for member:               d = xor(d, member)
    hash    for field, value:         d = xor(d, element(field, value))
    zset    for member, score:        d = xor(d, element(member, score_text(score)))
    stream  for id, fields in order:  d = mix(d, b"ms.seq"); then mix(field), mix(value) each
"""

from __future__ import annotations

import hashlib
from typing import Any, Callable, Iterable

from node.errors import CommandError

ZERO = bytes(20)

# Redis's object type codes (OBJ_STRING ...), mixed into every key's digest.
OBJ_STRING, OBJ_LIST, OBJ_SET, OBJ_ZSET, OBJ_HASH, OBJ_MODULE, OBJ_STREAM = range(7)

_sha1 = hashlib.sha1
_EXPIRE_MARK = b"!!expire!!"


def xor(digest: bytes, data: bytes) -> bytes:
    """xorDigest: `digest` XOR SHA1(`data`)."""
    h = _sha1(data).digest()
    return (int.from_bytes(digest, "big") ^ int.from_bytes(h, "big")).to_bytes(20, "big")


def mix(digest: bytes, data: bytes) -> bytes:
    """mixDigest: SHA1(`digest` XOR SHA1(`data`))."""
    return _sha1(xor(digest, data)).digest()


def element(*parts: bytes) -> bytes:
    """The digest of one aggregate element (a hash field and value, a zset member and score):
    each part mixed in order into a zero digest."""
    d = ZERO
    for part in parts:
        d = mix(d, part)
    return d


def score_text(score: float) -> bytes:
    """A zset score as Redis 7.0 writes it for digests: `%.17g`."""
    return b"%.17g" % score


def _string_digest(digest: bytes, value: bytes) -> bytes:
    return mix(digest, value)


ValueDigest = Callable[[bytes, Any], bytes]

# value class -> (Redis type code, function(digest, value) -> digest). Data types add theirs.
VALUE_DIGESTS: dict[type, tuple[int, ValueDigest]] = {
    bytes: (OBJ_STRING, _string_digest),
    bytearray: (OBJ_STRING, _string_digest),
    int: (OBJ_STRING, lambda digest, value: mix(digest, b"%d" % value)),
}


def register(cls: type, type_code: int, fn: ValueDigest) -> None:
    """Plug a data type's value digest in (see the module docstring for Redis's rules)."""
    VALUE_DIGESTS[cls] = (type_code, fn)


def object_digest(value: Any, has_expire: bool, digest: bytes = ZERO) -> bytes:
    """xorObjectDigest: type, value and expiry folded into `digest` (DEBUG DIGEST-VALUE)."""
    entry = VALUE_DIGESTS.get(value.__class__)
    if entry is None:  # a data type that has not registered its digest: refuse, never guess
        raise CommandError(
            f"ERR no digest is defined for values of type {value.__class__.__name__}")
    type_code, fn = entry
    d = mix(digest, type_code.to_bytes(4, "big"))
    d = fn(d, value)
    if has_expire:
        d = xor(d, _EXPIRE_MARK)
    return d


def dataset_digest(dbs: Iterable[Any]) -> bytes:
    """computeDatasetDigest over databases with `index`, `data` and `expires`."""
    final = ZERO
    for db in dbs:
        data = db.data
        if not data:
            continue
        final = mix(final, db.index.to_bytes(4, "big"))
        expires = db.expires
        acc = 0  # XOR is order-free: fold the keys' SHA1s into an int, then into `final`
        for key, value in data.items():
            d = object_digest(value, key in expires, mix(ZERO, key))
            acc ^= int.from_bytes(_sha1(d).digest(), "big")
        final = (int.from_bytes(final, "big") ^ acc).to_bytes(20, "big")
    return final
