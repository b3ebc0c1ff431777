#!/usr/bin/env python3
"""mooring paces itself to AWS's buckets (issue 16): the real binary, the AWS model
(tests/bench/aws_model.py) and moto.

  pacing_behind_model.py --mooring BIN --moto URL

The model's UpdateService bucket is made tiny (burst 3, refill 3/s) and mooring is given the
same figures (MOORING_AWS_QUOTAS, a copy of controller/aws-quotas.json with that family
changed); every other family keeps AWS's figures in both. Then 20 services are put to sleep:

  paced      (mooring's defaults: pacing on, share 0.8): the model answers no throttling error
             at all, mooring exits 0 with no failed call, all 20 services are at desiredCount 0
  unpaced    (MOORING_AWS_PACING=off): the model DOES throttle UpdateService, so the paced
             half would notice if the model let everything through

A binary without pacing (no --aws-share flag on `apply`) skips the paced half with a loud
note, unless MOORING_MODEL_TEST_REQUIRE_PACING=1, which makes that a failure. Each half resets
moto, seeds the services and makes them mooring's (an awake apply straight to moto) first.
Exit 0 when every check held, 1 otherwise. Standard library + boto3 (the moto venv's).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import boto3
from botocore.config import Config

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT / "tests" / "bench"))
import aws_model  # noqa: E402

REGION = "eu-west-1"
CLUSTER = "pacing-model"
SERVICES = [f"pm-svc-{i:02d}" for i in range(20)]
FAMILY = "ecs:service-modify"
TINY = {"burst": 3, "refill": 3}
AWAKE = "2026-11-25T12:00:00Z"  # a Wednesday noon UTC
ASLEEP = "2026-11-25T23:00:00Z"
TIMEOUT_S = 180  # the paced sleep needs about (20 − 2.4) / 2.4 ≈ 7 s at the default share


class Failure(Exception):
    pass


def desired_state() -> str:
    doc = {
        "apiVersion": "mooring/v1",
        "kind": "Stack",
        "metadata": {"name": "pacing-model"},
        "spec": {
            "region": REGION,
            "timezone": "UTC",
            "schedules": {"office-hours": {"awake": ["Mon-Fri 08:00-18:00"]}},
            "services": [
                {"cluster": CLUSTER, "name": s, "desiredCount": 1, "offHours": {"schedule": "office-hours", "desiredCount": 0}}
                for s in SERVICES
            ],
        },
    }
    return json.dumps(doc, indent=1) + "\n"


def quotas_file(path: Path) -> None:
    """controller/aws-quotas.json with UpdateService's family made tiny: what an account
    with these quotas would give mooring."""
    doc = json.loads((ROOT / "controller" / "aws-quotas.json").read_text(encoding="utf-8"))
    service, family = FAMILY.split(":")
    for f in doc["families"]:
        if f["service"] == service and f["family"] == family:
            f.update(TINY)
    path.write_text(json.dumps(doc, indent=1), encoding="utf-8")


def ecs_client(endpoint: str):
    return boto3.client(
        "ecs", region_name=REGION, endpoint_url=endpoint, aws_access_key_id="pacing-seed", aws_secret_access_key="testing",
        config=Config(retries={"mode": "standard", "max_attempts": 3}),
    )


def seed(moto: str) -> None:
    req = urllib.request.Request(moto + "/moto-api/reset", method="POST", data=b"")
    with urllib.request.urlopen(req, timeout=60) as resp:
        resp.read()
    ecs = ecs_client(moto)
    ecs.create_cluster(clusterName=CLUSTER)
    td = ecs.register_task_definition(
        family="pacing-model", requiresCompatibilities=["FARGATE"], networkMode="awsvpc", cpu="256", memory="512",
        containerDefinitions=[{"name": "app", "image": "public.ecr.aws/nginx/nginx:stable", "essential": True}],
    )["taskDefinition"]["taskDefinitionArn"]
    for s in SERVICES:
        ecs.create_service(cluster=CLUSTER, serviceName=s, taskDefinition=td, desiredCount=1, launchType="FARGATE")


def desired_counts(moto: str) -> dict[str, int]:
    ecs = ecs_client(moto)
    out = {}
    for i in range(0, len(SERVICES), 10):
        for s in ecs.describe_services(cluster=CLUSTER, services=SERVICES[i : i + 10])["services"]:
            out[s["serviceName"]] = s["desiredCount"]
    return out


def mooring(binary: str, state: Path, now: str, endpoint: str, extra: dict[str, str]) -> tuple[int, dict, str, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MOORING_"))}
    env.update(
        AWS_ACCESS_KEY_ID="pacing-mooring", AWS_SECRET_ACCESS_KEY="testing", AWS_REGION=REGION, AWS_DEFAULT_REGION=REGION,
        AWS_EC2_METADATA_DISABLED="true", AWS_ENDPOINT_URL=endpoint, **extra,
    )
    if "MOORING_CALL_LOG" in os.environ:  # tests/run.sh's IAM check reads every call the suite made
        env["MOORING_CALL_LOG"] = os.environ["MOORING_CALL_LOG"]
    t0 = time.monotonic()
    proc = subprocess.run(
        [binary, "apply", str(state), "--output", "json", "--now", now, "--revision", "pacing-model"],
        env=env, capture_output=True, text=True, timeout=TIMEOUT_S,
    )
    wall = time.monotonic() - t0
    try:
        report = json.loads(proc.stdout)
    except ValueError:
        report = {}
    return proc.returncode, report, proc.stderr[-2000:], wall


def failed_calls(report: dict) -> int:
    return sum(c.get("failed", 0) for c in report.get("calls") or [])


def has_pacing(binary: str) -> bool:
    out = subprocess.run([binary, "apply", "--help"], capture_output=True, text=True, timeout=30).stdout
    return "--aws-share" in out


def sleep_behind_model(args, work: Path, extra: dict[str, str]) -> dict:
    """Seeds, makes the services mooring's on moto, then sleeps them behind a fresh model."""
    state = work / "stack.yaml"
    state.write_text(desired_state(), encoding="utf-8")
    seed(args.moto)
    rc, _, err, _ = mooring(args.mooring, state, AWAKE, args.moto, {"MOORING_AWS_PACING": "off"})
    if rc != 0:
        raise Failure(f"the awake apply straight to moto exited {rc}: {err}")
    model = aws_model.AwsModel(args.moto, aws_model.Config(seed=16, families={FAMILY: dict(TINY)}))
    url = f"http://127.0.0.1:{model.start_in_thread()}"
    try:
        rc, report, err, wall = mooring(args.mooring, state, ASLEEP, url, extra)
        counts = model.counts()
    finally:
        model.stop()
    asleep = sum(1 for c in desired_counts(args.moto).values() if c == 0)
    fam = counts["families"].get(FAMILY, {})
    return {"rc": rc, "failed": failed_calls(report), "stderr": err, "wall": wall, "asleep": asleep,
            "throttled": counts["throttled"], "update_throttled": fam.get("throttled", 0),
            "update_requests": fam.get("requests", 0), "by_family": {k: v["throttled"] for k, v in counts["families"].items() if v["throttled"]},
            "errors": counts["errors"]}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--mooring", required=True)
    p.add_argument("--moto", required=True, help="moto's URL (a private emulator: it is reset)")
    args = p.parse_args()
    args.moto = args.moto.rstrip("/")
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="mooring-pacing-model-") as tmp:
        work = Path(tmp)
        quotas = work / "quotas.json"
        quotas_file(quotas)

        r = sleep_behind_model(args, work, {"MOORING_AWS_PACING": "off", "MOORING_AWS_QUOTAS": str(quotas)})
        print(f"unpaced: {r['wall']:.1f} s, exit {r['rc']}, UpdateService {r['update_requests']} requests, "
              f"{r['update_throttled']} throttled; throttled by family {r['by_family']}; {r['asleep']}/20 asleep")
        if r["update_throttled"] == 0:
            problems.append("unpaced: the model throttled no UpdateService, so it cannot tell pacing from none")
        if r["errors"]:
            problems.append(f"unpaced: the model failed: {r['errors']}")

        if has_pacing(args.mooring):
            r = sleep_behind_model(args, work, {"MOORING_AWS_QUOTAS": str(quotas)})
            print(f"paced: {r['wall']:.1f} s, exit {r['rc']}, {r['failed']} failed calls, UpdateService "
                  f"{r['update_requests']} requests; throttled by family {r['by_family']}; {r['asleep']}/20 asleep")
            if r["throttled"]:
                problems.append(f"paced: the model throttled {r['throttled']} requests ({r['by_family']})")
            if r["rc"] != 0:
                problems.append(f"paced: mooring exited {r['rc']}: {r['stderr']}")
            if r["failed"]:
                problems.append(f"paced: mooring reported {r['failed']} failed calls")
            if r["asleep"] != len(SERVICES):
                problems.append(f"paced: {r['asleep']} of {len(SERVICES)} services asleep")
            if r["errors"]:
                problems.append(f"paced: the model failed: {r['errors']}")
        elif os.environ.get("MOORING_MODEL_TEST_REQUIRE_PACING") == "1":
            problems.append("this mooring has no --aws-share flag (no pacing) and MOORING_MODEL_TEST_REQUIRE_PACING=1")
        else:
            print("SKIPPED the paced half: this mooring binary has no `apply --aws-share` (built before pacing)", file=sys.stderr)
    for problem in problems:
        print(f"FAIL: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
