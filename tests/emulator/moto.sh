#!/usr/bin/env bash
# The local AWS emulator for mooring's tests and demo: moto in server mode on 127.0.0.1.
#
#   moto.sh install                      cached virtualenv with the pinned moto (requirements.txt)
#   moto.sh start [--port N]             start (or reuse) the server, print its endpoint URL
#   moto.sh status | endpoint            is it running / print its endpoint URL
#   moto.sh env                          export lines: eval "$(tests/emulator/moto.sh env)"
#   moto.sh seed FILE_OR_DIR... [--count N]
#                                        create the clusters/services a desired state names
#   moto.sh scale --region R --cluster C --service S --count N
#                                        change a desiredCount behind mooring's back (drift)
#   moto.sh describe (FILE_OR_DIR... | --region R --cluster C --service S) [--json]
#   moto.sh reset                        forget every resource (POST /moto-api/reset)
#   moto.sh recording start|stop|reset|dump|summary [--access-key K] [--mutating] [--raw]
#                                        moto's request recorder, see recording.py
#   moto.sh stop                         stop the server (TERM, then KILL after 10 s)
#
# Environment: MOORING_CACHE (default ~/.cache/mooring) holds the venv; the server's pid, port,
# log and request recording live in MOORING_EMULATOR_STATE (default $MOORING_CACHE/emulator).
# seed/scale/describe/reset/recording talk to AWS_ENDPOINT_URL when it is set, else to the
# server recorded in the state folder.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${MOORING_CACHE:-${HOME:-/tmp}/.cache/mooring}
VENV=$CACHE/moto-venv
STATE=${MOORING_EMULATOR_STATE:-$CACHE/emulator}
REQUIREMENTS=$HERE/requirements.txt
PYTHON=${PYTHON:-python3}
START_TIMEOUT=${MOORING_EMULATOR_START_TIMEOUT:-30}
STOP_TIMEOUT=10

PID_FILE=$STATE/pid
PORT_FILE=$STATE/port
LOG_FILE=$STATE/moto.log
RECORDING_FILE=$STATE/recording.jsonl

die() {
    printf 'moto.sh: error: %s\n' "$*" >&2
    exit 1
}

note() {
    printf 'moto.sh: %s\n' "$*" >&2
}

usage() {
    sed -n '2,22s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
}

need_python() {
    command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON not found: install Python 3 (with the venv module and pip)"
}

# Runs the rest of the command line while holding an exclusive lock on $1, so that two
# scripts starting at once (demo and tests, say) neither build one venv twice nor start
# two servers. Without flock (not Linux) it just runs.
with_lock() {
    local lock=$1
    shift
    if command -v flock >/dev/null 2>&1; then
        mkdir -p "$(dirname "$lock")"
        (
            flock -w 600 9 || die "could not lock $lock within 600 s"
            "$@"
        ) 9>"$lock"
    else
        "$@"
    fi
}

# HTTP without depending on curl: curl when present, else Python's urllib.
# Usage: http METHOD URL [TIMEOUT_SECONDS]; prints the body, fails on a refused
# connection, a timeout or a status of 400 and above.
http() {
    local method=$1 url=$2 timeout=${3:-10}
    if command -v curl >/dev/null 2>&1; then
        curl -fsS --max-time "$timeout" -X "$method" "$url"
    else
        "$PYTHON" - "$method" "$url" "$timeout" <<'EOF'
import sys, urllib.request
method, url, timeout = sys.argv[1], sys.argv[2], float(sys.argv[3])
req = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
try:
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        sys.stdout.buffer.write(resp.read())
except Exception as exc:  # refused, timed out, HTTP error: all mean "not answering"
    print(f"{method} {url}: {exc}", file=sys.stderr)
    sys.exit(22)
EOF
    fi
}

requirements_hash() {
    # The Python version is part of the key: a venv does not survive a Python upgrade.
    "$PYTHON" - "$REQUIREMENTS" <<'EOF'
import hashlib, sys
h = hashlib.sha256(open(sys.argv[1], "rb").read())
h.update(sys.version.encode())
print(h.hexdigest())
EOF
}

cmd_install() {
    need_python
    [[ -f $REQUIREMENTS ]] || die "missing $REQUIREMENTS"
    with_lock "$CACHE/moto-venv.lock" install_locked
}

install_locked() {
    local marker=$VENV/.mooring-requirements.sha256 want
    want=$(requirements_hash)
    if [[ -x $VENV/bin/moto_server && -f $marker && $(<"$marker") == "$want" ]]; then
        return 0
    fi
    note "installing moto into $VENV (once; about a minute)"
    rm -rf "$VENV"
    mkdir -p "$CACHE"
    if ! "$PYTHON" -m venv "$VENV"; then
        rm -rf "$VENV"
        die "'$PYTHON -m venv' failed: install Python's venv module (Debian/Ubuntu: apt-get install python3-venv)"
    fi
    if ! "$VENV/bin/python" -m pip install --disable-pip-version-check --quiet \
        --requirement "$REQUIREMENTS"; then
        rm -rf "$VENV"
        die "pip could not install $REQUIREMENTS (is PyPI reachable?)"
    fi
    printf '%s\n' "$want" >"$marker"
    note "moto installed: $("$VENV/bin/python" -c 'import moto; print(moto.__version__)')"
}

