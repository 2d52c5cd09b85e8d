#!/usr/bin/env python3
"""freshet-example-python: a Freshet sink connector plugin written in Python.

It appends each record to a file as a line, "topic/partition/offset<TAB>value",
like the Go example. It shows everything a plugin in another language does:

- go-plugin's handshake: the worker starts the executable with
  FRESHET_PLUGIN=connector in its environment; the plugin listens on
  127.0.0.1 and prints "1|1|tcp|127.0.0.1:PORT|grpc|<its certificate>".
- Automatic mutual TLS: the worker passes its certificate in
  PLUGIN_CLIENT_CERT; the plugin makes its own and only accepts the worker.
- The services the worker calls: freshet.connector.v1.Plugin
  (connector.proto, whose messages are in connector_pb2.py), the gRPC health
  check, and go-plugin's controller, whose Shutdown stops the process.
- Errors: a classified error travels in the gRPC status details as a
  freshet.connector.v1.Error, so the worker knows to retry, dead-letter or
  fail.
"""

import base64
import datetime
import os
import sys
import threading
from concurrent import futures

import grpc
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from google.protobuf import any_pb2

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import connector_pb2 as pb  # noqa: E402

NAME = "example-python-sink"
VERSION = "1.0.0"
PROTOCOL_VERSION = 1
MAX_MESSAGE = 256 << 20


def describe():
    return pb.Connector(
        name=NAME,
        version=VERSION,
        kind=pb.KIND_SINK,
        doc="Appends each record to a file as a line: topic/partition/offset, a tab, the value. Written in Python.",
        config=[pb.ConfigKey(name="file", type="STRING", required=True, importance="HIGH",
                             doc="The file to append to.")],
    )


class PluginError(Exception):
    """An error with a Freshet error class, sent in the gRPC status details."""

    def __init__(self, cls, message, key=""):
        super().__init__(message)
        self.cls, self.key = cls, key


def abort(context, err):
    """Ends the call with err as a gRPC status carrying a freshet Error."""
    cls = getattr(err, "cls", pb.CLASS_UNKNOWN)
    cause = pb.Cause(message=str(err), type=type(err).__name__, config_key=getattr(err, "key", ""))
    if cause.config_key:
        cause.message = str(err)
    detail = pb.Error(message=str(err), causes=[cause])
    if cls != pb.CLASS_UNKNOWN:
        detail.causes.insert(0, pb.Cause(message=str(err), type="sdk.Error", **{"class": cls}))
    setattr(detail, "class", cls)
    code = {pb.CLASS_RETRIABLE: grpc.StatusCode.UNAVAILABLE,
            pb.CLASS_FATAL: grpc.StatusCode.FAILED_PRECONDITION}.get(cls, grpc.StatusCode.UNKNOWN)
    context.set_trailing_metadata([("grpc-status-details-bin", rpc_status(code, str(err), detail))])
    context.abort(code, str(err))


def rpc_status(code, message, detail):
    """Serializes a google.rpc.Status holding detail, by hand: three fields."""
    any_ = any_pb2.Any()
    any_.Pack(detail, type_url_prefix="type.googleapis.com/")
    def field(number, data):
        return varint(number << 3 | 2) + varint(len(data)) + data
    return varint(1 << 3) + varint(code.value[0]) + field(2, message.encode()) + field(3, any_.SerializeToString())


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def text(value):
    """The line text of a record value (a freshet.connector.v1.Value)."""
    kind = value.WhichOneof("kind")
    if kind is None:
        return "null"
    if kind in ("bytes", "raw"):
        return getattr(value, kind).decode("utf-8", "replace")
    if kind in ("array", "map", "string_map", "struct", "decimal", "time"):
        return str(getattr(value, kind)).replace("\n", " ")
    return str(getattr(value, kind))


class Sink:
    """The connector and its one task: one process serves one of them."""

    def __init__(self):
        self.lock = threading.Lock()
        self.config = {}
        self.out = None

    # The connector.
    def StartConnector(self, req, context):
        self.config = dict(req.config)
        return pb.Empty()

    def TaskConfigs(self, req, context):
        return pb.TaskConfigsResponse(tasks=[pb.TaskConfig(config=self.config)])

    def StopConnector(self, req, context):
        return pb.Empty()

    def Describe(self, req, context):
        return pb.DescribeResponse(connectors=[describe()])

    def Validate(self, req, context):
        # The worker checks what the described config says (file is
        # required); the plugin adds what only it can know.
        problems = []
        path = req.config.get("file", "")
        if path and os.path.isdir(path):
            problems.append(pb.ConfigProblem(key="file", messages=["is a directory"]))
        return pb.ValidateResponse(problems=problems)

    # The sink task.
    def StartSink(self, req, context):
        path = req.config.get("file", "")
        try:
            self.out = open(path, "a", encoding="utf-8")
        except OSError as e:
            abort(context, PluginError(pb.CLASS_FATAL, f"open {path}: {e}"))
        return pb.Empty()

    def Open(self, req, context):
        return pb.OffsetsMessage()

    def Put(self, chunks, context):
        lines = []
        for chunk in chunks:
            for r in chunk.records:
                lines.append(f"{r.topic}/{r.partition}/{r.offset}\t{text(r.value)}\n")
        with self.lock:
            try:
                self.out.write("".join(lines))
            except OSError as e:
                abort(context, PluginError(pb.CLASS_RETRIABLE, f"write: {e}"))
        return pb.PutResponse()

    def Flush(self, req, context):
        with self.lock:
            try:
                self.out.flush()
                os.fsync(self.out.fileno())
            except OSError as e:
                abort(context, PluginError(pb.CLASS_RETRIABLE, f"sync: {e}"))
        return pb.FlushResponse(use_requested=True)

    def Close(self, req, context):
        return pb.Empty()

    def StopSink(self, req, context):
        with self.lock:
            if self.out is not None:
                self.out.close()
                self.out = None
        return pb.Empty()


