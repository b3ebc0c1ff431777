#!/usr/bin/env python3
"""mooring and Cloud Custodian behind a model of AWS's quotas and latency (issue 16): figures
printed, never a timed test.

  model_bench.py --mooring BIN --custodian BIN [--n 100,300,1000] [--variants 1.0,0.8,off]
                 [--background-n 1000] [--cold-services 100] [--converged-n 1000]
                 [--json FILE] [--smoke]
  model_bench.py --print FILE      the tables of an earlier --json

Needs AWS_ENDPOINT_URL pointing at a moto server of its own (tests/bench/run.sh --model starts
one). The model (tests/bench/aws_model.py, figures from controller/aws-quotas.json) runs in this
process, in front of that moto. Seeding, the cold apply that makes the account mooring's and the
wakes between runs go to moto directly (untimed, fast); every measured run goes through the
model, its buckets full and its counts zeroed first.

  sleep            per N: mooring `apply` at the asleep instant, once per variant (MOORING_AWS_SHARE
                   = 1.0, the default 0.8, MOORING_AWS_PACING=off), then Cloud Custodian's policy
                   from bench.py on the same services; wall, throttled answers (the model's
                   counts), failures (mooring: its `--output json` summary's failed reads and
                   changes, and the error answers of its `calls`; Custodian: its ERROR log
                   lines), exit code, services left awake (read from moto)
  background       mooring's sleep (default share) while another caller sends 1 UpdateService/s:
                   how often that caller was throttled
  cold alarms      mooring's cold apply of --cold-services services × 3 alarms behind the model
  converged        a converged `apply` of --converged-n services (3 alarms each): 0 writes
Floors: a family that served `calls` requests with burst b and refill r, to a client using a
share s of it, needs at least (calls − s·b) / (s·r) seconds; a chain of k pages read one after
the other needs at least k × the model's median read latency. The floor is the largest of these
over the families and paged operations of the run (calls as the model forwarded them).

Standard library + boto3 (the moto venv's), like bench.py, whose helpers it uses.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import aws_model  # noqa: E402
import bench  # noqa: E402  (the desired state, the seed, the Custodian policy, run_child)

UPDATE_SERVICE = "ecs:service-modify"
# Operations read page after page (each page needs the previous page's token): one chain each.
PAGED = ("monitoring DescribeAlarms", "ecs ListServices", "ecs ListClusters", "sns ListTopics")
DEFAULT_SHARE = 0.8


def say(msg: str) -> None:
    print(f"[model] {msg}", file=sys.stderr, flush=True)


def env_for(url: str, access_key: str, extra: dict[str, str]) -> dict[str, str]:
    env = bench.child_env(access_key)
    env["AWS_ENDPOINT_URL"] = url
    for key in ("MOORING_AWS_SHARE", "MOORING_AWS_PACING", "MOORING_AWS_QUOTAS"):
        env.pop(key, None)
    env.update(extra)
    return env


def share_of(extra: dict[str, str]) -> float:
    if extra.get("MOORING_AWS_PACING") == "off":
        return 1.0  # not paced: measured against the account's whole bucket
    return float(extra.get("MOORING_AWS_SHARE", DEFAULT_SHARE))


def run_mooring(binary: str, state: Path, now: str, url: str, extra: dict[str, str]) -> dict:
    """One `mooring apply` behind the model; never raises on a failed pass (that is a figure)."""
    argv = [binary, "apply", str(state), "--output", "json", "--now", now, "--revision", "bench"]
    r = bench.run_child(argv, env_for(url, bench.KEY_MOORING, extra))
    # failed: what the pass reports as failed in the end (reads and changes, its summary);
    # error_answers: error responses it got, retried ones included (its `calls`).
    r["calls"], r["failed"], r["error_answers"], r["throttled_seen"], r["writes"] = {}, 0, 0, 0, 0
    try:
        report = json.loads(r["stdout"])
    except ValueError:
        report = None
    if isinstance(report, dict):
        for c in report.get("calls") or []:
            key = f"{str(c.get('service', '')).lower()} {c.get('operation')}"
            r["calls"][key] = c.get("requests", 0)
            r["error_answers"] += c.get("failed", 0)
            r["throttled_seen"] += c.get("throttled", 0)
            if not str(c.get("operation", "")).startswith(aws_model.READ_PREFIXES) and c.get("operation") not in ("PutMetricData", "Publish", "PublishBatch"):
                r["writes"] += c.get("requests", 0) - c.get("failed", 0)
        r["failed"] = (report.get("summary") or {}).get("failed", 0)
        if report.get("tokenWaits"):  # the pacing build's time waited for tokens, per family
            r["token_waits"] = report["tokenWaits"]
    r["stderr_tail"] = r["stderr"][-1500:] if r["rc"] != 0 else ""
    del r["stdout"], r["stderr"]
    return r


def run_custodian(binary: str, policy: Path, outdir: Path, url: str) -> dict:
    argv = [binary, "run", "--cache-period", "0", "-s", str(outdir), "--region", bench.REGION, str(policy)]
    r = bench.run_child(argv, env_for(url, bench.KEY_C7N, {}))
    log = r["stderr"]
    # Cloud Custodian logs a failed action as an ERROR line (with the botocore error); its
    # exit code stays 0 for some of them, so both are reported.
    r["failed"] = sum(1 for line in log.splitlines() if " ERROR " in line or line.startswith("ERROR") or "Traceback" in line)
    r["error_answers"] = None  # not in its log; the model's throttled count is the figure
    r["throttled_seen"] = sum(1 for line in log.splitlines() if "Throttl" in line or "Rate exceeded" in line)
    r["stderr_tail"] = log[-1500:] if r["rc"] != 0 or r["failed"] else ""
    del r["stdout"], r["stderr"]
    return r


def floor(model: aws_model.AwsModel, counts: dict, share: float) -> dict:
    """The least time the calls the model forwarded need at this share of every bucket (see
    the module doc): seconds, and what binds."""
    ops = {k: c["requests"] - c["throttled"] for k, c in counts["operations"].items()}
    return floor_of_calls(model, ops, share)


def floor_of_calls(model: aws_model.AwsModel, ops: dict[str, int], share: float) -> dict:
    """The same for calls given by operation ("signing-service Operation": count)."""
    by_family: dict[str, int] = {}
    for op, n in ops.items():
        service, _, name = op.partition(" ")
        key = model.by_operation.get((service, name))
        if key:
            by_family[key] = by_family.get(key, 0) + n
    best = {"seconds": 0.0, "binding": "none"}
    for key, calls in sorted(by_family.items()):
        burst, refill = model.figures(key)
        t = max(0.0, (calls - share * burst) / (share * refill))
        if t > best["seconds"]:
            best = {"seconds": t, "binding": f"{key}: {calls} calls, burst {burst:g}, refill {refill:g}/s at share {share:g}"}
    median = aws_model.latency_median_s("read") * model.config.latency_scale
    for op in PAGED:
        pages = ops.get(op, 0)
        if pages * median > best["seconds"]:
            best = {"seconds": pages * median, "binding": f"{op}: {pages} pages in a chain × {median * 1000:.0f} ms median read"}
    return best


# bench.minimum()'s service names → SigV4 signing names (the model's).
SIGNING = {"ecs": "ecs", "cloudwatch": "monitoring", "sns": "sns", "application auto scaling": "application-autoscaling"}


def aws_converged_floor(model: aws_model.AwsModel, n: int, share: float) -> dict:
    """The converged pass's floor on AWS, from the batched minimum of docs/architecture.md
    (bench.minimum): moto answers DescribeAlarms in one page where AWS pages by 100, so the
    calls made behind the model undercount AWS's. ListServices pages (100 a page) are added:
    mooring lists the cluster's services before it describes them."""
    ops = {}
    for key, count in bench.minimum(n, "converged").items():
        service, _, name = key.rpartition(" ")
        ops[f"{SIGNING[service]} {name}"] = count
    ops["ecs ListServices"] = math.ceil(n / 100)
    return floor_of_calls(model, ops, share)


