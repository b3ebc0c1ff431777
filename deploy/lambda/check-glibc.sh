#!/usr/bin/env bash
# Checks that Lambda packages run on the runtime's glibc:
#
#   deploy/lambda/check-glibc.sh [--max VERSION] ZIP_OR_ELF...
#
# For each zip, reads the `bootstrap` at its root (an ELF file given directly is read as
# is), lists the GLIBC_x.y symbol versions it requires (readelf -V: the .gnu.version_r
# section, which the dynamic loader checks at start), and prints the newest. Fails when
# any is newer than VERSION (default 2.34, what runtime provided.al2023 has), when a zip
# has no bootstrap at its root, or when bootstrap is not executable.
#
# Exit 0 all fine, 1 a package would not run there, 2 usage.
set -euo pipefail

MAX=2.34
usage() {
    echo "usage: $0 [--max GLIBC_VERSION] ZIP_OR_ELF..." >&2
    exit 2
}
while [[ $# -gt 0 ]]; do
    case $1 in
        --max)
            [[ $# -ge 2 && $2 =~ ^[0-9]+\.[0-9]+$ ]] || usage
            MAX=$2
            shift 2
            ;;
        -h | --help) usage ;;
        --) shift; break ;;
        -*) usage ;;
        *) break ;;
    esac
done
[[ $# -gt 0 ]] || usage
command -v readelf >/dev/null 2>&1 || {
    echo "check-glibc.sh: error: readelf not found (Debian package binutils)" >&2
    exit 2
}

# true when version $1 is newer than $2 (x.y[.z] compared field by field).
newer() {
    [[ $1 != "$2" && $(printf '%s\n%s\n' "$1" "$2" | sort -V | tail -n 1) == "$1" ]]
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
for package in "$@"; do
    if [[ ! -f $package ]]; then
        echo "FAIL $package: no such file"
        failed=1
        continue
    fi
    elf=$package
    if [[ $(head -c 4 "$package" | od -An -c | tr -d ' ') == PK* ]]; then
        # A zip: its bootstrap must be at the root, and executable (the mode bits are
        # kept in the zip; Lambda runs the file with them).
        elf=$work/bootstrap
        rm -f "$elf"
        if ! problem=$(python3 - "$package" "$elf" 2>&1 <<'PY'

import stat, sys, zipfile
archive, target = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(archive) as z:
    try:
        info = z.getinfo("bootstrap")
    except KeyError:
        sys.exit(f"no bootstrap at the root of the zip (it holds: {', '.join(z.namelist()) or 'nothing'})")
    mode = info.external_attr >> 16
    if not mode & stat.S_IXUSR:
        sys.exit(f"bootstrap is not executable in the zip (mode {oct(mode)})")
    with open(target, "wb") as out:
        out.write(z.read(info))
PY
        ); then
            echo "FAIL $package: $problem"
            failed=1
            continue
        fi
    fi
    if ! versions=$(readelf -W -V "$elf" 2>&1); then
        echo "FAIL $package: not an ELF file: $versions"
        failed=1
        continue
    fi
    newest=$(grep -oE 'GLIBC_[0-9]+(\.[0-9]+)+' <<<"$versions" | sed 's/^GLIBC_//' | sort -Vu | tail -n 1)
    if [[ -z $newest ]]; then
        echo "ok   $package: requires no versioned glibc symbol"
    elif newer "$newest" "$MAX"; then
        too_new=$(grep -oE 'GLIBC_[0-9]+(\.[0-9]+)+' <<<"$versions" | sed 's/^GLIBC_//' | sort -Vu |
            while read -r v; do newer "$v" "$MAX" && printf 'GLIBC_%s ' "$v"; done)
        echo "FAIL $package: requires GLIBC_$newest, newer than the $MAX allowed (too new: ${too_new% })"
        failed=1
    else
        echo "ok   $package: newest glibc symbol version GLIBC_$newest (allowed: $MAX)"
    fi
done
exit "$failed"
