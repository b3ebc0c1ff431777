#!/usr/bin/env bash
# Mutating calls per transition (issue 16): mooring apply --output json against the emulator, `calls`.
# usage: tests/bench/writes_per_transition.sh MOORING_BIN TAG
# Needs AWS_ENDPOINT_URL (eval "$(tests/emulator/moto.sh env)"); seeds two fresh clusters
# named after TAG (aud-TAG, aud2-TAG). The table in docs/aws-limits.md ("Writes per
# transition") comes from it, run with the binaries before and after issue 16.
set -euo pipefail
MB=$1; TAG=$2
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
D=$(mktemp -d); trap 'rm -rf "$D"' EXIT
DAY=2026-03-02T12:00:00Z; NIGHT=2026-03-02T21:00:00Z; MORNING=2026-03-03T06:30:00Z
write() { # file cluster web_count with_plain2
cat > "$1" <<Y
apiVersion: mooring/v1
kind: Stack
metadata:
  name: $2
spec:
  region: us-east-1
  schedules:
    office:
      timezone: Europe/Berlin
      awake: ["Mon-Fri 07:00-20:00"]
  services:
    - cluster: $2
      name: web
      desiredCount: $3
      offHours: { schedule: office }
    - cluster: $2
      name: api
      autoscaling:
        min: 1
        max: 4
        targetTracking:
          cpu: { metric: ECSServiceAverageCPUUtilization, target: 70 }
      offHours: { schedule: office, desiredCount: 0 }
Y
if [[ $4 == yes ]]; then cat >> "$1" <<Y
    - cluster: $2
      name: plain
      desiredCount: 1
Y
fi
}
calls() { # label file now
  "$MB" apply "$2" --now "$3" --output json > "$D/out.json" 2>"$D/err.log" || true
  python3 - "$1" "$D/out.json" <<'P'
import json, sys
label, path = sys.argv[1], sys.argv[2]
r = json.load(open(path))
calls = r.get("calls", {})
# `calls`: one entry per (service, operation) with its request count (aws/stats.rs)
def walk(calls):
    for entry in calls:
        yield entry["operation"], entry["requests"]
writes = ("Tag", "Untag", "Update", "Register", "Deregister", "Put", "Delete")
out = [f"{op} {n}" for op, n in sorted(walk(calls)) if op.startswith(writes)]
print(f"{label:45s} | " + (", ".join(out) or "none"))
P
}
C=aud-$TAG
F=$D/stack.yaml
write "$F" $C 2 yes
"$ROOT/tests/emulator/moto.sh" seed "$F" --count 0 >/dev/null
"$ROOT/tests/emulator/moto.sh" scale --region us-east-1 --cluster $C --service api --count 3 >/dev/null
"$ROOT/tests/emulator/moto.sh" scale --region us-east-1 --cluster $C --service plain --count 1 >/dev/null
calls "first apply (web 0→2, api autoscaling, plain =1)" "$F" $DAY
calls "converged" "$F" $DAY
"$ROOT/tests/emulator/moto.sh" scale --region us-east-1 --cluster $C --service web --count 5 >/dev/null
calls "drift correction (web 5→2)" "$F" $DAY
write "$F" $C 3 yes
calls "desired change (web 2→3)" "$F" $DAY
calls "sleep, claimed (web, api)" "$F" $NIGHT
"$ROOT/tests/emulator/moto.sh" scale --region us-east-1 --cluster $C --service web --count 5 >/dev/null
calls "churn at night (web 0→5, not its wake count)" "$F" 2026-03-02T22:00:00Z
"$ROOT/tests/emulator/moto.sh" scale --region us-east-1 --cluster $C --service web --count 3 >/dev/null
calls "churn at night (web 0→3, its wake count)" "$F" 2026-03-02T23:00:00Z
calls "wake (web, api)" "$F" $MORNING
write "$F" $C 3 no
calls "release (plain left the file)" "$F" $DAY
calls "release, next pass" "$F" $DAY
C2=aud2-$TAG
F2=$D/stack2.yaml
write "$F2" $C2 2 no
"$ROOT/tests/emulator/moto.sh" seed "$F2" --count 2 >/dev/null
calls "sleep, unclaimed (first pass at night)" "$F2" $NIGHT
calls "wake after it" "$F2" $MORNING
