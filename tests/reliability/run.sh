#!/usr/bin/env bash
# The reliability run (issue 9, parts 1 and 2): mooring through a fault-injecting proxy
# (throttling, 500/503, connection resets, latency) and killed with SIGKILL at seeded
# requests, against a private emulator; writes the report and exits 1 if an invariant broke.
#
#   tests/reliability/run.sh [--seed N] [--iterations N] [--break KIND] [--report PATH]
#
# The report goes to $MOORING_RELIABILITY_REPORT when set (tests/run.sh sets it, so CI
# does not rewrite the tracked file), else docs/reliability.md (commit it after a run by
# hand). Installs nothing beyond the emulator's venv (tests/emulator/moto.sh install);
# uses the debug mooring from CARGO_TARGET_DIR, building it if needed (MOORING_BIN: that
# binary instead). About 3-4 minutes on a 2-core machine.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
MOTO=$ROOT/tests/emulator/moto.sh
export MOORING_CACHE=${MOORING_CACHE:-${HOME:-/tmp}/.cache/mooring}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$MOORING_CACHE/target}
REPORT=${MOORING_RELIABILITY_REPORT:-$ROOT/docs/reliability.md}

die() {
    printf 'tests/reliability/run.sh: error: %s\n' "$*" >&2
    exit 1
}

cd "$ROOT"
if [[ -n ${MOORING_BIN:-} ]]; then
    [[ -x $MOORING_BIN ]] || die "MOORING_BIN=$MOORING_BIN is not an executable"
else
    command -v cargo >/dev/null 2>&1 || die "cargo not found (or set MOORING_BIN)"
    cargo build -p mooring --quiet
    MOORING_BIN=$CARGO_TARGET_DIR/debug/mooring
fi

# A private emulator: the run resets it between iterations, which would wipe anyone
# else's resources (tests/run.sh's, a demo's).
export MOORING_EMULATOR_STATE=$MOORING_CACHE/emulator-reliability-$$
cleanup() {
    local status=$?
    "$MOTO" stop >/dev/null 2>&1 || true
    if ((status == 0)); then
        rm -rf "$MOORING_EMULATOR_STATE"
    else
        printf 'tests/reliability/run.sh: the emulator log is kept in %s/moto.log\n' "$MOORING_EMULATOR_STATE" >&2
    fi
}
trap cleanup EXIT
unset AWS_ENDPOINT_URL
"$MOTO" start >/dev/null
endpoint=$("$MOTO" endpoint)
# The recorder would log every request of the run to disk: nothing here reads it.
curl -fsS -X POST "$endpoint/moto-api/recorder/stop-recording" >/dev/null 2>&1 || true

PYTHON=$MOORING_CACHE/moto-venv/bin/python
[[ -x $PYTHON ]] || die "no emulator venv at $MOORING_CACHE/moto-venv (tests/emulator/moto.sh install)"
"$PYTHON" "$ROOT/tests/reliability/reliability.py" --mooring "$MOORING_BIN" --moto "$endpoint" \
    --report "$REPORT" --command "tests/reliability/run.sh${*:+ $*}" "$@"
