"""`curate decontaminate` vs datatrove's `NGramsDecontFilter`: same flags, recall, docs/s.

The data is built here, in one seeded run, from real text under evaldata:

* **corpus**: English web and document pages: DCLM's labelled pages, the fast-detect-gpt
  human and machine texts, and the English pages of the Debian installation guide
  (`--quick`: a third of them);
* **benchmark items**: 300 question/answer pairs made of real English web sentences
  (lingua's Leipzig test sentences, never part of the corpus): a question of two
  sentences, an answer of one;
* **planted copies** of 200 items in corpus pages, 50 of each kind: the whole item, the
  item lower-cased, the item re-punctuated (its punctuation dropped, a comma every four
  words), and the question alone embedded in the middle of a long page (three pages
  joined);
* **hard negatives**: 200 pages into which three phrases of items, of at most 8 words,
  are inserted at sentence boundaries (shared phrases, never 13 words in a row).

Both tools get the same items (question and answer joined by a space), n = 13 and their
default normalisation. datatrove's index is built as its `NGramsDecontIndexer` builds it
(that class downloads lighteval tasks, so its `compute_hashes` logic is applied to our
items, and the hashes are written where `NGramsDecontFilter` reads them). Timing: for
datatrove, its filter's loop over in-memory `Document`s (index loading included; no
reading or writing); for curate, the whole command (`--workers 1`, one process as
datatrove's loop: start-up, index build, Parquet read and write included). Both wall
time and CPU time are reported: on a shared machine the CPU time is the steadier one.

    python benchmarks/decontaminate.py [EVALDATA_DIR] [--quick]
"""

from __future__ import annotations

import argparse
import gzip
import json
import lzma
import random
import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    DEFAULT_EVALDATA,
    curate_bin,
    package_versions,
    peer_python,
    print_machine,
    print_table,
    ratio,
    run_or_exit,
)

N = 13
KINDS = ("whole", "lower", "repunct", "embedded")

PEER = r"""
import json, sys, time
from pathlib import Path
import numpy as np
from datatrove.data import Document
from datatrove.pipeline.decont import NGramsDecontFilter
from datatrove.pipeline.decont.n_grams import NGramsDecontConfig
from datatrove.utils.hashing import create_hash_func
from datatrove.utils.text import ngrams, simplify_text
from datatrove.utils.word_tokenizers import load_word_tokenizer

work = Path(sys.argv[1])
config = NGramsDecontConfig(n_grams=int(sys.argv[2]), find_query_ngrams=True)
tok = load_word_tokenizer("en")
hash_func = create_hash_func(config.hash_config)
hashes = set()
for line in open(work / "items.jsonl"):
    item = json.loads(line)
    text = item["question"] + " " + item["answer"]
    words = tok.word_tokenize(simplify_text(text, config.norm_config))
    hashes.update(map(hash_func, map(" ".join, ngrams(words, config.n_grams))))
index = work / "dt_index"
index.mkdir(exist_ok=True)
np.array(sorted(hashes), dtype=config.hash_config.np_descr).tofile(index / "quiz.index.hashes")
docs = [Document(text=r["text"], id=r["id"]) for r in map(json.loads, open(work / "corpus.jsonl"))]
flt = NGramsDecontFilter(str(index), config=config)
t0, c0 = time.perf_counter(), time.process_time()
flagged = [d.id for d in docs if flt.filter(d) is not True]
seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
json.dump({"flagged": flagged, "seconds": seconds, "cpu": cpu}, open(work / "dt_out.json", "w"))
"""


