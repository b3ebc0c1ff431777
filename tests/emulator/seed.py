#!/usr/bin/env python3
"""Puts into the emulator what a deploy pipeline would have made before mooring runs.

mooring never creates ECS services (the pipeline owns task definitions and services), so a
test or the demo first needs the clusters and services its desired state names:

  seed.py seed FILE_OR_DIR... [--count N]
      For every service in the desired-state files (spec.region, default us-east-1;
      spec.services[].cluster/name): the cluster, a Fargate task definition (family = the
      service name) and the service with desiredCount N (default 0); and every Lambda
      function the alert targets name (a `lambda` subscription's endpoint, an alarm action
      that is a function ARN: the app's chat notifier, say), with an empty package.
      Idempotent: what exists is left alone, whatever its count.
  seed.py scale --region R --cluster C --service S --count N
      UpdateService desiredCount=N behind mooring's back (to show drift).
  seed.py describe (FILE_OR_DIR... | --region R --cluster C --service S) [--json]
      Prints each service's desiredCount.

Talks only to AWS_ENDPOINT_URL (refuses to run without it, and refuses real AWS endpoints),
with its own static credentials (access key id "mooring-seed", so its requests are easy to
tell apart in moto's request recording).

moto 5.2.5 behaviour this relies on (checked with boto3 against moto_server):
- CreateService on an existing cluster/name does not fail as AWS does: it silently replaces
  the service (desiredCount reset). Hence describe-before-create.
- CreateService with launchType FARGATE needs no networkConfiguration in moto; a made-up
  subnet id is rejected (InvalidSubnetID.NotFound), so none is sent.
- desiredCount is kept as set. runningCount is 0 after CreateService (pendingCount = desired),
  and UpdateService sets runningCount = desiredCount, pendingCount = 0: no tasks ever run.
- Regions are separate: a cluster in us-east-1 is ClusterNotFoundException in eu-west-1.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

import boto3
import yaml
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

DEFAULT_REGION = "us-east-1"
ACCESS_KEY_ID = "mooring-seed"
YAML_SUFFIXES = {".yaml", ".yml"}

# A task definition that Fargate would accept; moto does not run it.
TASK_CPU = "256"
TASK_MEMORY = "512"
TASK_IMAGE = "public.ecr.aws/nginx/nginx:stable"


class SeedError(Exception):
    pass


def endpoint() -> str:
    url = os.environ.get("AWS_ENDPOINT_URL", "").rstrip("/")
    if not url:
        raise SeedError("AWS_ENDPOINT_URL is not set: this tool only talks to the local emulator")
    if "amazonaws.com" in url:
        raise SeedError(f"AWS_ENDPOINT_URL={url} looks like real AWS: this tool only seeds the emulator")
    return url


def ecs_client(region: str):
    return client("ecs", region)


def client(service: str, region: str):
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=endpoint(),
        aws_access_key_id=ACCESS_KEY_ID,
        aws_secret_access_key="testing",
        config=Config(connect_timeout=5, read_timeout=30, retries={"mode": "standard", "max_attempts": 3}),
    )


def yaml_files(path: Path) -> list[tuple[Path, bool]]:
    """(file, named_explicitly) pairs; folders are walked for *.yaml / *.yml."""
    if path.is_file():
        return [(path, True)]
    if path.is_dir():
        return [(p, False) for p in sorted(path.rglob("*")) if p.is_file() and p.suffix in YAML_SUFFIXES]
    raise SeedError(f"{path}: no such file or folder")


def services_in(paths: list[str]) -> list[tuple[str, str, str]]:
    """(region, cluster, service) for every service the desired-state files declare.

    A file named on the command line must parse; a file found while walking a folder is
    skipped with a warning when it is not a desired state (an example of an invalid file,
    say).
    """
    found: list[tuple[str, str, str]] = []
    for arg in paths:
        for path, explicit in yaml_files(Path(arg)):
            try:
                found.extend(services_in_file(path))
            except SeedError as exc:
                if explicit:
                    raise
                print(f"seed: skipping {exc}", file=sys.stderr)
    # Keep the first occurrence of each, in file order.
    return list(dict.fromkeys(found))


def services_in_file(path: Path) -> list[tuple[str, str, str]]:
    try:
        docs = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise SeedError(f"{path}: not readable as YAML: {exc}") from exc
    found = []
    for doc in docs:
        spec = doc.get("spec") if isinstance(doc, dict) else None
        if not isinstance(spec, dict):
            raise SeedError(f"{path}: no spec mapping (is it a mooring desired state?)")
        region = spec.get("region") or DEFAULT_REGION
        services = spec.get("services") or []
        if not isinstance(services, list):
            raise SeedError(f"{path}: spec.services is not a list")
        for i, svc in enumerate(services):
            if not isinstance(svc, dict) or not svc.get("cluster") or not svc.get("name"):
                raise SeedError(f"{path}: spec.services[{i}] needs cluster and name")
            found.append((str(region), str(svc["cluster"]), str(svc["name"])))
    return found


LAMBDA_ARN = re.compile(r"^arn:aws[a-z-]*:lambda:([a-z0-9-]+):(\d{12}):function:([A-Za-z0-9_-]+)(?::[A-Za-z0-9_-]+)?$")
# moto's CreateFunction wants a role that exists and a zip; the role is never assumed.
LAMBDA_ROLE = "mooring-seed-lambda"
EMPTY_ZIP = b"PK\x05\x06" + b"\x00" * 18


def functions_in(paths: list[str]) -> list[tuple[str, str]]:
    """(region, name) of every Lambda function the files' alert targets name."""
    found = []
    for arg in paths:
        for path, _ in yaml_files(Path(arg)):
            try:
                docs = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]
            except (OSError, UnicodeDecodeError, yaml.YAMLError):
                continue  # services_in has reported it
            for doc in docs:
                spec = doc.get("spec") if isinstance(doc, dict) else None
                if isinstance(spec, dict):
                    found.extend(functions_in_spec(spec))
    return list(dict.fromkeys(found))


