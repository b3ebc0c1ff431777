"""`mooring run`'s steady-state memory (issue 8): the controller's resident set after PASSES
passes over N services, read from /proc while it keeps running.

Why /proc and not /usr/bin/time: the figure that matters for a 512 MB task is what the
long-running process holds between passes (VmRSS), next to its high-water mark (VmHWM), not
the peak at exit. The passes come from its own Prometheus counter (`mooring_passes_total` on
/metrics), so nothing here guesses how long a pass takes.

Standard library only.
"""

from __future__ import annotations

import re
import signal
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

PASSES_TOTAL = re.compile(r"^mooring_passes_total(?:\{[^}]*\})?\s+([0-9.e+]+)\s*$", re.M)


class SteadyError(Exception):
    pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def passes(port: int) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as resp:
            text = resp.read().decode("utf-8", "replace")
    except OSError:
        return 0  # not listening yet
    return int(sum(float(m) for m in PASSES_TOTAL.findall(text)))


def memory_kib(pid: int) -> dict[str, int]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
            fields[key] = int(value.split()[0])
    return fields


PAGE_FETCHES = 20


def page_times(port: int) -> dict:
    """The status page (`/`) and `/status`, fetched PAGE_FETCHES times each between passes:
    wall time of each request on loopback (connect, render, transfer), in ms, and the size."""
    result = {}
    for path in ("/", "/status"):
        times, size = [], 0
        for _ in range(PAGE_FETCHES):
            t0 = time.perf_counter()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as resp:
                    size = len(resp.read())
            except urllib.error.HTTPError:
                break  # a build without this endpoint (an older mooring, side by side)
            times.append((time.perf_counter() - t0) * 1000)
        if not times:
            continue
        result[path] = {
            "median_ms": statistics.median(times),
            "min_ms": min(times),
            "max_ms": max(times),
            "bytes": size,
        }
    return result


def steady_rss(binary: str, state: Path, env: dict[str, str], now: str, wanted: int = 10, timeout_s: float = 600) -> dict:
    """Starts `mooring run STATE` (a pass every 0.5 s at the fixed instant NOW), waits for
    WANTED finished passes, samples its memory, stops it with SIGTERM (it must exit 0)."""
    port = free_port()
    argv = [binary, "run", str(state), "--interval", "500ms", "--listen", f"127.0.0.1:{port}", "--now", now, "--revision", "bench"]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        # No MALLOC_* variables: mooring tunes glibc's allocator itself (controller/src/allocator.rs).
        clean = {k: v for k, v in env.items() if not k.startswith("MALLOC_")}
        proc = subprocess.Popen(argv, env={**clean, "MOORING_LOG": "warn"}, stdout=out, stderr=err)
        t0 = time.perf_counter()
        try:
            samples = []
            while (done := passes(port)) < wanted:
                if proc.poll() is not None:
                    err.seek(0)
                    raise SteadyError(f"mooring run exited {proc.returncode}: {err.read().decode('utf-8', 'replace')[-2000:]}")
                if time.perf_counter() - t0 > timeout_s:
                    raise SteadyError(f"mooring run finished {done} of {wanted} passes in {timeout_s:.0f} s")
                if done >= 1:
                    samples.append(memory_kib(proc.pid)["VmRSS"])
                time.sleep(0.2)
            mem = memory_kib(proc.pid)
            elapsed = time.perf_counter() - t0
            # The page and the JSON at this N, then the memory again: serving them must
            # not move the process off its budget.
            pages = page_times(port)
            after_pages = memory_kib(proc.pid)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                rc = proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                rc = proc.wait()
        if rc != 0:
            err.seek(0)
            raise SteadyError(f"mooring run exited {rc} on SIGTERM: {err.read().decode('utf-8', 'replace')[-2000:]}")
    return {
        "passes": wanted,
        "seconds": elapsed,
        "rss_mb": mem["VmRSS"] / 1024,
        "pages": pages,
        "rss_after_pages_mb": after_pages["VmRSS"] / 1024,
        "hwm_mb": mem["VmHWM"] / 1024,
        "anon_mb": mem.get("RssAnon", 0) / 1024,
        "file_mb": mem.get("RssFile", 0) / 1024,
        # between the first finished pass and the last: does it grow pass after pass?
        "rss_after_first_pass_mb": (samples[0] / 1024) if samples else None,
        # Every 0.2 s from the first finished pass on: the lowest is between passes, the
        # highest inside one (where the busiest response of the pass is held).
        "rss_samples_mb": {
            "min": min(samples) / 1024,
            "median": statistics.median(samples) / 1024,
            "max": max(samples) / 1024,
            "count": len(samples),
        }
        if samples
        else None,
    }
