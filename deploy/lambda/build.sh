#!/usr/bin/env bash
# Builds the two Lambda packages the Terraform module deploys:
#
#   deploy/lambda/build.sh [OUT_DIR]     (default OUT_DIR: dist/lambda at the repo root)
#
# writes OUT_DIR/offhours.zip and OUT_DIR/reconcile.zip, each with an executable `bootstrap`
# at the zip root, for runtime provided.al2023 (glibc 2.34), architecture x86_64, handler
# `bootstrap`. Then deploy/lambda/check-glibc.sh checks them.
#
# How: `cargo lambda build --release` (cargo-lambda 1.9.2 from PyPI, in the cached venv of
# tests/emulator/cargo-lambda.sh), which links with Zig (the venv's `ziglang` wheel) against
# glibc 2.34's symbols whatever glibc this machine has. Both functions in one cargo invocation,
# so the AWS SDK and the `mooring` library are compiled once for the two.
#
# CARGO_TARGET_DIR is respected (default: $MOORING_CACHE/target, like tests/run.sh); the
# release build lives in $CARGO_TARGET_DIR/x86_64-unknown-linux-gnu/release.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT_DIR=${1:-$ROOT/dist/lambda}
export MOORING_CACHE=${MOORING_CACHE:-${HOME:-/tmp}/.cache/mooring}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$MOORING_CACHE/target}
FUNCTIONS=(offhours reconcile)
# The newest glibc the Lambda runtime provided.al2023 has. Zig links against exactly this
# version's symbols; check-glibc.sh refuses anything newer.
GLIBC=2.34

die() {
    printf 'deploy/lambda/build.sh: error: %s\n' "$*" >&2
    exit 1
}

command -v cargo >/dev/null 2>&1 || die "cargo not found: install the Rust toolchain"
bin_dir=$("$ROOT/tests/emulator/cargo-lambda.sh" bin-dir) ||
    die "cargo-lambda could not be installed (tests/emulator/cargo-lambda.sh)"
export PATH=$bin_dir:$PATH
# cargo-zigbuild looks for `python3 -m ziglang` first, then `zig` on PATH. Name the venv's
# Python so the pinned wheel is used; should neither be found, cargo-lambda would try
# `pip3 install ziglang` into whatever Python it finds, which we never want.
export CARGO_ZIGBUILD_PYTHON_PATH=$bin_dir/python3
zig_version=$("$CARGO_ZIGBUILD_PYTHON_PATH" -m ziglang version 2>&1) ||
    die "zig (PyPI ziglang in $bin_dir) does not run: $zig_version"

cd "$ROOT"
# cargo-lambda writes each zip to <lambda-dir>/<function>/bootstrap.zip; a folder of this
# run's own, so that two builds sharing a target dir never copy each other's zips.
mkdir -p "$CARGO_TARGET_DIR"
stage=$(mktemp -d "$CARGO_TARGET_DIR/lambda-zips.XXXXXX")
trap 'rm -rf "$stage"' EXIT
packages=()
for f in "${FUNCTIONS[@]}"; do packages+=(-p "$f"); done
started=$SECONDS
# --disable-optimizations: without it cargo-lambda adds its own release settings (thin LTO,
# codegen-units=1, panic=abort, -C target-cpu=haswell) to whatever [profile.release] in
# Cargo.toml does not set. The workspace's [profile.release] is the one place those are
# decided (panic=abort would also turn a handler's panic into a dead runtime instead of an
# error result).
cargo lambda build --release --disable-optimizations \
    --target "x86_64-unknown-linux-gnu.$GLIBC" \
    --output-format zip --lambda-dir "$stage" "${packages[@]}"
elapsed=$((SECONDS - started))

mkdir -p "$OUT_DIR"
for f in "${FUNCTIONS[@]}"; do
    [[ -f $stage/$f/bootstrap.zip ]] || die "cargo lambda build made no $stage/$f/bootstrap.zip"
    cp "$stage/$f/bootstrap.zip" "$OUT_DIR/$f.zip"
    printf '%s: %s bytes (zig %s, glibc %s, built in %ss)\n' \
        "$OUT_DIR/$f.zip" "$(stat -c %s "$OUT_DIR/$f.zip")" "$zig_version" "$GLIBC" "$elapsed"
done
