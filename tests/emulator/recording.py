#!/usr/bin/env python3
"""Reads moto's request recording and says which AWS operations were called, by whom.

  recording.py [--endpoint URL | --file PATH] dump    [--access-key K] [--mutating] [--raw]
  recording.py [--endpoint URL | --file PATH] summary [--access-key K] [--mutating]

moto's recorder (moto/moto_api/_internal/recorder/models.py, moto 5.2.5) appends one JSON
object a line for every request routed to a service backend, before the request is handled
(so failed calls count too): {"headers": {...}, "method", "url", "body", "body_encoded"}.
Requests to /moto-api/recorder/* are not recorded; other /moto-api/* calls are (no
Authorization header: dropped here). A request moto cannot route (404) is not recorded.

The operation comes from, in order: the X-Amz-Target header (JSON protocols: ECS,
Application Auto Scaling, CloudWatch in boto3), the Action field of a form body (query
protocol: SNS, aws-sdk-cloudwatch 1.99 and earlier), the /service/X/operation/NAME path
(Smithy RPC v2 CBOR). Service, region and access key id come from the SigV4 credential
scope in the Authorization header, so a test that uses its own access key id can pick out
its own requests even while other tests share the server.

Standard library only.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import sys
import urllib.parse
import urllib.request
from collections import Counter

CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")
CBOR_PATH = re.compile(r"/service/[^/]+/operation/([^/?]+)")
READ_ONLY_PREFIXES = ("Describe", "List", "Get", "BatchGet", "Head", "GET ", "HEAD ")  # REST reads (Lambda GetPolicy) are named by method and path
# mooring's own events and metrics: they write, but to no resource mooring manages
# (controller/src/aws/stats.rs classifies them as telemetry).
TELEMETRY = ("Publish", "PublishBatch", "PutMetricData")


def header(headers: dict, name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return ""


def body_bytes(entry: dict) -> bytes:
    body = entry.get("body") or ""
    if entry.get("body_encoded"):
        return base64.b64decode(body)
    return body.encode("utf-8")


def operation_of(entry: dict) -> str:
    headers = entry.get("headers") or {}
    target = header(headers, "x-amz-target")
    if target:
        return target.rsplit(".", 1)[-1]
    if "x-www-form-urlencoded" in header(headers, "content-type"):
        form = urllib.parse.parse_qs(body_bytes(entry).decode("utf-8", "replace"))
        if form.get("Action"):
            return form["Action"][0]
    path = urllib.parse.urlsplit(entry.get("url", "")).path
    match = CBOR_PATH.search(path)
    if match:
        return match.group(1)
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(entry.get("url", "")).query)
    if query.get("Action"):
        return query["Action"][0]
    # REST protocols (S3, Lambda...): the method and path are all there is.
    return f"{entry.get('method', '?')} {path}"


def parse(entry: dict) -> dict | None:
    """The call a recorded request made, or None for a request with no SigV4 signature."""
    match = CREDENTIAL.search(header(entry.get("headers") or {}, "authorization"))
    if not match:
        return None
    access_key, region, service = match.groups()
    operation = operation_of(entry)
    return {
        "service": service,
        "region": region,
        "accessKey": access_key,
        "operation": operation,
        "mutating": not operation.startswith(READ_ONLY_PREFIXES) and operation not in TELEMETRY,
        "method": entry.get("method"),
        "url": entry.get("url"),
    }


def read_recording(args) -> str:
    if args.file:
        with open(args.file, encoding="utf-8") as f:
            return f.read()
    url = args.endpoint.rstrip("/") + "/moto-api/recorder/download-recording"
    with urllib.request.urlopen(url, timeout=30) as resp:
        return resp.read().decode("utf-8")


def calls(args):
    for lineno, line in enumerate(read_recording(args).splitlines(), 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            print(f"recording.py: line {lineno} is not JSON; skipped", file=sys.stderr)
            continue
        call = parse(entry)
        if call is None:
            continue
        if args.access_key and call["accessKey"] != args.access_key:
            continue
        if args.mutating and not call["mutating"]:
            continue
        yield entry, call


def main() -> int:
    p = argparse.ArgumentParser(prog="recording.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--endpoint", help="moto's URL, e.g. http://127.0.0.1:5000")
    source.add_argument("--file", help="a recording file (MOTO_RECORDER_FILEPATH)")
    p.add_argument("action", choices=["dump", "summary"])
    p.add_argument("--access-key", help="only requests signed with this access key id")
    p.add_argument("--mutating", action="store_true", help="only calls that change a managed resource (not Describe*/List*/Get*, not Publish/PutMetricData)")
    p.add_argument("--raw", action="store_true", help="dump: moto's own entries instead of one line a call")
    args = p.parse_args()

    try:
        if args.action == "dump":
            for entry, call in calls(args):
                print(json.dumps(entry if args.raw else call))
        else:
            counts = Counter((c["service"], c["operation"]) for _, c in calls(args))
            for (service, operation), n in sorted(counts.items()):
                print(f"{n:6d} {service} {operation}")
            print(f"{sum(counts.values()):6d} total")
    except BrokenPipeError:
        # The reader (head, say) has had enough; not an error.
        sys.stdout = open(os.devnull, "w")
    except OSError as exc:
        print(f"recording.py: error: could not read the recording: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
