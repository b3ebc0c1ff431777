"""The wire side of the fault proxy: HTTP/1.1 requests and responses, which AWS call and
protocol a request is, and the error answers each protocol gives. Standard library only."""

from __future__ import annotations

import asyncio
import json
import re
import urllib.parse
import uuid
from dataclasses import dataclass

CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")
CBOR_PATH = re.compile(r"/service/[^/]+/operation/([^/?]+)")
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "te", "trailer", "upgrade"}
# Namespaces of the awsQuery services' error documents (as AWS sends them).
QUERY_NAMESPACES = {
    "sns": "http://sns.amazonaws.com/doc/2010-03-31/",
    "monitoring": "http://monitoring.amazonaws.com/doc/2010-08-01/",
    "sts": "https://sts.amazonaws.com/doc/2011-06-15/",
}
MAX_HEAD = 64 * 1024


class WireError(Exception):
    pass


@dataclass
class Request:
    method: str
    target: str
    version: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str:
        name = name.lower()
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return ""


@dataclass
class Call:
    """What an AWS request is: signing service, operation and wire protocol."""

    service: str
    operation: str
    protocol: str  # awsJson1_0 | awsJson1_1 | awsQuery | restXml | rpcv2Cbor | restJson


def classify(request: Request) -> Call | None:
    """The AWS call a request makes, or None when it is not SigV4-signed."""
    match = CREDENTIAL.search(request.header("authorization"))
    if not match:
        return None
    service = match.group(3)
    path = urllib.parse.urlsplit(request.target).path
    target = request.header("x-amz-target")
    content_type = request.header("content-type")
    if target:
        protocol = "awsJson1_0" if "json-1.0" in content_type else "awsJson1_1"
        return Call(service, target.rsplit(".", 1)[-1], protocol)
    if "x-www-form-urlencoded" in content_type:
        form = urllib.parse.parse_qs(request.body.decode("utf-8", "replace"))
        if form.get("Action"):
            return Call(service, form["Action"][0], "awsQuery")
    cbor = CBOR_PATH.search(path)
    if cbor:
        return Call(service, cbor.group(1), "rpcv2Cbor")
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(request.target).query)
    if query.get("Action"):
        return Call(service, query["Action"][0], "awsQuery")
    if service == "s3":
        return Call(service, s3_operation(request.method, path, query), "restXml")
    return Call(service, f"{request.method} {path}", "restJson")


def s3_operation(method: str, path: str, query: dict) -> str:
    """A readable S3 operation name from the REST request (path-style addressing)."""
    parts = [p for p in path.split("/") if p]
    if method in ("GET", "HEAD") and len(parts) >= 2:
        return "GetObject" if method == "GET" else "HeadObject"
    if method == "PUT" and len(parts) >= 2:
        return "PutObject"
    if method == "PUT" and len(parts) == 1:
        return "CreateBucket"
    if method == "GET" and len(parts) == 1:
        return "ListObjectsV2" if "list-type" in query else "ListObjects"
    if method == "DELETE":
        return "DeleteObject" if len(parts) >= 2 else "DeleteBucket"
    return f"{method} /{'/'.join(parts[:1])}"


def response_bytes(status: int, reason: str, headers: list[tuple[str, str]], body: bytes, keep_alive: bool = True) -> bytes:
    lines = [f"HTTP/1.1 {status} {reason}"]
    lines += [f"{k}: {v}" for k, v in headers if k.lower() not in HOP_BY_HOP and k.lower() != "content-length"]
    lines.append(f"Content-Length: {len(body)}")
    lines.append("Connection: keep-alive" if keep_alive else "Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def throttle_response(call: Call) -> tuple[int, str, list[tuple[str, str]], bytes]:
    """The throttling error AWS answers in the call's own protocol."""
    request_id = str(uuid.uuid4())
    if call.protocol.startswith("awsJson"):
        version = "1.0" if call.protocol == "awsJson1_0" else "1.1"
        body = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}).encode()
        return 400, "Bad Request", [
            ("Content-Type", f"application/x-amz-json-{version}"),
            ("x-amzn-errortype", "ThrottlingException"),
            ("x-amzn-RequestId", request_id),
        ], body
    if call.protocol == "awsQuery":
        namespace = QUERY_NAMESPACES.get(call.service, f"http://{call.service}.amazonaws.com/doc/")
        body = (
            f'<ErrorResponse xmlns="{namespace}"><Error><Type>Sender</Type><Code>Throttling</Code>'
            f"<Message>Rate exceeded</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        return 400, "Bad Request", [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)], body
    if call.protocol == "restXml":
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>'
            f"<Message>Please reduce your request rate.</Message><RequestId>{request_id}</RequestId>"
            "<HostId>fault-proxy</HostId></Error>"
        ).encode()
        return 503, "Slow Down", [("Content-Type", "application/xml"), ("x-amz-request-id", request_id)], body
    # REST JSON (Lambda and others) and RPC v2 CBOR: the generic 429 most of them send.
    body = json.dumps({"message": "Rate exceeded"}).encode()
    return 429, "Too Many Requests", [
        ("Content-Type", "application/json"),
        ("x-amzn-errortype", "TooManyRequestsException"),
        ("x-amzn-RequestId", request_id),
    ], body