# Prints the recorded pid when that process is alive and is a moto_server.
live_pid() {
    [[ -f $PID_FILE ]] || return 1
    local pid
    pid=$(<"$PID_FILE")
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    # Guard against a recycled pid: only ever signal a moto_server.
    if [[ -r /proc/$pid/cmdline ]]; then
        tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q moto_server || return 1
    fi
    printf '%s\n' "$pid"
}

# moto answers /moto-api/config with its JSON settings: proof that it is moto on that port.
answers() {
    local body
    body=$(http GET "$1/moto-api/config" 2 2>/dev/null) || return 1
    [[ $body == *use_docker* ]]
}

# Prints the endpoint of the server recorded in the state folder, if it is alive and answering.
running_endpoint() {
    [[ -f $PORT_FILE ]] || return 1
    live_pid >/dev/null || return 1
    local endpoint
    endpoint="http://127.0.0.1:$(<"$PORT_FILE")"
    answers "$endpoint" || return 1
    printf '%s\n' "$endpoint"
}

# Where seed/scale/reset/recording send their requests.
target_endpoint() {
    if [[ -n ${AWS_ENDPOINT_URL:-} ]]; then
        printf '%s\n' "${AWS_ENDPOINT_URL%/}"
    elif running_endpoint; then
        :
    else
        die "the emulator is not running: run '$0 start' (or set AWS_ENDPOINT_URL)"
    fi
}

