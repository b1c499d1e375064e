# SPDX-License-Identifier: MIT
"""Python stubs for the project's gRPC protocol, generated at test time from
src/server/grpc/grpc_service.proto: messages with Debian's protoc (protobuf-compiler, matching
python3-protobuf), the service stub with python3-grpc-tools. Skips (77) when either is missing."""
import importlib
import os
import shutil
import subprocess
import sys
import tempfile

import eiserver as E

PROTO_DIR = os.path.join(E.EI_SOURCE_DIR, "src", "server", "grpc")


def load():
    """Returns (grpc, pb2, pb2_grpc), generating the stubs into a temporary directory."""
    try:
        import grpc  # noqa: F401
        import grpc_tools  # noqa: F401
    except ImportError:
        E.skip("python3-grpcio / python3-grpc-tools are not installed")
    protoc = shutil.which("protoc")
    if not protoc:
        E.skip("protoc (protobuf-compiler) is not installed")
    out = tempfile.mkdtemp(prefix="ei-grpc-stubs-")
    subprocess.run([protoc, "-I" + PROTO_DIR, "--python_out=" + out, "grpc_service.proto"],
                   check=True)
    subprocess.run([sys.executable, "-m", "grpc_tools.protoc", "-I" + PROTO_DIR,
                    "--grpc_python_out=" + out, "grpc_service.proto"], check=True)
    sys.path.insert(0, out)
    import grpc
    pb = importlib.import_module("grpc_service_pb2")
    pbg = importlib.import_module("grpc_service_pb2_grpc")
    return grpc, pb, pbg


def stub(grpc, pbg, server, **kw):
    ch = grpc.insecure_channel("127.0.0.1:%d" % server.grpc_port, **kw)
    return ch, pbg.GRPCInferenceServiceStub(ch)


def code_of(grpc, fn, *a, **kw):
    """Calls fn; returns (status code, details) ((OK, None) when it succeeds)."""
    try:
        fn(*a, **kw)
        return grpc.StatusCode.OK, None
    except grpc.RpcError as e:
        return e.code(), e.details()
