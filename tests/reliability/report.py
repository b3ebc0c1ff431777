"""docs/reliability.md, written by the run from what it measured."""

from __future__ import annotations

import os
import platform
import subprocess
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Data:
    seed: int
    command: str
    duration: float
    fault_rates: dict
    scenarios: tuple
    sequences: dict
    s3: dict
    faults: list
    crashes: list
    self_test: list
    failures: list
    broken: str | None


def is_write(operation: str) -> bool:
    name = operation.split(" ", 1)[-1]
    return not name.startswith(("Describe", "List", "Get")) and name not in ("Publish", "PublishBatch", "PutMetricData")


def machine() -> str:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text(encoding="utf-8").split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return f"{platform.system()} {platform.release()}, {os.cpu_count()} cores{memory}" + (f", {cpu}" if cpu else "")


def commit() -> str:
    try:
        out = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=10, check=False)
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True, timeout=10, check=False)
        return out.stdout.strip() + (" (with uncommitted changes)" if dirty.stdout.strip() else "")
    except OSError:
        return "unknown"


def render(d: Data) -> str:
    out: list[str] = []
    w = out.append
    verdict = "**nothing lost**: every invariant held" if not d.failures else f"**{len(d.failures)} invariant check(s) FAILED**"
    w("# Reliability: faults and kill -9 lose nothing\n")
    w("Written by `tests/reliability/run.sh` (issue 9, parts 1 and 2); do not edit by hand: run it again.\n")
    w("| | |\n|---|---|")
    w(f"| date | {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')} |")
    w(f"| machine | {machine()} |")
    w(f"| commit | {commit()} |")
    w(f"| command | `{d.command}` |")
    w(f"| seed | {d.seed} |")
    w(f"| took | {d.duration:.0f} s |")
    if d.broken:
        w(f"| deliberately broken | `--break {d.broken}`: this run is meant to fail |")
    w(f"| verdict | {verdict} |\n")
    w("mooring (the debug build) talks to the moto emulator through `tests/reliability/fault_proxy.py`, which")
    w("numbers every AWS request, injects faults at seeded rates in each protocol's own error format, and")
    w("kills the mooring process at a chosen request. After every run the account is dumped with boto3")
    w("(services with counts and tags, scalable targets, policies, scheduled actions, alarms with tags,")
    w("topics with attributes, tags and subscriptions; no ARNs with random parts, no timestamps) and compared")
    w("with the dump of a fault-free run. Seeded beside the saas example: resources of another stack")
    w("(`billing-prod`: a service with a scalable target and policy, an alarm, a topic with a subscription,")
    w("and an alarm carrying saas-prod's description marker but billing-prod's tag) and unmanaged ones (a")
    w("service, an alarm, a topic); all alarm and topic names share saas-prod's `saas-` prefix, so mooring")
    w("reads every one of them as a prune candidate. Left out of the comparison: the alarms moto makes for a")
    w("target-tracking policy (moto leaves the old ones behind when a policy is put again, where AWS replaces")
    w("them), and policies of deregistered targets (moto keeps them, AWS deletes them).\n")
    faults_section(d, w)
    crash_section(d, w)
    self_test_section(d, w)
    bad_input_section(w)
    if d.failures:
        w("## Failures\n")
        for f in d.failures[:100]:
            w(f"- {f}")
        w("")
    return "\n".join(out) + "\n"


def bad_input_section(w) -> None:
    """The corpus figures of tests/e2e/bad_input.rs, which tests/run.sh runs before this run and
    which append their summary lines to the file MOORING_BAD_INPUT_SUMMARY names."""
    w("## Bad input\n")
    path = os.environ.get("MOORING_BAD_INPUT_SUMMARY")
    lines = []
    if path and os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            lines = [line.strip() for line in f if line.strip()]
    if not lines:
        w("Not part of this run: `tests/e2e/bad_input.rs` (the corpus in tests/broken/, plus a 10 MB file made")
        w("at test time) writes its figures here when `tests/run.sh` runs it first.\n")
        return
    w("From `tests/e2e/bad_input.rs` in the same `tests/run.sh`: every malformed file of tests/broken/ (and a")
    w("10 MB file made at test time) through `validate`, `plan` and `apply` against the emulator, AWS calls")
    w("counted from moto's request recorder under the run's own access key; then each case handed in turn")
    w("to a running `mooring run`, which must refuse it and keep applying its last good state. The parser")
    w("and validator never panicking on arbitrary input, and the planner's idempotence, are property tests")
    w("of `cargo test` (desired-state/tests/properties.rs, controller/src/plan/tests/idempotence.rs).\n")
    for line in lines:
        w(f"- {line}")
    w("")


