"""The same commands on a real local Ray: the same bytes as local runs, every step.

A local Ray instance on 2 CPUs (the `ray_cluster` fixture) stands in for a cluster:
the tasks run in Ray's own worker processes, and the shards they write must be
byte-identical to those of local runs with one worker and with two.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import manifest, run, write_jsonl

pytestmark = pytest.mark.usefixtures("ray_cluster")

WORDS = (
    "the river ran quietly past the old mill where the miller kept his accounts and "
    "every morning he counted the sacks of flour and wrote the numbers in a ledger"
).split()


def _corpus(folder: Path, files: int = 4, rows: int = 60) -> Path:
    folder.mkdir()
    for f in range(files):
        docs = []
        for i in range(rows):
            n = 40 + (i * 7 + f) % 90
            text = " ".join(WORDS[(i + j * f) % len(WORDS)] for j in range(n))
            if i % 9 == 0:
                text = "short"
            if i % 11 == 0 and i:  # near duplicates across files
                text = " ".join(WORDS * 3) + f" tail {i % 3}"
            docs.append({"id": f"{f}-{i}", "text": text, "url": f"https://e.org/{f}/{i}"})
        write_jsonl(folder / f"part{f}.jsonl", docs)
    return folder


def _shards(folder: Path) -> dict[str, bytes]:
    return {s["name"]: (folder / s["name"]).read_bytes() for s in manifest(folder)["shards"]}


# the same command on one local process, two, and a 2-CPU Ray (labels name the outputs)
EXECUTORS = (
    ("local1", ("--workers", "1")),
    ("local2", ("--workers", "2")),
    ("ray", ("--workers", "2", "--executor", "ray")),
)


def _same_everywhere(tmp_path: Path, step: str, *args: object) -> dict[str, Path]:
    outs = {}
    for label, extra in EXECUTORS:
        out = tmp_path / f"{step}-{label}"
        r = run(step, *args, "-o", out, *extra, "-q")
        assert r.exit_code == 0, (label, r)
        outs[label] = out
    reference = _shards(outs["local1"])
    assert reference
    for label in ("local2", "ray"):
        assert _shards(outs[label]) == reference, label
        mine = manifest(outs[label])["lineage"][-1]
        ref = manifest(outs["local1"])["lineage"][-1]
        for key in ("rows_in", "rows_out", "removed"):
            assert mine.get(key) == ref.get(key), (label, key)
    last = manifest(outs["ray"])["lineage"][-1]
    assert last["executor"] == "ray" and last["hosts"] == 1
    assert manifest(outs["local2"])["lineage"][-1]["executor"] == "local"
    return outs


def test_ingest_filter_dedup_score_decontaminate_give_the_same_bytes_on_ray(tmp_path, monkeypatch):
    import curate.executor as executor_mod
    import curate.ingest.run as ingest_run

    monkeypatch.setattr(ingest_run, "MIN_TASK_BYTES", 1)  # several tasks
    monkeypatch.setattr(executor_mod, "SMALL_INPUT_DOCS", 0)  # processes, not threads
    monkeypatch.setattr(executor_mod, "IN_PROCESS_DOCS", 0)
    src = _corpus(tmp_path / "in")
    ing = _same_everywhere(tmp_path, "ingest", src, "--source", "s", "--shard-rows", "40")
    raw = ing["local1"]
    _same_everywhere(tmp_path, "filter", raw, "--preset", "gopher")
    dd = _same_everywhere(tmp_path, "dedup", raw, "--threshold", "0.7")
    assert manifest(dd["ray"])["lineage"][-1]["rows_out"] < manifest(raw)["rows"]
    _same_everywhere(tmp_path, "score", raw)
    items = write_jsonl(tmp_path / "quiz.jsonl", [{"text": " ".join(WORDS[:16])}])
    dc = _same_everywhere(tmp_path, "decontaminate", raw, "--against", items, "--mode", "annotate")
    assert manifest(dc["ray"])["lineage"][-1]["totals"]["contaminated by quiz"] > 0


def test_a_missing_extra_and_an_unreachable_cluster_are_one_line(tmp_path, monkeypatch):
    src = _corpus(tmp_path / "in", files=1, rows=5)
    monkeypatch.setitem(sys.modules, "ray", None)  # as if `curate[ray]` were not installed
    r = run("ingest", src, "-o", tmp_path / "o", "--source", "s", "--executor", "ray")
    assert r.exit_code == 2 and "pip install 'curate[ray]'" in r.stderr
    monkeypatch.delitem(sys.modules, "ray")
    env = {**os.environ, "CURATE_EXECUTOR": "ray", "RAY_ADDRESS": "127.0.0.1:9"}
    cmd = [
        sys.executable,
        "-m",
        "curate",
        "ingest",
        str(src),
        "-o",
        str(tmp_path / "o2"),
        "--source",
        "s",
    ]
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 2, p.stderr
    assert p.stderr.startswith("error: RAY_ADDRESS 127.0.0.1:9: no Ray cluster answers")
    assert p.stderr.count("\n") == 1
    r = run("ingest", src, "-o", tmp_path / "o3", "--source", "s", "--executor", "spark")
    assert r.exit_code == 2 and "unknown executor `spark`" in r.stderr
    assert not json.dumps(r.stderr).count("Traceback")


class _LengthStep:
    """A tiny map step for the fault tests: adds `n_chars`; can kill its worker once, or
    fail on one shard, the first time it meets it (marker files in `flags`)."""

    name = "lengths"

    def __init__(self, flags: str, crash_on: str = "", fail_on: str = "") -> None:
        self.flags, self.crash_on, self.fail_on = flags, crash_on, fail_on

    def params(self):
        return {}

    def output_schema(self, schema):
        import pyarrow as pa

        return schema.append(pa.field("n_chars", pa.int64()))

    def rejected_schema(self, schema):
        return None

    def process(self, table):
        import pyarrow as pa
        import pyarrow.compute as pc

        from curate.step import BatchOutput

        first = table.column("id")[0].as_py()
        for which, action in ((self.crash_on, "crash"), (self.fail_on, "fail")):
            flag = Path(self.flags) / f"{action}-{first}"
            if which and first == which and not flag.exists():
                flag.write_text("x")
                if action == "crash":
                    os._exit(1)  # the worker dies mid-unit
                raise RuntimeError("interrupted")  # the run stops here
        n = pc.utf8_length(table.column("text")).cast(pa.int64())
        return BatchOutput(table.append_column("n_chars", n))


def _raw(tmp_path: Path) -> Path:
    raw = tmp_path / "raw"
    src = _corpus(tmp_path / "in", files=3, rows=30)
    assert run("ingest", src, "-o", raw, "--source", "s", "--shard-rows", "10", "-q").exit_code == 0
    return raw


def test_a_worker_killed_mid_unit_on_ray_is_retried_and_the_output_is_identical(tmp_path):
    from curate.executor import LocalExecutor, make_executor
    from curate.step import run_map

    raw = _raw(tmp_path)
    first_ids = [b.column("id")[0].as_py() for b in _batches(raw)]
    clean = tmp_path / "clean"
    run_map(_LengthStep(str(tmp_path)), raw, clean, executor=LocalExecutor(1))
    out = tmp_path / "ray"
    step = _LengthStep(str(tmp_path), crash_on=first_ids[2])
    run_map(step, raw, out, executor=make_executor(2, backend="ray"))
    assert (tmp_path / f"crash-{first_ids[2]}").exists()  # it did die once
    assert _shards(out) == _shards(clean)


def test_a_run_interrupted_on_ray_resumes_to_the_same_output(tmp_path):
    from curate.executor import LocalExecutor, make_executor
    from curate.step import run_map

    raw = _raw(tmp_path)
    first_ids = [b.column("id")[0].as_py() for b in _batches(raw)]
    clean = tmp_path / "clean"
    run_map(_LengthStep(str(tmp_path)), raw, clean, executor=LocalExecutor(1))
    out = tmp_path / "ray"
    ray_ex = make_executor(2, backend="ray")
    with pytest.raises(RuntimeError, match="interrupted"):
        run_map(_LengthStep(str(tmp_path), fail_on=first_ids[4]), raw, out, executor=ray_ex)
    assert (out / "_curate.pending.json").exists() and not (out / "_curate.json").exists()
    run_map(_LengthStep(str(tmp_path), fail_on=first_ids[4]), raw, out, executor=ray_ex)
    assert _shards(out) == _shards(clean)


def _batches(ds: Path):
    from curate.dataset import open_dataset

    d = open_dataset(ds)
    return [next(d.shard_batches(s)) for s in d.shards]


# ------------------------------------------------------------- train-classifier, report

GOOD = "river mill bread flour village baker ledger morning history science".split()
BAD = "casino cheap click buy now free offer winner loan bonus".split()


def _parquet_folder(folder: Path, shards: list[dict[str, list]]) -> Path:
    """A bare Parquet dataset: one file a shard."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir()
    for i, columns in enumerate(shards):
        pq.write_table(pa.table(columns), folder / f"part-{i}.parquet")
    return folder


