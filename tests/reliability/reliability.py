#!/usr/bin/env python3
"""The reliability run (issue 9, parts 1 and 2): faults and kill -9 lose nothing.

  reliability.py --mooring BIN --moto URL [--seed N] [--iterations N] [--report PATH]
                 [--break lose-wake-count|touch-other-stack|drift-after-converge]

1. Throttle accounting: every throttle the proxy injects (awsJson for ECS and Application
   Auto Scaling, awsQuery for CloudWatch and SNS, restXml for S3) is counted as throttled
   by mooring (`--output json` calls; /metrics for the S3 source of `mooring run`).
2. Fault test: with 20 % of calls faulted, repeated `mooring apply` passes converge the
   saas example, and the off-hours variant through a sleep and a wake, to the state a
   fault-free run gives; nothing duplicated, other stacks untouched, Throttled events.
3. Crash test: kill -9 of `mooring apply` and `mooring run` at seeded request indexes,
   restart, converge, invariants after each.
4. Self-test: deliberately broken iterations must be caught, or the run fails.

Writes the report (markdown) and exits 1 when any invariant broke. Run by run.sh, which
starts a private emulator; needs the moto venv's Python (boto3, PyYAML).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import boto3

import account
import report
import scenarios as sc
from harness import Harness, HarnessError, free_port, http_text

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "desired-state/examples/saas.yaml"
# 20 % of calls faulted, split over the kinds; resets after forwarding are the case that
# tests for duplicates (the change is made, the answer lost, the SDK retries).
FAULT_RATES = {"throttle": 0.08, "error500": 0.03, "error503": 0.03, "reset_before": 0.02, "reset_after": 0.02, "latency": 0.02}
FAILING_KINDS = ("throttle", "error500", "error503", "reset_before", "reset_after")
SIGNING_NAME = {"ECS": "ecs", "Application Auto Scaling": "application-autoscaling", "CloudWatch": "monitoring",
                "SNS": "sns", "S3": "s3", "STS": "sts"}
BREAKS = ("lose-wake-count", "touch-other-stack", "drift-after-converge")


def log(message: str) -> None:
    print(f"reliability: {message}", file=sys.stderr, flush=True)


class Run:
    def __init__(self, h: Harness, files: dict[str, Path], seed: int):
        self.h = h
        self.files = files
        self.seed = seed
        self.baselines: dict[str, dict] = {}
        self.requests_per_pass: dict[str, int] = {}
        self.sequences: dict[str, list[str]] = {}
        self.seeded_others: dict = {}
        self.failures: list[str] = []

    # -- fault-free references ----------------------------------------------------------
    def references(self) -> None:
        for scenario in sc.SCENARIOS:
            if scenario.crash_like:
                continue
            sc.prepare(self.h, self.files, scenario)
            if not self.seeded_others:
                account.reset(self.h.moto_url)
                account.seed(self.h.moto_url)
                self.seeded_others = account.others(account.dump(self.h.moto_url))
                sc.prepare(self.h, self.files, scenario)
            crash = self.h.crash(scenario.command, self.files[scenario.variant], scenario.now, None)
            done = self.h.converge(self.files[scenario.variant], scenario.now)
            self.h.check_proxy()
            if crash.exit != 0 or not done.converged:
                raise HarnessError(f"the fault-free {scenario.name} did not converge (exit {crash.exit})")
            self.requests_per_pass[scenario.name] = crash.requests
            self.sequences[scenario.name] = crash.sequence
            self.baselines[scenario.name] = account.dump(self.h.moto_url)
            problems = sc.expectations(scenario.now, self.baselines[scenario.name])
            if problems:
                raise HarnessError(f"the fault-free {scenario.name} is not as expected: {problems}")
        for a, b in (("apply-sleep", "run-sleep"), ("apply-wake", "run-wake")):
            diff = account.differences(self.baselines[a], self.baselines[b])
            if diff:
                raise HarnessError(f"apply and run disagree fault-free ({a} vs {b}): {diff}")
        for scenario in sc.SCENARIOS:
            if scenario.crash_like:
                self.sequences[scenario.name] = self.sequences[scenario.crash_like]
                self.requests_per_pass[scenario.name] = self.requests_per_pass[scenario.crash_like]
                self.baselines[scenario.name] = self.baselines[scenario.final_like]
        # The off-hours variant converged in the day, before the scale-out: the fault
        # test's first off-hours phase is compared with this.
        sc.prepare(self.h, self.files, sc.Scenario("day", "apply", "offhours", (("converge", sc.DAY),), sc.DAY, ""))
        self.baselines["offhours-day"] = account.dump(self.h.moto_url)

    # -- 1 and 2: faults ------------------------------------------------------------------
    def fault_phase(self, name: str, variant: str, now: str, baseline: str, rates: dict, seed: int) -> dict:
        self.h.proxy.configure({"rates": rates, "seed": seed, "reset_counts": True, "services": None})
        done = self.h.converge(self.files[variant], now, max_passes=15)
        self.h.check_proxy()
        counts = self.h.proxy.counts()
        self.h.proxy.configure({"rates": {}})
        state = account.dump(self.h.moto_url)
        checks = sc.Checks()
        checks.check("converged (a pass exits 0 with nothing planned)", [] if done.converged else [f"not within {done.count} passes"])
        checks.check("final state equals the fault-free run's", account.differences(self.baselines[baseline], state))
        checks.check("nothing duplicated", account.duplicates(state))
        checks.check("other stack and unmanaged resources untouched", account.differences(self.seeded_others, account.others(state)))
        checks.check("declared state reached" if now == sc.DAY else "wake count kept", sc.expectations(now, state))
        accounting = self.accounting(done, counts)
        checks.check("every injected fault counted by mooring (throttled and failed, per operation)", accounting["mismatches"])
        throttled_events = sum(len(p.events("Throttled")) for p in done.passes)
        if counts["injected"]["throttle"]:
            checks.check("throttling shows as Throttled events", [] if throttled_events else ["no Throttled event"])
        self.failures += [f"fault test {name}: {f}" for f in checks.failed]
        log(f"fault test {name}: {done.count} pass(es), {counts['faulted']}/{counts['requests']} requests faulted, "
            f"{len(checks.failed)} failed check(s)")
        return {"name": name, "passes": done.count, "changing_passes": sum(1 for p in done.passes if p.planned),
                "failed_passes": sum(1 for p in done.passes if p.code != 0),
                "counts": counts, "checks": checks, "accounting": accounting, "throttled_events": throttled_events}

    def accounting(self, done, counts: dict) -> dict:
        """mooring's own request counts against what the proxy injected, per operation."""
        ours: Counter = Counter()
        for p in done.passes:
            for call in (p.report or {}).get("calls", []):
                key = f"{SIGNING_NAME.get(call['service'], call['service'])} {call['operation']}"
                ours[(key, "requests")] += call["requests"]
                ours[(key, "failed")] += call["failed"]
                ours[(key, "throttled")] += call["throttled"]
        rows, mismatches = [], []
        for key, op in counts["byOperation"].items():
            injected_throttle = op.get("throttle", 0)
            injected_failed = sum(op.get(k, 0) for k in FAILING_KINDS)
            row = {"operation": key, "requests": op["requests"], "proxy_throttle": injected_throttle,
                   "mooring_throttled": ours[(key, "throttled")], "proxy_failed": injected_failed,
                   "mooring_failed": ours[(key, "failed")], "mooring_requests": ours[(key, "requests")]}
            rows.append(row)
            if (row["proxy_throttle"], row["proxy_failed"], row["requests"]) != (row["mooring_throttled"], row["mooring_failed"], row["mooring_requests"]):
                mismatches.append(f"{key}: proxy {row['requests']} requests / {injected_failed} failed / {injected_throttle} throttled, "
                                  f"mooring {row['mooring_requests']} / {row['mooring_failed']} / {row['mooring_throttled']}")
        return {"rows": rows, "mismatches": mismatches}

    def fault_test(self, rounds: int) -> list[dict]:
        """Per round (its own fault seed): the saas example from a seeded account; the
        off-hours variant from a seeded account through a day, a sleep and a wake."""
        phases = []
        for r in range(1, rounds + 1):
            seed = self.seed * 1000 + r * 10
            account.reset(self.h.moto_url)
            account.seed(self.h.moto_url)
            phases.append(self.fault_phase(f"{r}: saas example", "example", sc.DAY, "apply-create", FAULT_RATES, seed))
            account.reset(self.h.moto_url)
            account.seed(self.h.moto_url)
            phases.append(self.fault_phase(f"{r}: off-hours variant, day", "offhours", sc.DAY, "offhours-day", FAULT_RATES, seed + 1))
            account.scale(self.h.moto_url, "saas-backend", sc.SCALED_OUT)
            phases.append(self.fault_phase(f"{r}: sleep", "offhours", sc.NIGHT, "apply-sleep", FAULT_RATES, seed + 2))
            phases.append(self.fault_phase(f"{r}: wake", "offhours", sc.MORNING, "apply-wake", FAULT_RATES, seed + 3))
        return phases

    def s3_throttling(self) -> dict:
        """`mooring run s3://...` polls its desired state with GetObject: S3's SlowDown
        must show as throttled in /metrics, one for one with what the proxy injected."""
        account.reset(self.h.moto_url)
        account.seed(self.h.moto_url)
        s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=self.h.moto_url,
                                  aws_access_key_id="mooring-seed", aws_secret_access_key="testing")
        s3.create_bucket(Bucket="mooring-reliability")
        s3.put_object(Bucket="mooring-reliability", Key="saas.yaml", Body=EXAMPLE.read_bytes())
        self.h.proxy.configure({"rates": {"throttle": 0.5}, "seed": self.seed, "services": ["s3"], "reset_counts": True})
        port = free_port()
        args = [str(self.h.mooring), "run", "s3://mooring-reliability/saas.yaml", "--now", sc.DAY, "--interval", "60s",
                "--poll", "200ms", "--listen", f"127.0.0.1:{port}"]
        proc = self.h.spawn(args)
        try:
            time.sleep(4)
            self.h.proxy.configure({"rates": {}, "services": None})
            time.sleep(1.5)
            metrics = http_text(f"http://127.0.0.1:{port}/metrics")
        finally:
            proc.kill()
            proc.wait(10)
        counts = self.h.proxy.counts()
        injected = counts["byOperation"].get("s3 GetObject", {}).get("throttle", 0)
        counted = metric(metrics, 'service="S3",operation="GetObject",outcome="throttled"')
        ok = injected > 0 and injected == counted
        if not ok:
            self.failures.append(f"S3 SlowDown: proxy injected {injected}, mooring counted {counted} throttled")
        log(f"S3 SlowDown: injected {injected}, mooring counted {counted}")
        return {"injected": injected, "counted": counted, "requests": counts["byOperation"].get("s3 GetObject", {}).get("requests", 0), "ok": ok}

    # -- 3: crashes -----------------------------------------------------------------------
    def crash_points(self, scenario: sc.Scenario, n: int) -> list[tuple[int, str]]:
        """n seeded (request index, kill mode) pairs, distinct where the pass allows. Half
        go to the pass's writes killed after forwarding (the change made, the answer lost),
        a fifth to writes killed before forwarding, the rest to reads (which change
        nothing but cut the pass short before its writes)."""
        rng = random.Random(f"{self.seed}:{scenario.name}")
        sequence = self.sequences[scenario.name]
        writes = [i + 1 for i, op in enumerate(sequence) if report.is_write(op)]
        reads = [i + 1 for i, op in enumerate(sequence) if not report.is_write(op)]
        points = [(k, "after") for k in rng.sample(writes, min(len(writes), -(-n // 2)))]
        points += [(k, "before") for k in rng.sample(writes, min(len(writes), -(-n // 5), n - len(points)))]
        points += [(k, rng.choice(("after", "before"))) for k in rng.sample(reads, min(len(reads), n - len(points)))]
        points += [(rng.randint(1, len(sequence)), "after") for _ in range(n - len(points))]
        return points

    def iteration(self, scenario: sc.Scenario, kill_at: int, kill_mode: str, broken: str | None = None) -> dict:
        sc.prepare(self.h, self.files, scenario)
        path = self.files[scenario.variant]
        crash = self.h.crash(scenario.command, path, scenario.now, kill_at, kill_mode)
        checks = sc.Checks()
        checks.check("the process was killed at the chosen request", [] if crash.killed else [f"not killed (exit {crash.exit}, {crash.requests} requests)"])
        sc.at_crash(scenario, account.dump(self.h.moto_url), self.seeded_others, checks)
        if broken == "lose-wake-count":
            account.untag_service(self.h.moto_url, "saas-backend", sc.WAKE_COUNT)
        restart_code = None
        if scenario.command == "run":
            restart_code = self.h.run_one_pass(path, scenario.restart)
        done = self.h.converge(path, scenario.restart)
        if broken == "touch-other-stack":
            account.set_alarm_threshold(self.h.moto_url, "saas-billing-cpu-high", 99.0)
        elif broken == "drift-after-converge":
            account.scale(self.h.moto_url, "saas-worker", 5)
        self.h.check_proxy()
        state = account.dump(self.h.moto_url)
        sc.after_restart(scenario, state, self.baselines[scenario.name], self.seeded_others, done.converged, checks)
        if restart_code not in (None, 0):
            checks.check("the restarted `mooring run` stopped cleanly", [f"exit {restart_code}"])
        return {"scenario": scenario.name, "kill_at": kill_at, "mode": kill_mode, "operation": crash.operation,
                "killed": crash.killed, "passes": done.count, "checks": checks, "broken": broken}

    def crash_test(self, iterations: int, broken: str | None) -> list[dict]:
        per = -(-iterations // len(sc.SCENARIOS))
        records = []
        for scenario in sc.SCENARIOS:
            for k, mode in self.crash_points(scenario, per):
                record = self.iteration(scenario, k, mode, broken if applies(broken, scenario) else None)
                records.append(record)
                failed = record["checks"].failed
                self.failures += [f"crash {scenario.name} k={k} ({mode}): {f}" for f in failed]
                log(f"crash {scenario.name:12} k={k:3} {mode:6} {record['operation'] or '-':40} "
                    f"{record['passes']} pass(es) to converge, {len(record['checks'].passed)} checks passed, {len(failed)} failed")
        return records

    # -- 4: the checks catch what they should ---------------------------------------------
    def self_test(self) -> list[dict]:
        results = []
        cases = (("lose-wake-count", "apply-sleep", "wake count kept"),
                 ("touch-other-stack", "apply-create", "other stack and unmanaged resources untouched"),
                 ("drift-after-converge", "apply-create", "final state equals the fault-free run's"))
        for broken, name, expected in cases:
            scenario = next(s for s in sc.SCENARIOS if s.name == name)
            k = self.requests_per_pass[name]
            record = self.iteration(scenario, k, "after", broken)
            caught = any(f.startswith(expected) for f in record["checks"].failed)
            results.append({"break": broken, "scenario": name, "expected": expected, "caught": caught,
                            "failures": record["checks"].failed})
            if not caught:
                self.failures.append(f"self-test: breaking '{broken}' was not caught by '{expected}'")
        synthetic = {"policies": [], "scheduledActions": [], "topics": {"t": {"subscriptions": [
            {"protocol": "email", "endpoint": "a@example.com"}, {"protocol": "email", "endpoint": "a@example.com"}]}}}
        caught = bool(account.duplicates(synthetic))
        results.append({"break": "two subscriptions of one endpoint (synthetic dump: moto itself refuses them)",
                        "scenario": "-", "expected": "nothing duplicated", "caught": caught, "failures": account.duplicates(synthetic)})
        if not caught:
            self.failures.append("self-test: a duplicated subscription was not caught")
        log(f"self-test: {sum(r['caught'] for r in results)}/{len(results)} deliberately broken invariants caught")
        return results


def applies(broken: str | None, scenario: sc.Scenario) -> bool:
    if broken == "lose-wake-count":
        return scenario.now == sc.NIGHT
    return broken is not None


def metric(text: str, labels: str) -> int:
    for line in text.splitlines():
        if labels in line and not line.startswith("#"):
            return int(float(line.rsplit(" ", 1)[-1]))
    return 0


def main() -> int:
    p = argparse.ArgumentParser(prog="reliability.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--mooring", required=True, type=Path)
    p.add_argument("--moto", required=True, help="the emulator's URL (reset between iterations: use a private one)")
    p.add_argument("--seed", type=int, default=9)
    p.add_argument("--iterations", type=int, default=60, help="crash iterations in all (split over the scenarios)")
    p.add_argument("--fault-rounds", type=int, default=2, help="rounds of the 20 %% fault test, each with its own seed")
    p.add_argument("--report", type=Path, default=ROOT / "docs/reliability.md")
    p.add_argument("--command", default="tests/reliability/run.sh", help="how the run was started (for the report)")
    p.add_argument("--break", dest="broken", choices=BREAKS, help="break an invariant in every crash iteration: the run must fail")
    args = p.parse_args()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="mooring-reliability-") as tmp:
        h = Harness(args.mooring, args.moto, Path(tmp))
        try:
            run = Run(h, sc.write_variants(EXAMPLE, Path(tmp)), args.seed)
            log(f"fault-free references (proxy {h.proxy_url}, emulator {h.moto_url})")
            run.references()
            s3 = run.s3_throttling()
            faults = run.fault_test(args.fault_rounds)
            crashes = run.crash_test(args.iterations, args.broken)
            self_test = run.self_test()
        except (HarnessError, sc.PrepareError) as exc:
            log(f"error: {exc}")
            return 1
        finally:
            h.close()
    data = report.Data(seed=args.seed, command=args.command, duration=time.monotonic() - started, fault_rates=FAULT_RATES,
                       scenarios=sc.SCENARIOS, sequences=run.sequences, s3=s3, faults=faults,
                       crashes=crashes, self_test=self_test, failures=run.failures, broken=args.broken)
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(report.render(data), encoding="utf-8")
    log(f"report written to {args.report} ({time.monotonic() - started:.0f} s)")
    for failure in run.failures[:50]:
        log(f"FAILED {failure}")
    checks = sum(len(r["checks"].passed) + len(r["checks"].failed) for r in crashes + faults)
    failed = len(run.failures)
    # Not the "N passed, N failed" form: tests/run.sh's cargo summary stays the closing line.
    print(f"reliability: {checks - failed} checks passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