def left_awake(n: int) -> int:
    """Services not at desiredCount 0 (read from moto, not through the model)."""
    return sum(v for k, v in bench.desired_counts(n).items() if k != 0)


def setup_apply(binary: str, state: Path) -> None:
    """An untimed awake apply on moto directly (the cold apply, the wakes between runs),
    unpaced: moto has no buckets, and a paced wake of 1,000 services would take minutes."""
    argv = [binary, "apply", str(state), "--output", "json", "--now", bench.AWAKE, "--revision", "bench"]
    r = bench.run_child(argv, env_for(bench.endpoint(), bench.KEY_SETUP, {"MOORING_AWS_PACING": "off"}))
    if r["rc"] != 0:
        raise bench.BenchError(f"the setup apply on moto exited {r['rc']}: {r['stderr'][-2000:]}")


def wake(binary: str, state: Path, n: int) -> None:
    """Untimed, on moto directly: every service awake again before the next sleep."""
    setup_apply(binary, state)
    bench.expect_counts(n, 1, "the wake between runs")


def measured(model: aws_model.AwsModel, row: dict, share: float, ideal: float | None = None) -> dict:
    counts = model.counts()
    row["model"] = {
        "requests": counts["requests"],
        "throttled": counts["throttled"],
        "families": {k: v for k, v in counts["families"].items() if v["requests"]},
        "background": counts["background"],
        "upstream": counts["upstream"],
        "errors": counts["errors"],
    }
    row["floor"] = floor(model, counts, share)
    row["share"] = share
    if ideal is not None:
        row["floor_ideal_s"] = ideal
    row["over_floor"] = row["wall_s"] / row["floor"]["seconds"] if row["floor"]["seconds"] > 0 else None
    return row