def _texts(words: list[str], n: int, seed: int) -> list[str]:
    import random

    rng = random.Random(seed)
    return [" ".join(rng.choice(words) for _ in range(rng.randint(8, 30))) for _ in range(n)]


def test_train_classifier_writes_the_same_training_file_and_model_on_every_executor(
    tmp_path, monkeypatch
):
    import curate.executor as executor_mod
    import curate.score.train as train_mod
    from curate.executor import LocalExecutor, make_executor
    from curate.score.params import TrainParams

    monkeypatch.setattr(executor_mod, "SMALL_INPUT_DOCS", 0)  # processes, not threads
    pos = _parquet_folder(
        tmp_path / "pos", [{"text": _texts(GOOD, 20 + 9 * i, i)} for i in range(3)]
    )
    neg = _parquet_folder(
        tmp_path / "neg", [{"text": _texts(BAD, 25 + 7 * i, 10 + i)} for i in range(2)]
    )
    train = train_mod._train
    files: dict[str, bytes] = {}
    cards: dict[str, dict] = {}
    for label, ex in (
        ("local1", LocalExecutor(1)),
        ("local2", LocalExecutor(2)),
        ("ray", make_executor(2, backend="ray")),
    ):

        def keep(txt, out, params, workers, label=label):
            files[label] = txt.read_bytes()
            train(txt, out, params, workers)

        monkeypatch.setattr(train_mod, "_train", keep)
        result = train_mod.train_classifier(
            tmp_path / label / "model.bin",
            positive=[str(pos)],
            negative=[str(neg)],
            params=TrainParams(epoch=5, dim=8, bucket=2000, seed=3),
            workers=1,  # one fastText thread: the same file trains the same model
            executor=ex,
        )
        cards[label] = result.card
    rows = cards["local1"]["data"]["rows"]
    assert sum(rows["train"].values()) + sum(rows["test"].values()) == 20 + 29 + 38 + 25 + 32
    assert files["local1"].count(b"\n") == sum(rows["train"].values())
    assert files["local1"].startswith(b"__label__positive ")
    for label in ("local2", "ray"):
        assert files[label] == files["local1"], label
    same = {"created", "data"}
    for label in ("local2", "ray"):
        card, ref = cards[label], cards["local1"]
        assert {k: v for k, v in card.items() if k not in same} == {
            k: v for k, v in ref.items() if k not in same
        }, label  # model_sha256 and the held-out metrics too
        assert {k: v for k, v in card["data"].items() if k not in ("executor", "hosts")} == {
            k: v for k, v in ref["data"].items() if k not in ("executor", "hosts")
        }
    assert cards["ray"]["data"]["executor"] == "ray" and cards["ray"]["data"]["hosts"] == 1
    assert cards["local2"]["data"]["executor"] == "local"


