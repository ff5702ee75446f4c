"""The generated gRPC code under slotkv/ is what proto/generate.sh makes from proto/ today.

Regenerates every contract into a scratch directory and compares file by file, so a .proto
changed without `bash proto/generate.sh` (or a generated file edited by hand) fails here.
"""

from __future__ import annotations

import glob
import os
import subprocess
import tempfile

from conftest import ROOT


def generated_files(root: str) -> dict[str, bytes]:
    out = {}
    for path in sorted(glob.glob(os.path.join(root, "slotkv", "v1", "*_pb2*.py*"))):
        with open(path, "rb") as f:
            out[os.path.relpath(path, root)] = f.read()
    return out


def test_checked_in_code_is_fresh() -> None:
    contracts = glob.glob(os.path.join(ROOT, "proto", "slotkv", "v1", "*.proto"))
    assert contracts, "no contracts under proto/slotkv/v1"
    with tempfile.TemporaryDirectory() as scratch:
        subprocess.run(["bash", os.path.join(ROOT, "proto", "generate.sh"), scratch],
                       check=True, cwd=ROOT, capture_output=True)
        fresh = generated_files(scratch)
        assert fresh, "generate.sh produced nothing"
        stale = generated_files(ROOT)
        assert sorted(fresh) == sorted(stale), "generated files differ from the checked-in set"
        for name, text in fresh.items():
            assert stale[name] == text, f"{name} is stale: run `bash proto/generate.sh`"


def test_contracts_import() -> None:
    from slotkv.v1 import replication_pb2, replication_pb2_grpc

    hello = replication_pb2.ReplicaMessage(hello=replication_pb2.Hello(replid="?", offset=0))
    data = replication_pb2.ReplicaMessage.FromString(hello.SerializeToString())
    assert data.WhichOneof("kind") == "hello"
    assert hasattr(replication_pb2_grpc, "ReplicationServicer")


def test_contracts_share_one_package() -> None:
    # Every contract is in package slotkv.v1: two messages of the same name in two files
    # cannot both load (protobuf's descriptor pool refuses the second).
    import importlib

    modules = sorted(os.path.basename(p)[:-3] for p in glob.glob(
        os.path.join(ROOT, "slotkv", "v1", "*_pb2.py")))
    for name in modules:
        importlib.import_module(f"slotkv.v1.{name}")


def test_cluster_contract_imports() -> None:
    from slotkv.v1 import cluster_pb2, cluster_pb2_grpc

    msg = cluster_pb2.NodeMessage(hello=cluster_pb2.NodeHello(id="a" * 40, port=7001))
    back = cluster_pb2.NodeMessage.FromString(msg.SerializeToString())
    assert back.WhichOneof("kind") == "hello" and back.hello.port == 7001
    assert hasattr(cluster_pb2_grpc, "CoordinatorServicer")
