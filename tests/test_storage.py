"""Datasets in an object store: the same answers as a local folder, the same guarantees.

A real S3-compatible server (moto in server mode) runs on 127.0.0.1 for the session;
curate finds it through `AWS_ENDPOINT_URL`, as it would a MinIO or Ceph endpoint.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SECRET, manifest, run, write_jsonl

from curate.dataset import MANIFEST, PENDING, UNITS, Store, open_dataset


def _sentence(rng: random.Random) -> str:
    words = [
        "".join(rng.choice("aeioulmnrstkpd") for _ in range(rng.randint(3, 8)))
        for _ in range(rng.randint(6, 12))
    ]
    return f"The {' '.join(words)} and the {rng.choice(words)}."


def _inputs(folder: Path, files: int = 3, rows: int = 40) -> Path:
    """Documents most filters keep, a few they remove, and near duplicates."""
    folder.mkdir()
    rng = random.Random(7)
    for f in range(files):
        docs = []
        for i in range(rows):
            text = "\n".join(_sentence(rng) for _ in range(rng.randint(8, 20)))
            if i % 8 == 0:
                text = "tiny"
            if i % 10 == 5 and docs:
                text = docs[-1]["text"] + " again"
            docs.append({"id": f"{f}-{i}", "text": text})
        write_jsonl(folder / f"p{f}.jsonl", docs)
    return folder


def _remote_shards(uri: str) -> dict[str, bytes]:
    store = Store(uri)
    m = json.loads(store.read_bytes(MANIFEST))
    return {s["name"]: store.read_bytes(s["name"]) for s in m["shards"]}


def _local_shards(folder: Path) -> dict[str, bytes]:
    return {s["name"]: (folder / s["name"]).read_bytes() for s in manifest(folder)["shards"]}


def test_a_chain_on_s3_gives_the_bytes_of_the_same_chain_on_disk(tmp_path, s3):
    src = _inputs(tmp_path / "in")
    steps = [
        ("ingest", [src, "--source", "s", "--shard-rows", "50"]),
        ("filter", ["{prev}", "--preset", "gopher"]),
        ("dedup", ["{prev}"]),
        ("score", ["{prev}"]),
        ("pii", ["{prev}"]),
    ]
    prev_local, prev_remote = None, None
    for step, args in steps:
        out_local, out_remote = tmp_path / step, s3(step)
        a_local = [prev_local if a == "{prev}" else a for a in args]
        a_remote = [prev_remote if a == "{prev}" else a for a in args]
        r = run(step, *a_local, "-o", out_local, "--workers", "1", "-q")
        assert r.exit_code == 0, (step, r)
        r = run(step, *a_remote, "-o", out_remote, "--workers", "1", "-q")
        assert r.exit_code == 0, (step, r)
        assert _remote_shards(out_remote) == _local_shards(out_local), step
        remote_last = json.loads(Store(out_remote).read_bytes(MANIFEST))["lineage"][-1]
        local_last = manifest(out_local)["lineage"][-1]
        for key in ("rows_in", "rows_out", "removed"):
            assert remote_last.get(key) == local_last.get(key), (step, key)
        prev_local, prev_remote = out_local, out_remote
    r = run("stats", prev_remote, "--json")
    assert r.exit_code == 0, r
    assert json.loads(r.stdout)["documents"] == manifest(prev_local)["rows"]
    r = run("report", prev_remote, "-o", tmp_path / "report")
    assert r.exit_code == 0, r
    checks = tmp_path / "checks.toml"
    checks.write_text(
        '[[check]]\nmetric = "documents"\nmin = 1\n\n[[check]]\nmetric = "mean"\n'
        'column = "q_word_count"\nmin = 1\n'
    )
    r = run("check", prev_remote, "--rules", checks)
    assert r.exit_code == 0, r


def test_an_interrupted_write_to_s3_resumes_and_is_never_read_as_complete(
    tmp_path, s3, monkeypatch
):
    import curate.step as step_mod

    src = _inputs(tmp_path / "in", files=4)
    raw = s3("raw")
    assert run("ingest", src, "-o", raw, "--source", "s", "--shard-rows", "30", "-q").exit_code == 0
    out = s3("filtered")
    real = step_mod.map_shard
    calls = []

    def killed_on_third(job):
        calls.append(job.shard.name)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(job)

    monkeypatch.setattr(step_mod, "map_shard", killed_on_third)
    r = run("filter", raw, "-o", out, "--preset", "c4", "--workers", "1", "-q")
    assert r.exit_code == 130
    store = Store(out)
    assert store.exists(PENDING) and not store.exists(MANIFEST)
    assert len(store.child(UNITS).list()) == 2  # one small marker a finished unit
    r = run("stats", out)
    assert r.exit_code == 2 and "unfinished output of `curate filter`" in r.stderr
    calls.clear()
    monkeypatch.setattr(step_mod, "map_shard", lambda job: (calls.append(job), real(job))[1])
    r = run("filter", raw, "-o", out, "--preset", "c4", "--workers", "1", "-q")
    assert r.exit_code == 0, r
    assert len(calls) == len(open_dataset(raw).shards) - 2  # the finished units are kept
    names = {e.name for e in store.list()}
    assert PENDING not in names and UNITS not in names and MANIFEST in names
    local = tmp_path / "local"
    assert run("filter", raw, "-o", local, "--preset", "c4", "-q").exit_code == 0
    assert _remote_shards(out) == _local_shards(local)


def test_a_bucket_folder_without_a_manifest_is_bare_parquet_not_a_dataset(tmp_path, s3):
    src = _inputs(tmp_path / "in", files=1)
    raw = s3("raw")
    assert run("ingest", src, "-o", raw, "--source", "s", "-q").exit_code == 0
    Store(raw).delete(MANIFEST)
    r = run("stats", raw, "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["lineage"] == []
    r = run("stats", s3("nothing-here"))
    assert r.exit_code == 2 and "no dataset here" in r.stderr


def test_overwrite_on_s3_removes_only_what_curate_wrote(tmp_path, s3):
    src = _inputs(tmp_path / "in", files=1)
    out = s3("ds")
    assert run("ingest", src, "-o", out, "--source", "s", "-q").exit_code == 0
    Store(out).write_bytes("notes.txt", b"precious")
    r = run("ingest", src, "-o", out, "--source", "t", "--overwrite")
    assert r.exit_code == 2 and "did not write (notes.txt)" in r.stderr
    assert Store(out).read_bytes("notes.txt") == b"precious"
    Store(out).delete("notes.txt")
    assert run("ingest", src, "-o", out, "--source", "t", "--overwrite", "-q").exit_code == 0
    assert json.loads(Store(out).read_bytes(MANIFEST))["sources"] == {"t": {}}


def test_no_secret_reaches_any_file_or_output(tmp_path, s3):
    src = _inputs(tmp_path / "in", files=1)
    out = s3("ds")
    env = {**os.environ}
    cmd = [sys.executable, "-m", "curate", "ingest", str(src), "-o", out, "--source", "s"]
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert p.returncode == 0, p.stderr
    r = run("filter", out, "-o", s3("f"), "--preset", "c4", "--rejected", tmp_path / "rej")
    assert r.exit_code == 0, r
    r2 = run("report", s3("f"), "-o", tmp_path / "report")
    assert r2.exit_code == 0, r2
    written = [p.stderr, p.stdout, r.stderr, r.stdout, r2.stderr]
    for uri in (out, s3("f")):
        store = Store(uri)
        written += [
            store.read_bytes(e.name).decode("latin-1") for e in store.list() if not e.is_dir
        ]
    written += [f.read_bytes().decode("latin-1") for f in tmp_path.rglob("*") if f.is_file()]
    assert not any(SECRET in text for text in written)
    assert not any("testing-key-id" in text for text in written)


@pytest.mark.parametrize("where", ["-o", "--rejected"])
def test_outputs_in_a_bucket_never_overlap_inputs_there(tmp_path, s3, where):
    src = _inputs(tmp_path / "in", files=1)
    raw = s3("raw")
    assert run("ingest", src, "-o", raw, "--source", "s", "-q").exit_code == 0
    args = ["-o", s3("raw/inner")] if where == "-o" else ["-o", s3("x"), "--rejected", raw]
    r = run("filter", raw, *args, "--preset", "c4")
    assert r.exit_code == 2 and "the input dataset" in r.stderr


def _damage(store: Store, damage: str) -> str:
    """Damage the second shard of the dataset in `store`; return what the error must say."""
    m = json.loads(store.read_bytes(MANIFEST))
    shard = m["shards"][1]
    name, data = shard["name"], store.read_bytes(shard["name"])
    if damage == "rows":  # the footer disagrees with the manifest: found only when read
        shard["rows"] -= 1
        store.write_bytes(MANIFEST, json.dumps(m).encode())
        return f"{name}: shard holds {shard['rows'] + 1} rows but _curate.json says"
    if damage == "garbage":  # same size, not Parquet: found only when read
        store.write_bytes(name, b"x" * len(data))
        return f"{name}: shard cannot be read"
    if damage == "cut":
        store.write_bytes(name, data[: len(data) // 2])
        return f"{name}: shard is {len(data) // 2:,} bytes but _curate.json says"
    store.delete(name)
    return f"{name}: shard listed in _curate.json is missing"


@pytest.mark.parametrize("damage", ["rows", "garbage", "cut", "missing"])
def test_a_damaged_shard_in_a_bucket_is_named_and_nothing_is_committed(tmp_path, s3, damage):
    src = _inputs(tmp_path / "in", files=3)
    raw = s3("raw")
    assert run("ingest", src, "-o", raw, "--source", "s", "--shard-rows", "40", "-q").exit_code == 0
    message = _damage(Store(raw), damage)
    out = s3("filtered")
    r = run("filter", raw, "-o", out, "--preset", "c4", "--workers", "2", "-q")
    assert r.exit_code == 2 and message in r.stderr, r
    assert r.stderr.startswith("error:") and r.stderr.count("\n") == 1
    assert not Store(out).exists(MANIFEST)  # never a complete-looking output of other rows
    r = run("stats", raw)
    assert r.exit_code == 2 and message in r.stderr, r


def test_a_dataset_in_a_bucket_opens_with_a_fixed_number_of_requests(tmp_path, s3, s3_requests):
    """Opening costs a listing and the manifest whatever the number of shards; reading a
    one-row-group shard costs a few requests (its size, its footer, one ranged GET for
    all its columns), not a few a column."""
    src = _inputs(tmp_path / "in", files=2, rows=40)
    counts = {}
    for shards in (2, 8):
        ds = s3(f"raw-{shards}")
        args = ("ingest", src, "-o", ds, "--source", "s", "--shard-rows", 80 // shards, "-q")
        assert run(*args).exit_code == 0
        before = s3_requests()
        opened = open_dataset(ds)
        after_open = s3_requests()
        rows = sum(b.num_rows for b in opened.iter_batches())
        counts[shards] = (after_open - before, s3_requests() - after_open)
        assert len(opened.shards) == shards and rows == 80
    assert counts[2][0] == counts[8][0] <= 3, counts
    assert counts[8][1] <= 3 * 8, counts


def test_a_chain_on_gcs_gives_the_bytes_of_the_same_chain_on_disk(tmp_path, gs):
    src = _inputs(tmp_path / "in")
    local_raw, local_out = tmp_path / "raw", tmp_path / "filtered"
    assert (
        run("ingest", src, "-o", local_raw, "--source", "s", "--shard-rows", "50", "-q").exit_code
        == 0
    )
    assert run("filter", local_raw, "-o", local_out, "--preset", "gopher", "-q").exit_code == 0
    raw, out = gs("raw"), gs("filtered")
    r = run("ingest", src, "-o", raw, "--source", "s", "--shard-rows", "50", "-q")
    assert r.exit_code == 0, r
    r = run("filter", raw, "-o", out, "--preset", "gopher", "--workers", "2", "-q")
    assert r.exit_code == 0, r
    assert _remote_shards(raw) == _local_shards(local_raw)
    assert _remote_shards(out) == _local_shards(local_out)
    assert len(_local_shards(local_out)) == 3
    r = run("stats", out, "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["documents"] == manifest(local_out)["rows"]


# --------------------------------------------------------------------------- network inputs


class _Flaky:
    """Per path: how many requests still get a 503 (transient) before the file is served."""

    failures: dict[str, int] = {}
    cuts: dict[str, int] = {}  # path -> bytes sent before the connection is cut (once)
    requests: list[str] = []


def _http_server(root: Path):  # noqa: C901 - one handler
    import functools
    import http.server
    import threading

    class Handler(http.server.SimpleHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the stdlib's name
            _Flaky.requests.append(self.path)
            left = _Flaky.failures.get(self.path, 0)
            if left:
                _Flaky.failures[self.path] = left - 1
                self.send_error(503, "try again")
                return
            cut = _Flaky.cuts.pop(self.path, None)
            if cut is not None:
                body = (root / self.path.lstrip("/")).read_bytes()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[:cut])
                self.wfile.flush()
                self.connection.shutdown(2)  # the connection drops mid-file
                self.close_connection = True
                return
            super().do_GET()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(root))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def web(tmp_path, monkeypatch):
    """A web server on 127.0.0.1 serving tmp_path/www; fast retries for the tests."""
    import curate.ingest.remote as remote

    monkeypatch.setattr(remote, "BACKOFF_S", 0.01)
    root = tmp_path / "www"
    root.mkdir()
    server = _http_server(root)
    _Flaky.failures, _Flaky.cuts, _Flaky.requests = {}, {}, []
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_ingest_reads_objects_in_a_bucket_as_it_reads_files(tmp_path, s3):
    from conftest import html_page, http_response, write_warc

    local = tmp_path / "in"
    local.mkdir()
    write_jsonl(local / "a.jsonl", [{"id": f"a{i}", "text": f"doc {i} " * 30} for i in range(50)])
    write_warc(
        local / "b.warc.gz",
        [
            {"uri": f"https://e.org/{i}", "payload": http_response(html_page(f"Page {i}").encode())}
            for i in range(5)
        ],
    )
    bucket = Store(s3("in"))
    for f in local.iterdir():
        bucket.write_bytes(f.name, f.read_bytes())
    out_local, out_s3 = tmp_path / "local", s3("raw")
    assert run("ingest", local, "-o", out_local, "--source", "s", "-q").exit_code == 0
    r = run("ingest", s3("in/*"), "-o", out_s3, "--source", "s", "-q")
    assert r.exit_code == 0, r
    assert _remote_shards(out_s3) == _local_shards(out_local)
    r = run("ingest", s3("in"), "-o", tmp_path / "by-prefix", "--source", "s", "-q")
    assert r.exit_code == 0 and _local_shards(tmp_path / "by-prefix") == _local_shards(out_local)


def test_https_inputs_are_retried_counted_per_file_and_listed_in_a_paths_file(tmp_path, web):
    import gzip

    root, base = web
    for name in ("a", "b"):
        sub = root / "crawl-data"
        sub.mkdir(exist_ok=True)
        write_jsonl(
            sub / f"{name}.jsonl.gz",
            [{"id": f"{name}{i}", "text": "x " * 40} for i in range(20)],
            gz=True,
        )
    _Flaky.failures["/crawl-data/a.jsonl.gz"] = 3  # transient: retried, then served
    paths = tmp_path / "paths.gz"
    paths.write_bytes(
        gzip.compress(
            b"crawl-data/a.jsonl.gz\n\ncrawl-data/b.jsonl.gz\ncrawl-data/missing.jsonl.gz\n"
        )
    )
    out = tmp_path / "out"
    r = run("ingest", "--paths-from", paths, "--base-url", base, "-o", out, "--source", "cc")
    assert r.exit_code == 0, r
    last = manifest(out)["lineage"][-1]
    assert last["rows_out"] == 40
    assert last["removed"] == {"unreadable_file": 1}  # the 404, named, not fatal
    assert _Flaky.requests.count("/crawl-data/a.jsonl.gz") == 4
    assert any("missing.jsonl.gz" in i for i in last["input"])
    # every input failing is an error: nothing could be read
    r = run("ingest", f"{base}/nope.jsonl", "-o", tmp_path / "none", "--source", "cc")
    assert r.exit_code == 2 and "no record could be read" in r.stderr
    assert "HTTP 404" in r.stderr or "unreadable_file: 1" in r.stderr


def test_a_connection_lost_mid_file_resumes_where_it_stopped(tmp_path, web):
    from curate.ingest.remote import HttpFile

    root, base = web
    data = os.urandom(300_000)
    (root / "blob.bin").write_bytes(data)
    _Flaky.cuts["/blob.bin"] = 120_000
    f = HttpFile(f"{base}/blob.bin", backoff=0.01)
    got = b""
    while chunk := f.read(50_000):
        got += chunk
    assert got == data and _Flaky.requests.count("/blob.bin") == 2
    f.seek(250_000)
    assert f.read() == data[250_000:]


def test_steps_on_ray_read_and_write_a_bucket_as_on_disk(tmp_path, s3):
    """Ray's workers (processes of a Ray started by the command, with the user's S3
    settings in their environment, as a cluster's nodes have theirs) read and write the
    bucket: the same bytes as one local process on local folders."""
    pytest.importorskip("ray")
    src = _inputs(tmp_path / "in", files=3, rows=400)  # 1,200: more than runs in-process
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    prev_local, prev_remote = src, src
    for step, extra in [
        ("ingest", ["--source", "s", "--shard-rows", "200"]),
        ("filter", ["--preset", "gopher"]),
        ("dedup", []),
    ]:
        out_local, out_remote = tmp_path / step, s3(step)
        r = run(step, prev_local, *extra, "-o", out_local, "--workers", "1", "-q")
        assert r.exit_code == 0, (step, r)
        ray_run = subprocess.run(
            [sys.executable, "-m", "curate", step, str(prev_remote), *extra, "-o", out_remote,
             "--executor", "ray", "--workers", "2", "-q"],
            env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert ray_run.returncode == 0, (step, ray_run.stderr[-3000:])
        assert _remote_shards(out_remote) == _local_shards(out_local), step
        last = json.loads(Store(out_remote).read_bytes(MANIFEST))["lineage"][-1]
        assert last["executor"] == "ray", step
        prev_local, prev_remote = out_local, out_remote
