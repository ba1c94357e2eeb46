"""`curate tokens`: `n_tokens` per document, from a tokenizer file given by path.

Two kinds of file, both read offline (nothing is ever downloaded):

- a Hugging Face `tokenizer.json` (the `tokenizers` library). The count is what
  datatrove's `TokensCounter` gives with its defaults: `encode_batch` with the
  tokenizer's own post-processor, so special tokens it adds (BOS, EOS) are counted, and
  its truncation, if the file sets one, applies. Where that count is a sum over the
  tokenizer's pre-tokenized pieces (byte-level BPEs: GPT-2, Llama 3, Qwen...), each
  distinct piece is encoded once per process (`curate.token_pieces`); otherwise
  `encode_batch_fast` (no character offsets) encodes, and `len(encoding)` counts
  without building a Python list of ids.
- a tiktoken BPE file (`cl100k_base.tiktoken`, `o200k_base.tiktoken`, ...): lines of
  base64 token and rank. Such a file holds no split pattern, so the encoding's name
  (by default the file's name without extension) picks tiktoken's own pattern and
  special tokens for it; text is encoded as ordinary text (`encode_ordinary_batch`).

The step carries the file's bytes to the workers (so every host counts with the same
tokenizer) and each process builds the tokenizer once.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from curate.errors import CurateError
from curate.step import BatchOutput, MapResult, run_map
from curate.token_pieces import PieceCounter

NO_TEXT = "documents without text"
EXTRA = "pip install 'curate[tokens]'"
# tiktoken's encodings whose file is a plain BPE ranks file (gpt2's is not)
TIKTOKEN_NAMES = ("r50k_base", "p50k_base", "p50k_edit", "cl100k_base", "o200k_base")


@dataclass(frozen=True)
class TokenizerFile:
    """A tokenizer read from disk: its bytes, kind and what the manifest records."""

    content: bytes = field(repr=False)
    kind: str  # "huggingface" | "tiktoken"
    name: str
    path: str
    sha256: str

    def describe(self) -> dict[str, Any]:
        return {"path": self.path, "name": self.name, "kind": self.kind, "sha256": self.sha256}


def read_tokenizer(path: str | Path, name: str | None = None) -> TokenizerFile:
    """Read and check a tokenizer file; exit 2 with one line when it is not usable."""
    p = Path(path)
    try:
        content = p.read_bytes()
    except FileNotFoundError:
        raise CurateError(f"--tokenizer {path}: no such file") from None
    except IsADirectoryError:
        raise CurateError(
            f"--tokenizer {path}: is a folder; give the tokenizer.json file inside it"
        ) from None
    except OSError as exc:
        raise CurateError(f"--tokenizer {path}: cannot be read ({exc.strerror})") from None
    sha = hashlib.sha256(content).hexdigest()
    head = content.lstrip()[:1]
    if head == b"{":
        tok = TokenizerFile(content, "huggingface", name or _hf_name(p), str(p), sha)
    else:
        tok = TokenizerFile(content, "tiktoken", name or p.name.split(".", 1)[0], str(p), sha)
    _check_encodes(tok, load(tok))  # in the driver: a malformed file, a missing library
    return tok


def _check_encodes(tok: TokenizerFile, model: Any) -> None:
    """Exit 2 with one line for a tokenizer that loads but cannot encode a text (a
    post-processor template naming a second sequence panics inside `tokenizers`)."""
    try:
        with _rust_panics_silenced():
            if tok.kind == "huggingface":
                model.encode("a check, 123")
            else:
                model.encode_ordinary("a check, 123")
    except BaseException as exc:  # tokenizers' panics are BaseExceptions
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            raise
        why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise CurateError(f"--tokenizer {tok.path}: cannot encode text ({why})") from None


@contextmanager
def _rust_panics_silenced() -> Iterator[None]:
    """Standard error closed at the file-descriptor level for a moment: a panic inside
    `tokenizers` prints its own lines there (and a backtrace with RUST_BACKTRACE) before
    Python sees it, and the user should read one line, curate's."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _hf_name(p: Path) -> str:
    """`models/llama-3/tokenizer.json` -> `llama-3`; `gpt2.json` -> `gpt2`."""
    if p.name == "tokenizer.json" and p.parent.name:
        return p.parent.name
    return p.name.split(".", 1)[0]