def handlers(sink, shutdown):
    unary = grpc.unary_unary_rpc_method_handler
    def u(fn, req, resp):
        return unary(fn, request_deserializer=req.FromString, response_serializer=resp.SerializeToString)
    plugin = grpc.method_handlers_generic_handler("freshet.connector.v1.Plugin", {
        "Describe": u(sink.Describe, pb.DescribeRequest, pb.DescribeResponse),
        "Validate": u(sink.Validate, pb.ValidateRequest, pb.ValidateResponse),
        "StartConnector": u(sink.StartConnector, pb.StartConnectorRequest, pb.Empty),
        "TaskConfigs": u(sink.TaskConfigs, pb.TaskConfigsRequest, pb.TaskConfigsResponse),
        "StopConnector": u(sink.StopConnector, pb.Empty, pb.Empty),
        "StartSink": u(sink.StartSink, pb.StartTaskRequest, pb.Empty),
        "Open": u(sink.Open, pb.PartitionsRequest, pb.OffsetsMessage),
        "Put": grpc.stream_unary_rpc_method_handler(
            sink.Put, request_deserializer=pb.RecordBatch.FromString, response_serializer=pb.PutResponse.SerializeToString),
        "Flush": u(sink.Flush, pb.OffsetsMessage, pb.FlushResponse),
        "Close": u(sink.Close, pb.PartitionsRequest, pb.Empty),
        "StopSink": u(sink.StopSink, pb.Empty, pb.Empty),
    })
    raw = lambda b: b  # noqa: E731
    # grpc.health.v1.Health/Check answers SERVING (status field 1 = 1).
    health = grpc.method_handlers_generic_handler("grpc.health.v1.Health", {
        "Check": unary(lambda req, ctx: b"\x08\x01", request_deserializer=raw, response_serializer=raw),
    })
    # go-plugin's controller: Shutdown ends the process.
    controller = grpc.method_handlers_generic_handler("plugin.GRPCController", {
        "Shutdown": unary(lambda req, ctx: shutdown() or b"", request_deserializer=raw, response_serializer=raw),
    })
    return [plugin, health, controller]


def certificate():
    """A one-time self-signed certificate for localhost, as go-plugin makes."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(seconds=30))
            .not_valid_after(now + datetime.timedelta(days=365))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_encipherment=False, content_commitment=False,
                                         data_encipherment=False, key_agreement=True, key_cert_sign=True,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return cert, key_pem


def main():
    if os.environ.get("FRESHET_PLUGIN") != "connector":
        print("This is a Freshet connector plugin: put it in a plugin.path directory; the worker runs it.",
              file=sys.stderr)
        return 1
    versions = os.environ.get("PLUGIN_PROTOCOL_VERSIONS", str(PROTOCOL_VERSION)).split(",")
    if str(PROTOCOL_VERSION) not in versions:
        print(f"the worker speaks protocol versions {versions}; this plugin speaks {PROTOCOL_VERSION}", file=sys.stderr)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8), options=[
        ("grpc.max_receive_message_length", MAX_MESSAGE), ("grpc.max_send_message_length", MAX_MESSAGE)])
    done = threading.Event()
    def shutdown():
        done.set()
    server.add_generic_rpc_handlers(handlers(Sink(), shutdown))
    client_cert = os.environ.get("PLUGIN_CLIENT_CERT")
    cert_field = ""
    if client_cert:
        cert, key_pem = certificate()
        creds = grpc.ssl_server_credentials(
            [(key_pem, cert.public_bytes(serialization.Encoding.PEM))],
            root_certificates=client_cert.encode(), require_client_auth=True)
        port = server.add_secure_port("127.0.0.1:0", creds)
        der = cert.public_bytes(serialization.Encoding.DER)
        cert_field = "|" + base64.b64encode(der).decode().rstrip("=")
    else:
        port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(f"1|{PROTOCOL_VERSION}|tcp|127.0.0.1:{port}|grpc{cert_field}", flush=True)
    done.wait()
    server.stop(grace=1).wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
