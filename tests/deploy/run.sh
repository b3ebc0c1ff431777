#!/usr/bin/env bash
# Static checks of deploy/: checkov over the Terraform module (with its example), the
# Dockerfile and the GitHub Actions workflows, with no failed check; then the parse test
# (test_terraform.py, python-hcl2). No terraform binary or Docker engine is needed.
#
# Quiet when everything passes: prints checkov's summary line per framework and pytest's
# closing line. On a failure, the whole output of the failing tool.
#
# MOORING_CACHE (default ~/.cache/mooring) holds the virtualenvs, installed once and again
# only when a requirements file changes: deploy-venv/checkov and deploy-venv/parse (checkov
# pins bc-python-hcl2, a fork installing the same `hcl2` module as python-hcl2, so the two
# need separate environments).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CACHE=${MOORING_CACHE:-${HOME:-/tmp}/.cache/mooring}
VENVS=$CACHE/deploy-venv
PYTHON=${PYTHON:-python3}

die() {
    printf 'tests/deploy/run.sh: error: %s\n' "$*" >&2
    exit 1
}

install() {
    # Both requirements files are the key: a changed pin installs afresh.
    local key
    key=$(cat "$HERE/requirements-deploy.txt" "$HERE/requirements-parse.txt" | sha256sum | cut -d' ' -f1)
    if [[ $(cat "$VENVS/.requirements-key" 2>/dev/null) == "$key" ]]; then
        return 0
    fi
    mkdir -p "$CACHE"
    (
        # One installer at a time (tests and CI may start together).
        flock 9
        if [[ $(cat "$VENVS/.requirements-key" 2>/dev/null) == "$key" ]]; then
            exit 0
        fi
        rm -rf "$VENVS"
        echo "tests/deploy/run.sh: installing checkov and python-hcl2 into $VENVS (once)" >&2
        "$PYTHON" -m venv "$VENVS/checkov" >&2
        "$VENVS/checkov/bin/python" -m pip install --disable-pip-version-check --quiet -r "$HERE/requirements-deploy.txt" >&2
        "$PYTHON" -m venv "$VENVS/parse" >&2
        "$VENVS/parse/bin/python" -m pip install --disable-pip-version-check --quiet -r "$HERE/requirements-parse.txt" >&2
        echo "$key" >"$VENVS/.requirements-key"
    ) 9>"$CACHE/deploy-venv.lock"
}

install || die "could not install checkov / python-hcl2 (see above)"

cd "$ROOT"
output=$(mktemp)
trap 'rm -f "$output"' EXIT

# checkov FRAMEWORK ARGS...: no failed check, or print everything it said.
checkov() {
    local framework=$1
    shift
    # --skip-download: no calls to the vendor's platform (there is no network in CI).
    if ! "$VENVS/checkov/bin/checkov" --framework "$framework" --skip-download --compact --quiet "$@" >"$output" 2>&1; then
        cat "$output" >&2
        die "checkov ($framework) found failed checks"
    fi
    # checkov exits 0 when it found nothing to scan: that would hide a moved file.
    local summary
    summary=$(grep -m1 -E '^Passed checks: [1-9]' "$output") || {
        cat "$output" >&2
        die "checkov ($framework) scanned nothing"
    }
    printf 'checkov %-15s %s\n' "$framework:" "$summary"
}

checkov terraform -d deploy/terraform
checkov dockerfile -f deploy/Dockerfile
# checkov reads workflows only under a .github/workflows folder: scan copies laid out so.
workflows=$(mktemp -d)
trap 'rm -f "$output"; rm -rf "$workflows"' EXIT
mkdir -p "$workflows/.github/workflows"
cp deploy/github-actions/*.yml "$workflows/.github/workflows/"
checkov github_actions -d "$workflows"

if ! "$VENVS/parse/bin/python" -m pytest -q -p no:cacheprovider "$HERE/test_terraform.py" >"$output" 2>&1; then
    cat "$output" >&2
    die "the parse test failed"
fi
printf 'parse test: %s\n' "$(tail -n 1 "$output")"