def access_denied_response(call: Call) -> tuple[int, str, list[tuple[str, str]], bytes]:
    """AWS's answer to a call the credentials are not allowed to make, in the call's own
    protocol (awsJson: AccessDeniedException; awsQuery: AccessDenied, 403)."""
    request_id = str(uuid.uuid4())
    message = f"User is not authorized to perform: {call.service}:{call.operation}"
    if call.protocol.startswith("awsJson"):
        version = "1.0" if call.protocol == "awsJson1_0" else "1.1"
        body = json.dumps({"__type": "AccessDeniedException", "message": message}).encode()
        return 400, "Bad Request", [
            ("Content-Type", f"application/x-amz-json-{version}"),
            ("x-amzn-errortype", "AccessDeniedException"),
            ("x-amzn-RequestId", request_id),
        ], body
    if call.protocol == "awsQuery":
        namespace = QUERY_NAMESPACES.get(call.service, f"http://{call.service}.amazonaws.com/doc/")
        body = (
            f'<ErrorResponse xmlns="{namespace}"><Error><Type>Sender</Type><Code>AccessDenied</Code>'
            f"<Message>{message}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        return 403, "Forbidden", [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)], body
    body = json.dumps({"message": message}).encode()
    return 403, "Forbidden", [
        ("Content-Type", "application/json"),
        ("x-amzn-errortype", "AccessDeniedException"),
        ("x-amzn-RequestId", request_id),
    ], body


def plain_error(status: int) -> tuple[int, str, list[tuple[str, str]], bytes]:
    reason = {500: "Internal Server Error", 503: "Service Unavailable"}[status]
    body = f"<html><body><h1>{status} {reason}</h1></body></html>\n".encode()
    return status, reason, [("Content-Type", "text/html")], body


async def read_headers(reader: asyncio.StreamReader) -> list[tuple[str, str]]:
    headers = []
    total = 0
    while True:
        line = await reader.readline()
        total += len(line)
        if total > MAX_HEAD:
            raise WireError("header section too large")
        if line in (b"\r\n", b"\n", b""):
            return headers
        name, sep, value = line.decode("latin-1").partition(":")
        if not sep:
            raise WireError(f"malformed header line {line[:80]!r}")
        headers.append((name.strip(), value.strip()))


def header_of(headers: list[tuple[str, str]], name: str) -> str:
    for key, value in headers:
        if key.lower() == name:
            return value
    return ""


async def read_body(reader: asyncio.StreamReader, headers: list[tuple[str, str]], no_body: bool, until_eof: bool) -> bytes:
    if no_body:
        return b""
    if "chunked" in header_of(headers, "transfer-encoding").lower():
        chunks = []
        while True:
            size_line = await reader.readline()
            size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                # Trailers, if any, up to the empty line.
                while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            chunks.append(await reader.readexactly(size))
            await reader.readline()
    length = header_of(headers, "content-length")
    if length:
        return await reader.readexactly(int(length))
    return await reader.read() if until_eof else b""


async def read_request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> Request | None:
    line = await reader.readline()
    if not line:
        return None
    parts = line.decode("latin-1").rstrip("\r\n").split(" ")
    if len(parts) != 3:
        raise WireError(f"malformed request line {line[:80]!r}")
    method, target, version = parts
    headers = await read_headers(reader)
    if header_of(headers, "expect").lower() == "100-continue":
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        await writer.drain()
    body = await read_body(reader, headers, False, until_eof=False)
    return Request(method, target, version, headers, body)
