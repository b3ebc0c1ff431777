#!/usr/bin/env bash
# The demo: mooring keeping one ECS service at its declared desiredCount, against the local
# AWS emulator (moto). Nothing touches a real AWS account.
#
#   tests/demo.sh [DESIRED_STATE_FILE]      (default desired-state/examples/tap.yaml)
#
# It starts the emulator (or reuses a running one), builds mooring, creates the service the
# way a deploy pipeline would (desiredCount 0), then: validate, plan, apply, plan again
# (nothing to do), apply again (moto's request recording shows it made no mutating call),
# a change made by hand behind mooring's back, plan showing the drift, apply correcting it,
# status showing it, accept keeping such a change in the file instead, off-hours, release and init. Exits non-zero if anything does not go as shown.
#
# MOORING_BIN runs that binary instead of building one (a release build, say).
# DEMO_REGION / DEMO_CLUSTER / DEMO_SERVICE / DEMO_COUNT name the service the drift step
# scales and the count the file declares (defaults: the tap example's).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
MOTO=tests/emulator/moto.sh
FILE=${1:-desired-state/examples/tap.yaml}
REGION=${DEMO_REGION:-us-east-1}
CLUSTER=${DEMO_CLUSTER:-tap-cluster}
SERVICE=${DEMO_SERVICE:-tap-backend}
DECLARED=${DEMO_COUNT:-1}
DRIFTED=5

export MOORING_CACHE=${MOORING_CACHE:-${HOME:-/tmp}/.cache/mooring}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$MOORING_CACHE/target}

if [[ -t 1 && -z ${NO_COLOR:-} ]]; then
    BOLD=$'\e[1m' DIM=$'\e[2m' GREEN=$'\e[32m' RED=$'\e[31m' RESET=$'\e[0m'
else
    BOLD='' DIM='' GREEN='' RED='' RESET=''
fi

heading() {
    printf '\n%s━━ %s%s\n' "$BOLD" "$*" "$RESET"
}

say() {
    printf '%s%s%s\n' "$DIM" "$*" "$RESET"
}

fail() {
    printf '%sdemo: %s%s\n' "$RED" "$*" "$RESET" >&2
    exit 1
}

[[ -f $FILE ]] || fail "no desired-state file at $FILE"
command -v cargo >/dev/null 2>&1 || fail "cargo not found: install the Rust toolchain (https://rustup.rs)"

# ---------------------------------------------------------------------------------------
heading "Local AWS emulator"
started_emulator=0
if ! "$MOTO" status >/dev/null 2>&1; then
    started_emulator=1
fi
stop_emulator() {
    if ((started_emulator)); then
        "$MOTO" stop || true
    fi
}
trap stop_emulator EXIT
"$MOTO" start >/dev/null
eval "$("$MOTO" env)"
say "AWS_ENDPOINT_URL=$AWS_ENDPOINT_URL (moto; test credentials, region $AWS_REGION)"

# ---------------------------------------------------------------------------------------
if [[ -n ${MOORING_BIN:-} ]]; then
    heading "mooring"
    say "MOORING_BIN=$MOORING_BIN (not building)"
else
    heading "Build mooring"
    say "cargo build -p mooring (the first build takes several minutes)"
    cargo build -p mooring --quiet
    MOORING_BIN=$CARGO_TARGET_DIR/debug/mooring
fi
[[ -x $MOORING_BIN ]] || fail "cargo built no binary at $MOORING_BIN"

# Shows the command as a person would type it, runs it, and leaves its exit code in $rc.
rc=0
mooring() {
    printf '%s$ mooring %s%s\n' "$BOLD" "$*" "$RESET"
    rc=0
    "$MOORING_BIN" "$@" || rc=$?
}

