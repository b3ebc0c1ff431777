#!/usr/bin/env python3
"""mooring's benchmark (issue 8): figures printed, never a timed test.

  bench.py --mooring BIN --custodian BIN [--n 100,1000] [--runs 5] [--json FILE] [--smoke]

Needs AWS_ENDPOINT_URL pointing at a moto server of its own (tests/bench/run.sh starts one):
every N starts with POST /moto-api/reset, so never point it at a server someone else uses.

For each N (one cluster `bench`, N services with desiredCount 1, 3 alarms each, one topic per
50 services, an off-hours schedule awake Mon-Fri 08:00-18:00 UTC):
  cold apply       mooring apply, everything to create (at an awake instant)
  converged pass   mooring apply again, nothing to change
  drift repair     10 % of each kind changed behind mooring's back (ceil), then mooring apply
  sleep transition alternating, RUNS times each: mooring apply at a sleeping instant, then
                   Cloud Custodian (ecs-service policy, modify desiredCount 0) on the same
                   services, then the floor (mooring's recorded requests of that sleep replayed
                   by a raw HTTP client); the services are woken (untimed) before each.
Whole-process wall time (this driver's clock around the child) and peak RSS (/usr/bin/time's
%M, the child's own high-water mark, see run_child). AWS calls: mooring's `--output json` `calls`;
Cloud Custodian's come from moto's request recorder (its own access key id).

Standard library + boto3 (the moto venv's).
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
from botocore.config import Config

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "emulator"))
import recording  # noqa: E402  (tests/emulator/recording.py: operation names of recorded requests)

sys.path.insert(0, str(HERE))
import steady  # noqa: E402  (tests/bench/steady.py: `mooring run`'s memory after 10 passes)

REGION = "us-east-1"
CLUSTER = "bench"
AWAKE = "2026-11-25T12:00:00Z"  # a Wednesday, noon UTC: awake
ASLEEP = "2026-11-25T23:00:00Z"  # the same Wednesday, 23:00 UTC: asleep
ALARMS = (("cpu-high", "CPUUtilization"), ("memory-high", "MemoryUtilization"), ("cpu-low", "CPUUtilization"))
SERVICES_PER_TOPIC = 50
TIME = "/usr/bin/time"  # GNU time (Debian package `time`)
KEY_MOORING = "bench-mooring"
KEY_C7N = "bench-c7n"
KEY_SETUP = "bench-setup"
C7N_POLICY = """\
policies:
  - name: bench-sleep
    resource: ecs-service
    actions:
      - type: modify
        update:
          desiredCount: 0