def sleep_ideal(model: aws_model.AwsModel, n: int, share: float) -> float:
    """UpdateService's floor for N services, one call each: (N − s·burst) / (s·refill)."""
    burst, refill = model.figures(UPDATE_SERVICE)
    return max(0.0, (n - share * burst) / (share * refill))


def bench_sleep(n: int, args, model: aws_model.AwsModel, url: str, work: Path) -> dict:
    state = work / f"stack-{n}.yaml"
    state.write_text(bench.desired_state(n), encoding="utf-8")
    policy = work / "c7n-policy.yml"
    policy.write_text(bench.C7N_POLICY, encoding="utf-8")
    bench.moto_post("/moto-api/reset")
    say(f"N={n}: seeding {n} services and the cold apply, on moto directly")
    bench.seed(n)
    setup_apply(args.mooring, state)
    out: dict = {"n": n, "sleep": {}}

    if n in args.converged_n:
        # The same pass on moto alone first: moto's own time (3,000 alarms in one DescribeAlarms
        # answer take it seconds) is in the model's figure too, and this says how much.
        bare = run_mooring(args.mooring, state, bench.AWAKE, bench.endpoint(), {"MOORING_AWS_PACING": "off"})
        model.configure({})
        say(f"N={n}: converged pass behind the model")
        row = run_mooring(args.mooring, state, bench.AWAKE, url, {})
        out["converged"] = measured(model, row, DEFAULT_SHARE)
        out["converged"]["floor_aws"] = aws_converged_floor(model, n, DEFAULT_SHARE)
        out["converged"]["moto_alone_s"] = bare["wall_s"]

    runs: list[tuple[str, dict[str, str] | None]] = []
    for v in args.variants:
        extra = {"MOORING_AWS_PACING": "off"} if v == "off" else {"MOORING_AWS_SHARE": v}
        runs.append((f"mooring, {'pacing off' if v == 'off' else f'share {v}'}", extra))
    if not args.no_custodian:
        runs.append(("Cloud Custodian", None))
    if args.no_sleep:
        runs = []
    for name, extra in runs:
        wake(args.mooring, state, n)
        model.configure({})
        say(f"N={n}: sleep by {name}")
        if extra is None:
            row = run_custodian(args.custodian, policy, work / "c7n-out", url)
            share = 1.0
        else:
            row = run_mooring(args.mooring, state, bench.ASLEEP, url, extra)
            share = share_of(extra)
        row["left_awake"] = left_awake(n)
        out["sleep"][name] = measured(model, row, share, sleep_ideal(model, n, share))
        r = out["sleep"][name]
        say(f"  {r['wall_s']:.1f} s, floor {r['floor']['seconds']:.1f} s, throttled {r['model']['throttled']}, failed {r['failed']}, exit {r['rc']}, left awake {r['left_awake']}")

    if n in args.background_n:
        wake(args.mooring, state, n)
        model.configure({"background": {UPDATE_SERVICE: args.background_rate}})
        say(f"N={n}: sleep by mooring (default share) with another caller at {args.background_rate:g} UpdateService/s")
        row = run_mooring(args.mooring, state, bench.ASLEEP, url, {})
        row["left_awake"] = left_awake(n)
        out["background"] = measured(model, row, DEFAULT_SHARE, sleep_ideal(model, n, DEFAULT_SHARE))
        model.configure({"background": {UPDATE_SERVICE: 0}})
        b = out["background"]["model"]["background"].get(UPDATE_SERVICE, {})
        say(f"  {row['wall_s']:.1f} s; the other caller: {b.get('attempts')} calls, {b.get('throttled')} throttled")
    return out


