"""The crash scenarios and the invariants checked after each crash and restart.

Each scenario starts from the same prepared account (reset, seeded, brought to a known
state fault-free, straight to the emulator), then one mooring process — `apply` or
`run` — makes the scenario's pass through the fault proxy, which kills it at request k.
A restart (same command) and `mooring apply` until nothing is planned must then give the
state a fault-free run gives.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

import account
from harness import Harness

# Asia/Bahrain (UTC+3, no daylight saving); the office-hours schedule is Sun-Thu 08:00-18:00.
DAY = "2026-03-04T09:00:00Z"  # Wednesday 12:00: awake
NIGHT = "2026-03-04T16:00:00Z"  # Wednesday 19:00: asleep
MORNING = "2026-03-05T06:00:00Z"  # Thursday 09:00: awake again
SCALED_OUT = 4  # saas-backend's count, set by "the autoscaler" during the day
BEFORE_SLEEP = {"saas-backend": SCALED_OUT, "saas-worker": 1}
WAKE_COUNT = "mooring:wake-count"
ASLEEP_SINCE = "mooring:asleep-since"
BACKEND_TARGET = f"service/{account.CLUSTER}/saas-backend"


@dataclass(frozen=True)
class Scenario:
    name: str
    command: str  # apply | run
    variant: str  # example | offhours
    prep: tuple[tuple[str, str], ...]  # (step, instant): converge / scale-out
    now: str
    what: str
    # Restarted at another instant than the crash (a controller down all night): the
    # crash pass is that of `crash_like`, the final state must be that of `final_like`.
    restart_at: str = ""
    crash_like: str = ""
    final_like: str = ""

    @property
    def restart(self) -> str:
        return self.restart_at or self.now


SCENARIOS = (
    Scenario("apply-create", "apply", "example", (), DAY, "first apply of the saas example (topic, subscriptions, alarms, scalable target, policy, tags)"),
    Scenario("apply-sleep", "apply", "offhours", (("converge", DAY), ("scale-out", "")), NIGHT, "apply at night: the sleep transition"),
    Scenario("apply-wake", "apply", "offhours", (("converge", DAY), ("scale-out", ""), ("converge", NIGHT)), MORNING, "apply in the morning: the wake transition"),
    Scenario("run-sleep", "run", "offhours", (("converge", DAY), ("scale-out", "")), NIGHT, "`mooring run`'s first pass at night: the sleep"),
    Scenario("run-wake", "run", "offhours", (("converge", DAY), ("scale-out", ""), ("converge", NIGHT)), MORNING, "`mooring run`'s first pass in the morning: the wake"),
    Scenario("apply-sleep-restart-morning", "apply", "offhours", (("converge", DAY), ("scale-out", "")), NIGHT,
             "apply at night killed mid-sleep, restarted only the next morning: the half-done sleep must wake to the recorded count",
             restart_at=MORNING, crash_like="apply-sleep", final_like="apply-wake"),
)


def write_variants(example: Path, workdir: Path) -> dict[str, Path]:
    """The saas example as is, and with off-hours: an office-hours schedule on both services,
    and saas-backend's desiredCount left to the autoscaler, so that what a wake restores
    comes from the mooring:wake-count tag (a declared count would hide a lost tag)."""
    doc = yaml.safe_load(example.read_text(encoding="utf-8"))
    spec = doc["spec"]
    spec["schedules"] = {"office-hours": {"timezone": "Asia/Bahrain", "awake": ["Sun-Thu 08:00-18:00"]}}
    for service in spec["services"]:
        service["offHours"] = {"schedule": "office-hours", "desiredCount": 0}
        if service["name"] == "saas-backend":
            service.pop("desiredCount", None)
    offhours = workdir / "saas-offhours.yaml"
    offhours.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return {"example": example, "offhours": offhours}


class PrepareError(Exception):
    pass


def prepare(h: Harness, files: dict[str, Path], scenario: Scenario) -> None:
    """Reset, seed and bring the account to the scenario's starting state (fault-free,
    straight to the emulator)."""
    account.reset(h.moto_url)
    account.seed(h.moto_url)
    for step, now in scenario.prep:
        if step == "converge":
            done = h.converge(files[scenario.variant], now, via_proxy=False, max_passes=4)
            if not done.converged:
                raise PrepareError(f"{scenario.name}: preparing at {now} did not converge: {done.passes[-1].stderr[-500:]}")
        elif step == "scale-out":
            account.scale(h.moto_url, "saas-backend", SCALED_OUT)


@dataclass
class Checks:
    passed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def check(self, name: str, problems: list[str]) -> None:
        if problems:
            self.failed += [f"{name}: {p}" for p in problems]
        else:
            self.passed.append(name)


def at_crash(scenario: Scenario, state: dict, seeded_others: dict, checks: Checks) -> None:
    """Right after the kill, before any restart: what must already hold mid-transition."""
    checks.check("other stack and unmanaged resources untouched at the crash",
                 account.differences(seeded_others, account.others(state)))
    if scenario.now == NIGHT:
        problems = []
        target = state["targets"].get(BACKEND_TARGET, {})
        for service, before in BEFORE_SLEEP.items():
            svc = state["services"][service]
            tag = svc["tags"].get(WAKE_COUNT)
            scaled_down = svc["desiredCount"] < before or (service == "saas-backend" and target.get("max", 6) < 6)
            if tag is not None and tag != str(before):
                problems.append(f"{service} recorded wake count {tag}, its count before the sleep was {before}")
            if scaled_down and tag is None:
                problems.append(f"{service} was scaled down (desiredCount {svc['desiredCount']}) before {WAKE_COUNT} was written")
        checks.check("wake count written before any scale-down", problems)
    elif scenario.now == MORNING:
        problems = []
        for service, before in BEFORE_SLEEP.items():
            svc = state["services"][service]
            if WAKE_COUNT not in svc["tags"] and svc["desiredCount"] != before:
                problems.append(f"{service}: {WAKE_COUNT} removed while desiredCount is {svc['desiredCount']}, not {before}")
        checks.check("wake count kept until the count is restored", problems)


def expectations(now: str, state: dict) -> list[str]:
    """What the converged account at `now` must show, stated outright (not only 'as the
    fault-free run')."""
    problems = []
    svc = state["services"]
    target = state["targets"].get(BACKEND_TARGET)
    if now == DAY:
        if svc["saas-worker"]["desiredCount"] != 1:
            problems.append(f"saas-worker desiredCount {svc['saas-worker']['desiredCount']}, declared 1")
        if svc["saas-backend"]["tags"].get(account.STACK_TAG) != account.STACK:
            problems.append("saas-backend is not tagged as saas-prod's")
        subs = state["topics"].get("saas-alerts", {}).get("subscriptions", [])
        if len(subs) != 2:
            problems.append(f"topic saas-alerts has {len(subs)} subscriptions, declares 2")
    elif now == NIGHT:
        for service, before in BEFORE_SLEEP.items():
            if svc[service]["desiredCount"] != 0:
                problems.append(f"{service} asleep with desiredCount {svc[service]['desiredCount']}")
            if svc[service]["tags"].get(WAKE_COUNT) != str(before):
                problems.append(f"{service} {WAKE_COUNT}={svc[service]['tags'].get(WAKE_COUNT)}, the count before the sleep was {before}")
        if not target or (target["min"], target["max"]) != (0, 0) or not all(target["suspended"].values()):
            problems.append(f"saas-backend's scalable target while asleep: {target}")
    else:
        for service, before in BEFORE_SLEEP.items():
            if svc[service]["desiredCount"] != before:
                problems.append(f"{service} woke to {svc[service]['desiredCount']}, was {before} before the sleep")
            left = sorted(k for k in svc[service]["tags"] if k in (WAKE_COUNT, ASLEEP_SINCE))
            if left:
                problems.append(f"{service} still tagged {left} after the wake")
        if not target or (target["min"], target["max"]) != (2, 6) or any(target["suspended"].values()):
            problems.append(f"saas-backend's scalable target after the wake: {target}")
    return problems


def after_restart(scenario: Scenario, state: dict, baseline: dict, seeded_others: dict, converged: bool, checks: Checks) -> None:
    """The invariants of a converged account after a crash."""
    checks.check("converged (a pass exits 0 with nothing planned)", [] if converged else ["no pass converged"])
    checks.check("final state equals the fault-free run's", account.differences(baseline, state))
    checks.check("nothing duplicated", account.duplicates(state))
    checks.check("other stack and unmanaged resources untouched", account.differences(seeded_others, account.others(state)))
    wake = "wake count kept" if scenario.restart != DAY else "declared state reached"
    checks.check(wake, expectations(scenario.restart, state))
