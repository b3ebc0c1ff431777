#!/usr/bin/env python3
"""A model of AWS's request quotas and latency, as an HTTP proxy in front of moto (issue 16).

  aws_model.py --upstream http://127.0.0.1:PORT [--listen 127.0.0.1:0] [--port-file F]
               [--seed N] [--quotas FILE] [--family ecs:service-modify=3/3 ...] [--scale X]
               [--latency-scale X] [--background ecs:service-modify=1.0 ...] [--counts-file F]

Point a client at it with AWS_ENDPOINT_URL=http://127.0.0.1:<port>. Every SigV4-signed request
is classified (tests/reliability/aws_wire.py: signing service, operation, protocol) and looked
up in controller/aws-quotas.json, the data file mooring's pacing reads too:

  - its operation family has a token bucket (burst, refill per second) per signing region
    (the Credential scope's region). All callers are one account, as moto's default account
    is: mooring, Cloud Custodian and the background caller share the buckets, as a deploy
    pipeline and mooring share them on AWS. The bucket is checked on arrival: empty, the
    request is answered at once with the protocol's throttling error (aws_wire.
    throttle_response) and never forwarded; else it takes a token,
  - waits a latency drawn from the log-normal of `latencyMs` (its median and p99; a read is an
    operation named Describe*, List* or Get*, everything else a write),
  - and is forwarded to moto, whose answer it returns. Operations the data file does not list
    are forwarded with latency, never throttled (family "unlisted").
Randomness is seeded per request number (random.Random(f"{seed}:{number}")), as the fault proxy.

Background load: another caller drawing tokens from a family at a fixed rate (another team's
deploy pipeline calling UpdateService, say). It never reaches moto; the model counts its
attempts and how often it found the bucket empty (= it would have been throttled).

Knobs for tests: --quotas FILE replaces families with the same (service, family), as mooring's
MOORING_AWS_QUOTAS does; --family SERVICE:FAMILY=BURST/REFILL sets one; --scale multiplies every
burst and refill; --latency-scale multiplies every latency (0: none).

Control endpoint (plain HTTP on the same port, never throttled):
  GET  /__aws-model/counts   {"families": {"svc:family": {"requests", "throttled", "forwarded",
                              "burst", "refill"}}, "operations": {"svc Operation": {"requests",
                              "throttled"}}, "background": {"svc:family": {"rate", "attempts",
                              "throttled"}}, "upstream": {"calls", "seconds", "max_s"} (moto's
                              own time per call), "requests", "throttled", "errors", "config"}
  POST /__aws-model/config   JSON: any of seed, scale, latency_scale, families ({"svc:family":
                              {"burst", "refill"}}), background ({"svc:family": rate, ...; 0
                              stops one}), region (the background caller's, default us-east-1);
                              then refills the buckets and zeroes the counts
  POST /__aws-model/reset    refills every bucket, zeroes the counts
Requests without a SigV4 signature (moto's /moto-api) pass through untouched and uncounted.

Importable: AwsModel(upstream, Config(...)).start_in_thread() -> port; .stop(). The proxy plumbing
(listening, forwarding, the control endpoint, the thread) is tests/reliability/proxy_base.py's,
shared with the fault proxy. Standard library.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT / "tests" / "reliability"))
# The wire side and the proxy plumbing are shared with the fault proxy.
from aws_wire import CREDENTIAL, Call, Request, classify, response_bytes, throttle_response  # noqa: E402
from proxy_base import UpstreamProxy, listen_address, serve_until_signal  # noqa: E402

QUOTAS = ROOT / "controller" / "aws-quotas.json"
CONTROL_PREFIX = "/__aws-model/"
READ_PREFIXES = ("Describe", "List", "Get")
Z99 = 2.3263478740408408  # the standard normal's 99th percentile
UNLISTED = "unlisted"


class ModelError(Exception):
    pass


@dataclass
class Family:
    service: str
    name: str
    burst: float
    refill: float
    operations: list[str]

    @property
    def key(self) -> str:
        return f"{self.service}:{self.name}"


def load_families(path: Path) -> dict[str, Family]:
    """The families of a quotas file (controller/aws-quotas.json's schema), by "service:family"."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        out = {}
        for f in doc["families"]:
            fam = Family(str(f["service"]), str(f["family"]), float(f["burst"]), float(f["refill"]), [str(o) for o in f.get("operations", [])])
            out[fam.key] = fam
        return out
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"cannot read the quotas file {path}: {exc}") from exc


