#!/usr/bin/env python3
"""The `reconcile` Lambda's cold start under cargo-lambda's emulator (issue 8).

  lambda_cold.py --zip dist/lambda/reconcile.zip --cargo-lambda-bin DIR [--runs 5]

For each run: an invocation is queued first (`cargo lambda invoke`, waiting on the runtime
API of `cargo lambda watch --only-lambda-apis`), then the zip's `bootstrap` is started as
Lambda starts it (only Lambda's environment). The cold figure is from exec to the queued
invocation's answer. The invocation does one converged pass over one ECS service (the
desired state bundled beside bootstrap, as the zip can carry it) and reports the pass's own
`durationMs`; cold minus that is the init: process start, tracing, the SDK's configuration
and clients, the runtime's first poll, loading the desired state — what a cold start adds.
A second invocation right after is timed too, but its figure includes `cargo lambda
invoke`'s own process start, so it is shown, not subtracted.

Needs AWS_ENDPOINT_URL (the emulator; tests/bench/run.sh starts one) and the moto venv's
boto3 to seed the service. Standard library otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import boto3

REGION = "us-east-1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(path: Path, text: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text(errors="replace"):
            return
        time.sleep(0.1)
    raise SystemExit(f"lambda_cold.py: `{text}` not seen in {path} within {timeout_s:.0f} s")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--zip", required=True, type=Path, help="reconcile.zip (deploy/lambda/build.sh)")
    p.add_argument("--cargo-lambda-bin", required=True, help="the folder holding cargo-lambda")
    p.add_argument("--runs", type=int, default=5)
    args = p.parse_args()
    endpoint = os.environ.get("AWS_ENDPOINT_URL", "")
    if not endpoint or "amazonaws.com" in endpoint:
        raise SystemExit("lambda_cold.py: AWS_ENDPOINT_URL must point at the local emulator")

    work = Path(tempfile.mkdtemp(prefix="mooring-lambda-cold-"))
    task = work / "task"
    with zipfile.ZipFile(args.zip) as z:
        z.extractall(task)
    (task / "bootstrap").chmod(0o755)  # zipfile drops the mode bits
    cluster = f"lambda-cold-{os.getpid()}"
    (task / "desired-state").mkdir()
    (task / "desired-state" / "stack.yaml").write_text(
        f"apiVersion: mooring/v1\nkind: Stack\nmetadata:\n  name: {cluster}\nspec:\n  region: {REGION}\n"
        f"  services:\n    - cluster: {cluster}\n      name: web\n      desiredCount: 1\n"
    )
    ecs = boto3.client("ecs", region_name=REGION, endpoint_url=endpoint)
    ecs.create_cluster(clusterName=cluster)
    ecs.create_service(cluster=cluster, serviceName="web", desiredCount=1)

    env = {**os.environ, "PATH": f"{args.cargo_lambda_bin}:{os.environ.get('PATH', '')}"}
    port = free_port()
    watch_log = work / "watch.log"
    watch = subprocess.Popen(
        ["cargo", "lambda", "watch", "--only-lambda-apis", "-A", "127.0.0.1", "-P", str(port)],
        cwd=Path(__file__).resolve().parents[2], env=env, stdout=watch_log.open("w"), stderr=subprocess.STDOUT,
    )
    function_env = {
        "PATH": "/usr/bin:/bin",
        "AWS_LAMBDA_RUNTIME_API": f"http://127.0.0.1:{port}/.rt/reconcile",
        "AWS_LAMBDA_FUNCTION_NAME": "reconcile",
        "AWS_LAMBDA_FUNCTION_VERSION": "1",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    invoke_argv = ["cargo", "lambda", "invoke", "reconcile", "-A", "127.0.0.1", "-P", str(port), "--data-ascii", "{}"]
    cold, warm, passes = [], [], []
    try:
        wait_for(watch_log, "starting Runtime server", 60)
        for run in range(args.runs):
            queued = subprocess.Popen(invoke_argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            time.sleep(1.0)  # the invocation waits in the emulator's queue before the function exists
            t0 = time.perf_counter()
            function = subprocess.Popen(["./bootstrap"], cwd=task, env=function_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            out, err = queued.communicate(timeout=120)
            t1 = time.perf_counter()
            try:
                summary = json.loads(out)
            except ValueError:
                summary = {}
            if queued.returncode != 0 or summary.get("failed") != 0:
                raise SystemExit(f"lambda_cold.py: the cold invocation failed: {out[-500:]!r} {err[-500:]!r}")
            passes.append(summary["durationMs"] / 1000)
            t2 = time.perf_counter()
            again = subprocess.run(invoke_argv, env=env, capture_output=True, timeout=120)
            t3 = time.perf_counter()
            if again.returncode != 0:
                raise SystemExit(f"lambda_cold.py: the warm invocation failed: {again.stderr[-500:]!r}")
            function.send_signal(signal.SIGKILL)
            function.wait()
            cold.append(t1 - t0)
            warm.append(t3 - t2)
            print(f"run {run + 1}: cold {1000 * (t1 - t0):.0f} ms (pass {1000 * passes[-1]:.0f} ms), warm {1000 * (t3 - t2):.0f} ms", file=sys.stderr)
    finally:
        watch.terminate()
        watch.wait(timeout=10)
    def fmt(values: list[float]) -> str:
        return f"{1000 * statistics.median(values):.0f} ms ({1000 * min(values):.0f}–{1000 * max(values):.0f})"

    init = [c - p for c, p in zip(cold, passes)]
    print(
        f"\n`reconcile` Lambda from its zip under cargo-lambda, {args.runs} runs, median (min–max): "
        f"exec to the first answer {fmt(cold)}, of which the pass {fmt(passes)}, so init {fmt(init)}; "
        f"a warm invocation {fmt(warm)} (including `cargo lambda invoke`'s own start)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
