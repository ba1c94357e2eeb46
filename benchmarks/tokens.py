"""`curate tokens` vs datatrove's `TokensCounter`: the same count on every document, docs/s.

Two tokenizers are trained here (the `tokenizers` library, offline), each a byte-level
BPE of 32,000 tokens on the benchmark's own text with a post-processor that adds `<s>`
before each document (so a count that skipped the post-processor would differ by one):
one splits text with `ByteLevel`'s own regex (GPT-2, RoBERTa), one with a `Split` step of
Llama 3's pattern before a plain `ByteLevel` (Llama 3, Qwen). The corpus is real text
from evaldata: DCLM's labelled pages, the fast-detect-gpt texts and the Debian
installation guide in its 19 languages (`--quick`: a fifth).

Two datatrove runs, both with `TokensCounter`'s defaults (batches of 10,000, no EOS
added): its whole pipeline as a user runs it (`ParquetReader` -> `TokensCounter` ->
`ParquetWriter` on `LocalPipelineExecutor`, the same Parquet file in and out as curate,
start-up included), and `TokensCounter(tokenizer_path).run(documents)` alone over
in-memory `Document`s, timed around that loop only. curate runs its whole command with
its defaults (a worker a core; datatrove's one task uses every core through
`tokenizers`' own threads). Wall and CPU time are both reported.

    python benchmarks/tokens.py [EVALDATA_DIR] [--quick]
"""

from __future__ import annotations

import argparse
import gzip
import json
import lzma
import random
import shutil
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

PEER = r"""
import json, sys, time
from pathlib import Path
from datatrove.data import Document
from datatrove.pipeline.tokens import TokensCounter

work = Path(sys.argv[1])
docs = [Document(text=r["text"], id=r["id"]) for r in map(json.loads, open(work / "corpus.jsonl"))]
counter = TokensCounter(str(work / "tokenizer.json"))
t0, c0 = time.perf_counter(), time.process_time()
counts = {d.id: d.metadata["token_count"] for d in counter.run(docs)}
seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
json.dump({"counts": counts, "seconds": seconds, "cpu": cpu}, open(work / "dt_out.json", "w"))
"""

PEER_PIPELINE = r"""
import sys
from pathlib import Path
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.readers import ParquetReader
from datatrove.pipeline.tokens import TokensCounter
from datatrove.pipeline.writers import ParquetWriter

work = Path(sys.argv[1])
LocalPipelineExecutor(
    pipeline=[
        ParquetReader(str(work / "in"), text_key="text", id_key="id"),
        TokensCounter(str(work / "tokenizer.json")),
        ParquetWriter(str(work / "dt_pipeline")),
    ],
    tasks=1,
    logging_dir=str(work / "dt_logs"),
).run()
"""


def load_corpus(evaldata: Path, quick: bool) -> list[str]:
    texts: list[str] = []
    with gzip.open(evaldata / "text/dclm_quality_labels/majority_data.jsonl.gz", "rt") as fh:
        texts += [json.loads(line)["text"] for line in fh]
    with gzip.open(evaldata / "ai_generated/fast-detect-gpt_labeled.jsonl.gz", "rt") as fh:
        texts += [json.loads(line)["text"] for line in fh]
    with lzma.open(evaldata / "text/debian_installguide_neardup/docs.jsonl.xz", "rt") as fh:
        texts += [json.loads(line)["text"] for line in fh]
    texts = [t for t in texts if t]
    random.Random(0).shuffle(texts)
    return texts[: len(texts) // 5] if quick else texts


# Llama 3's split pattern, as its tokenizer.json writes it
LLAMA3_SPLIT = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)
KINDS = {
    "byte-level BPE (GPT-2's split)": "gpt2",
    "Split + byte-level BPE (Llama 3's split)": "llama3",
}


def train_tokenizer(texts: list[str], path: Path, kind: str = "gpt2") -> None:
    from tokenizers import (
        Regex,
        Tokenizer,
        decoders,
        models,
        pre_tokenizers,
        processors,
        trainers,
    )

    tok = Tokenizer(models.BPE())
    if kind == "llama3":
        tok.pre_tokenizer = pre_tokenizers.Sequence(
            [
                pre_tokenizers.Split(Regex(LLAMA3_SPLIT), "isolated"),
                pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
            ]
        )
    else:
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=32_000,
        special_tokens=["<s>", "</s>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts[:3000], trainer)
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A", special_tokens=[("<s>", tok.token_to_id("<s>"))]
    )
    tok.save(str(path))