def load_latency(path: Path) -> dict[str, tuple[float, float]]:
    """(mu, sigma) of the log-normal latency in seconds, for "read" and "write"."""
    try:
        lat = json.loads(path.read_text(encoding="utf-8"))["latencyMs"]
        out = {}
        for kind in ("read", "write"):
            median, p99 = float(lat[kind]["median"]), float(lat[kind]["p99"])
            out[kind] = (math.log(median / 1000), math.log(p99 / median) / Z99)
        return out
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"cannot read latencyMs from {path}: {exc}") from exc


def latency_median_s(kind: str, path: Path = QUOTAS) -> float:
    return math.exp(load_latency(path)[kind][0])


def is_read(operation: str) -> bool:
    return operation.startswith(READ_PREFIXES)


@dataclass
class Config:
    seed: int = 0
    scale: float = 1.0
    latency_scale: float = 1.0
    # Families that replace the data file's (a --quotas file, --family, config "families").
    families: dict[str, dict[str, float]] = field(default_factory=dict)
    background: dict[str, float] = field(default_factory=dict)
    region: str = "us-east-1"

    def update(self, values: dict, known: dict[str, Family]) -> None:
        for key, value in values.items():
            if key in ("seed",):
                self.seed = int(value)
            elif key in ("scale", "latency_scale"):
                if float(value) < 0 or (key == "scale" and float(value) == 0):
                    raise ModelError(f"{key} must be positive")
                setattr(self, key, float(value))
            elif key == "region":
                self.region = str(value)
            elif key == "families":
                for name, fig in value.items():
                    check_family(name, known)
                    burst, refill = float(fig["burst"]), float(fig["refill"])
                    if burst < 1 or refill <= 0:
                        raise ModelError(f"{name}: burst must be >= 1 and refill > 0")
                    self.families[name] = {"burst": burst, "refill": refill}
            elif key == "background":
                for name, rate in value.items():
                    check_family(name, known)
                    if float(rate) <= 0:
                        self.background.pop(name, None)
                    else:
                        self.background[name] = float(rate)
            else:
                raise ModelError(f"unknown config key {key!r}")

    def as_json(self) -> dict:
        return {"seed": self.seed, "scale": self.scale, "latency_scale": self.latency_scale,
                "families": self.families, "background": self.background, "region": self.region}


def check_family(name: str, known: dict[str, Family]) -> None:
    if name not in known:
        raise ModelError(f"unknown family {name!r}; known: {', '.join(sorted(known))}")


