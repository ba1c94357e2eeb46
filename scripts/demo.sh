#!/usr/bin/env bash
# The demo pipeline over sample_data/: ingest → filter → dedup → train-classifier (kept vs
# removed by the filter) → score → tag-synthetic → pii → report → check → show → export. Every output folder is a dataset you can open with `curate stats`.
set -euo pipefail
cd "$(dirname "$0")/.."
out=demo
rm -rf "$out"
step() { printf '\n\033[1m$ %s\033[0m\n' "$*" >&2; "$@"; }

step curate ingest sample_data/crawl.warc.gz --source sample-crawl \
  --sources sample_data/sources.toml -o "$out/raw" --rejected "$out/raw-rejected"
step curate ingest sample_data/forum.jsonl.gz --source sample-forum \
  --sources sample_data/sources.toml --text-field body --id-field post_id \
  --url-field thread_url --created-field posted_at -o "$out/raw" --append
step curate filter "$out/raw" -o "$out/filtered" --preset fineweb --config sample_data/filters.toml \
  --lang en,de,fr,es,ru,zh \
  --rejected "$out/filtered-rejected"
step curate dedup "$out/filtered" -o "$out/deduped" --clusters "$out/clusters" \
  --rejected "$out/duplicates"
step curate train-classifier --positive "$out/filtered" --negative "$out/filtered-rejected" \
  -o "$out/quality.bin"
step curate score "$out/deduped" -o "$out/scored" --model "$out/quality.bin" --column quality
step curate tag-synthetic "$out/scored" -o "$out/tagged"
step curate pii "$out/tagged" -o "$out/clean" --redact email,phone,ip
step curate stats "$out/clean"
step curate report "$out/clean" --sources sample_data/sources.toml -o "$out/report"
step curate check "$out/clean" --rules sample_data/checks.toml --junit "$out/checks.xml"
step curate show "$out/filtered-rejected" --limit 2 --max-chars 300
printf '\n\033[1m$ curate export %s --columns id,source,text | head -n 2\033[0m\n' "$out/clean" >&2
curate export "$out/clean" --columns id,source,text --quiet | head -n 2 | cut -c 1-160 >&2
step curate export "$out/clean" -o "$out/release" --format jsonl.zst --card "$out/report"
echo "report: $out/report/report.html  release: $out/release/ (dataset card: README.md)" >&2