def bench_cold(n: int, args, model: aws_model.AwsModel, url: str, work: Path) -> dict:
    state = work / f"stack-{n}.yaml"
    state.write_text(bench.desired_state(n), encoding="utf-8")
    bench.moto_post("/moto-api/reset")
    say(f"cold apply of {3 * n} alarms ({n} services): seeding on moto directly")
    bench.seed(n)
    model.configure({})
    say("cold apply behind the model")
    row = run_mooring(args.mooring, state, bench.AWAKE, url, {})
    cw = bench.client("cloudwatch")
    found = 0
    for page in cw.get_paginator("describe_alarms").paginate(AlarmNamePrefix="bench-"):
        found += len(page["MetricAlarms"])
    row["alarms_made"] = found
    row["alarms"] = 3 * n
    burst, refill = model.figures("monitoring:put-metric-alarm")
    return measured(model, row, DEFAULT_SHARE, max(0.0, (3 * n - DEFAULT_SHARE * burst) / (DEFAULT_SHARE * refill)))


# ---------------------------------------------------------------- the report


def ratio(row: dict) -> str:
    return f"{row['over_floor']:.2f}×" if row.get("over_floor") else "n/a"


def print_report(result: dict) -> None:
    m = result["model"]
    print(f"\nModel: controller/aws-quotas.json, scale {m['scale']:g}, latency scale {m['latency_scale']:g}, seed {m['seed']}; mooring {m['mooring']}\n")
    print("| sleep, N | who | wall s | floor s (binding) | wall / floor | UpdateService floor s | throttled answers | failed (changes, reads) / error answers | exit | left awake |")
    print("|---|---|---:|---|---:|---:|---:|---:|---:|---:|")
    for res in result["sleeps"]:
        for name, r in res["sleep"].items():
            print(
                f"| {res['n']} | {name} | {r['wall_s']:.1f} | {r['floor']['seconds']:.1f} ({r['floor']['binding']}) | {ratio(r)} | {r['floor_ideal_s']:.1f} "
                f"| {r['model']['throttled']} | {r['failed']} / {'n/a' if r.get('error_answers') is None else r['error_answers']} | {r['rc']} | {r['left_awake']} |"
            )
    print("\nThrottled answers by family (the model's counts):\n")
    for res in result["sleeps"]:
        for name, r in res["sleep"].items():
            fams = ", ".join(f"{k} {v['throttled']}/{v['requests']}" for k, v in r["model"]["families"].items() if v["throttled"])
            print(f"- N = {res['n']}, {name}: {fams or 'none'}")
    for res in result["sleeps"]:
        if b := res.get("background"):
            bg = b["model"]["background"].get(UPDATE_SERVICE, {})
            print(
                f"\nBackground load, N = {res['n']}: mooring (default share) {b['wall_s']:.1f} s (floor {b['floor']['seconds']:.1f} s), "
                f"{b['model']['throttled']} throttled answers to mooring, exit {b['rc']}, {b['left_awake']} left awake; "
                f"the other caller: {bg.get('attempts', 0)} UpdateService at {bg.get('rate', 0):g}/s, **{bg.get('throttled', 0)} throttled**"
            )
    if c := result.get("cold"):
        print(
            f"\nCold apply of {c['alarms']} alarms: {c['wall_s']:.1f} s, floor {c['floor']['seconds']:.1f} s ({c['floor']['binding']}), "
            f"{ratio(c)}; PutMetricAlarm floor at the default share {c['floor_ideal_s']:.1f} s; throttled answers {c['model']['throttled']}, "
            f"failed changes {c['failed']}, exit {c['rc']}, alarms made {c['alarms_made']}/{c['alarms']}"
        )
    for res in result["sleeps"]:
        if v := res.get("converged"):
            aws = v.get("floor_aws") or {"seconds": float("nan"), "binding": "not measured"}
            print(
                f"\nConverged pass, N = {res['n']} ({3 * res['n']} alarms): {v['wall_s']:.1f} s, floor {v['floor']['seconds']:.1f} s "
                f"({v['floor']['binding']}), {ratio(v)}; on AWS (its batched minimum, DescribeAlarms paged by 100) the floor is "
                f"{aws['seconds']:.1f} s ({aws['binding']}); the same pass on moto alone {v.get('moto_alone_s', float('nan')):.1f} s; "
                f"writes {v['writes']}, throttled answers {v['model']['throttled']}, exit {v['rc']}"
            )
    up = result.get("upstream")
    if up and up["calls"]:
        print(f"\nmoto's own time per forwarded call: mean {1000 * up['seconds'] / up['calls']:.1f} ms over {up['calls']} calls, max {1000 * up['max_s']:.0f} ms")