class Bucket:
    """A token bucket: `burst` tokens at most, `refill` added per second, one per request."""

    def __init__(self, burst: float, refill: float, now: float):
        self.burst, self.refill = burst, refill
        self.tokens, self.at = burst, now

    def take(self, now: float) -> bool:
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.refill)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class AwsModel(UpstreamProxy):
    CONTROL_PREFIX = CONTROL_PREFIX
    error = ModelError
    control_errors = (ModelError, ValueError, TypeError, KeyError, AttributeError)
    what = "the model"
    thread_name = "aws-model"
    backlog = 512
    clean_stop = True

    def __init__(self, upstream: str, config: Config | None = None, quotas: Path = QUOTAS, overrides: Path | None = None):
        super().__init__(upstream)
        # An overrides file's families replace the data file's with the same (service, family),
        # operations included, and may add new ones (MOORING_AWS_QUOTAS's meaning).
        self.base = load_families(quotas) | (load_families(overrides) if overrides else {})
        self.latency = load_latency(quotas)
        self.by_operation = {(f.service, op): f.key for f in self.base.values() for op in f.operations}
        self.config = config or Config()
        for name in list(self.config.families) + list(self.config.background):
            check_family(name, self.base)
        self._background_task: asyncio.Task | None = None
        self.reset()

    # -- buckets and counts -------------------------------------------------------------
    def figures(self, key: str) -> tuple[float, float]:
        """(burst, refill) of a family as configured: override, else the data file; scaled."""
        fig = self.config.families.get(key)
        burst, refill = (fig["burst"], fig["refill"]) if fig else (self.base[key].burst, self.base[key].refill)
        return max(1.0, burst * self.config.scale), refill * self.config.scale

    def reset(self) -> None:
        with self.lock:
            self.buckets: dict[tuple[str, str], Bucket] = {}
            self.number = 0
            self.families = {}
            self.operations: dict[str, dict[str, int]] = {}
            self.background = {k: {"rate": r, "attempts": 0, "throttled": 0} for k, r in self.config.background.items()}
            self.upstream = {"calls": 0, "seconds": 0.0, "max_s": 0.0}
            self.errors: list[str] = []
            self.started = time.monotonic()

    def _bucket(self, region: str, key: str, now: float) -> Bucket:
        bucket = self.buckets.get((region, key))
        if bucket is None:
            bucket = self.buckets[(region, key)] = Bucket(*self.figures(key), now)
        return bucket

    def counts(self) -> dict:
        with self.lock:
            families = {}
            for key, c in sorted(self.families.items()):
                burst, refill = self.figures(key) if key != UNLISTED else (None, None)
                families[key] = {**c, "burst": burst, "refill": refill}
            return {
                "seconds": time.monotonic() - self.started,
                "requests": sum(c["requests"] for c in self.families.values()),
                "throttled": sum(c["throttled"] for c in self.families.values()),
                "families": families,
                "operations": {k: dict(v) for k, v in sorted(self.operations.items())},
                "background": {k: dict(v) for k, v in sorted(self.background.items())},
                "upstream": dict(self.upstream),
                "errors": list(self.errors),
                "config": self.config.as_json(),
            }

    def configure(self, values: dict) -> None:
        with self.lock:
            self.config.update(values, self.base)
        self.reset()
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._restart_background)

    def _decide(self, call: Call, region: str) -> tuple[str, bool, float]:
        """(family, admitted, latency s) of one arriving request."""
        now = time.monotonic()
        key = self.by_operation.get((call.service, call.operation), UNLISTED)
        with self.lock:
            self.number += 1
            rng = random.Random(f"{self.config.seed}:{self.number}")
            fam = self.families.setdefault(key, {"requests": 0, "throttled": 0, "forwarded": 0})
            op = self.operations.setdefault(f"{call.service} {call.operation}", {"requests": 0, "throttled": 0})
            fam["requests"] += 1
            op["requests"] += 1
            admitted = key == UNLISTED or self._bucket(region, key, now).take(now)
            if not admitted:
                fam["throttled"] += 1
                op["throttled"] += 1
                return key, False, 0.0
            fam["forwarded"] += 1
            mu, sigma = self.latency["read" if is_read(call.operation) else "write"]
            return key, True, rng.lognormvariate(mu, sigma) * self.config.latency_scale

    def reset_from_control(self) -> None:
        self.configure({})

    # -- background load ----------------------------------------------------------------
    def on_started(self) -> None:
        self._restart_background()

    def on_stopping(self) -> None:
        if self._background_task is not None:
            self._background_task.cancel()

    def _restart_background(self) -> None:
        if self._background_task is not None:
            self._background_task.cancel()
            self._background_task = None
        if self.config.background:
            self._background_task = asyncio.get_running_loop().create_task(self._background())

    async def _background(self) -> None:
        """One caller per family, each at its own fixed rate (evenly spaced, no jitter)."""
        with self.lock:
            rates = dict(self.config.background)
            region = self.config.region
        start = time.monotonic()
        sent = {k: 0 for k in rates}
        while True:
            now = time.monotonic()
            due = []
            for key, rate in rates.items():
                while start + sent[key] / rate <= now:
                    sent[key] += 1
                    due.append(key)
            if due:
                with self.lock:
                    for key in due:
                        c = self.background.setdefault(key, {"rate": rates[key], "attempts": 0, "throttled": 0})
                        c["attempts"] += 1
                        if not self._bucket(region, key, now).take(now):
                            c["throttled"] += 1
            wake = min(start + sent[k] / r for k, r in rates.items())
            await asyncio.sleep(max(0.0, wake - time.monotonic()))

    # -- serving --------------------------------------------------------------------------
    async def serve(self, request: Request, writer: asyncio.StreamWriter) -> bool:
        if await self.answer_control(request, writer):
            return True
        call = classify(request)
        if call is not None:
            _, admitted, delay = self._decide(call, signing_region(request))
            if not admitted:
                writer.write(response_bytes(*throttle_response(call)))
                await writer.drain()
                return True
            if delay:
                await asyncio.sleep(delay)
        status, reason, headers, body = await self.forward(request, timed=call is not None)
        writer.write(response_bytes(status, reason, headers, body))
        await writer.drain()
        return True

    async def forward(self, request: Request, timed: bool = False) -> tuple[int, str, list[tuple[str, str]], bytes]:
        """UpstreamProxy.forward; timed: adds the call's time to the upstream counts (moto's own time)."""
        t0 = time.monotonic()
        try:
            return await super().forward(request)
        finally:
            if timed:
                spent = time.monotonic() - t0
                with self.lock:
                    self.upstream["calls"] += 1
                    self.upstream["seconds"] += spent
                    self.upstream["max_s"] = max(self.upstream["max_s"], spent)


