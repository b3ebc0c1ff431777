#!/usr/bin/env bash
# Builds the `mooring` binary as it ships (deploy/Dockerfile) and as the benchmark measures
# it (tests/bench/run.sh): profile `dist` (Cargo.toml) and packed relative relocations.
#
#   deploy/build-dist.sh            # prints the binary's path on stdout
#
# Why `-z pack-relative-relocs` (DT_RELR): the binary is position-independent, so the loader
# patches about 1.6 MB of pointers at start-up, and with classic RELA entries it first has to
# read 1.7 MB of relocation records, which stay resident: 1.7 MB of every mooring process's
# memory (docs/benchmarks.md). RELR packs them into 27 KB. It needs GNU ld 2.38+ (or lld 15+)
# to link and glibc 2.36+ to run (the image's base, distroless cc-debian12, has 2.36). The
# flag goes to the final link only (`cargo rustc`), so dependencies are not rebuilt for it.
# Where either is missing the binary is linked without it, with a note.
#
# Environment: CARGO_TARGET_DIR (cargo's default otherwise), CARGO_FLAGS (extra flags for
# cargo, e.g. --locked or --quiet).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
note() { printf 'build-dist: %s\n' "$*" >&2; }

glibc_at_least_2_36() {
    local v
    v=$(getconf GNU_LIBC_VERSION 2>/dev/null | awk '{print $2}') || return 1
    [[ -n $v ]] || return 1
    # In reverse version order, i.e. v >= 2.36.
    printf '%s\n2.36\n' "$v" | sort -V -C -r
}

link_args=()
if ld --help 2>/dev/null | grep -q 'pack-relative-relocs' && glibc_at_least_2_36; then
    link_args=(-C link-arg=-Wl,-z,pack-relative-relocs)
else
    note "linking without -z pack-relative-relocs (needs GNU ld 2.38+ and glibc 2.36+): about 1.7 MB more resident"
fi

cd "$ROOT"
# shellcheck disable=SC2086 # CARGO_FLAGS is a list of flags
cargo rustc ${CARGO_FLAGS:-} --profile dist -p mooring --bin mooring -- "${link_args[@]}"
target=${CARGO_TARGET_DIR:-$ROOT/target}
printf '%s\n' "$target/dist/mooring"
