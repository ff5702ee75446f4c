"""Who may replicate from a node, and how the link is encrypted.

The credentials are Redis's: a primary whose default user needs a password (`requirepass`)
accepts a replica whose `masteruser` (default: `default`) and `masterauth` log in as an ACL
user (node/acl.py), and refuses others with Redis's NOAUTH / WRONGPASS texts. With
`tls-replication yes` the gRPC link is TLS on both ends: the primary serves with
`tls-cert-file`/`tls-key-file` and requires a client certificate signed by
`tls-ca-cert-file` (`tls-auth-clients yes`, the default; `optional` checks one if given,
`no` does not ask); the replica verifies the primary against
`tls-ca-cert-file` and presents `tls-client-cert-file`/`tls-client-key-file` (or, as Redis,
the server pair when those are unset).
"""

from __future__ import annotations

from typing import Any

import grpc

NOAUTH = "NOAUTH Authentication required."
WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled."


class TLSConfigError(Exception):
    """A TLS file that cannot be read; the message names it."""


def check_secret(acl: Any, user: str, password: str) -> str | None:
    """None if a replica presenting `user`/`password` may sync, else the refusal's text."""
    if acl.default.can_log_in_without_password and user in ("", "default"):
        return None
    if not password:
        return NOAUTH
    found = acl.users.get((user or "default").encode())
    if found is None or not found.check_password(password.encode()):
        return WRONGPASS
    return None


def _read(path: str, what: str) -> bytes:
    if not path:
        raise TLSConfigError(f"tls-replication is enabled but {what} is not set")
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise TLSConfigError(f"Failed to load {what} {path}: {e.strerror}") from None


def server_credentials(config: Any) -> grpc.ServerCredentials | None:
    """The primary's listener credentials; None for a plaintext listener."""
    if not config["tls-replication"]:
        return None
    key = _read(config["tls-key-file"], "tls-key-file")
    cert = _read(config["tls-cert-file"], "tls-cert-file")
    auth = config["tls-auth-clients"]  # yes: a client certificate is required; optional:
    require_client = auth == "yes"        # checked if presented; no: not asked for
    ca = _read(config["tls-ca-cert-file"], "tls-ca-cert-file") if auth != "no" else None
    return grpc.ssl_server_credentials([(key, cert)], root_certificates=ca,
                                       require_client_auth=require_client)


def channel_credentials(config: Any) -> grpc.ChannelCredentials | None:
    """The replica's credentials towards its primary; None for a plaintext link."""
    if not config["tls-replication"]:
        return None
    ca = _read(config["tls-ca-cert-file"], "tls-ca-cert-file")
    cert_file = config["tls-client-cert-file"] or config["tls-cert-file"]
    key_file = config["tls-client-key-file"] or config["tls-key-file"]
    cert = _read(cert_file, "tls-client-cert-file") if cert_file else None
    key = _read(key_file, "tls-client-key-file") if key_file else None
    return grpc.ssl_channel_credentials(root_certificates=ca, private_key=key,
                                        certificate_chain=cert)