_LOADED: dict[str, Any] = {}  # sha256 -> tokenizer, per process


def load(tok: TokenizerFile) -> Any:
    """The tokenizer object for `tok` (built once per process)."""
    got = _LOADED.get(tok.sha256)
    if got is None:
        got = _load_hf(tok) if tok.kind == "huggingface" else _load_tiktoken(tok)
        _LOADED[tok.sha256] = got
    return got


def _load_hf(tok: TokenizerFile) -> Any:
    try:
        from tokenizers import Tokenizer
    except ImportError:
        raise CurateError(
            f"reading a tokenizer.json needs the `tokenizers` library: {EXTRA}"
        ) from None
    try:
        text = tok.content.decode("utf-8")
        json.loads(text)
    except ValueError as exc:
        raise CurateError(f"--tokenizer {tok.path}: not a valid JSON file ({exc})") from None
    try:
        return Tokenizer.from_str(text)
    except Exception as exc:  # noqa: BLE001 - the Rust side raises a bare Exception
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise CurateError(
            f"--tokenizer {tok.path}: not a Hugging Face tokenizer.json ({first})"
        ) from None


def _load_tiktoken(tok: TokenizerFile) -> Any:
    try:
        import tiktoken
        import tiktoken_ext.openai_public as openai_public
    except ImportError:
        raise CurateError(
            f"reading a tiktoken BPE file needs the `tiktoken` library: {EXTRA}"
        ) from None
    if tok.name not in TIKTOKEN_NAMES:
        raise CurateError(
            f"--tokenizer {tok.path}: neither a tokenizer.json nor a tiktoken BPE file of a "
            f"known encoding ({', '.join(TIKTOKEN_NAMES)}); name the file after its encoding "
            "or pass --encoding NAME"
        )
    ranks = _bpe_ranks(tok)
    # tiktoken's constructor for the encoding gives its split pattern and special tokens;
    # its ranks come from our file instead of the download it would start
    original = openai_public.load_tiktoken_bpe
    try:
        openai_public.load_tiktoken_bpe = lambda *_a, **_k: ranks
        spec = openai_public.ENCODING_CONSTRUCTORS[tok.name]()
    finally:
        openai_public.load_tiktoken_bpe = original
    expected = spec.get("explicit_n_vocab")
    if expected is not None and len(ranks) + len(spec["special_tokens"]) != expected:
        raise CurateError(
            f"--tokenizer {tok.path}: holds {len(ranks):,} tokens, but {tok.name} has "
            f"{expected - len(spec['special_tokens']):,}; is it the right file (--encoding)?"
        )
    try:
        return tiktoken.Encoding(**spec)
    except Exception as exc:  # noqa: BLE001 - the Rust side raises a bare Exception
        why = str(exc) or type(exc).__name__
        raise CurateError(f"--tokenizer {tok.path}: not a usable BPE file ({why})") from None