# Explains $rc for the command just run, in the words of the CLI's exit-code contract,
# and stops the demo when it is not the expected one.
explain() {
    local command=$1 expected=$2 meaning
    case $command:$rc in
        validate:0) meaning="valid" ;;
        validate:2) meaning="invalid" ;;
        plan:0) meaning="no changes: the account matches the desired state" ;;
        plan:2) meaning="changes pending: apply would make them" ;;
        release:2) meaning="changes pending: --confirm would make them" ;;
        release:0) meaning="released" ;;
        accept:2) meaning="drift to accept: without --dry-run it is written into the file" ;;
        init:0) meaning="written" ;;
        status:0) meaning="read: each resource with its sync state" ;;
        accept:0) meaning="accepted: the file holds the account's values" ;;
        apply:0) meaning="converged" ;;
        apply:1) meaning="some changes failed" ;;
        *:1) meaning="error" ;;
        plan:3 | apply:3) meaning="warnings (--fail-on-warnings)" ;;
        *:64) meaning="usage error" ;;
        *) meaning="unexpected" ;;
    esac
    if ((rc == expected)); then
        printf '%s→ exit %d: %s%s\n' "$GREEN" "$rc" "$meaning" "$RESET"
    else
        printf '%s→ exit %d: %s (expected %d)%s\n' "$RED" "$rc" "$meaning" "$expected" "$RESET"
        fail "mooring $command did not do what this demo expects"
    fi
}

describe() {
    printf '%s$ tests/emulator/moto.sh describe --region %s --cluster %s --service %s%s\n' \
        "$BOLD" "$REGION" "$CLUSTER" "$SERVICE" "$RESET"
    "$MOTO" describe --region "$REGION" --cluster "$CLUSTER" --service "$SERVICE"
}

desired_count() {
    "$MOTO" describe --region "$REGION" --cluster "$CLUSTER" --service "$SERVICE" --json |
        python3 -c 'import json, sys; print(json.load(sys.stdin).get("desiredCount", ""))'
}

# ---------------------------------------------------------------------------------------
heading "The deploy pipeline has created the service, with no tasks yet"
say "mooring never creates services or functions; the seed tool plays the pipeline's part"
say "(the service, and the chat notifier Lambda the alerts topic delivers to)."
"$MOTO" seed "$FILE" --count 0
# A reused emulator may still hold the service from an earlier run: start from 0 again.
"$MOTO" scale --region "$REGION" --cluster "$CLUSTER" --service "$SERVICE" --count 0 >/dev/null
describe

# ---------------------------------------------------------------------------------------
heading "1. validate: is the desired state well-formed?"
mooring validate "$FILE"
explain validate 0

heading "2. plan: what would change?"
mooring plan "$FILE"
explain plan 2

heading "3. apply: make it so"
mooring apply "$FILE"
explain apply 0
describe

heading "4. plan again: nothing left to do"
mooring plan "$FILE"
explain plan 0

heading "5. apply again: a converged account costs reads only"
say "This apply signs its requests with an access key id of its own, so moto's request"
say "recording can tell which calls it made."
key=demo-second-apply-$$
printf '%s$ AWS_ACCESS_KEY_ID=%s mooring apply %s%s\n' "$BOLD" "$key" "$FILE" "$RESET"
rc=0
AWS_ACCESS_KEY_ID=$key "$MOORING_BIN" apply "$FILE" || rc=$?
explain apply 0
printf '%s$ tests/emulator/moto.sh recording summary --access-key %s%s\n' "$BOLD" "$key" "$RESET"
calls=$("$MOTO" recording summary --access-key "$key")
printf '%s\n' "$calls"
# No call at all would mean the recorder is off, not that apply was frugal.
[[ $(awk '$2 == "total" { print $1 }' <<<"$calls") != 0 ]] ||
    fail "moto recorded no call of this apply: is its recorder off? (tests/emulator/moto.sh recording start)"
mutating=$("$MOTO" recording summary --access-key "$key" --mutating | awk '$2 == "total" { print $1 }')
[[ $mutating == 0 ]] || fail "the second apply made $mutating mutating calls, expected none"
printf '%s✓ no mutating calls%s\n' "$GREEN" "$RESET"

