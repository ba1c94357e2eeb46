"""`curate tokens`: n_tokens from a tokenizer file, its errors, and `stats`/`report` using it."""

from __future__ import annotations

import base64
import itertools
import json
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import manifest, read_rows, run

tokenizers = pytest.importorskip("tokenizers")

TEXTS = [
    "the cat sat on the mat",
    "a dog and a cat met on a mat by the door",
    "",
    None,
    "tokens are what a model sees",
]


@pytest.fixture(scope="module")
def tokenizer_json(tmp_path_factory):
    """A tiny byte-level BPE trained here, whose post-processor adds <s> and </s>."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(
        vocab_size=300,
        special_tokens=["<s>", "</s>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator([t for t in TEXTS if t] * 20, trainer)
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        special_tokens=[("<s>", tok.token_to_id("<s>")), ("</s>", tok.token_to_id("</s>"))],
    )
    path = tmp_path_factory.mktemp("tok") / "tiny" / "tokenizer.json"
    path.parent.mkdir()
    tok.save(str(path))
    return path


def docs(tmp_path, texts=TEXTS, sources=None):
    path = tmp_path / "docs.parquet"
    ids = [f"d{i}" for i in range(len(texts))]
    cols = {"id": ids, "text": pa.array(texts, pa.large_string())}
    if sources:
        cols["source"] = sources
    pq.write_table(pa.table(cols), path)
    return path


def test_counts_equal_the_tokenizers_own_with_its_post_processor(tmp_path, tokenizer_json):
    from tokenizers import Tokenizer

    out = tmp_path / "counted"
    r = run("tokens", docs(tmp_path), "-o", out, "--tokenizer", tokenizer_json)
    assert r.exit_code == 0, r
    tok = Tokenizer.from_file(str(tokenizer_json))
    want = [len(tok.encode(t).ids) if t is not None else None for t in TEXTS]
    assert [row["n_tokens"] for row in read_rows(out)] == want
    assert want[2] == 2  # the empty text still gets <s> and </s>
    m = manifest(out)
    step = m["lineage"][-1]
    assert step["tokenizer"]["name"] == "tiny" and step["tokenizer"]["kind"] == "huggingface"
    assert len(step["tokenizer"]["sha256"]) == 64
    assert step["totals"]["tokens"] == sum(w for w in want if w is not None)
    assert pq.read_schema(out / m["shards"][0]["name"]).field("n_tokens").type == pa.int64()


def test_stats_and_report_use_token_totals(tmp_path, tokenizer_json):
    texts = ["the cat sat on the mat"] * 3 + ["a dog by the door"] * 2
    src = docs(tmp_path, texts, sources=["a", "a", "a", "b", "b"])
    out = tmp_path / "counted"
    assert run("tokens", src, "-o", out, "--tokenizer", tokenizer_json).exit_code == 0
    r = run("stats", out, "--json")
    s = json.loads(r.stdout)
    n = [row["n_tokens"] for row in read_rows(out)]
    assert s["tokens"] == sum(n)
    assert s["tokens_by_source"] == {"a": sum(n[:3]), "b": sum(n[3:])}
    assert "tokens per source" in run("stats", out).stdout
    rep = tmp_path / "report"
    assert run("report", out, "-o", rep).exit_code == 0
    eu = json.loads((rep / "eu_summary.json").read_text())
    size = eu["1_general"]["1.3_modalities_and_size"]
    assert size["tokens"] == sum(n)
    assert size["text_size_bin"] == "less than 1 billion tokens"
    assert "measured from column n_tokens" in (rep / "eu_summary.md").read_text()


def test_report_says_when_size_is_estimated_from_words(tmp_path):
    rep = tmp_path / "report"
    assert run("report", docs(tmp_path), "-o", rep).exit_code == 0
    size = json.loads((rep / "eu_summary.json").read_text())["1_general"]["1.3_modalities_and_size"]
    assert size["text_size_bin"] is None and size["tokens"] is None
    assert "estimated from words" in (rep / "eu_summary.md").read_text()


def tiktoken_file(path):
    """A BPE file of r50k_base's size (50,256 ranks): every byte, then letter pairs..."""
    toks = [bytes([i]) for i in range(256)]
    letters = b"abcdefghijklmnopqrstuvwxyz "
    for n in (2, 3, 4):
        for combo in itertools.product(letters, repeat=n):
            if len(toks) == 50256:
                break
            toks.append(bytes(combo))
    path.write_bytes(b"".join(base64.b64encode(t) + b" %d\n" % i for i, t in enumerate(toks)))
    return path


