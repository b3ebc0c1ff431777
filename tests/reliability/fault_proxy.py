#!/usr/bin/env python3
"""A fault-injecting HTTP proxy between mooring and the local AWS emulator (moto).

  fault_proxy.py --upstream http://127.0.0.1:PORT [--listen 127.0.0.1:0] [--seed N]
                 [--rate throttle=0.08 --rate error500=0.03 ...] [--port-file F] [--counts-file F]

Point mooring at it with AWS_ENDPOINT_URL=http://127.0.0.1:<proxy port>. Every request
signed with SigV4 (an AWS call) is numbered 1, 2, 3, ... in arrival order, and whether it
is faulted is drawn from random.Random(f"{seed}:{number}"): the same seed faults the same
request numbers whatever the interleaving of concurrent calls. Requests without a SigV4
signature (moto's /moto-api) pass through untouched and uncounted.

Fault kinds (rates are probabilities per request; they are exclusive and add up to the
share of requests faulted):

  throttle      the throttling error of the request's own protocol:
                  awsJson (ECS, Application Auto Scaling): 400, x-amzn-errortype and
                    {"__type":"ThrottlingException",...}
                  awsQuery (CloudWatch with aws-sdk-cloudwatch 1.99, SNS, STS): 400,
                    <ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>...
                  restXml (S3): 503 <Error><Code>SlowDown</Code>...
                  other REST JSON services: 429 TooManyRequestsException
  error500      a plain 500 (text/html, as a load balancer answers), not forwarded
  error503      a plain 503, not forwarded
  reset_before  the connection is reset (RST) after the request was read, not forwarded
  reset_after   the request IS forwarded and moto acts on it, then the connection is reset:
                the change happened but the answer is lost (the retry must not duplicate)
  latency       forwarded after a delay drawn from [latency_min_ms, latency_max_ms]
  access_denied the AccessDenied error of the request's own protocol (credentials without
                the permission), not forwarded

Crash points: with kill_at = k and kill_pid = P (control endpoint), request k is forwarded
(kill_mode "after", the default) or not (kill_mode "before"), then process P gets SIGKILL
before any answer, and the connection is reset.

Control endpoint (plain HTTP on the same port, never faulted):
  GET  /__fault-proxy/counts   {"requests", "faulted", "injected": {kind: n},
                                "byOperation": {"service Operation": {"requests", kind: n}},
                                "kills": [...], "sequence": ["service Operation", ...],
                                "config": {...}}
  POST /__fault-proxy/config   JSON: any of seed, rates, latency_min_ms, latency_max_ms,
                                kill_at, kill_pid, kill_mode, services (only fault these
                                signing names, e.g. ["s3"]); "reset_counts": true zeroes the
                                counts and the request numbering
  POST /__fault-proxy/reset    zeroes the counts and the request numbering

The runner (reliability.py) imports FaultProxy and runs it in a thread instead. Listening,
forwarding, the control endpoint's plumbing and the thread are proxy_base.py's, shared with
tests/bench/aws_model.py. Standard library only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import struct
import sys
from dataclasses import dataclass, field

from aws_wire import Call, Request, access_denied_response, classify, plain_error, response_bytes, throttle_response
from proxy_base import UpstreamProxy, listen_address, serve_until_signal

KINDS = ("throttle", "error500", "error503", "reset_before", "reset_after", "latency", "access_denied")
CONTROL_PREFIX = "/__fault-proxy/"


class ProxyError(Exception):
    pass


@dataclass
class Config:
    seed: int = 0
    rates: dict[str, float] = field(default_factory=dict)
    latency_min_ms: int = 50
    latency_max_ms: int = 400
    kill_at: int | None = None
    kill_pid: int | None = None
    kill_mode: str = "after"
    services: list[str] | None = None

    def update(self, values: dict) -> None:
        for key, value in values.items():
            if key == "reset_counts":
                continue
            if key == "rates":
                unknown = set(value) - set(KINDS)
                if unknown:
                    raise ProxyError(f"unknown fault kind(s) {sorted(unknown)}; known: {', '.join(KINDS)}")
                rates = {k: float(v) for k, v in value.items()}
                if any(r < 0 for r in rates.values()) or sum(rates.values()) > 1.0 + 1e-9:
                    raise ProxyError(f"rates must be >= 0 and add up to at most 1: {rates}")
                self.rates = rates
            elif key == "kill_mode":
                if value not in ("after", "before"):
                    raise ProxyError("kill_mode is 'after' or 'before'")
                self.kill_mode = value
            elif key in ("seed", "latency_min_ms", "latency_max_ms"):
                setattr(self, key, int(value))
            elif key in ("kill_at", "kill_pid"):
                setattr(self, key, None if value is None else int(value))
            elif key == "services":
                self.services = None if value is None else [str(s) for s in value]
            else:
                raise ProxyError(f"unknown config key {key!r}")

    def as_json(self) -> dict:
        return {
            "seed": self.seed,
            "rates": self.rates,
            "latency_min_ms": self.latency_min_ms,
            "latency_max_ms": self.latency_max_ms,
            "kill_at": self.kill_at,
            "kill_pid": self.kill_pid,
            "kill_mode": self.kill_mode,
            "services": self.services,
        }


class FaultProxy(UpstreamProxy):
    CONTROL_PREFIX = CONTROL_PREFIX
    error = ProxyError
    control_errors = (ProxyError, ValueError, TypeError)
    what = "the proxy"
    thread_name = "fault-proxy"

    def __init__(self, upstream: str, config: Config | None = None):
        super().__init__(upstream)
        self.config = config or Config()
        self.reset_counts()

    # -- counts -----------------------------------------------------------------------
    def reset_counts(self) -> None:
        with self.lock:
            self.number = 0
            self.requests = 0
            self.injected = {k: 0 for k in KINDS}
            self.by_operation: dict[str, dict[str, int]] = {}
            self.kills: list[dict] = []
            # The operation of each numbered request, in order (the first 10,000): where
            # the writes of a pass are, for choosing crash points.
            self.sequence: list[str] = []
            # The proxy's own failures (a bug here, or moto not answering): a run that
            # saw any cannot be trusted, and says so.
            self.errors: list[str] = []

    def counts(self) -> dict:
        with self.lock:
            return {
                "requests": self.requests,
                "faulted": sum(self.injected.values()),
                "injected": dict(self.injected),
                "byOperation": {k: dict(v) for k, v in sorted(self.by_operation.items())},
                "kills": [dict(k) for k in self.kills],
                "sequence": list(self.sequence),
                "errors": list(self.errors),
                "config": self.config.as_json(),
            }

    def configure(self, values: dict) -> None:
        with self.lock:
            self.config.update(values)
        if values.get("reset_counts"):
            self.reset_counts()

    def _decide(self, call: Call) -> tuple[int, str | None, float, dict | None]:
        """Numbers the request and draws its fate: (number, fault kind, delay s, kill). A
        kill is recorded here, before the process dies: whoever waits for the process may
        read the counts the moment it is gone."""
        with self.lock:
            self.number += 1
            number = self.number
            self.requests += 1
            config = self.config
            key = f"{call.service} {call.operation}"
            if len(self.sequence) < 10_000:
                self.sequence.append(key)
            ops = self.by_operation.setdefault(key, {"requests": 0})
            ops["requests"] += 1
            kill = None
            if config.kill_at is not None and number == config.kill_at and config.kill_pid is not None:
                kill = {"request": number, "service": call.service, "operation": call.operation,
                        "pid": config.kill_pid, "mode": config.kill_mode, "error": None}
                self.kills.append(kill)
            kind = None
            delay = 0.0
            if not kill and (config.services is None or call.service in config.services):
                rng = random.Random(f"{config.seed}:{number}")
                draw = rng.random()
                edge = 0.0
                for name in KINDS:
                    edge += config.rates.get(name, 0.0)
                    if draw < edge:
                        kind = name
                        break
                if kind == "latency":
                    delay = rng.uniform(config.latency_min_ms, max(config.latency_min_ms, config.latency_max_ms)) / 1000
                if kind:
                    self.injected[kind] += 1
                    ops[kind] = ops.get(kind, 0) + 1
            return number, kind, delay, kill

    def reset_from_control(self) -> None:
        self.reset_counts()

    def abort(self, writer: asyncio.StreamWriter) -> None:
        reset(writer)

    # -- serving ----------------------------------------------------------------------
    async def serve(self, request: Request, writer: asyncio.StreamWriter) -> bool:
        """Answers one request; False when the connection must not be reused."""
        if await self.answer_control(request, writer):
            return True
        call = classify(request)
        if call is None:
            await self.relay(request, writer)
            await writer.drain()
            return True
        _, kind, delay, kill = self._decide(call)
        if kill:
            if kill["mode"] == "after":
                await self.forward(request)
            try:
                os.kill(kill["pid"], signal.SIGKILL)
            except OSError as exc:
                with self.lock:
                    kill["error"] = str(exc)
            reset(writer)
            return False
        if kind == "throttle":
            writer.write(response_bytes(*throttle_response(call)))
        elif kind == "access_denied":
            writer.write(response_bytes(*access_denied_response(call)))
        elif kind in ("error500", "error503"):
            writer.write(response_bytes(*plain_error(500 if kind == "error500" else 503)))
        elif kind == "reset_before":
            reset(writer)
            return False
        elif kind == "reset_after":
            await self.forward(request)
            reset(writer)
            return False
        else:
            if delay:
                await asyncio.sleep(delay)
            await self.relay(request, writer)
        await writer.drain()
        return True


def reset(writer: asyncio.StreamWriter) -> None:
    """Closes with a TCP RST: SO_LINGER 0, then abort (no FIN, no flush)."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    writer.transport.abort()


