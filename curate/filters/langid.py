"""py3langid's language identifier, for a whole batch of documents at once.

py3langid scores a text by walking a byte automaton (an Aho-Corasick DFA over its
byte n-gram features) in a Python loop, one byte at a time: about 1 µs a byte, so
language ID alone cost more than all the quality filters together on web pages. This
module gives the same probabilities for a batch with NumPy:

* The automaton's state after any byte depends only on the last D bytes read, D being
  its deepest state's depth (6 for the bundled model; computed at load, not assumed):
  a state stands for the longest suffix of the input that is a prefix of a feature.
  So the state at every byte position of the whole batch comes from D vectorised
  steps, each reading the byte j positions back. The first D - 1 positions of each
  document read bytes of the document before it and are redone from state 0.
* Feature counts per document are a sparse (documents × features) matrix; the
  naive-Bayes scores are `log1p(counts) @ P(feature|class) + P(class)`, scaled by
  1 / sqrt(bytes) and normalised as py3langid does (`norm_probs=True`), and its two
  aliased labels are folded the same way.

tests/test_filter_language.py checks the probabilities against py3langid's own
`rank` (equal to ~1e-5, float32 summation order) on texts in many scripts.
"""

from __future__ import annotations

import unicodedata
from typing import Any

import numpy as np

# bytes per vectorised pass: arrays take ~60 bytes per text byte; 1 MB peaked at 65 MB
# and ran faster than 4 MB (214 MB), the arrays staying nearer the CPU caches
_CHUNK_BYTES = 1 << 20