def test_tiktoken_bpe_file_counts_offline(tmp_path):
    tiktoken = pytest.importorskip("tiktoken")
    bpe = tiktoken_file(tmp_path / "r50k_base.tiktoken")
    out = tmp_path / "counted"
    r = run("tokens", docs(tmp_path), "-o", out, "--tokenizer", bpe)
    assert r.exit_code == 0, r
    from curate.tokens import load, read_tokenizer

    enc = load(read_tokenizer(bpe))
    assert isinstance(enc, tiktoken.Encoding)
    want = [len(enc.encode_ordinary(t)) if t is not None else None for t in TEXTS]
    assert [row["n_tokens"] for row in read_rows(out)] == want
    assert want[0] > 0 and want[2] == 0
    assert manifest(out)["lineage"][-1]["tokenizer"]["name"] == "r50k_base"


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (None, "missing.json", "no such file"),
        (b'{"version": ', "broken.json", "not a valid JSON file"),
        (b'{"model": 3}', "odd.json", "not a Hugging Face tokenizer.json"),
        (b"hello there\n", "vocab.txt", "neither a tokenizer.json nor a tiktoken BPE file"),
    ],
)
def test_unreadable_tokenizer_exits_2_with_one_line(tmp_path, content, name, message):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    out = tmp_path / "counted"
    r = run("tokens", docs(tmp_path), "-o", out, "--tokenizer", path)
    assert r.exit_code == 2, r
    assert message in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not out.exists() or not (out / "_curate.json").exists()


def test_a_tokenizer_that_cannot_encode_exits_2_with_one_line(tmp_path, tokenizer_json):
    from tokenizers import Tokenizer, processors

    tok = Tokenizer.from_file(str(tokenizer_json))
    # a single-text template naming a second sequence: tokenizers panics on every encode
    tok.post_processor = processors.TemplateProcessing(single="$A:0 $B:1", pair="$A $B")
    broken = tmp_path / "broken" / "tokenizer.json"
    broken.parent.mkdir()
    tok.save(str(broken))
    out = tmp_path / "counted"
    r = run("tokens", docs(tmp_path), "-o", out, "--tokenizer", broken)
    assert r.exit_code == 2, r
    assert "cannot encode text" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert "Traceback" not in r.stderr
    assert not out.exists()


def test_missing_library_names_the_extra(tmp_path, tokenizer_json, monkeypatch):
    import curate.tokens

    monkeypatch.setitem(sys.modules, "tokenizers", None)  # import fails
    monkeypatch.setattr(curate.tokens, "_LOADED", {})
    r = run("tokens", docs(tmp_path), "-o", tmp_path / "o", "--tokenizer", tokenizer_json)
    assert r.exit_code == 2, r
    assert "curate[tokens]" in r.stderr


def test_counts_are_the_same_in_small_chunks(tokenizer_json, monkeypatch):
    from tokenizers import Tokenizer

    import curate.tokens

    # a literal <s> (an added token) sends a text to the encoder, which takes it in chunks
    texts = [f"{t} <s>" for t in TEXTS if t is not None] * 7
    tok = curate.tokens.read_tokenizer(tokenizer_json)
    monkeypatch.setattr(curate.tokens, "CHUNK_CHARS", 30)  # a few texts per call
    got = curate.tokens.count_tokens(tok, texts).tolist()
    ref = Tokenizer.from_file(str(tokenizer_json))
    assert got == [len(ref.encode(t).ids) for t in texts]


def test_worker_processes_count_the_same(tmp_path, tokenizer_json, real_workers):
    folder = tmp_path / "in"
    folder.mkdir()
    for k in range(2):
        pq.write_table(
            pa.table({"id": [f"{k}-{i}" for i in range(len(TEXTS))], "text": TEXTS}),
            folder / f"part{k}.parquet",
        )
    one, two = tmp_path / "one", tmp_path / "two"
    r = run("tokens", folder, "-o", one, "--tokenizer", tokenizer_json, "--workers", "1")
    assert r.exit_code == 0, r
    r = run("tokens", folder, "-o", two, "--tokenizer", tokenizer_json, "--workers", "2")
    assert r.exit_code == 0, r
    real_workers.assert_ran()
    assert read_rows(one) == read_rows(two)
    assert [row["n_tokens"] for row in read_rows(two)][: len(TEXTS)] == [
        row["n_tokens"] for row in read_rows(two)
    ][len(TEXTS) :]
