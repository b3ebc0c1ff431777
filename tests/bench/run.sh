#!/usr/bin/env bash
# mooring's benchmark (issue 8): prints figures, is never part of the test suite.
#
#   tests/bench/run.sh [--smoke] [bench.py options: --n 100,1000 --runs 5 --json FILE]
#   tests/bench/run.sh --model [--smoke] [model_bench.py options: --n 100,300,1000 --json FILE]
#
# Installs Cloud Custodian (tests/bench/requirements-c7n.txt, pinned) into its own cached venv,
# starts an emulator of its own (state in $MOORING_CACHE/emulator-bench, so it never resets a
# server that tests or the demo use), builds mooring (profile dist, as shipped), then runs tests/bench/bench.py,
# which prints Markdown tables (docs/benchmarks.md holds the last ones committed).
# --smoke: N = 10, one run, with the debug build (the one the tests already made): checks the
# script still works, about 10 s once Cloud Custodian is installed and mooring built. Its
# figures mean nothing (a debug build); only the full run's go to docs/benchmarks.md.
#
# Environment: MOORING_CACHE (default ~/.cache/mooring), CARGO_TARGET_DIR (default
# $MOORING_CACHE/target, as tests/run.sh), MOORING_BENCH_EMULATOR_STATE (default
# $MOORING_CACHE/emulator-bench), MOORING_BENCH_KEEP_EMULATOR=1 leaves the emulator running.
#
# --model: instead of all that, mooring and Cloud Custodian behind a model of AWS's quotas and
# latency (tests/bench/model_bench.py, issue 16; its options, e.g. --n 100,300 --variants off,
# go after --model). --smoke runs the model's smoke too (N = 10, about 15 s); --model --smoke
# only that.
#
# Then the reconcile Lambda's cold start from its zip under cargo-lambda (tests/bench/lambda_cold.py).
# `mooring run`'s steady-state memory (N services, 10 passes) is tests/bench/steady.py.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CACHE=${MOORING_CACHE:-${HOME:-/tmp}/.cache/mooring}
C7N_VENV=$CACHE/c7n-venv
REQUIREMENTS=$HERE/requirements-c7n.txt
PYTHON=${PYTHON:-python3}
export MOORING_EMULATOR_STATE=${MOORING_BENCH_EMULATOR_STATE:-$CACHE/emulator-bench}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$CACHE/target}
MOTO=$ROOT/tests/emulator/moto.sh

die() {
    printf 'bench: error: %s\n' "$*" >&2
    exit 1
}
note() { printf 'bench: %s\n' "$*" >&2; }

install_c7n() {
    local marker=$C7N_VENV/.mooring-requirements.sha256 want
    want=$( (cat "$REQUIREMENTS"; "$PYTHON" -c 'import sys; print(sys.version)') | sha256sum | cut -d' ' -f1)
    if [[ -x $C7N_VENV/bin/custodian && -f $marker && $(<"$marker") == "$want" ]]; then
        return 0
    fi
    note "installing Cloud Custodian into $C7N_VENV (once)"
    rm -rf "$C7N_VENV"
    mkdir -p "$CACHE"
    "$PYTHON" -m venv "$C7N_VENV" || die "'$PYTHON -m venv' failed (Debian/Ubuntu: apt-get install python3-venv)"
    "$C7N_VENV/bin/python" -m pip install --disable-pip-version-check --quiet --requirement "$REQUIREMENTS" ||
        { rm -rf "$C7N_VENV"; die "pip could not install $REQUIREMENTS (is PyPI reachable?)"; }
    printf '%s\n' "$want" >"$marker"
}

main() {
    command -v cargo >/dev/null || die "cargo not found"
    [[ -x /usr/bin/time ]] || die "/usr/bin/time not found (GNU time measures peak RSS; Debian/Ubuntu: apt-get install time)"
    install_c7n
    "$MOTO" start >/dev/null
    if [[ ${MOORING_BENCH_KEEP_EMULATOR:-} != 1 ]]; then
        trap '"$MOTO" stop >/dev/null 2>&1 || true' EXIT
    fi
    eval "$("$MOTO" env)"
    local profile=dist arg model=0 smoke=0
    local -a rest=()
    for arg in "$@"; do
        case $arg in
        --smoke) profile=debug smoke=1 rest+=("$arg") ;;
        --model) model=1 ;;
        *) rest+=("$arg") ;;
        esac
    done
    note "building mooring ($profile; several minutes the first time)"
    if [[ $profile == dist ]]; then
        # As shipped (deploy/build-dist.sh: Cargo.toml [profile.dist], packed relocations).
        CARGO_FLAGS=--quiet "$ROOT/deploy/build-dist.sh" >/dev/null || die "deploy/build-dist.sh failed"
    else
        (cd "$ROOT" && cargo build --quiet -p mooring) || die "cargo build -p mooring failed"
    fi
    local binary=$CARGO_TARGET_DIR/$profile/mooring
    [[ -x $binary ]] || die "no binary at $binary"
    note "machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), $(awk '/MemTotal/ {printf "%.1f GB", $2/1048576}' /proc/meminfo); load $(cut -d' ' -f1-3 /proc/loadavg)"
    # boto3 comes from the emulator's venv (tests/emulator/requirements.txt).
    if ((model)); then
        "$CACHE/moto-venv/bin/python" "$HERE/model_bench.py" \
            --mooring "$binary" --custodian "$C7N_VENV/bin/custodian" ${rest[@]+"${rest[@]}"}
        return
    fi
    "$CACHE/moto-venv/bin/python" "$HERE/bench.py" \
        --mooring "$binary" --custodian "$C7N_VENV/bin/custodian" "$@"
    if ((smoke)); then
        "$CACHE/moto-venv/bin/python" "$HERE/model_bench.py" \
            --mooring "$binary" --custodian "$C7N_VENV/bin/custodian" --smoke
    fi

    # The Lambda's cold start: the reconcile zip as it ships (deploy/lambda/build.sh, release;
    # seconds when tests/run.sh's Lambda step already built it).
    local zips bin_dir runs=5
    [[ $profile == debug ]] && runs=1
    bin_dir=$("$ROOT/tests/emulator/cargo-lambda.sh" bin-dir) || die "cargo-lambda could not be installed"
    zips=$(mktemp -d)
    "$ROOT/deploy/lambda/build.sh" "$zips" >/dev/null 2>&1 || { rm -rf "$zips"; die "deploy/lambda/build.sh failed"; }
    "$CACHE/moto-venv/bin/python" "$HERE/lambda_cold.py" --zip "$zips/reconcile.zip" --cargo-lambda-bin "$bin_dir" --runs "$runs" ||
        { rm -rf "$zips"; die "tests/bench/lambda_cold.py failed"; }
    rm -rf "$zips"
}

main "$@"