def test_train_classifier_with_a_label_column_on_ray(tmp_path):
    lab = _parquet_folder(
        tmp_path / "lab",
        [
            {"text": _texts(GOOD, 15, i) + _texts(BAD, 12, 20 + i), "label": [1] * 15 + [0] * 12}
            for i in range(3)
        ],
    )
    tiny = ("--epoch", "5", "--dim", "8", "--bucket", "2000", "-q")
    cards = {}
    for label, extra in (("local", ("--workers", "1")), ("ray", ("--executor", "ray"))):
        out = tmp_path / f"{label}.bin"
        r = run(
            "train-classifier", "--input", lab, "--label-column", "label", "-o", out, *tiny, *extra
        )
        assert r.exit_code == 0, r
        cards[label] = json.loads(out.with_suffix(".json").read_text())
    assert cards["ray"]["data"]["rows"] == cards["local"]["data"]["rows"]
    assert sum(cards["ray"]["data"]["rows"]["train"].values()) > 40
    assert cards["ray"]["positive_label"] == "__label__1"
    assert cards["ray"]["data"]["executor"] == "ray"


def _report_dataset(tmp_path: Path) -> Path:
    import datetime as dt

    shards = []
    for i in range(4):
        n = 12 + 5 * i
        shards.append(
            {
                "id": [f"{i}-{j}" for j in range(n)],
                "text": [
                    t + (f" write to someone{j}@example.org" if j % 4 == 0 else "")
                    for j, t in enumerate(_texts(GOOD + BAD, n, 40 + i))
                ],
                "source": ["web" if j % 3 else "forum" for j in range(n)],
                "url": [f"https://h{j % 5}.example.org/{i}/{j}" for j in range(n)],
                "lang": ["en", "de", "fr"][i % 3 : i % 3 + 1] * n,
                "quality": [((i * 31 + j * 17) % 100) / 100 for j in range(n)],
                "created": [
                    dt.datetime(2024, 1 + (i + j) % 12, 1, tzinfo=dt.UTC) for j in range(n)
                ],
            }
        )
    return _parquet_folder(tmp_path / "ds", shards)


