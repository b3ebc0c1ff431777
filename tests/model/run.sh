#!/usr/bin/env bash
# mooring's pacing behind the AWS model (issue 16): tests/model/pacing_behind_model.py against a
# private emulator. About 30 s.
#
#   tests/model/run.sh
#
# Uses the debug mooring from CARGO_TARGET_DIR, building it if needed (MOORING_BIN: that binary
# instead). MOORING_MODEL_TEST_REQUIRE_PACING=1 fails, instead of skipping the paced half, when
# the binary has no pacing.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
MOTO=$ROOT/tests/emulator/moto.sh
export MOORING_CACHE=${MOORING_CACHE:-${HOME:-/tmp}/.cache/mooring}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$MOORING_CACHE/target}

die() {
    printf 'tests/model/run.sh: error: %s\n' "$*" >&2
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

# A private emulator: the test resets it, which would wipe anyone else's resources.
export MOORING_EMULATOR_STATE=$MOORING_CACHE/emulator-model-$$
cleanup() {
    local status=$?
    "$MOTO" stop >/dev/null 2>&1 || true
    if ((status == 0)); then
        rm -rf "$MOORING_EMULATOR_STATE"
    else
        printf 'tests/model/run.sh: the emulator log is kept in %s/moto.log\n' "$MOORING_EMULATOR_STATE" >&2
    fi
}
trap cleanup EXIT
unset AWS_ENDPOINT_URL
"$MOTO" start >/dev/null
endpoint=$("$MOTO" endpoint)
curl -fsS -X POST "$endpoint/moto-api/recorder/stop-recording" >/dev/null 2>&1 || true

PYTHON=$MOORING_CACHE/moto-venv/bin/python
[[ -x $PYTHON ]] || die "no emulator venv at $MOORING_CACHE/moto-venv (tests/emulator/moto.sh install)"
"$PYTHON" "$ROOT/tests/model/pacing_behind_model.py" --mooring "$MOORING_BIN" --moto "$endpoint"