# ---------------------------------------------------------------------------------------
heading "6. Drift: someone scaled $SERVICE to $DRIFTED in the console"
"$MOTO" scale --region "$REGION" --cluster "$CLUSTER" --service "$SERVICE" --count "$DRIFTED"
describe

heading "7. status and plan see the drift"
say "status: every resource of the stack with its sync state (mooring run serves the same"
say "as a web page at / and as JSON at /status)."
mooring status "$FILE"
explain status 0
drifted=$("$MOORING_BIN" status "$FILE" --output json |
    python3 -c 'import json, sys; print(sum(s["counts"].get("Drifted", 0) for s in json.load(sys.stdin)["stacks"]))')
[[ $drifted -ge 1 ]] || fail "mooring status showed no drifted resource"
printf '%s✓ status shows %s drifted resource(s)%s\n' "$GREEN" "$drifted" "$RESET"
mooring plan "$FILE"
explain plan 2

heading "8. apply puts it back"
mooring apply "$FILE"
explain apply 0
describe
count=$(desired_count)
[[ $count == "$DECLARED" ]] || fail "desiredCount is $count after apply, expected $DECLARED"
printf '%s✓ %s is back at the declared desiredCount %s%s\n' "$GREEN" "$SERVICE" "$DECLARED" "$RESET"

heading "9. Or keep a console change on purpose: accept writes it into the file"
say "A copy of the file stands in for your git checkout; accept edits it in place."
ACCEPT_DIR=$(mktemp -d)
ACCEPT_FILE=$ACCEPT_DIR/$(basename "$FILE")
cp "$FILE" "$ACCEPT_FILE"
"$MOTO" scale --region "$REGION" --cluster "$CLUSTER" --service "$SERVICE" --count "$DRIFTED"
mooring accept "$ACCEPT_FILE" --dry-run
explain accept 2
mooring accept "$ACCEPT_FILE"
explain accept 0
changed=$(diff "$FILE" "$ACCEPT_FILE" | grep -c '^[<>]' || true)
[[ $changed == 2 ]] || fail "accept changed $changed lines of the file, expected one line replaced"
mooring plan "$ACCEPT_FILE"
explain plan 0
printf '%s✓ the file now says %s; the next plan has nothing to revert%s\n' "$GREEN" "$DRIFTED" "$RESET"
"$MOTO" scale --region "$REGION" --cluster "$CLUSTER" --service "$SERVICE" --count "$DECLARED" >/dev/null
rm -rf "$ACCEPT_DIR"

# ---------------------------------------------------------------------------------------
# Off-hours: the same stack, its service now on an office-hours schedule (Europe/Berlin);
# the same stack name, since the service carries stack tap's tag (mooring:stack). An injected
# clock (--now) shows a whole night in seconds, across the spring-forward night of
# 2026-03-29: it sleeps at 20:00 CET on Friday and wakes at 07:00 CEST on Monday.
OFFHOURS_DIR=$(mktemp -d)
OFFHOURS_FILE=$OFFHOURS_DIR/office-hours.yaml
cat >"$OFFHOURS_FILE" <<YAML
apiVersion: mooring/v1
kind: Stack
metadata:
  name: tap
spec:
  region: $REGION
  schedules:
    office-hours:
      timezone: Europe/Berlin
      awake: ["Mon-Fri 07:00-20:00"]
      holidays: ["12-24", "12-25"]
  services:
    - cluster: $CLUSTER
      name: $SERVICE
      desiredCount: $DECLARED
      offHours: { schedule: office-hours, desiredCount: 0 }
YAML
wake_count_tag() {
    "$MOTO" describe --region "$REGION" --cluster "$CLUSTER" --service "$SERVICE" --json |
        python3 -c 'import json, sys; print({t["key"]: t["value"] for t in json.load(sys.stdin).get("tags", [])}.get("mooring:wake-count", ""))'
}

