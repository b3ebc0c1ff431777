#!/usr/bin/env bash
# cargo-lambda for the `offhours` Lambda's end-to-end test, in a cached virtualenv.
#
#   cargo-lambda.sh install    install once (requirements-lambda.txt); exit 1 if impossible
#   cargo-lambda.sh bin-dir    install if needed, print the folder holding `cargo-lambda`
#                              (put it on PATH so that `cargo lambda ...` finds it)
#
# MOORING_CACHE (default ~/.cache/mooring) holds the venv.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${MOORING_CACHE:-${HOME:-/tmp}/.cache/mooring}
VENV=$CACHE/cargo-lambda-venv
REQUIREMENTS=$HERE/requirements-lambda.txt
PYTHON=${PYTHON:-python3}

install() {
    # The requirements file is the key: a changed pin installs afresh.
    local key
    key=$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)
    if [[ -x $VENV/bin/cargo-lambda && $(cat "$VENV/.requirements-key" 2>/dev/null) == "$key" ]]; then
        return 0
    fi
    mkdir -p "$CACHE"
    (
        # One installer at a time (tests and CI may start together).
        flock 9
        if [[ -x $VENV/bin/cargo-lambda && $(cat "$VENV/.requirements-key" 2>/dev/null) == "$key" ]]; then
            exit 0
        fi
        rm -rf "$VENV"
        echo "cargo-lambda.sh: installing cargo-lambda into $VENV (once)" >&2
        "$PYTHON" -m venv "$VENV" >&2
        "$VENV/bin/python" -m pip install --disable-pip-version-check --quiet -r "$REQUIREMENTS" >&2
        echo "$key" >"$VENV/.requirements-key"
    ) 9>"$CACHE/cargo-lambda-venv.lock"
}

case ${1:-} in
    install) install ;;
    bin-dir)
        install
        echo "$VENV/bin"
        ;;
    *)
        echo "usage: $0 install | bin-dir" >&2
        exit 2
        ;;
esac