def functions_in_spec(spec: dict) -> list[tuple[str, str]]:
    targets = []
    for topic in (spec.get("topics") or {}).values():
        for sub in (topic or {}).get("subscriptions") or []:
            if isinstance(sub, dict) and sub.get("protocol") == "lambda":
                targets.append(str(sub.get("endpoint", "")))
    alarms = list((spec.get("alarms") or {}).values())
    for svc in spec.get("services") or []:
        if isinstance(svc, dict):
            alarms.extend((svc.get("alarms") or {}).values())
    for alarm in alarms:
        if isinstance(alarm, dict):
            for key in ("notify", "okNotify", "insufficientDataNotify"):
                targets.extend(str(t) for t in alarm.get(key) or [])
    return [(m.group(1), m.group(3)) for m in map(LAMBDA_ARN.match, targets) if m]


def ensure_function(region: str, name: str) -> bool:
    iam = client("iam", region)
    try:
        iam.create_role(RoleName=LAMBDA_ROLE, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}))
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "EntityAlreadyExists":
            raise
    role = iam.get_role(RoleName=LAMBDA_ROLE)["Role"]["Arn"]
    lam = client("lambda", region)
    try:
        lam.create_function(FunctionName=name, Runtime="provided.al2023", Handler="bootstrap", Role=role, Code={"ZipFile": EMPTY_ZIP})
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ResourceConflictException":
            return False
        raise
    return True


def describe_service(ecs, cluster: str, service: str) -> dict | None:
    try:
        resp = ecs.describe_services(cluster=cluster, services=[service], include=["TAGS"])
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ClusterNotFoundException":
            return None
        raise
    for svc in resp["services"]:
        if svc["serviceName"] == service and svc["status"] == "ACTIVE":
            return svc
    return None


def ensure_cluster(ecs, cluster: str) -> bool:
    resp = ecs.describe_clusters(clusters=[cluster])
    if any(c["clusterName"] == cluster and c["status"] == "ACTIVE" for c in resp["clusters"]):
        return False
    ecs.create_cluster(clusterName=cluster)
    return True


def ensure_task_definition(ecs, family: str) -> str:
    try:
        return ecs.describe_task_definition(taskDefinition=family)["taskDefinition"]["taskDefinitionArn"]
    except ClientError as exc:
        if exc.response["Error"]["Code"] not in ("ClientException", "InvalidParameterException"):
            raise
    resp = ecs.register_task_definition(
        family=family,
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu=TASK_CPU,
        memory=TASK_MEMORY,
        containerDefinitions=[
            {
                "name": "app",
                "image": TASK_IMAGE,
                "essential": True,
                "portMappings": [{"containerPort": 80, "protocol": "tcp"}],
            }
        ],
    )
    return resp["taskDefinition"]["taskDefinitionArn"]


