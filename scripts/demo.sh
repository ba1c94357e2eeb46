#!/usr/bin/env bash
# The demo pipeline over sample_data/: ingest → filter → dedup → decontaminate (against a
# small quiz written here) → train-classifier (kept vs removed by the filter) → score →
# tag-synthetic → pii → tokens (a tokenizer trained here, on the demo's own text) → report →
# check → show → export. Every output folder is a dataset you can open with `curate stats`.
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
# benchmark items to keep out of the corpus: the first quotes a forum post, the second
# occurs nowhere
mkdir -p "$out/evals"
cat > "$out/evals/quiz.jsonl" <<'ITEMS'
{"question": "Which sentence follows? The stock made from roast bones lasted the whole week on a cold weeknight, which surprised everyone.", "answer": "Straight from the freezer, our weekly vegetable box adds depth without shouting."}
{"question": "How long should a loaf of rye bread rest after baking before it is cut into slices?", "answer": "At least a full day, wrapped in linen."}
ITEMS
step curate decontaminate "$out/deduped" -o "$out/decontaminated" \
  --against "$out/evals/quiz.jsonl" --fields question,answer --rejected "$out/contaminated"
step curate train-classifier --positive "$out/filtered" --negative "$out/filtered-rejected" \
  -o "$out/quality.bin"
step curate score "$out/decontaminated" -o "$out/scored" --model "$out/quality.bin" \
  --column quality
step curate tag-synthetic "$out/scored" -o "$out/tagged"
step curate pii "$out/tagged" -o "$out/clean" --redact email,phone,ip
# token counts with a tiny byte-level BPE trained here on the demo's own text (offline;
# needs the extra curate[tokens])
final="$out/clean"
if python -c "import tokenizers" 2>/dev/null; then
  step python - "$out/clean" "$out/tokenizer.json" <<'TRAIN'
import sys

import pyarrow.dataset as pads
from tokenizers import Tokenizer, models, pre_tokenizers, trainers

texts = pads.dataset(sys.argv[1], format="parquet").to_table(columns=["text"])["text"]
tok = Tokenizer(models.BPE())
tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
trainer = trainers.BpeTrainer(
    vocab_size=2000, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False
)
tok.train_from_iterator((t for t in texts.to_pylist() if t), trainer)
tok.save(sys.argv[2])
TRAIN
  step curate tokens "$out/clean" -o "$out/counted" --tokenizer "$out/tokenizer.json"
  final="$out/counted"
else
  echo "skipping curate tokens: it needs the extra (pip install -e '.[tokens]')" >&2
fi
step curate stats "$final"
step curate report "$final" --sources sample_data/sources.toml -o "$out/report"
step curate check "$final" --rules sample_data/checks.toml --junit "$out/checks.xml"
step curate show "$out/filtered-rejected" --limit 2 --max-chars 300
printf '\n\033[1m$ curate export %s --columns id,source,text | head -n 2\033[0m\n' "$final" >&2
curate export "$final" --columns id,source,text --quiet | head -n 2 | cut -c 1-160 >&2
step curate export "$final" -o "$out/release" --format jsonl.zst --card "$out/report"
echo "report: $out/report/report.html  release: $out/release/ (dataset card: README.md)" >&2
