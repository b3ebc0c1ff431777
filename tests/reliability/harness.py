"""Running mooring against the emulator through the fault proxy: one-shot passes, the
long-running controller, convergence, and crash runs killed by the proxy."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from fault_proxy import FaultProxy

# One pass of the saas example takes well under a second on the emulator; a faulted one a
# few seconds (the SDK backs off up to 20 s between attempts, rarely that long).
PASS_TIMEOUT = 120
RUN_READY_TIMEOUT = 60


class HarnessError(Exception):
    pass


@dataclass
class Pass:
    code: int
    report: dict | None
    stderr: str

    @property
    def planned(self) -> int:
        return len((self.report or {}).get("plan", {}).get("changes", []))

    @property
    def converged(self) -> bool:
        """Exit 0 and nothing left to change: the account is where the file says."""
        return self.code == 0 and self.report is not None and self.planned == 0

    def events(self, reason: str) -> list[dict]:
        return [e for e in (self.report or {}).get("events", []) if e.get("reason") == reason]


@dataclass
class Convergence:
    passes: list[Pass] = field(default_factory=list)

    @property
    def converged(self) -> bool:
        return bool(self.passes) and self.passes[-1].converged

    @property
    def count(self) -> int:
        return len(self.passes)


@dataclass
class CrashRun:
    """What happened to a mooring process the proxy was told to kill at request k."""

    kill_at: int | None
    mode: str
    killed: bool
    operation: str | None
    requests: int
    exit: int | None
    sequence: list[str]


class Harness:
    def __init__(self, mooring: Path, moto_url: str, workdir: Path):
        self.mooring = mooring
        self.moto_url = moto_url.rstrip("/")
        self.workdir = workdir
        self.proxy = FaultProxy(self.moto_url)
        self.proxy_url = f"http://127.0.0.1:{self.proxy.start_in_thread()}"
        self.processes: list[subprocess.Popen] = []

    def check_proxy(self) -> None:
        """Fails the run when the proxy itself failed: its faults would not be the ones counted."""
        errors = self.proxy.counts()["errors"]
        if errors:
            raise HarnessError(f"the fault proxy failed {len(errors)} time(s), first: {errors[0]}")

    def close(self) -> None:
        for proc in self.processes:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
        self.proxy.stop()

    def env(self, via_proxy: bool = True) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(
            AWS_ENDPOINT_URL=self.proxy_url if via_proxy else self.moto_url,
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
            AWS_REGION="us-east-1",
            AWS_DEFAULT_REGION="us-east-1",
            AWS_EC2_METADATA_DISABLED="true",
            RUST_LOG="error",
            NO_COLOR="1",
        )
        return env

    # -- one-shot passes -----------------------------------------------------------------
    def apply(self, path: Path, now: str, via_proxy: bool = True, command: str = "apply") -> Pass:
        args = [str(self.mooring), command, str(path), "--now", now, "--output", "json"]
        try:
            done = subprocess.run(args, env=self.env(via_proxy), capture_output=True, timeout=PASS_TIMEOUT, check=False)
        except subprocess.TimeoutExpired as exc:
            raise HarnessError(f"mooring {command} took longer than {PASS_TIMEOUT} s") from exc
        try:
            report = json.loads(done.stdout) if done.stdout.strip() else None
        except json.JSONDecodeError:
            report = None
        return Pass(done.returncode, report, done.stderr.decode("utf-8", "replace"))

    def converge(self, path: Path, now: str, via_proxy: bool = True, max_passes: int = 12) -> Convergence:
        """`mooring apply` until a pass exits 0 with nothing planned (that pass included)."""
        result = Convergence()
        while result.count < max_passes:
            result.passes.append(self.apply(path, now, via_proxy))
            if result.passes[-1].converged:
                break
        return result

    # -- the controller -------------------------------------------------------------------
    def spawn(self, args: list[str]) -> subprocess.Popen:
        """A mooring process through the proxy, killed by close() if still running."""
        proc = subprocess.Popen(args, env=self.env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.processes.append(proc)
        return proc

    def start_run(self, path: Path, now: str, port: int) -> subprocess.Popen:
        args = [str(self.mooring), "run", str(path), "--now", now, "--interval", "60s", "--listen", f"127.0.0.1:{port}"]
        return self.spawn(args)

    def run_one_pass(self, path: Path, now: str) -> int:
        """`mooring run` until its first pass finished, then SIGTERM; returns its exit code."""
        port = free_port()
        proc = self.start_run(path, now, port)
        deadline = time.monotonic() + RUN_READY_TIMEOUT
        try:
            while time.monotonic() < deadline:
                if proc.poll() is not None:
                    raise HarnessError(f"mooring run exited early with {proc.returncode}")
                status = http_json(f"http://127.0.0.1:{port}/status")
                if status and status.get("passes", 0) >= 1:
                    break
                time.sleep(0.1)
            else:
                raise HarnessError(f"mooring run finished no pass within {RUN_READY_TIMEOUT} s")
            proc.send_signal(signal.SIGTERM)
            return proc.wait(15)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)

    # -- crash runs -----------------------------------------------------------------------
    def crash(self, mode: str, path: Path, now: str, kill_at: int | None, kill_mode: str = "after") -> CrashRun:
        """Runs one `apply` pass or `run`'s first pass; the proxy forwards (or not) request
        `kill_at` and SIGKILLs the process before it gets an answer. `kill_at` None: no
        kill, the pass completes (the fault-free reference)."""
        self.proxy.configure({"rates": {}, "kill_at": kill_at, "kill_pid": None, "kill_mode": kill_mode, "reset_counts": True})
        port = free_port()
        if mode == "apply":
            proc = self.spawn([str(self.mooring), "apply", str(path), "--now", now, "--output", "json"])
        else:
            proc = self.start_run(path, now, port)
        # Armed only now that the pid is known; the first request comes tens of
        # milliseconds later (a crash point missed because of this race is reported).
        self.proxy.configure({"kill_pid": proc.pid})
        try:
            if mode == "apply":
                code = proc.wait(PASS_TIMEOUT)
            else:
                code = self._wait_run(proc, port, kill_at)
        finally:
            self.proxy.configure({"kill_at": None, "kill_pid": None})
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
        counts = self.proxy.counts()
        kills = counts["kills"]
        return CrashRun(
            kill_at=kill_at,
            mode=kill_mode,
            killed=bool(kills) and kills[0]["error"] is None,
            operation=f"{kills[0]['service']} {kills[0]['operation']}" if kills else None,
            requests=counts["requests"],
            exit=code,
            sequence=counts["sequence"],
        )

    def _wait_run(self, proc: subprocess.Popen, port: int, kill_at: int | None) -> int | None:
        """Until the proxy killed it, or its first pass finished (then SIGTERM)."""
        deadline = time.monotonic() + PASS_TIMEOUT
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                return proc.returncode
            status = http_json(f"http://127.0.0.1:{port}/status")
            if status and status.get("passes", 0) >= 1:
                proc.send_signal(signal.SIGTERM)
                return proc.wait(15)
            time.sleep(0.05)
        raise HarnessError(f"mooring run neither finished a pass nor was killed (at {kill_at}) within {PASS_TIMEOUT} s")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_json(url: str) -> dict | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return json.loads(resp.read())
    except (OSError, ValueError):
        return None


def http_text(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as resp:
        return resp.read().decode("utf-8", "replace")
