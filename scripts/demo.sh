#!/usr/bin/env bash
# The demo pipeline over sample_data/: every step of curate joins it as it is built.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-demo}
rm -rf "$out"
curate ingest sample_data/crawl.warc.gz --source sample-crawl --sources sample_data/sources.toml \
  -o "$out/raw" --rejected "$out/raw-rejected"
curate ingest sample_data/forum.jsonl.gz --source sample-forum --sources sample_data/sources.toml \
  --text-field body --id-field post_id --url-field thread_url --created-field posted_at \
  -o "$out/raw" --append --rejected "$out/raw-forum-rejected"
curate stats "$out/raw"