def cmd_seed(args) -> int:
    if args.count < 0:
        raise SeedError("--count must be 0 or more")
    services = services_in(args.paths)
    if not services:
        raise SeedError("no services declared in " + " ".join(args.paths))
    clients: dict[str, object] = {}
    for region, cluster, service in services:
        ecs = clients.setdefault(region, ecs_client(region))
        existing = describe_service(ecs, cluster, service)
        if existing is not None:
            print(f"exists  {region} {cluster}/{service} desiredCount={existing['desiredCount']} (left alone)")
            continue
        if ensure_cluster(ecs, cluster):
            print(f"created {region} cluster {cluster}")
        task_definition = ensure_task_definition(ecs, service)
        ecs.create_service(
            cluster=cluster,
            serviceName=service,
            taskDefinition=task_definition,
            desiredCount=args.count,
            launchType="FARGATE",
        )
        print(f"created {region} {cluster}/{service} desiredCount={args.count}")
    for region, name in functions_in(args.paths):
        if ensure_function(region, name):
            print(f"created {region} Lambda function {name}")
        else:
            print(f"exists  {region} Lambda function {name} (left alone)")
    return 0


def cmd_scale(args) -> int:
    if args.count < 0:
        raise SeedError("--count must be 0 or more")
    ecs = ecs_client(args.region)
    if describe_service(ecs, args.cluster, args.service) is None:
        raise SeedError(f"service {args.region} {args.cluster}/{args.service} does not exist (seed it first)")
    svc = ecs.update_service(cluster=args.cluster, service=args.service, desiredCount=args.count)["service"]
    print(f"scaled  {args.region} {args.cluster}/{args.service} desiredCount={svc['desiredCount']}")
    return 0


def cmd_describe(args) -> int:
    if args.paths:
        if args.region or args.cluster or args.service:
            raise SeedError("describe takes either FILE_OR_DIR... or --region/--cluster/--service, not both")
        targets = services_in(args.paths)
    else:
        if not (args.cluster and args.service):
            raise SeedError("describe needs FILE_OR_DIR... or --cluster and --service")
        targets = [(args.region or DEFAULT_REGION, args.cluster, args.service)]
    missing = 0
    for region, cluster, service in targets:
        svc = describe_service(ecs_client(region), cluster, service)
        if svc is None:
            missing += 1
        if args.json:
            row = {"region": region, "cluster": cluster, "service": service, "exists": svc is not None}
            if svc is not None:
                row.update(desiredCount=svc["desiredCount"], runningCount=svc["runningCount"], tags=svc.get("tags", []))
            print(json.dumps(row))
        elif svc is None:
            print(f"missing {region} {cluster}/{service}")
        else:
            print(f"{region} {cluster}/{service} desiredCount={svc['desiredCount']}")
    return 1 if missing else 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="seed.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)

    seed = sub.add_parser("seed", help="create the services desired-state files declare")
    seed.add_argument("paths", nargs="+", metavar="FILE_OR_DIR")
    seed.add_argument("--count", type=int, default=0, help="desiredCount of new services (default 0)")
    seed.set_defaults(run=cmd_seed)

    scale = sub.add_parser("scale", help="set a service's desiredCount (drift)")
    scale.add_argument("--region", default=DEFAULT_REGION)
    scale.add_argument("--cluster", required=True)
    scale.add_argument("--service", required=True)
    scale.add_argument("--count", type=int, required=True)
    scale.set_defaults(run=cmd_scale)

    describe = sub.add_parser("describe", help="print desiredCount (exit 1 if a service is missing)")
    describe.add_argument("paths", nargs="*", metavar="FILE_OR_DIR")
    describe.add_argument("--region")
    describe.add_argument("--cluster")
    describe.add_argument("--service")
    describe.add_argument("--json", action="store_true", help="one JSON object a line")
    describe.set_defaults(run=cmd_describe)
    return p


def main() -> int:
    args = parser().parse_args()
    try:
        return args.run(args)
    except SeedError as exc:
        print(f"seed.py: error: {exc}", file=sys.stderr)
        return 1
    except (ClientError, BotoCoreError) as exc:
        print(f"seed.py: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