def int_list(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--mooring", help="the mooring binary (required unless --print)")
    p.add_argument("--custodian", help="Cloud Custodian's `custodian` command (required unless --print)")
    p.add_argument("--n", type=int_list, default=[100, 300, 1000], help="services to put to sleep (default 100,300,1000)")
    p.add_argument("--variants", default="1.0,0.8,off", help="mooring runs per N: shares, and `off` (MOORING_AWS_PACING=off)")
    p.add_argument("--background-n", type=int_list, default=[1000], help="N at which to measure background load ('' none)")
    p.add_argument("--background-rate", type=float, default=1.0, help="the other caller's UpdateService per second")
    p.add_argument("--cold-services", type=int, default=100, help="services (× 3 alarms) for the cold apply (0: skip)")
    p.add_argument("--converged-n", type=int_list, default=[1000], help="N at which to measure a converged pass ('' none)")
    p.add_argument("--no-custodian", action="store_true", help="skip Cloud Custodian's sleeps")
    p.add_argument("--no-sleep", action="store_true", help="skip the sleep runs (converged pass, background, cold apply only)")
    p.add_argument("--scale", type=float, default=1.0, help="the model's bucket scale (1: AWS's figures)")
    p.add_argument("--latency-scale", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", help="also write every figure to this file")
    p.add_argument("--smoke", action="store_true", help="N = 10, every scenario, buckets ×10: keeps the script from rotting")
    p.add_argument("--print", metavar="JSON", help="only print the tables of a --json file written before")
    args = p.parse_args()
    if args.print:
        print_report(json.loads(Path(args.print).read_text(encoding="utf-8")))
        return 0
    if not args.mooring or not args.custodian:
        p.error("--mooring and --custodian are required")
    args.variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    if args.smoke:
        args.n, args.background_n, args.converged_n, args.cold_services, args.scale = [10], [10], [10], 10, 10.0
    for v in args.variants:
        if v != "off" and not 0 < float(v) <= 1:
            raise SystemExit(f"model_bench.py: --variants: {v!r} is neither `off` nor a share in (0, 1]")
    upstream = bench.endpoint()
    config = aws_model.Config(seed=args.seed, scale=args.scale, latency_scale=args.latency_scale)
    model = aws_model.AwsModel(upstream, config)
    url = f"http://127.0.0.1:{model.start_in_thread()}"
    result: dict = {"model": {"scale": args.scale, "latency_scale": args.latency_scale, "seed": args.seed, "mooring": args.mooring}, "sleeps": []}
    upstream_total = {"calls": 0, "seconds": 0.0, "max_s": 0.0}

    def keep(row: dict) -> None:
        up = row["model"]["upstream"]
        upstream_total["calls"] += up["calls"]
        upstream_total["seconds"] += up["seconds"]
        upstream_total["max_s"] = max(upstream_total["max_s"], up["max_s"])
        result["upstream"] = upstream_total
        if args.json:  # after every run, so a long one keeps what it measured
            Path(args.json).write_text(json.dumps(result, indent=1), encoding="utf-8")

    t0 = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="mooring-model-bench-") as tmp:
            work = Path(tmp)
            for n in args.n:
                res = bench_sleep(n, args, model, url, work)
                result["sleeps"].append(res)
                for row in [*res["sleep"].values(), res.get("converged"), res.get("background")]:
                    if row:
                        keep(row)
            if args.cold_services:
                result["cold"] = bench_cold(args.cold_services, args, model, url, work)
                keep(result["cold"])
    except bench.BenchError as exc:
        print(f"model_bench.py: error: {exc}", file=sys.stderr)
        return 1
    finally:
        model.stop()
    say(f"done in {time.perf_counter() - t0:.0f} s")
    print_report(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