def signing_region(request: Request) -> str:
    match = CREDENTIAL.search(request.header("authorization"))
    return match.group(2) if match else ""


def parse_family(text: str) -> tuple[str, dict[str, float]]:
    name, sep, figures = text.partition("=")
    burst, slash, refill = figures.partition("/")
    try:
        if not sep or not slash:
            raise ValueError
        return name, {"burst": float(burst), "refill": float(refill)}
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected SERVICE:FAMILY=BURST/REFILL, not {text!r}") from exc


def parse_background(text: str) -> tuple[str, float]:
    name, sep, rate = text.partition("=")
    try:
        if not sep:
            raise ValueError
        return name, float(rate)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected SERVICE:FAMILY=RATE, not {text!r}") from exc


def main() -> int:
    p = argparse.ArgumentParser(prog="aws_model.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--upstream", required=True, help="moto's URL, e.g. http://127.0.0.1:5000")
    p.add_argument("--listen", default="127.0.0.1:0", help="HOST:PORT (port 0: any free one)")
    p.add_argument("--port-file", help="write the port here once listening")
    p.add_argument("--counts-file", help="write the counts (JSON) here on exit")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quotas", help="a quotas file whose families replace the data file's")
    p.add_argument("--family", type=parse_family, action="append", default=[], metavar="SVC:FAMILY=BURST/REFILL")
    p.add_argument("--scale", type=float, default=1.0, help="multiplies every burst and refill")
    p.add_argument("--latency-scale", type=float, default=1.0, help="multiplies every latency (0: none)")
    p.add_argument("--background", type=parse_background, action="append", default=[], metavar="SVC:FAMILY=RATE")
    p.add_argument("--region", default="us-east-1", help="the background caller's region")
    args = p.parse_args()
    listen = listen_address("aws_model.py", args.listen)
    if listen is None:
        return 2
    try:
        overrides = Path(args.quotas) if args.quotas else None
        base = load_families(QUOTAS) | (load_families(overrides) if overrides else {})
        config = Config(seed=args.seed, region=args.region)
        config.update({"scale": args.scale, "latency_scale": args.latency_scale, "families": dict(args.family),
                       "background": dict(args.background)}, base)
        model = AwsModel(args.upstream, config, overrides=overrides)
    except (ModelError, ValueError) as exc:
        print(f"aws_model.py: error: {exc}", file=sys.stderr)
        return 2

    serve_until_signal(model, *listen, args.port_file)
    if args.counts_file:
        Path(args.counts_file).write_text(json.dumps(model.counts(), indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
