#!/usr/bin/env bash
# The test command: formatting, lints and every test in the workspace, the end-to-end ones
# against the local AWS emulator (moto, see tests/emulator/moto.sh).
#
# Needs: a Rust toolchain with rustfmt and clippy, Python 3 with venv and pip.
# If AWS_ENDPOINT_URL is not set, an emulator of its own is installed, started, and
# stopped when this script exits (its log is kept when something failed).
# CARGO_TARGET_DIR defaults to $MOORING_CACHE/target (~/.cache/mooring/target), outside
# the checkout, so every clone shares one build.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MOTO=$ROOT/tests/emulator/moto.sh
export MOORING_CACHE=${MOORING_CACHE:-${HOME:-/tmp}/.cache/mooring}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$MOORING_CACHE/target}

die() {
    printf 'tests/run.sh: error: %s\n' "$*" >&2
    exit 1
}

step() {
    printf '\n==> %s\n' "$*"
}

command -v cargo >/dev/null 2>&1 || die "cargo not found: install the Rust toolchain (https://rustup.rs)"

emulator_state=""
test_output=$(mktemp)
# Every AWS request any mooring process of the test suite sends (aws/call_log.rs), for the
# IAM check below.
MOORING_CALL_LOG=$(mktemp)
on_exit() {
    local status=$?
    rm -f "$test_output" "$MOORING_CALL_LOG" "$MOORING_CALL_LOG.bad-input"
    [[ -n $emulator_state ]] || return 0
    "$MOTO" stop || true
    if ((status == 0)); then
        rm -rf "$emulator_state"
    else
        printf 'tests/run.sh: the emulator log is kept in %s/moto.log\n' "$emulator_state" >&2
    fi
}
trap on_exit EXIT

if [[ -z ${AWS_ENDPOINT_URL:-} ]]; then
    step "local AWS emulator"
    # A private emulator: empty at the start, and nobody else's to stop (a demo or a
    # second test run may be using the shared one).
    emulator_state=$MOORING_CACHE/emulator-tests-$$
    export MOORING_EMULATOR_STATE=$emulator_state
    "$MOTO" start >/dev/null
    eval "$("$MOTO" env)"
    printf 'AWS_ENDPOINT_URL=%s\n' "$AWS_ENDPOINT_URL"
else
    # An emulator chosen by the caller (.ci/run, or by hand): fill in only what is missing,
    # never real credentials.
    export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-testing}
    export AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-testing}
    export AWS_REGION=${AWS_REGION:-us-east-1}
    export AWS_DEFAULT_REGION=${AWS_DEFAULT_REGION:-$AWS_REGION}
    export AWS_EC2_METADATA_DISABLED=true
fi

cd "$ROOT"

step "cargo fmt --all --check"
cargo fmt --all --check

step "cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

step "no import circles between source files (tests/arch/import_cycles.py)"
python3 -m unittest discover -s tests/arch -q
python3 tests/arch/import_cycles.py controller/src desired-state/src

step "cargo test --workspace"
export MOORING_CALL_LOG
# The bad-input corpus test's figures, for the reliability report below.
export MOORING_BAD_INPUT_SUMMARY=$MOORING_CALL_LOG.bad-input
# Keep cargo's colours on a terminal even though its output also goes through tee.
[[ -t 1 ]] && export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-always}
cargo test --workspace 2>&1 | tee "$test_output"

step "deploy/: checkov and the Terraform parse test (tests/deploy/run.sh)"
tests/deploy/run.sh

step "tests/deploy/lambda_zip.sh"
# The Lambda zips: release build, glibc check, reconcile.zip run under cargo-lambda.
tests/deploy/lambda_zip.sh

step "tests/reliability/run.sh (faults and kill -9, issue 9)"
# Its report goes outside the checkout here, so a test run never rewrites the tracked
# docs/reliability.md (a run by hand does; commit that one).
MOORING_RELIABILITY_REPORT=${MOORING_RELIABILITY_REPORT:-$MOORING_CACHE/reliability.md} tests/reliability/run.sh

step "tests/model/run.sh (mooring paces itself behind the AWS model, issue 16)"
MOORING_MODEL_TEST_REQUIRE_PACING=1 MOORING_BIN=$CARGO_TARGET_DIR/debug/mooring tests/model/run.sh

# Last: the call log now holds the whole suite's requests, the reliability run's included.
step "IAM policy against the calls the tests made (tests/deploy/check_iam.py)"
python3 tests/deploy/check_iam.py --self-test
python3 tests/deploy/check_iam.py "$MOORING_CALL_LOG"

# One closing line for the whole workspace (cargo prints one per test binary).
grep -oE '[0-9]+ passed; [0-9]+ failed' "$test_output" |
    awk '{ passed += $1; failed += $3 } END { printf "\ntests: %d passed, %d failed\n", passed, failed }'