def load_corpus(evaldata: Path, quick: bool) -> list[str]:
    texts: list[str] = []
    with gzip.open(evaldata / "text/dclm_quality_labels/majority_data.jsonl.gz", "rt") as fh:
        texts += [json.loads(line)["text"] for line in fh]
    with gzip.open(evaldata / "ai_generated/fast-detect-gpt_labeled.jsonl.gz", "rt") as fh:
        texts += [json.loads(line)["text"] for line in fh]
    with lzma.open(evaldata / "text/debian_installguide_neardup/docs.jsonl.xz", "rt") as fh:
        for line in fh:
            row = json.loads(line)
            if row["lang"] == "en":
                texts.append(row["text"])
    texts = list(dict.fromkeys(t for t in texts if t and t.strip()))
    random.Random(0).shuffle(texts)
    return texts[: len(texts) // 3] if quick else texts


def load_items(evaldata: Path, k: int = 300) -> list[dict[str, str]]:
    sents: list[str] = []
    with gzip.open(evaldata / "langid/lingua_testdata.jsonl.gz", "rt") as fh:
        for line in fh:
            row = json.loads(line)
            if row["lang"] == "en" and row["kind"] == "sentences" and len(row["text"].split()) > 6:
                sents.append(row["text"])
    random.Random(1).shuffle(sents)
    return [
        {"question": sents[3 * i] + " " + sents[3 * i + 1], "answer": sents[3 * i + 2]}
        for i in range(k)
    ]


def insert_at_sentence(text: str, piece: str, rng: random.Random) -> str:
    """`piece` at a random sentence boundary of `text` (else at the end)."""
    cuts = [m.end() for m in re.finditer(r"[.!?]\s", text)]
    at = rng.choice(cuts) if cuts else len(text)
    return text[:at] + piece + " " + text[at:]


def repunctuate(text: str) -> str:
    words = re.sub(r"[^\w\s]", " ", text).split()
    return " ".join(w + ("," if i % 4 == 3 else "") for i, w in enumerate(words))


def build(corpus: list[str], items: list[dict[str, str]]):
    """(documents as {id, text}, planted id -> kind, hard-negative ids)."""
    rng = random.Random(2)
    docs = [{"id": f"c{i}", "text": t} for i, t in enumerate(corpus)]
    order = list(range(len(docs)))
    rng.shuffle(order)
    planted: dict[str, str] = {}
    for j in range(200):
        kind = KINDS[j % 4]
        item = items[j]
        whole = item["question"] + " " + item["answer"]
        d = docs[order[j]]
        if kind == "whole":
            d["text"] = insert_at_sentence(d["text"], whole, rng)
        elif kind == "lower":
            d["text"] = insert_at_sentence(d["text"], whole.lower(), rng)
        elif kind == "repunct":
            d["text"] = insert_at_sentence(d["text"], repunctuate(whole), rng)
        else:  # the question alone, in the middle of a long page
            a, b = docs[order[200 + j]]["text"], docs[order[400 + j]]["text"]
            d["text"] = d["text"] + "\n\n" + a + "\n\n" + item["question"] + "\n\n" + b
        planted[d["id"]] = kind
    negatives: list[str] = []
    for j in range(200):
        d = docs[order[600 + j]]
        for item in rng.sample(items[:200], 3):
            words = item["question"].split()
            start = rng.randrange(0, max(1, len(words) - 8))
            phrase = " ".join(words[start : start + 8])
            # 8 words as a reader counts them; `8&frac12;&times;5` alone is 6 once normalised
            while len(re.findall(r"\w+", phrase)) > 8:
                phrase = phrase.rsplit(" ", 1)[0]
            d["text"] = insert_at_sentence(d["text"], phrase, rng)
        negatives.append(d["id"])
    return docs, planted, negatives


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("evaldata", nargs="?", type=Path, default=DEFAULT_EVALDATA)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    peer = peer_python()
    corpus = load_corpus(args.evaldata, args.quick)
    items = load_items(args.evaldata)
    docs, planted, negatives = build(corpus, items)
    words = sum(len(d["text"].split()) for d in docs)
    with tempfile.TemporaryDirectory(prefix="bench-decont-") as tmp:
        work = Path(tmp)
        with open(work / "items.jsonl", "w") as fh:
            fh.writelines(json.dumps(it) + "\n" for it in items)
        with open(work / "corpus.jsonl", "w") as fh:
            fh.writelines(json.dumps(d) + "\n" for d in docs)
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(
            pa.table(
                {
                    "id": [d["id"] for d in docs],
                    "text": pa.array([d["text"] for d in docs], pa.large_string()),
                }
            ),
            work / "corpus.parquet",
        )
        (work / "peer.py").write_text(PEER)
        subprocess.run([str(peer), str(work / "peer.py"), str(work), str(N)], check=True)
        dt = json.loads((work / "dt_out.json").read_text())
        cmd = [
            curate_bin(), "decontaminate", work / "corpus.parquet", "-o", work / "out",
            "--against", work / "items.jsonl", "--fields", "question,answer",
            "--ngram", str(N), "--mode", "annotate", "--workers", "1", "--quiet",
        ]  # fmt: skip
        res = run_or_exit(cmd, name="curate decontaminate", log=work / "curate.log")
        table = pq.read_table(work / "out", columns=["id", "contaminated_by"]).to_pylist()
    cur = {r["id"] for r in table if r["contaminated_by"]}
    ref = set(dt["flagged"])
    union = cur | ref
    same = len(cur & ref) / len(union) if union else 1.0
    agree = sum((d["id"] in cur) == (d["id"] in ref) for d in docs) / len(docs)
    print_machine()
    v = package_versions(peer, ["datatrove", "spacy"])
    print(f"datatrove {v['datatrove']} (spaCy {v['spacy']}); n = {N}")
    print(f"{len(docs):,} documents, {words:,} words; {len(items)} benchmark items\n")
    rows = []
    for kind in KINDS:
        ids = [i for i, k in planted.items() if k == kind]
        rows.append(
            [
                f"planted: {kind}",
                len(ids),
                f"{sum(i in cur for i in ids) / len(ids):.3f}",
                f"{sum(i in ref for i in ids) / len(ids):.3f}",
            ]
        )
    rows.append(
        [
            "hard negatives (flagged)",
            len(negatives),
            sum(i in cur for i in negatives),
            sum(i in ref for i in negatives),
        ]
    )
    rows.append(["all documents flagged", len(docs), len(cur), len(ref)])
    print_table(["documents", "n", "curate", "datatrove"], rows, "recall and flags")
    cur_dps = len(docs) / res.wall_s
    dt_dps = len(docs) / dt["seconds"]
    cur_cpu = len(docs) / res.cpu_s
    dt_cpu = len(docs) / dt["cpu"]
    print_table(
        ["measure", "value"],
        [
            ["same documents flagged (|A∩B| / |A∪B|)", f"{same:.4f}"],
            ["same decision per document", f"{agree:.4f}"],
            ["flagged by curate only", len(cur - ref)],
            ["flagged by datatrove only", len(ref - cur)],
            ["curate docs/s (whole command, 1 process)", f"{cur_dps:,.0f}"],
            ["datatrove docs/s (filter loop only)", f"{dt_dps:,.0f}"],
            ["speed ratio curate / datatrove (wall)", ratio(cur_dps, dt_dps)],
            ["curate docs per CPU-second (whole command)", f"{cur_cpu:,.0f}"],
            ["datatrove docs per CPU-second (filter loop)", f"{dt_cpu:,.0f}"],
            ["speed ratio curate / datatrove (CPU)", ratio(cur_cpu, dt_cpu)],
            ["curate peak memory (MB)", f"{res.peak_rss / 2**20:,.0f}"],
        ],
        "agreement and speed",
    )


if __name__ == "__main__":
    main()
