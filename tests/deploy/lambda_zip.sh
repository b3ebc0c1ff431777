#!/usr/bin/env bash
# The Lambda packages as they are deployed, end to end:
#
#   1. deploy/lambda/build.sh builds offhours.zip and reconcile.zip (release, Zig, glibc 2.34);
#   2. deploy/lambda/check-glibc.sh passes on both, and fails where it must (a lower limit,
#      a binary linked against glibc 2.36, a zip without bootstrap at its root);
#   3. the reconcile function, run from the bootstrap IN ITS ZIP under cargo-lambda's Lambda
#      runtime emulator (`cargo lambda watch --only-lambda-apis`), invoked with
#      `cargo lambda invoke`, with its desired state in S3, converges a real ECS service in
#      the moto emulator, reports the object's revision, and changes nothing the second time.
#
# Uses the emulator at AWS_ENDPOINT_URL (tests/run.sh sets it), else starts a private one.
# CARGO_TARGET_DIR and MOORING_CACHE as in tests/run.sh. Any failed check fails the script.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
MOTO=$ROOT/tests/emulator/moto.sh
export MOORING_CACHE=${MOORING_CACHE:-${HOME:-/tmp}/.cache/mooring}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$MOORING_CACHE/target}
REGION=us-east-1

checks=0
fail() {
    printf 'tests/deploy/lambda_zip.sh: FAILED: %s\n' "$*" >&2
    exit 1
}
passed() {
    checks=$((checks + 1))
    printf 'ok   %s\n' "$*"
}