def compare(work: Path, peer: Path, n_docs: int) -> list[list[str]]:
    """datatrove's loop, datatrove's pipeline and curate on `work`'s tokenizer: the rows."""
    import pyarrow.parquet as pq

    for old in ("out", "dt_pipeline", "dt_logs"):
        shutil.rmtree(work / old, ignore_errors=True)
    subprocess.run([str(peer), str(work / "peer.py"), str(work)], check=True)
    dt = json.loads((work / "dt_out.json").read_text())
    dtp = run_or_exit(
        [peer, work / "peer_pipeline.py", work], name="datatrove", log=work / "dt.log"
    )
    dtp_counts = {
        r["id"]: r["metadata"]["token_count"]
        for r in pq.read_table(work / "dt_pipeline").to_pylist()
    }
    cmd = [
        curate_bin(), "tokens", work / "in" / "corpus.parquet", "-o", work / "out",
        "--tokenizer", work / "tokenizer.json", "--quiet",
    ]  # fmt: skip
    res = run_or_exit(cmd, name="curate tokens", log=work / "curate.log")
    rows = pq.read_table(work / "out", columns=["id", "n_tokens"]).to_pylist()
    ours = {r["id"]: r["n_tokens"] for r in rows}
    same = sum(ours[k] == v == dtp_counts[k] for k, v in dt["counts"].items())
    return [
        ["documents with the same count", f"{same:,} of {n_docs:,}"],
        ["tokens", f"{sum(ours.values()):,}"],
        ["curate docs/s (whole command)", f"{n_docs / res.wall_s:,.0f}"],
        ["datatrove docs/s (whole pipeline)", f"{n_docs / dtp.wall_s:,.0f}"],
        ["datatrove docs/s (TokensCounter loop only)", f"{n_docs / dt['seconds']:,.0f}"],
        ["speed ratio curate / datatrove pipeline (wall)", ratio(dtp.wall_s, res.wall_s)],
        ["speed ratio curate / datatrove loop (wall)", ratio(dt["seconds"], res.wall_s)],
        ["curate CPU-seconds", f"{res.cpu_s:.2f}"],
        ["datatrove pipeline CPU-seconds", f"{dtp.cpu_s:.2f}"],
        ["datatrove loop CPU-seconds", f"{dt['cpu']:.2f}"],
        ["speed ratio curate / datatrove pipeline (CPU)", ratio(dtp.cpu_s, res.cpu_s)],
        ["speed ratio curate / datatrove loop (CPU)", ratio(dt["cpu"], res.cpu_s)],
        ["curate peak memory (MB)", f"{res.peak_rss / 2**20:,.0f}"],
        ["datatrove pipeline peak memory (MB)", f"{dtp.peak_rss / 2**20:,.0f}"],
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("evaldata", nargs="?", type=Path, default=DEFAULT_EVALDATA)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    peer = peer_python()
    texts = load_corpus(args.evaldata, args.quick)
    docs = [{"id": f"c{i}", "text": t} for i, t in enumerate(texts)]
    mb = sum(len(t.encode()) for t in texts) / 2**20
    tables = []
    with tempfile.TemporaryDirectory(prefix="bench-tokens-") as tmp:
        work = Path(tmp)
        with open(work / "corpus.jsonl", "w") as fh:
            fh.writelines(json.dumps(d) + "\n" for d in docs)
        import pyarrow as pa
        import pyarrow.parquet as pq

        (work / "in").mkdir()
        pq.write_table(
            pa.table({"id": [d["id"] for d in docs], "text": pa.array(texts, pa.large_string())}),
            work / "in" / "corpus.parquet",
        )
        (work / "peer.py").write_text(PEER)
        (work / "peer_pipeline.py").write_text(PEER_PIPELINE)
        for title, kind in KINDS.items():
            train_tokenizer(texts, work / "tokenizer.json", kind)
            tables.append((title, compare(work, peer, len(docs))))
    print_machine()
    v = package_versions(peer, ["datatrove", "tokenizers"])
    mine = package_versions(sys.executable, ["tokenizers"])
    print(
        f"datatrove {v['datatrove']} (tokenizers {v['tokenizers']}); "
        f"curate's tokenizers {mine['tokenizers']}"
    )
    print(f"{len(docs):,} documents, {mb:,.1f} MB of text\n")
    for title, rows in tables:
        print_table(["measure", "value"], rows, f"{title}: token counts and speed")
        print()


if __name__ == "__main__":
    main()