"""


class BenchError(Exception):
    pass


def endpoint() -> str:
    url = os.environ.get("AWS_ENDPOINT_URL", "").rstrip("/")
    if not url or "amazonaws.com" in url:
        raise BenchError("AWS_ENDPOINT_URL must point at the local emulator (tests/bench/run.sh sets it)")
    return url


def moto_post(path: str) -> None:
    req = urllib.request.Request(endpoint() + path, method="POST", data=b"")
    with urllib.request.urlopen(req, timeout=60) as resp:
        resp.read()


def recorded() -> list[tuple[dict, dict]]:
    """(raw entry, parsed call) for every signed request recorded since the last reset."""
    with urllib.request.urlopen(endpoint() + "/moto-api/recorder/download-recording", timeout=60) as resp:
        text = resp.read().decode("utf-8")
    out = []
    for line in text.splitlines():
        if line.strip():
            entry = json.loads(line)
            call = recording.parse(entry)
            if call is not None:
                out.append((entry, call))
    return out


def client(service: str):
    return boto3.client(
        service,
        region_name=REGION,
        endpoint_url=endpoint(),
        aws_access_key_id=KEY_SETUP,
        aws_secret_access_key="testing",
        config=Config(retries={"mode": "standard", "max_attempts": 5}, max_pool_connections=16),
    )


# ---------------------------------------------------------------- the desired state and the seed


def names(n: int) -> dict:
    services = [f"svc-{i:04d}" for i in range(n)]
    topics = [f"bench-alerts-{t:03d}" for t in range(math.ceil(n / SERVICES_PER_TOPIC))]
    alarms = [f"bench-{s}-{a}" for s in services for a, _ in ALARMS]
    return {"services": services, "topics": topics, "alarms": alarms}


def desired_state(n: int) -> str:
    """The stack as YAML (JSON is YAML: no YAML library needed)."""
    nm = names(n)
    services = []
    for i, svc in enumerate(nm["services"]):
        topic = nm["topics"][i // SERVICES_PER_TOPIC]
        alarms = {
            f"bench-{svc}-{a}": {
                "metric": metric,
                "statistic": "Average",
                "period": "60s",
                "evaluationPeriods": 2,
                "threshold": 20 if a == "cpu-low" else 80,
                "comparison": "<" if a == "cpu-low" else ">",
                "notify": [topic],
            }
            for a, metric in ALARMS
        }
        services.append(
            {
                "cluster": CLUSTER,
                "name": svc,
                "desiredCount": 1,
                "offHours": {"schedule": "office-hours", "desiredCount": 0},
                "alarms": alarms,
            }
        )
    doc = {
        "apiVersion": "mooring/v1",
        "kind": "Stack",
        "metadata": {"name": f"bench-{n}"},
        "spec": {
            "region": REGION,
            "timezone": "UTC",
            "schedules": {"office-hours": {"awake": ["Mon-Fri 08:00-18:00"]}},
            "topics": {t: {"displayName": f"bench {t}"} for t in nm["topics"]},
            "services": services,
        },
    }
    return json.dumps(doc, indent=1) + "\n"


def seed(n: int) -> None:
    """What the deploy pipeline would have made: the cluster and N services at desiredCount 1."""
    ecs = client("ecs")
    ecs.create_cluster(clusterName=CLUSTER)
    td = ecs.register_task_definition(
        family="bench",
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
        containerDefinitions=[{"name": "app", "image": "public.ecr.aws/nginx/nginx:stable", "essential": True}],
    )["taskDefinition"]["taskDefinitionArn"]

    def create(svc: str) -> None:
        ecs.create_service(cluster=CLUSTER, serviceName=svc, taskDefinition=td, desiredCount=1, launchType="FARGATE")

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(create, names(n)["services"]))


def desired_counts(n: int) -> dict[int, int]:
    """desiredCount → how many of the N services have it."""
    ecs = client("ecs")
    svcs = names(n)["services"]
    counts: dict[int, int] = {}
    for i in range(0, len(svcs), 10):
        for s in ecs.describe_services(cluster=CLUSTER, services=svcs[i : i + 10])["services"]:
            counts[s["desiredCount"]] = counts.get(s["desiredCount"], 0) + 1
    return counts


def expect_counts(n: int, count: int, what: str) -> None:
    got = desired_counts(n)
    if got != {count: n}:
        raise BenchError(f"after {what}: expected all {n} services at desiredCount {count}, found {got}")


def drift(n: int) -> dict[str, int]:
    """Changes ceil(10 %) of the services, of the alarms and of the topics behind mooring's back."""
    nm = names(n)
    pick = lambda items: items[:: max(1, len(items) // math.ceil(len(items) / 10))][: math.ceil(len(items) / 10)]  # noqa: E731
    ecs, cw, sns = client("ecs"), client("cloudwatch"), client("sns")
    services, alarms, topics = pick(nm["services"]), pick(nm["alarms"]), pick(nm["topics"])
    for svc in services:
        ecs.update_service(cluster=CLUSTER, service=svc, desiredCount=3)
    for i in range(0, len(alarms), 100):
        for a in cw.describe_alarms(AlarmNames=alarms[i : i + 100])["MetricAlarms"]:
            keep = (
                "AlarmName AlarmDescription ActionsEnabled OKActions AlarmActions InsufficientDataActions "
                "MetricName Namespace Statistic Dimensions Period EvaluationPeriods DatapointsToAlarm "
                "ComparisonOperator TreatMissingData Unit"
            ).split()
            args = {k: a[k] for k in keep if k in a and a[k] is not None}
            args["Threshold"] = a["Threshold"] + 5
            cw.put_metric_alarm(**args)
    arns = {t["TopicArn"].rsplit(":", 1)[-1]: t["TopicArn"] for t in list_topics(sns)}
    for t in topics:
        sns.set_topic_attributes(TopicArn=arns[t], AttributeName="DisplayName", AttributeValue="edited by hand")
    return {"services": len(services), "alarms": len(alarms), "topics": len(topics)}


def list_topics(sns) -> list[dict]:
    out, token = [], None
    while True:
        resp = sns.list_topics(**({"NextToken": token} if token else {}))
        out.extend(resp["Topics"])
        token = resp.get("NextToken")
        if not token:
            return out


# ---------------------------------------------------------------- the batched minimum


def minimum(n: int, scenario: str, drifted: dict[str, int] | None = None) -> dict[str, int]:
    """The fewest calls the scenario needs on AWS, from docs/architecture.md's read budget.

    Reads (every pass): DescribeServices ceil(N/10) (one cluster); DescribeAlarms
    ceil(3N/100) (one name prefix, pages of 100); ListTopics ceil(T/100); per declared topic
    GetTopicAttributes, ListTagsForResource, ListSubscriptionsByTopic (no subscriptions).
    DescribeScalableTargets ceil(N/50): docs/architecture.md budgets it for every declared
    service, autoscaled or not (none is here); DescribeScalingPolicies/ScheduledActions are
    skipped when no target exists.
    """
    t = math.ceil(n / SERVICES_PER_TOPIC)
    m = {
        "ecs DescribeServices": math.ceil(n / 10),
        "application auto scaling DescribeScalableTargets": math.ceil(n / 50),
        "cloudwatch DescribeAlarms": math.ceil(3 * n / 100),
        "sns ListTopics": math.ceil(t / 100),
        "sns GetTopicAttributes": t,
        "sns ListTagsForResource": t,
        "sns ListSubscriptionsByTopic": t,
    }
    if scenario == "cold":
        # a fresh region: nothing to read per topic (none exists yet); tags go with the creates
        for k in ("sns GetTopicAttributes", "sns ListTagsForResource", "sns ListSubscriptionsByTopic"):
            m[k] = 0
        m["sns CreateTopic"] = t
        m["cloudwatch PutMetricAlarm"] = 3 * n
    elif scenario in ("sleep", "sleep, schedule only"):
        # mooring's crash-safe sleep (docs/architecture.md "Off-hours"): one tag (wake count and
        # asleep-since together), then the scale-down
        m["ecs TagResource"] = n
        m["ecs UpdateService"] = n
        if scenario == "sleep, schedule only":
            # what the offhours Lambda reads: the services and their scalable targets only
            m = {k: v for k, v in m.items() if k.startswith(("ecs ", "application auto scaling "))}
    elif scenario == "drift" and drifted:
        m["ecs UpdateService"] = drifted["services"]
        m["cloudwatch PutMetricAlarm"] = drifted["alarms"]
        m["sns SetTopicAttributes"] = drifted["topics"]
    return {k: v for k, v in m.items() if v}


# ---------------------------------------------------------------- running children


def run_child(argv: list[str], env: dict[str, str], cwd: str | None = None) -> dict:
    """Runs one process: its wall time, its own peak RSS, exit code and output.

    Peak RSS comes from /usr/bin/time (%M), not from this driver's os.wait4: Linux carries the
    exec-ing parent's high-water mark into the child's ru_maxrss (exec_mmap keeps the old mm's
    hiwater, and Python's subprocess vforks, so the old mm is this driver's, 100+ MB at
    N = 1,000). /usr/bin/time is a 2 MB parent, so %M is the child's own figure.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, tempfile.NamedTemporaryFile("r") as rss:
        t0 = time.perf_counter()
        proc = subprocess.Popen([TIME, "-q", "-f", "%M %U %S", "-o", rss.name, *argv], env=env, stdout=out, stderr=err, cwd=cwd)
        proc.wait()
        wall = time.perf_counter() - t0
        out.seek(0)
        err.seek(0)
        fields = rss.read().split()
        if len(fields) != 3:
            raise BenchError(f"{TIME} gave no figures for {argv[0]} (exit {proc.returncode})")
        return {
            "wall_s": wall,
            "rss_mb": int(fields[0]) / 1024,  # KiB
            "cpu_s": float(fields[1]) + float(fields[2]),
            "rc": proc.returncode,
            "stdout": out.read().decode("utf-8", "replace"),
            "stderr": err.read().decode("utf-8", "replace"),
        }


def child_env(access_key: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("AWS_PROFILE", "AWS_SESSION_TOKEN")}
    env.update(
        AWS_ACCESS_KEY_ID=access_key,
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_REGION=REGION,
        AWS_DEFAULT_REGION=REGION,
        AWS_EC2_METADATA_DISABLED="true",
        AWS_ENDPOINT_URL=endpoint(),
        # These figures are mooring's own costs on moto, which never throttles: paced to AWS's
        # buckets, the cold apply of 3,000 alarms alone would wait 20 minutes for
        # PutMetricAlarm tokens. Pacing is measured behind the model (model_bench.py).
        MOORING_AWS_PACING="off",
    )
    env.pop("MOORING_NOW", None)
    return env


def mooring(binary: str, state: Path, now: str, access_key: str = KEY_MOORING, extra: tuple[str, ...] = ()) -> dict:
    r = run_child([binary, "apply", str(state), "--output", "json", "--now", now, "--revision", "bench", *extra], child_env(access_key))
    if r["rc"] != 0:
        raise BenchError(f"mooring apply exited {r['rc']}: {r['stderr'][-2000:]}")
    report = json.loads(r["stdout"])
    r["calls"] = {f"{c['service'].lower()} {c['operation']}": c["requests"] for c in report["calls"]}
    r["duration_ms"] = report["durationMs"] if "durationMs" in report else report.get("duration_ms")
    r["changes"] = len(report.get("outcomes") or [])
    del r["stdout"]
    return r


def custodian(binary: str, policy: Path, outdir: Path) -> dict:
    argv = [binary, "run", "--cache-period", "0", "-s", str(outdir), "--region", REGION, str(policy)]
    r = run_child(argv, child_env(KEY_C7N))
    if r["rc"] != 0:
        raise BenchError(f"custodian exited {r['rc']}: {r['stderr'][-2000:]}")
    del r["stdout"]
    return r


def calls_of(access_key: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for _, call in recorded():
        if call["accessKey"] == access_key:
            k = f"{call['service']} {call['operation']}"
            out[k] = out.get(k, 0) + 1
    return out


# ---------------------------------------------------------------- the floor


def replay(entries: list[dict], workers: int) -> float:
    """Sends the recorded requests again as they were (moto does not check signatures) over
    keep-alive connections, `workers` at once, in recorded order; seconds until the last answer."""
    base = urllib.parse.urlsplit(endpoint())
    local = threading.local()

    def send(entry: dict) -> None:
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = http.client.HTTPConnection(base.hostname, base.port, timeout=60)
        url = urllib.parse.urlsplit(entry["url"])
        path = url.path + (f"?{url.query}" if url.query else "")
        headers = {k: v for k, v in entry["headers"].items() if k.lower() not in ("host", "content-length", "connection")}
        conn.request(entry["method"], path, body=recording.body_bytes(entry), headers=headers)
        resp = conn.getresponse()
        resp.read()
        if resp.status >= 400:
            raise BenchError(f"replay: {entry['method']} {path} answered {resp.status}")

    t0 = time.perf_counter()
    if workers == 1:
        for e in entries:
            send(e)
    else:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(send, entries))
    return time.perf_counter() - t0


# ---------------------------------------------------------------- the scenarios


def stats(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def bench_n(n: int, runs: int, args, work: Path) -> dict:
    say = lambda msg: print(f"[N={n}] {msg}", file=sys.stderr, flush=True)  # noqa: E731
    moto_post("/moto-api/reset")
    state = work / f"stack-{n}.json"
    # mooring reads *.yaml / *.yml; JSON is valid YAML.
    state = state.with_suffix(".yaml")
    state.write_text(desired_state(n), encoding="utf-8")
    policy = work / "c7n-policy.yml"
    policy.write_text(C7N_POLICY, encoding="utf-8")
    say("seeding the services")
    seed(n)
    result: dict = {"n": n, "topics": math.ceil(n / SERVICES_PER_TOPIC), "alarms": 3 * n, "scenarios": {}}

    say("cold apply")
    cold = mooring(args.mooring, state, AWAKE)
    result["scenarios"]["cold apply"] = {**cold, "minimum": minimum(n, "cold")}
    if args.steady_only:
        say("mooring run: steady state over 10 passes, the status page and /status")
        try:
            result["steady"] = steady.steady_rss(args.mooring, state, child_env(KEY_MOORING), AWAKE)
        except steady.SteadyError as exc:
            raise BenchError(str(exc)) from exc
        return result
    say("converged pass")
    conv = mooring(args.mooring, state, AWAKE)
    result["scenarios"]["converged pass"] = {**conv, "minimum": minimum(n, "converged")}
    if conv["changes"]:
        raise BenchError(f"the converged pass applied {conv['changes']} changes")

    say("drift repair")
    drifted = drift(n)
    rep = mooring(args.mooring, state, AWAKE)
    result["scenarios"]["drift repair"] = {**rep, "drifted": drifted, "minimum": minimum(n, "drift", drifted)}
    expect_counts(n, 1, "drift repair")

    say(f"sleep transition: mooring (schedule only, full apply) / Cloud Custodian / floor, alternating, {runs} runs each")
    rounds = []
    floor_entries: list[dict] | None = None
    for i in range(runs):
        row = {}
        # "mooring": `apply --schedule-only`, the pass the offhours Lambda runs on its schedule;
        # "mooring full": a whole `apply` (alarms and topics read too) at the asleep instant.
        for who in ("mooring", "mooring full", "c7n", "floor1", "floor8"):
            if who.startswith("floor") and floor_entries is None:
                continue
            mooring(args.mooring, state, AWAKE, KEY_SETUP)  # wake (untimed): the reset between runs
            expect_counts(n, 1, "the wake between runs")
            moto_post("/moto-api/recorder/reset-recording")
            if who == "mooring full":
                r = mooring(args.mooring, state, ASLEEP)
            elif who == "mooring":
                r = mooring(args.mooring, state, ASLEEP, extra=("--schedule-only",))
                if floor_entries is None:
                    floor_entries = [e for e, c in recorded() if c["accessKey"] == KEY_MOORING]
            elif who == "c7n":
                r = custodian(args.custodian, policy, work / "c7n-out")
                r["calls"] = calls_of(KEY_C7N)
            else:
                r = {"wall_s": replay(floor_entries, 1 if who == "floor1" else 8), "calls": {"replayed": len(floor_entries)}}
            expect_counts(n, 0, f"the sleep by {who}")
            row[who] = r
        rounds.append(row)
        say(
            f"run {i + 1}: mooring {row['mooring']['wall_s']:.2f} s {row['mooring']['rss_mb']:.0f} MB, "
            f"full apply {row['mooring full']['wall_s']:.2f} s {row['mooring full']['rss_mb']:.0f} MB, "
            f"c7n {row['c7n']['wall_s']:.2f} s {row['c7n']['rss_mb']:.0f} MB"
            + (f", floor {row['floor1']['wall_s']:.2f} s (1 conn) {row['floor8']['wall_s']:.2f} s (8)" if "floor1" in row else "")
        )
    m = [r["mooring"] for r in rounds]
    mf = [r["mooring full"] for r in rounds]
    c = [r["c7n"] for r in rounds]
    f1 = [r["floor1"]["wall_s"] for r in rounds if "floor1" in r]
    f8 = [r["floor8"]["wall_s"] for r in rounds if "floor8" in r]
    paired_over = [r["mooring"]["wall_s"] / r["floor1"]["wall_s"] - 1 for r in rounds if "floor1" in r]
    paired_over8 = [r["mooring"]["wall_s"] / r["floor8"]["wall_s"] - 1 for r in rounds if "floor8" in r]
    result["scenarios"]["sleep transition"] = {**mf[0], "minimum": minimum(n, "sleep")}
    result["scenarios"]["sleep transition, schedule only"] = {**m[0], "minimum": minimum(n, "sleep, schedule only")}
    result["sleep"] = {
        "runs": runs,
        "mooring_wall_s": stats([x["wall_s"] for x in m]),
        "mooring_rss_mb": stats([x["rss_mb"] for x in m]),
        "c7n_wall_s": stats([x["wall_s"] for x in c]),
        "c7n_rss_mb": stats([x["rss_mb"] for x in c]),
        "speedup_c7n_over_mooring": stats([b["wall_s"] / a["wall_s"] for a, b in zip(m, c)]),
        "memory_c7n_over_mooring": stats([b["rss_mb"] / a["rss_mb"] for a, b in zip(m, c)]),
        "full_wall_s": stats([x["wall_s"] for x in mf]),
        "full_rss_mb": stats([x["rss_mb"] for x in mf]),
        "speedup_c7n_over_full": stats([b["wall_s"] / a["wall_s"] for a, b in zip(mf, c)]),
        "memory_c7n_over_full": stats([b["rss_mb"] / a["rss_mb"] for a, b in zip(mf, c)]),
        "c7n_calls": c[0]["calls"],
        "mooring_calls": m[0]["calls"],
        "floor_requests": len(floor_entries or []),
        "floor_1conn_s": stats(f1) if f1 else None,
        "floor_8conn_s": stats(f8) if f8 else None,
        "overhead_over_floor_1conn": stats(paired_over) if paired_over else None,
        "overhead_over_floor_8conn": stats(paired_over8) if paired_over8 else None,
        "raw": [{k: {kk: vv for kk, vv in v.items() if kk in ("wall_s", "rss_mb", "cpu_s")} for k, v in r.items()} for r in rounds],
    }

    say("mooring run: steady state over 10 passes")
    mooring(args.mooring, state, AWAKE, KEY_SETUP)  # awake again, converged
    try:
        result["steady"] = steady.steady_rss(args.mooring, state, child_env(KEY_MOORING), AWAKE)
    except steady.SteadyError as exc:
        raise BenchError(str(exc)) from exc
    return result


# ---------------------------------------------------------------- the report


def fmt_stats(s: dict | None, unit: str = "", digits: int = 2) -> str:
    if not s:
        return "n/a"
    return f"{s['median']:.{digits}f}{unit} ({s['min']:.{digits}f}–{s['max']:.{digits}f})"


def print_report(results: list[dict]) -> None:
    for res in results:
        n = res["n"]
        print(f"\n### N = {n} services ({res['alarms']} alarms, {res['topics']} topics)\n")
        print("| scenario | wall s | peak RSS MB | calls (mooring) | batched minimum (AWS) |")
        print("|---|---:|---:|---|---|")
        for name, sc in res["scenarios"].items():
            calls = ", ".join(f"{k} {v}" for k, v in sorted(sc["calls"].items()))
            mins = ", ".join(f"{k} {v}" for k, v in sorted(sc["minimum"].items()))
            print(f"| {name} | {sc['wall_s']:.2f} | {sc['rss_mb']:.1f} | {calls} | {mins} |")
        s = res.get("sleep")
        if s:
            print_sleep(s)
        if st := res.get("steady"):
            print_steady(st)


def print_sleep(s: dict) -> None:
    print(f"\nSleep transition, {s['runs']} alternating runs each, median (min–max):\n")
    print("| | wall s | peak RSS MB |")
    print("|---|---:|---:|")
    print(f"| mooring `apply --schedule-only` (the offhours Lambda's pass) | {fmt_stats(s['mooring_wall_s'])} | {fmt_stats(s['mooring_rss_mb'], digits=1)} |")
    print(f"| mooring `apply` (whole pass) | {fmt_stats(s['full_wall_s'])} | {fmt_stats(s['full_rss_mb'], digits=1)} |")
    print(f"| Cloud Custodian | {fmt_stats(s['c7n_wall_s'])} | {fmt_stats(s['c7n_rss_mb'], digits=1)} |")
    print(f"| ratio c7n / mooring schedule-only, pair by pair | {fmt_stats(s['speedup_c7n_over_mooring'], '×', 1)} | {fmt_stats(s['memory_c7n_over_mooring'], '×', 1)} |")
    print(f"| ratio c7n / mooring whole pass, pair by pair | {fmt_stats(s['speedup_c7n_over_full'], '×', 1)} | {fmt_stats(s['memory_c7n_over_full'], '×', 1)} |")
    print(f"| floor: mooring's {s['floor_requests']} requests replayed, 1 connection | {fmt_stats(s['floor_1conn_s'])} | |")
    print(f"| floor: the same, 8 connections | {fmt_stats(s['floor_8conn_s'])} | |")
    o1, o8 = s["overhead_over_floor_1conn"], s["overhead_over_floor_8conn"]
    if o1:
        print(f"| mooring above the floor (1 conn / 8 conn), pair by pair | {fmt_stats({k: v * 100 for k, v in o1.items()}, ' %', 0)} / {fmt_stats({k: v * 100 for k, v in o8.items()}, ' %', 0)} | |")
    print("\nCloud Custodian's calls: " + ", ".join(f"{k} {v}" for k, v in sorted(s["c7n_calls"].items())))


def print_steady(st: dict) -> None:
    first = st["rss_after_first_pass_mb"]
    print(
        f"\n`mooring run`, {st['passes']} converged passes in {st['seconds']:.1f} s: RSS {st['rss_mb']:.1f} MB "
        f"(anonymous {st['anon_mb']:.1f}, file-backed {st['file_mb']:.1f}), high-water mark {st['hwm_mb']:.1f} MB"
        + (f", RSS after the first pass {first:.1f} MB" if first else "")
    )
    for path, pg in st.get("pages", {}).items():
        print(
            f"GET {path} ({pg['bytes'] / 1024:.0f} KiB), {steady.PAGE_FETCHES} requests between passes: "
            f"median {pg['median_ms']:.1f} ms ({pg['min_ms']:.1f}–{pg['max_ms']:.1f})"
        )
    if "rss_after_pages_mb" in st:
        print(f"RSS after serving them: {st['rss_after_pages_mb']:.1f} MB")
    if sm := st.get("rss_samples_mb"):
        print(
            f"RSS sampled every 0.2 s over the passes ({sm['count']} samples): lowest (between passes) "
            f"{sm['min']:.1f} MB, median {sm['median']:.1f} MB, highest (inside a pass) {sm['max']:.1f} MB"
        )


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--mooring", required=True, help="the mooring binary (a release build)")
    p.add_argument("--custodian", required=True, help="Cloud Custodian's `custodian` command")
    p.add_argument("--n", default="100,1000", help="service counts, comma-separated (default 100,1000)")
    p.add_argument("--runs", type=int, default=5, help="sleep transitions each, alternating (default 5)")
    p.add_argument("--json", help="also write every figure to this file")
    p.add_argument("--smoke", action="store_true", help="N = 10, 1 run: keeps the script from rotting")
    p.add_argument("--steady-only", action="store_true", help="only the cold apply, then `mooring run`'s memory and the status page's times")
    args = p.parse_args()
    ns = [10] if args.smoke else [int(x) for x in args.n.split(",")]
    runs = 1 if args.smoke else args.runs
    if runs < 1 or any(n < 1 for n in ns):
        raise SystemExit("bench.py: --n and --runs must be positive")
    results = []
    try:
        with tempfile.TemporaryDirectory(prefix="mooring-bench-") as tmp:
            for n in ns:
                results.append(bench_n(n, runs, args, Path(tmp)))
                if args.json:  # after every N, so a long run keeps what it measured
                    Path(args.json).write_text(json.dumps(results, indent=1), encoding="utf-8")
    except BenchError as exc:
        print(f"bench.py: error: {exc}", file=sys.stderr)
        return 1
    print_report(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