class BatchLangid:
    """py3langid's bundled model, probabilities normalised over its languages."""

    def __init__(self) -> None:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        self._ident = ident
        self._nextmove = _as_numpy(ident.tk_nextmove)
        rows = _as_numpy(ident.tk_row).astype(np.int64)
        self._rowbase = rows << 8
        self._output = np.asarray(ident.tk_output, dtype=np.int64)
        self._depth = _max_depth(self._nextmove.reshape(-1, 256)[rows])
        # the state after any two bytes read from the start state, by (b1 << 8) | b2
        first = self._nextmove[self._rowbase[0] + np.arange(256)].astype(np.int64)
        pairs = self._rowbase[np.repeat(first, 256)] + np.tile(np.arange(256), 256)
        self._two = self._nextmove[pairs].astype(np.int64)
        self._ptc = np.asarray(ident.nb_ptc, dtype=np.float32)
        self._pc = np.asarray(ident.nb_pc, dtype=np.float32)
        classes = list(ident.nb_classes)
        # aliased labels (srl -> sr): the first column gets the sum, as py3langid does
        self._aliases = [(i, j) for i, j in ident._alias_pairs]
        dupes = {j for _, j in self._aliases}
        self._keep = np.array([k for k in range(len(classes)) if k not in dupes])
        self.labels = [classes[k] for k in self._keep]

    def probabilities(self, texts: list[str]) -> np.ndarray:
        """P(language | text) for each text (rows) and each of `labels` (columns)."""
        encoded = [_encode(t) for t in texts]
        lens = np.fromiter((len(b) for b in encoded), dtype=np.int64, count=len(encoded))
        out = np.empty((len(texts), len(self.labels)), dtype=np.float32)
        start = 0
        while start < len(encoded):
            stop, size = start, 0
            while stop < len(encoded) and (stop == start or size + lens[stop] <= _CHUNK_BYTES):
                size += int(lens[stop])
                stop += 1
            if size > _CHUNK_BYTES:  # one document longer than a pass: in windows
                counts = self._long_counts(encoded[start])
            else:
                counts = self._counts(encoded[start:stop], np.arange(stop - start), None)
            out[start:stop] = self._scores(counts, lens[start:stop])
            start = stop
        return out

    def top(self, texts: list[str], k: int = 5) -> list[list[tuple[str, float]]]:
        """The k most likely labels of each text, best first (py3langid's `rank()[:k]`)."""
        probs = self.probabilities(texts)
        order = np.argsort(-probs, axis=1, kind="stable")[:, :k]
        labels = self.labels
        return [
            [(labels[c], float(p[c])) for c in row]
            for p, row in zip(probs, order.tolist(), strict=True)
        ]

    def _counts(self, pieces: list[bytes], owner: np.ndarray, skip: np.ndarray | None) -> Any:
        """Feature counts (documents × features, sparse) of byte pieces.

        Piece k belongs to document `owner[k]` (non-decreasing); its first `skip[k]`
        bytes are context only: they set the automaton's state, their features are
        counted with the piece before.
        """
        from scipy.sparse import csc_matrix

        lens = np.fromiter((len(b) for b in pieces), dtype=np.int64, count=len(pieces))
        starts = np.cumsum(lens) - lens
        data = np.frombuffer(b"".join(pieces), dtype=np.uint8).astype(np.int64)
        features = self._output[self._states(data, starts, lens)]
        doc = np.repeat(owner, lens)
        hit = features >= 0
        if skip is not None:
            hit &= np.arange(len(data)) - np.repeat(starts, lens) >= np.repeat(skip, lens)
        # Column-major on purpose: the conversion is a stable counting sort, so each
        # feature's documents stay in order and summing duplicates needs no sort, and
        # the product then reads P(feature|class) row by row, in order.
        counts = csc_matrix(
            (np.ones(int(hit.sum()), dtype=np.float32), (doc[hit], features[hit])),
            shape=(int(owner[-1]) + 1 if len(owner) else 0, self._ptc.shape[0]),
        )
        counts.sum_duplicates()  # the count of each feature in each document
        return counts

    def _long_counts(self, data: bytes) -> Any:
        """Feature counts of one long document, a window at a time (memory ~ the window).

        A window starts depth-1 bytes early: the state at a byte depends only on the
        depth bytes ending there, so every byte's feature comes out as in one pass.
        """
        context = self._depth - 1
        total = None
        for s in range(0, len(data), _CHUNK_BYTES):
            lead = min(s, context)
            piece = data[s - lead : s + _CHUNK_BYTES]
            counts = self._counts([piece], np.zeros(1, np.int64), np.array([lead]))
            total = counts if total is None else total + counts
        return total

    def _scores(self, counts: Any, lens: np.ndarray) -> np.ndarray:
        """py3langid's normalised naive-Bayes probabilities from feature counts."""
        n_docs = counts.shape[0]
        counts = counts.copy()
        counts.data = np.log1p(counts.data)
        scores = np.asarray(counts @ self._ptc, dtype=np.float32) + self._pc
        has = np.bincount(counts.indices, minlength=n_docs) > 0
        scores[~has] = 0.0  # no feature: a uniform distribution, as py3langid
        scores *= (1.0 / np.sqrt(np.maximum(lens, 1))).astype(np.float32)[:, None]
        np.exp(scores - scores.max(axis=1, keepdims=True), out=scores)
        scores /= scores.sum(axis=1, keepdims=True)
        for i, j in self._aliases:
            scores[:, i] += scores[:, j]
        return scores[:, self._keep]

    def _states(self, data: np.ndarray, starts: np.ndarray, lens: np.ndarray) -> np.ndarray:
        """The automaton's state after each byte of `data` (documents back to back)."""
        n, depth = len(data), self._depth
        nextmove, rowbase = self._nextmove, self._rowbase
        back = np.zeros(n, dtype=np.int64)

        def shifted(j: int) -> np.ndarray:  # the byte j positions back (0 before the start)
            if j >= n:
                back[:] = 0
            else:
                back[j:] = data[: n - j]
                back[:j] = 0
            return back

        if depth >= 2:  # the first two steps from the start state in one lookup
            state = shifted(depth - 1) << 8
            state |= shifted(depth - 2)
            state = self._two[state]
            steps = range(depth - 3, -1, -1)
        else:
            state, steps = np.zeros(n, dtype=np.int64), range(depth - 1, -1, -1)
        for j in steps:  # read the byte j positions back
            state = nextmove[rowbase[state] + shifted(j)].astype(np.int64)
        # each document's first depth-1 positions read its predecessor's bytes: redo them
        offset = np.arange(depth - 1)
        inside = offset[None, :] < lens[:, None]
        heads = (starts[:, None] + offset[None, :])[inside]
        offs = np.broadcast_to(offset[None, :], inside.shape)[inside]
        redo = np.zeros(len(heads), dtype=np.int64)
        for j in range(depth - 1, -1, -1):
            idx = np.flatnonzero(offs >= j)
            redo[idx] = nextmove[rowbase[redo[idx]] + data[heads[idx] - j]]
        state[heads] = redo
        return state


def _encode(text: str) -> bytes:
    """The bytes py3langid scores: all-caps text lower-cased, NFC, UTF-8."""
    if text.isupper():
        text = text.lower()
    return unicodedata.normalize("NFC", text).encode("utf8", errors="surrogatepass")


def _as_numpy(arr: Any) -> np.ndarray:
    """A stdlib `array` of unsigned ints (py3langid's storage) as a NumPy view."""
    kinds = {2: np.uint16, 4: np.uint32, 8: np.uint64}
    return np.frombuffer(arr, dtype=kinds[arr.itemsize])


def _max_depth(transitions: np.ndarray) -> int:
    """Longest shortest path from the start state: the depth of the deepest state."""
    seen = np.zeros(len(transitions), dtype=bool)
    seen[0] = True
    frontier, depth = np.array([0]), 0
    while True:
        nxt = np.unique(transitions[frontier].ravel())
        nxt = nxt[~seen[nxt]]
        if len(nxt) == 0:
            return max(depth, 1)
        seen[nxt] = True
        frontier, depth = nxt, depth + 1