def faults_section(d: Data, w) -> None:
    w("## Faults: 20 % of calls\n")
    rates = ", ".join(f"{k} {v:.0%}" for k, v in d.fault_rates.items())
    w(f"Rates per request: {rates}. Each phase runs `mooring apply` until a pass exits 0 with nothing")
    w("planned, with the faults on the whole time (that last pass included). A pass exits 1 when a call")
    w("still failed after the SDK's 5 attempts (a change then waits for the next pass; a failed read leaves")
    w("its resources unplanned): that costs a pass, never a wrong change.\n")
    w("| phase | passes to converge | of which changed something | exited 1 | requests | faulted | throttle | 500 | 503 | reset before | reset after | latency | Throttled events | checks |")
    w("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    totals: Counter = Counter()
    for phase in d.faults:
        c = phase["counts"]
        i = c["injected"]
        totals.update(i)
        totals["requests"] += c["requests"]
        checks = phase["checks"]
        status = f"{len(checks.passed)} passed" + (f", **{len(checks.failed)} failed**" if checks.failed else "")
        w(f"| {phase['name']} | {phase['passes']} | {phase['changing_passes']} | {phase['failed_passes']} | {c['requests']} | {c['faulted']} | {i['throttle']} | "
          f"{i['error500']} | {i['error503']} | {i['reset_before']} | {i['reset_after']} | {i['latency']} | {phase['throttled_events']} | {status} |")
    faulted = sum(v for k, v in totals.items() if k != "requests")
    w(f"\nIn all: {faulted} of {totals['requests']} requests faulted ({faulted / max(totals['requests'], 1):.1%}).")
    w("Checks per phase: converged; final state equal to the fault-free run's; nothing duplicated (two")
    w("subscriptions of one endpoint, two policies or scheduled actions of one name); the other stack's and")
    w("unmanaged resources identical to what was seeded; the declared state reached (the sleep phase: both")
    w("services at 0 with `mooring:wake-count` 4 and 1; the wake phase: counts 4 and 1 back, tags gone);")
    w("every injected fault counted by mooring; Throttled events.\n")
    w("### Every injected throttle is counted as throttling by mooring\n")
    w("Per operation, over all fault phases: the proxy's injected throttles and failures (throttle, 500, 503,")
    w("resets) against mooring's own counters (`--output json` `calls`, the same numbers as `--stats` and")
    w("`mooring_aws_calls_total`). awsJson 1.1 (ECS, Application Auto Scaling), awsQuery (CloudWatch with")
    w("aws-sdk-cloudwatch 1.99, SNS) and restXml (S3):\n")
    w("| operation | requests (proxy / mooring) | throttles injected / counted | failures injected / counted |")
    w("|---|---|---|---|")
    rows: dict = {}
    for phase in d.faults:
        for r in phase["accounting"]["rows"]:
            agg = rows.setdefault(r["operation"], Counter())
            agg.update({k: v for k, v in r.items() if k != "operation"})
    for op, r in sorted(rows.items()):
        w(f"| {op} | {r['requests']} / {r['mooring_requests']} | {r['proxy_throttle']} / {r['mooring_throttled']} | {r['proxy_failed']} / {r['mooring_failed']} |")
    s3 = d.s3
    w(f"| s3 GetObject (`mooring run s3://…`, /metrics) | {s3['requests']} / – | {s3['injected']} / {s3['counted']} | – |")
    w("\nSTS is not called by this branch's mooring; the proxy answers it in the awsQuery format too, and the")
    w("same per-operation comparison covers it once mooring calls GetCallerIdentity.\n")


def crash_section(d: Data, w) -> None:
    w("## Crashes: kill -9\n")
    crashes = d.crashes
    killed = [c for c in crashes if c["killed"]]
    w(f"{len(crashes)} iterations, {len(killed)} killed at the chosen request. Each: reset the emulator, seed,")
    w("bring the account to the scenario's start fault-free, run the scenario's pass through the proxy, which")
    w("forwards request k to moto and SIGKILLs mooring before it can read the answer (`after`: the change was")
    w("made, the answer lost) or kills it without forwarding (`before`); check the mid-transition invariant;")
    w("restart (the same command: `apply`, or `run` until its first pass ends); `mooring apply` until a pass")
    w("plans nothing; check every invariant.\n")
    w("| scenario | what is interrupted | requests in the pass (writes) | iterations | distinct k | killed on a write | after / before | passes to converge after the restart (max) | checks passed | failed |")
    w("|---|---|---|---|---|---|---|---|---|---|")
    for s in d.scenarios:
        rs = [c for c in crashes if c["scenario"] == s.name]
        if not rs:
            continue
        after = sum(1 for c in rs if c["mode"] == "after")
        passed = sum(len(c["checks"].passed) for c in rs)
        failed = sum(len(c["checks"].failed) for c in rs)
        sequence = d.sequences.get(s.name, [])
        writes = sum(1 for op in sequence if is_write(op))
        on_write = sum(1 for c in rs if c["operation"] and is_write(c["operation"]))
        w(f"| {s.name} | {s.what} | {len(sequence)} ({writes}) | {len(rs)} | {len({c['kill_at'] for c in rs})} | {on_write} | "
          f"{after} / {len(rs) - after} | {max(c['passes'] for c in rs)} | {passed} | {failed} |")
    ops = Counter(c["operation"] for c in killed)
    w("\nOperations interrupted (the request whose answer mooring never got):\n")
    w("| operation | write? | after forwarding | before forwarding |\n|---|---|---|---|")
    modes = Counter((c["operation"], c["mode"]) for c in killed)
    for op, _ in sorted(ops.items(), key=lambda x: (not is_write(x[0]), -x[1], x[0])):
        w(f"| {op} | {'write' if is_write(op) else 'read'} | {modes[(op, 'after')]} | {modes[(op, 'before')]} |")
    names = Counter(name for c in crashes for name in c["checks"].passed)
    w("\nInvariants checked (times passed):\n")
    for name, n in sorted(names.items()):
        w(f"- {name}: {n}")
    w("")
    w("The sleep scenarios run the saas example with an office-hours schedule (Asia/Bahrain, Sun–Thu")
    w("08:00–18:00) on both services and saas-backend's `desiredCount` left to the autoscaler, which scaled it")
    w("to 4 before the night: so a lost `mooring:wake-count` would show as a wrong count after the wake.")
    w("`wake count written before any scale-down` is checked right after the kill, before the restart: a")
    w("service below its pre-sleep count (or saas-backend's scalable target below max 6) must already carry")
    w("`mooring:wake-count` with its pre-sleep count. `wake count kept until the count is restored`: in a wake,")
    w("the tag may only be gone once the count is back. A sleep is one TagResource per service (the wake count")
    w("and `mooring:asleep-since` together, issue 16) before anything scales down: the pass after a kill")
    w("between that tag and the UpdateService finds a service at its recorded wake count while asleep, which")
    w("it cannot tell from a deploy restoring that count, so it warns (SleepInterrupted, naming both causes),")
    w("puts it to sleep and counts nothing: the final state still equals the fault-free run's.\n")


def self_test_section(d: Data, w) -> None:
    w("## Self-test: broken invariants are caught\n")
    w("Each run also breaks invariants on purpose; the run fails unless the checks catch every one.")
    w("`tests/reliability/run.sh --break KIND` breaks one in every crash iteration (the run then exits 1).\n")
    w("| broken on purpose | scenario | caught by | caught |\n|---|---|---|---|")
    for r in d.self_test:
        w(f"| {r['break']} | {r['scenario']} | {r['expected']} | {'yes' if r['caught'] else '**no**'} |")
    w("")