def _report_files(folder: Path) -> tuple[dict[str, bytes], dict]:
    """The report's files with its timestamp blanked, and the executor facts it recorded."""
    doc = json.loads((folder / "report.json").read_text())
    stamp = doc["generated_at"].encode()
    files = {p.name: p.read_bytes().replace(stamp, b"T") for p in folder.iterdir()}
    doc["generated_at"] = "T"
    facts = {k: doc["measurements"].pop(k) for k in ("executor", "hosts")}
    files["report.json"] = json.dumps(doc, sort_keys=False).encode()
    return files, facts


def test_report_files_are_the_same_on_every_executor(tmp_path, monkeypatch):
    import curate.executor as executor_mod
    import curate.provenance.measure as measure_mod

    monkeypatch.setattr(executor_mod, "SMALL_INPUT_DOCS", 0)  # processes, not threads
    monkeypatch.setattr(measure_mod, "SAMPLE_ROWS", 7)  # samples merged from several shards
    monkeypatch.setattr(measure_mod, "SCAN_ROWS", 5)
    ds = _report_dataset(tmp_path)
    outs = {}
    for label, extra in EXECUTORS:
        out = tmp_path / f"report-{label}"
        r = run("report", ds, "-o", out, "-q", *extra)
        assert r.exit_code == 0, (label, r)
        outs[label] = _report_files(out)
    ref, facts = outs["local1"]
    assert facts == {"executor": "local", "hosts": 1}
    measured = json.loads(ref["report.json"])["measurements"]["per_source"]
    assert measured["web"]["documents"] + measured["forum"]["documents"] == 12 + 17 + 22 + 27
    assert measured["web"]["sample_size"] == 7 and measured["forum"]["sample_size"] == 7
    for label in ("local2", "ray"):
        files, _ = outs[label]
        assert files.keys() == ref.keys()
        for name in ref:
            assert files[name] == ref[name], (label, name)
    assert outs["ray"][1] == {"executor": "ray", "hosts": 1}


def test_a_failed_connect_to_an_explicit_address_says_how_to_send_the_token(tmp_path, monkeypatch):
    import socket

    import ray

    def refuse(*args, **kwargs):
        raise ConnectionError("Failed to connect to Ray cluster at the address")

    ds = _report_dataset(tmp_path)
    with socket.create_server(("127.0.0.1", 0)) as server:  # something answers there
        address = f"127.0.0.1:{server.getsockname()[1]}"
        monkeypatch.setattr(ray, "is_initialized", lambda: False)
        monkeypatch.setattr(ray, "init", refuse)
        monkeypatch.delenv("RAY_AUTH_MODE", raising=False)
        r = run("report", ds, "--ray-address", address)
        assert r.exit_code == 2
        assert r.stderr.startswith(f"error: could not reach the Ray cluster at {address}")
        assert r.stderr.count("\n") == 1
        assert "RAY_AUTH_MODE=token" in r.stderr and "~/.ray/auth_token" in r.stderr
        assert "--ray-address auto" in r.stderr
        monkeypatch.setenv("RAY_AUTH_MODE", "token")  # it was sent: no such advice
        r = run("report", ds, "--ray-address", address)
        assert r.exit_code == 2 and "RAY_AUTH_MODE" not in r.stderr

        def no_token(*args, **kwargs):  # what Ray raises in token mode without a token
            raise ray.exceptions.AuthenticationError(
                "Token authentication is enabled but no authentication token was found"
            )

        monkeypatch.setattr(ray, "init", no_token)
        r = run("report", ds, "--ray-address", address)
        assert r.exit_code == 2 and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
        assert "no authentication token was found; put the cluster's token" in r.stderr


def test_stats_are_the_same_on_every_executor(tmp_path, monkeypatch):
    import curate.executor as executor_mod

    monkeypatch.setattr(executor_mod, "SMALL_INPUT_DOCS", 0)  # processes, not threads
    ds = _report_dataset(tmp_path)
    outs = {}
    for label, extra in EXECUTORS:
        r = run("stats", ds, "--json", *extra)
        assert r.exit_code == 0, (label, r)
        outs[label] = r.stdout
    assert outs["local2"] == outs["local1"] and outs["ray"] == outs["local1"]
    s = json.loads(outs["ray"])
    assert s["documents"] == 78 and s["languages"] == {"en": 39, "fr": 22, "de": 17}
    assert s["length_chars"]["p100"] == max(
        len(t) for t in _parquet_texts(ds)
    )  # exact percentiles over every shard's lengths


def _parquet_texts(folder: Path) -> list[str]:
    import pyarrow.parquet as pq

    return [
        t for p in sorted(folder.glob("*.parquet")) for t in pq.read_table(p)["text"].to_pylist()
    ]