heading "10. Off-hours: $SERVICE sleeps outside Mon-Fri 07:00-20:00 Berlin time"
mooring schedule "$OFFHOURS_FILE" --from 2026-03-27T12:00:00Z --days 4
((rc == 0)) || fail "mooring schedule exited $rc"

heading "11. Friday 20:00 CET (19:00 UTC): apply puts it to sleep"
mooring apply "$OFFHOURS_FILE" --now 2026-03-27T19:00:00Z
explain apply 0
count=$(desired_count)
[[ $count == 0 ]] || fail "desiredCount is $count after the sleep, expected 0"
tag=$(wake_count_tag)
[[ $tag == "$DECLARED" ]] || fail "mooring:wake-count is '$tag', expected $DECLARED"
printf '%s✓ asleep at 0 tasks; mooring:wake-count=%s recorded before scaling down%s\n' "$GREEN" "$tag" "$RESET"

heading "12. Sunday noon, after the clocks went forward: still asleep, nothing to do"
mooring plan "$OFFHOURS_FILE" --now 2026-03-29T12:00:00Z
explain plan 0

heading "13. Monday 07:00 CEST (05:00 UTC): apply wakes it"
mooring apply "$OFFHOURS_FILE" --now 2026-03-30T05:00:00Z
explain apply 0
count=$(desired_count)
[[ $count == "$DECLARED" ]] || fail "desiredCount is $count after the wake, expected $DECLARED"
tag=$(wake_count_tag)
[[ -z $tag ]] || fail "mooring:wake-count is still there after the wake ($tag)"
printf '%s✓ awake at %s task(s); the wake-count tag is gone%s\n' "$GREEN" "$count" "$RESET"
rm -rf "$OFFHOURS_DIR"

mooring_tags() {
    "$MOTO" describe --region "$REGION" --cluster "$CLUSTER" --service "$SERVICE" --json |
        python3 -c 'import json, sys; print(" ".join(sorted(t["key"] for t in json.load(sys.stdin).get("tags", []) if t["key"].startswith("mooring:"))))'
}

heading "14. The stack's file is deleted: mooring release hands the service back"
say "A deleted file is never a release by itself; the stack is released on purpose:"
mooring release tap --region "$REGION" --cluster "$CLUSTER"
explain release 2
mooring release tap --region "$REGION" --cluster "$CLUSTER" --confirm
explain release 0
count=$(desired_count)
[[ $count == "$DECLARED" ]] || fail "desiredCount is $count after the release, expected $DECLARED"
tags=$(mooring_tags)
[[ -z $tags ]] || fail "mooring's tags are still on the service after the release: $tags"
printf '%s✓ released: still at %s task(s), no mooring: tag left on it%s\n' "$GREEN" "$count" "$RESET"

heading "15. Start from an account nobody manages yet: mooring init writes the file"
say "The service is back in nobody's hands. init reads the cluster and writes the stack"
say "in the format's own words (defaults left out), ready for review and a pull request:"
INIT_DIR=$(mktemp -d)
mooring init --region "$REGION" --cluster "$CLUSTER" --stack tap -o "$INIT_DIR"
explain init 0
cat "$INIT_DIR/tap.yaml"
mooring plan "$INIT_DIR/tap.yaml"
explain plan 2
mooring apply "$INIT_DIR/tap.yaml"
explain apply 0
mooring plan "$INIT_DIR/tap.yaml"
explain plan 0
count=$(desired_count)
[[ $count == "$DECLARED" ]] || fail "desiredCount is $count after adopting, expected $DECLARED"
printf '%s✓ adopted as it was: %s task(s), and mooring keeps it there from now on%s\n' "$GREEN" "$count" "$RESET"
rm -rf "$INIT_DIR"
# ---------------------------------------------------------------------------------------

heading "Done"
if ((started_emulator)); then
    say "The emulator this demo started is being stopped."
else
    say "The emulator was already running and keeps running ($AWS_ENDPOINT_URL)."
fi
