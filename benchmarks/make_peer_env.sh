#!/usr/bin/env bash
# Create benchmarks/.peer-venv: a virtualenv holding the peer tools that curate is compared with
# (datatrove, trafilatura, datasketch, ...). It is separate from curate's own venv because
# datatrove[processing] pulls in fasttext-numpy2-wheel, which conflicts with curate's
# fasttext-wheel (both install the `fasttext` module), and pins trafilatura<1.12.
#
# Usage: bash benchmarks/make_peer_env.sh [--force]
#   --force   delete and rebuild the venv even if it is already complete
# Env:    PYTHON=python3.11   interpreter used to create the venv (default: python3)
#
# Idempotent: if the venv exists and every peer module imports, it only prints the versions.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="$HERE/.peer-venv"
PY="${PYTHON:-python3}"
FORCE=0
for arg in "$@"; do
  case "$arg" in
    --force) FORCE=1 ;;
    -h|--help) sed -n '2,12p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done

# What the benchmarks need from the peers:
#   ingest.py : datatrove WarcReader (io: warcio, cchardet, magic), Trafilatura extractor
#               (processing: trafilatura), ParquetWriter (io: pyarrow)
#   filter.py : datatrove Gopher/C4/FineWeb filters (processing: nltk, ...) + word tokenizer
#               (datatrove uses spaCy blank pipelines for many languages)
#   dedup.py  : datatrove MinHash dedup (processing: xxhash), datasketch MinHashLSH
#   scale.py  : datatrove RayPipelineExecutor: its run() calls
#               check_required_dependencies("ray", ["ray"]) and its `ray` extra is
#               ray[default]; pinned to the Ray of curate's .venv when there is one, so both
#               tools run on the same engine (a Ray head must match its drivers' version)
REPO="$(cd "$HERE/.." && pwd)"
RAY_SPEC="ray[default]"
if [[ -x "$REPO/.venv/bin/python" ]]; then
  RAY_VERSION="$("$REPO/.venv/bin/python" -c \
    "from importlib.metadata import version; print(version('ray'))" 2>/dev/null || true)"
  if [[ -n "$RAY_VERSION" ]]; then RAY_SPEC="ray[default]==$RAY_VERSION"; fi
fi
PACKAGES=(
  "datatrove[io,processing]"
  "spacy>=3.8"
  "datasketch"
  "psutil"
  "$RAY_SPEC"
)
# Modules that must import for the venv to count as complete.
CHECK_IMPORTS="datatrove, trafilatura, datasketch, warcio, pyarrow, spacy, nltk, xxhash, \
fasttext, psutil, datatrove.pipeline.readers, datatrove.pipeline.extractors, \
datatrove.pipeline.writers, datatrove.pipeline.dedup, datatrove.pipeline.filters, \
datatrove.executor, ray, datatrove.executor.ray"

print_versions() {
  "$VENV/bin/python" - <<'EOF'
import platform
from importlib.metadata import version

print(f"peer venv: python {platform.python_version()}")
for name in ["datatrove", "trafilatura", "datasketch", "spacy", "nltk", "warcio",
             "pyarrow", "fasttext-numpy2-wheel", "xxhash", "numpy", "psutil", "ray"]:
    try:
        print(f"  {name:22s} {version(name)}")
    except Exception:  # noqa: BLE001
        print(f"  {name:22s} (not installed)")
EOF
}

is_complete() {
  [[ -x "$VENV/bin/python" ]] && "$VENV/bin/python" -c "import $CHECK_IMPORTS" >/dev/null 2>&1
}

if [[ $FORCE -eq 0 ]] && is_complete; then
  echo "peer venv already present at $VENV (use --force to rebuild)"
  print_versions
  exit 0
fi

if [[ $FORCE -eq 1 && -d "$VENV" ]]; then
  echo "removing $VENV"
  rm -rf "$VENV"
fi

if [[ ! -x "$VENV/bin/python" ]]; then
  echo "creating $VENV with $($PY --version 2>&1)"
  "$PY" -m venv "$VENV"
fi

# pip, minus the machine-specific notes about local index folders that do not exist
pip_install() {
  "$VENV/bin/python" -m pip install --quiet "$@" 2>&1 \
    | { grep -v "^WARNING: Location 'file:.*' is ignored" || true; }
}

echo "installing: ${PACKAGES[*]}"
pip_install --upgrade pip
pip_install "${PACKAGES[@]}"

if ! "$VENV/bin/python" -c "import $CHECK_IMPORTS"; then
  echo "peer venv is incomplete: an import failed (see above)" >&2
  exit 1
fi
echo "peer venv ready at $VENV"
print_versions