work=$(mktemp -d)
pids=()
emulator_state=""
cleanup() {
    local status=$? pid
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    if ((status != 0)); then
        for log in "$work"/*.log; do
            [[ -s $log ]] || continue
            printf '\n--- %s (last 40 lines)\n' "$(basename "$log")" >&2
            tail -n 40 "$log" >&2
        done
    fi
    rm -rf "$work"
    if [[ -n $emulator_state ]]; then
        "$MOTO" stop >/dev/null 2>&1 || true
        rm -rf "$emulator_state"
    fi
}
trap cleanup EXIT

# 1. Build.
started=$SECONDS
"$ROOT/deploy/lambda/build.sh" "$work/dist"
printf 'build: %ss\n' "$((SECONDS - started))"
for f in offhours reconcile; do
    [[ -s $work/dist/$f.zip ]] || fail "build.sh wrote no $f.zip"
done
passed "build.sh wrote offhours.zip and reconcile.zip"

# 2. The glibc check, and that it can fail.
"$ROOT/deploy/lambda/check-glibc.sh" "$work/dist/offhours.zip" "$work/dist/reconcile.zip" ||
    fail "a Lambda package needs a newer glibc than provided.al2023 has"
passed "both packages need at most GLIBC_2.34"

expect_refused() { # DESCRIPTION PATTERN ARGS...: check-glibc.sh ARGS must exit 1, saying PATTERN
    local what=$1 pattern=$2 output status=0
    shift 2
    output=$("$ROOT/deploy/lambda/check-glibc.sh" "$@" 2>&1) || status=$?
    ((status == 1)) || fail "check-glibc.sh $* exited $status, not 1 ($what):\n$output"
    grep -qE "$pattern" <<<"$output" || fail "check-glibc.sh $* did not say /$pattern/ ($what):\n$output"
    passed "check-glibc.sh refuses $what: $(grep FAIL <<<"$output" | head -n 1)"
}
expect_refused "reconcile.zip under a 2.16 limit" 'requires GLIBC_2\.[0-9]+, newer than the 2\.16' \
    --max 2.16 "$work/dist/reconcile.zip"
# A real binary that needs glibc 2.36 (arc4random arrived in 2.36), linked by the same Zig
# whatever this machine's glibc is.
bin_dir=$("$ROOT/tests/emulator/cargo-lambda.sh" bin-dir)
printf '#include <stdlib.h>\nint main(void) { return (int)(arc4random() & 1); }\n' >"$work/new.c"
"$bin_dir/python3" -m ziglang cc -target x86_64-linux-gnu.2.36 "$work/new.c" -o "$work/needs-2.36" ||
    fail "zig cc could not link the glibc 2.36 probe"
expect_refused "a binary linked against glibc 2.36" 'requires GLIBC_2\.36' "$work/needs-2.36"
(cd "$work" && mkdir -p nested && cp needs-2.36 nested/bootstrap && python3 -m zipfile -c nested.zip nested >/dev/null)
expect_refused "a zip without bootstrap at its root" 'no bootstrap at the root' "$work/nested.zip"

# 3. The reconcile function from its zip, under cargo-lambda, against the emulator.
if [[ -z ${AWS_ENDPOINT_URL:-} ]]; then
    emulator_state=$MOORING_CACHE/emulator-lambda-zip-$$
    export MOORING_EMULATOR_STATE=$emulator_state
    "$MOTO" start >/dev/null
    eval "$("$MOTO" env)"
fi
export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-testing} AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-testing}

cluster=lambda-zip-$$-$RANDOM
bucket=$cluster-desired
revision=zip-test-$RANDOM
cat >"$work/stack.yaml" <<YAML
apiVersion: mooring/v1
kind: Stack
metadata:
  name: $cluster
spec:
  region: $REGION
  services:
    - cluster: $cluster
      name: web
      desiredCount: 2
YAML
# The deploy pipeline's part: the service exists, at 0 tasks.
"$MOTO" seed "$work/stack.yaml" --count 0 >/dev/null
# CI's part: the desired state published to S3 with the git commit as `revision` metadata.
"$MOTO" install >/dev/null
"$MOORING_CACHE/moto-venv/bin/python" - "$bucket" "$work/stack.yaml" "$revision" <<'PY'
import sys, boto3
bucket, path, revision = sys.argv[1:]
s3 = boto3.client("s3", region_name="us-east-1")
s3.create_bucket(Bucket=bucket)
with open(path, "rb") as body:
    s3.put_object(Bucket=bucket, Key="mooring/stack.yaml", Body=body, Metadata={"revision": revision})
PY

count() {
    "$MOTO" describe --region "$REGION" --cluster "$cluster" --service web --json |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["desiredCount"])'
}
[[ $(count) == 0 ]] || fail "the seeded service does not start at 0 tasks"

mkdir "$work/task"
python3 -m zipfile -e "$work/dist/reconcile.zip" "$work/task"
chmod +x "$work/task/bootstrap" # python's zipfile drops the mode bits (check-glibc.sh checked them)

export PATH=$bin_dir:$PATH
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
# --only-lambda-apis: the runtime API and the invoke endpoint, without building or starting
# any function (it still reads the workspace's cargo metadata, hence the root as cwd).
(cd "$ROOT" && exec cargo lambda watch --only-lambda-apis -A 127.0.0.1 -P "$port") >"$work/watch.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
    grep -q 'starting Runtime server' "$work/watch.log" && break
    sleep 0.2
done
grep -q 'starting Runtime server' "$work/watch.log" || fail "cargo lambda watch did not start"

# The function as Lambda starts it: its zip's contents as the working directory, only the
# environment Lambda gives (plus the emulator's endpoint), the runtime API of the watcher
# (its per-function path: invocations of `reconcile` queue there).
(cd "$work/task" && exec env -i \
    PATH=/usr/bin:/bin \
    AWS_LAMBDA_RUNTIME_API="http://127.0.0.1:$port/.rt/reconcile" \
    AWS_LAMBDA_FUNCTION_NAME=reconcile \
    AWS_LAMBDA_FUNCTION_VERSION=1 \
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE=512 \
    AWS_REGION=$REGION \
    AWS_ACCESS_KEY_ID="$AWS_ACCESS_KEY_ID" \
    AWS_SECRET_ACCESS_KEY="$AWS_SECRET_ACCESS_KEY" \
    AWS_ENDPOINT_URL="$AWS_ENDPOINT_URL" \
    AWS_EC2_METADATA_DISABLED=true \
    MOORING_DESIRED_STATE="s3://$bucket/mooring/stack.yaml" \
    ./bootstrap) >"$work/function.log" 2>&1 &
pids+=($!)
function_pid=$!

invoke() { # prints the function's JSON result
    timeout 120 cargo lambda invoke reconcile -A 127.0.0.1 -P "$port" --data-ascii '{}' 2>>"$work/invoke.log" ||
        fail "cargo lambda invoke failed or timed out"
}
field() { python3 -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

first=$(invoke)
kill -0 "$function_pid" 2>/dev/null || fail "the bootstrap from reconcile.zip exited"
# The count, and mooring's bookkeeping on a first apply (the cluster's stack tag, the
# service's claim, the record of the count): what matters here is that nothing failed.
[[ $(field "$first" failed) == 0 && $(field "$first" applied) -ge 1 ]] ||
    fail "the first invocation applied nothing or failed: $first"
grep -q '"set desiredCount to 2' <<<"$first" ||
    fail "the first invocation did not set desiredCount to 2: $first"
[[ $(field "$first" revision) == "$revision" ]] ||
    fail "the invocation reports revision $(field "$first" revision), not the S3 object's $revision"
[[ $(count) == 2 ]] || fail "the ECS service is at $(count) tasks after the invocation, not 2"
passed "reconcile.zip under cargo-lambda scaled $cluster/web 0 -> 2 from s3://$bucket/mooring/stack.yaml (revision $revision)"

second=$(invoke)
[[ $(field "$second" planned) == 0 && $(field "$second" mutatingRequests) == 0 ]] ||
    fail "the second invocation was not a no-op: $second"
passed "the second invocation planned nothing and made no mutating request"

printf 'tests/deploy/lambda_zip.sh: %d checks passed\n' "$checks"