free_port() {
    # Bind port 0 and report what the kernel chose. Someone else could take it before
    # moto binds it; start retries with another port when that happens.
    "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

cmd_start() {
    local port=""
    while (($#)); do
        case $1 in
            --port)
                [[ ${2:-} =~ ^[0-9]+$ ]] || die "--port needs a number"
                port=$2
                shift 2
                ;;
            --port=*)
                port=${1#--port=}
                [[ $port =~ ^[0-9]+$ ]] || die "--port needs a number"
                shift
                ;;
            *) die "start: unknown argument '$1' (usage: start [--port N])" ;;
        esac
    done
    cmd_install
    with_lock "$STATE/lock" start_locked "$port"
}

start_locked() {
    local port=$1 endpoint attempt
    mkdir -p "$STATE"
    if endpoint=$(running_endpoint); then
        if [[ -n $port && $endpoint != "http://127.0.0.1:$port" ]]; then
            die "already running at $endpoint, not on port $port: run '$0 stop' first"
        fi
        note "reusing the emulator already running at $endpoint"
        enable_recording "$endpoint"
        printf '%s\n' "$endpoint"
        return 0
    fi
    # A pid file whose process died (or no longer answers) is stale.
    stop_recorded_server
    for attempt in 1 2 3; do
        if launch "${port:-$(free_port)}"; then
            return 0
        fi
        # Only a lost race for a port we picked is worth another try.
        if [[ -n $port ]] || ! grep -q 'Address already in use' "$LOG_FILE"; then
            break
        fi
        note "port taken before moto could bind it; trying another (attempt $attempt)"
    done
    printf '\n--- last lines of %s ---\n' "$LOG_FILE" >&2
    tail -n 30 "$LOG_FILE" >&2 || true
    die "moto did not start (full log: $LOG_FILE)"
}

# Starts moto_server on the port and waits until it answers. Returns 1 if it dies or
# does not answer within START_TIMEOUT seconds.
launch() {
    local port=$1 pid endpoint deadline
    endpoint="http://127.0.0.1:$port"
    : >"$RECORDING_FILE"
    # fd 9 is the state lock (with_lock): the server must not hold it for its lifetime.
    # MOTO_ENABLE_RECORDING: any non-empty value turns the recorder on (moto tests
    # bool(os.environ.get(...)), so even "false" would). MOTO_RECORDER_FILEPATH: without it
    # the recording lands in ./moto_recording of whatever folder we were started from.
    MOTO_ENABLE_RECORDING=1 \
        MOTO_RECORDER_FILEPATH=$RECORDING_FILE \
        nohup "$VENV/bin/moto_server" -H 127.0.0.1 -p "$port" \
        </dev/null >"$LOG_FILE" 2>&1 9>&- &
    pid=$!
    printf '%s\n' "$pid" >"$PID_FILE"
    printf '%s\n' "$port" >"$PORT_FILE"
    deadline=$((SECONDS + START_TIMEOUT))
    until answers "$endpoint"; do
        if ! kill -0 "$pid" 2>/dev/null; then
            note "moto_server exited during start-up"
            rm -f "$PID_FILE" "$PORT_FILE"
            return 1
        fi
        if ((SECONDS >= deadline)); then
            note "moto_server did not answer on $endpoint within ${START_TIMEOUT} s"
            stop_pid "$pid"
            rm -f "$PID_FILE" "$PORT_FILE"
            return 1
        fi
        sleep 0.2
    done
    note "moto started at $endpoint (pid $pid, log $LOG_FILE)"
    printf '%s\n' "$endpoint"
}

enable_recording() {
    http POST "$1/moto-api/recorder/start-recording" >/dev/null ||
        die "could not switch on moto's request recorder at $1"
}

stop_pid() {
    local pid=$1 deadline
    kill -TERM "$pid" 2>/dev/null || return 0
    deadline=$((SECONDS + STOP_TIMEOUT))
    while kill -0 "$pid" 2>/dev/null; do
        if ((SECONDS >= deadline)); then
            note "pid $pid ignored TERM for ${STOP_TIMEOUT} s; sending KILL"
            kill -KILL "$pid" 2>/dev/null || true
            break
        fi
        sleep 0.1
    done
    # Reap it when it is our own child (start's failure path); harmless otherwise.
    wait "$pid" 2>/dev/null || true
}

stop_recorded_server() {
    local pid
    if pid=$(live_pid); then
        stop_pid "$pid"
        note "stopped moto (pid $pid)"
    fi
    rm -f "$PID_FILE" "$PORT_FILE"
}

cmd_stop() {
    with_lock "$STATE/lock" stop_recorded_server
}

cmd_status() {
    local endpoint
    if endpoint=$(running_endpoint); then
        printf 'running at %s (pid %s, log %s)\n' "$endpoint" "$(<"$PID_FILE")" "$LOG_FILE"
    elif live_pid >/dev/null; then
        printf 'process %s is alive but does not answer (log %s)\n' "$(<"$PID_FILE")" "$LOG_FILE"
        return 1
    else
        printf 'not running\n'
        return 1
    fi
}

cmd_endpoint() {
    running_endpoint || die "the emulator is not running: run '$0 start'"
}

cmd_env() {
    local endpoint
    endpoint=$(running_endpoint) || die "the emulator is not running: run '$0 start'"
    # Static test credentials; a profile or session token from a real account must not
    # mix with them.
    printf 'unset AWS_PROFILE AWS_SESSION_TOKEN\n'
    printf 'export AWS_ENDPOINT_URL=%s\n' "$endpoint"
    printf 'export AWS_ACCESS_KEY_ID=testing\n'
    printf 'export AWS_SECRET_ACCESS_KEY=testing\n'
    printf 'export AWS_REGION=us-east-1\n'
    printf 'export AWS_DEFAULT_REGION=us-east-1\n'
    printf 'export AWS_EC2_METADATA_DISABLED=true\n'
}

venv_python() {
    [[ -x $VENV/bin/python ]] || die "no virtualenv at $VENV: run '$0 install'"
    "$VENV/bin/python" "$@"
}

cmd_seed_tool() {
    local endpoint
    endpoint=$(target_endpoint)
    AWS_ENDPOINT_URL=$endpoint venv_python "$HERE/seed.py" "$@"
}

cmd_reset() {
    local endpoint
    endpoint=$(target_endpoint)
    http POST "$endpoint/moto-api/reset" >/dev/null || die "reset failed at $endpoint"
    note "moto state reset at $endpoint"
}

cmd_recording() {
    local action=${1:-}
    [[ -n $action ]] || die "recording needs one of: start stop reset dump summary"
    shift
    local endpoint
    endpoint=$(target_endpoint)
    case $action in
        start | stop | reset)
            [[ $# -eq 0 ]] || die "recording $action takes no arguments"
            http POST "$endpoint/moto-api/recorder/$action-recording" >/dev/null ||
                die "recording $action failed at $endpoint"
            note "recording $action: done"
            ;;
        dump | summary)
            # recording.py needs only the standard library.
            need_python
            "$PYTHON" "$HERE/recording.py" --endpoint "$endpoint" "$action" "$@"
            ;;
        *) die "recording: unknown action '$action' (start stop reset dump summary)" ;;
    esac
}

main() {
    local cmd=${1:-}
    [[ $# -gt 0 ]] && shift
    case $cmd in
        install) cmd_install "$@" ;;
        start) cmd_start "$@" ;;
        stop) cmd_stop "$@" ;;
        status) cmd_status "$@" ;;
        endpoint) cmd_endpoint "$@" ;;
        env) cmd_env "$@" ;;
        seed) cmd_seed_tool seed "$@" ;;
        scale) cmd_seed_tool scale "$@" ;;
        describe) cmd_seed_tool describe "$@" ;;
        reset) cmd_reset "$@" ;;
        recording) cmd_recording "$@" ;;
        -h | --help | help) usage ;;
        "")
            usage >&2
            exit 2
            ;;
        *)
            usage >&2
            die "unknown command '$cmd'"
            ;;
    esac
}

main "$@"