def _bpe_ranks(tok: TokenizerFile) -> dict[bytes, int]:
    """The ranks of a tiktoken BPE file ("base64-token rank" a line), checked."""
    import base64
    import binascii

    ranks: dict[bytes, int] = {}
    for lineno, line in enumerate(tok.content.splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split()
        try:
            if len(parts) != 2:
                raise ValueError
            ranks[base64.b64decode(parts[0], validate=True)] = int(parts[1])
        except (ValueError, binascii.Error):
            raise CurateError(
                f"--tokenizer {tok.path}:{lineno}: neither a tokenizer.json nor a tiktoken BPE "
                "file (expected `base64-token rank` lines)"
            ) from None
    if not ranks:
        raise CurateError(f"--tokenizer {tok.path}: empty file")
    return ranks


# Rows a batch: a part of a cut shard is 4,000 rows (`curate.parts`), ~2 s of counting
# web pages on one core, so a shard of 15,000 pages keeps two workers busy
BATCH_ROWS = 2_000
CHUNK_CHARS = 1 << 20  # text encoded at once: an encoding holds ~100 bytes a token


def count_tokens(tok: TokenizerFile, texts: list[str]) -> np.ndarray:
    """Tokens of each text (int64), with the tokenizer's defaults (see the module doc).

    A tokenizer.json whose count is a sum over its pre-tokenized pieces is counted a
    piece at a time (`curate.token_pieces`: the same counts, about three times faster);
    the rest, and the texts that shortcut declines, go to the encoder.
    """
    model = load(tok)
    if tok.kind == "huggingface":
        encode = getattr(model, "encode_batch_fast", model.encode_batch)
        counter = _piece_counter(tok)
        if counter is not None:
            return counter.count(texts, lambda whole: _encoded_counts(encode, whole))
    else:
        encode = model.encode_ordinary_batch
    return _encoded_counts(encode, texts)


_PIECE_COUNTERS: dict[str, PieceCounter | None] = {}  # sha256 -> counter, per process


def _piece_counter(tok: TokenizerFile) -> PieceCounter | None:
    if tok.sha256 not in _PIECE_COUNTERS:
        _PIECE_COUNTERS[tok.sha256] = PieceCounter.for_tokenizer(load(tok))
    return _PIECE_COUNTERS[tok.sha256]


def _encoded_counts(encode: Any, texts: list[str]) -> np.ndarray:
    """Counts from the tokenizer's own batch encoder, in chunks of about `CHUNK_CHARS`.

    Every encoding of a call lives until the call returns (ids, tokens, offsets...), so a
    batch of 10,000 long pages at once took a gigabyte.
    """
    out = np.empty(len(texts), np.int64)
    start = 0
    while start < len(texts):
        end, size = start, 0
        while end < len(texts) and (end == start or size + len(texts[end]) <= CHUNK_CHARS):
            size += len(texts[end])
            end += 1
        out[start:end] = np.fromiter(map(len, encode(texts[start:end])), np.int64, end - start)
        start = end
    return out


@dataclass(frozen=True)
class TokensStep:
    """Adds `n_tokens` (int64; null where the text is null)."""

    tokenizer: TokenizerFile
    name: str = field(default="tokens", init=False)

    def params(self) -> dict[str, Any]:
        return {"tokenizer": self.tokenizer.describe()}

    def output_schema(self, schema: pa.Schema) -> pa.Schema:
        return pa.schema([f for f in schema if f.name != "n_tokens"] + [_FIELD])

    def rejected_schema(self, schema: pa.Schema) -> pa.Schema | None:
        return None  # counting never removes a document

    def process(self, table: pa.Table) -> BatchOutput:
        col = table["text"]
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            texts = col.to_pylist()
        else:
            texts = [None] * table.num_rows
        valid = [t for t in texts if isinstance(t, str)]
        counts = count_tokens(self.tokenizer, valid) if valid else np.empty(0, np.int64)
        mask = np.fromiter((isinstance(t, str) for t in texts), bool, len(texts))
        full = np.zeros(len(texts), np.int64)
        full[mask] = counts
        n_tokens = pa.array(full, pa.int64(), mask=~mask)
        out = table.drop_columns(["n_tokens"]) if "n_tokens" in table.column_names else table
        out = out.append_column(_FIELD, n_tokens)
        totals = {"tokens": float(counts.sum()), NO_TEXT: float(len(texts) - len(valid))}
        return BatchOutput(out, None, {}, totals)


_FIELD = pa.field("n_tokens", pa.int64())


def tokens(
    source: str | Path,
    output: str | Path,
    *,
    tokenizer: str | Path,
    encoding: str | None = None,
    workers: int | None = None,
    executor: Any = None,
    overwrite: bool = False,
    console: Any = None,
) -> MapResult:
    """Count each document's tokens into `n_tokens` (docs/tokens.md)."""
    tok = read_tokenizer(tokenizer, encoding)
    return run_map(
        TokensStep(tok),
        source,
        output,
        workers=workers,
        executor=executor,
        overwrite=overwrite,
        console=console,
        batch_rows=BATCH_ROWS,
        extra_lineage={"tokenizer": tok.describe()},
        extra_inputs=[("--tokenizer", str(tokenizer))],
    )