def parse_rate(text: str) -> tuple[str, float]:
    kind, sep, value = text.partition("=")
    if not sep or kind not in KINDS:
        raise argparse.ArgumentTypeError(f"expected KIND=RATE with KIND one of {', '.join(KINDS)}, not {text!r}")
    try:
        return kind, float(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: the rate is not a number") from exc


def main() -> int:
    p = argparse.ArgumentParser(prog="fault_proxy.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--upstream", required=True, help="moto's URL, e.g. http://127.0.0.1:5000")
    p.add_argument("--listen", default="127.0.0.1:0", help="HOST:PORT (port 0: any free one)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--rate", type=parse_rate, action="append", default=[], metavar="KIND=RATE")
    p.add_argument("--latency-ms", default="50-400", help="MIN-MAX added by a latency fault")
    p.add_argument("--port-file", help="write the port here once listening")
    p.add_argument("--counts-file", help="write the counts (JSON) here on exit")
    args = p.parse_args()
    listen = listen_address("fault_proxy.py", args.listen)
    if listen is None:
        return 2
    low, _, high = args.latency_ms.partition("-")
    config = Config(seed=args.seed)
    try:
        config.update({"rates": dict(args.rate), "latency_min_ms": low, "latency_max_ms": high or low})
        proxy = FaultProxy(args.upstream, config)
    except (ProxyError, ValueError) as exc:
        print(f"fault_proxy.py: error: {exc}", file=sys.stderr)
        return 2

    serve_until_signal(proxy, *listen, args.port_file)
    if args.counts_file:
        with open(args.counts_file, "w", encoding="utf-8") as f:
            json.dump(proxy.counts(), f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
