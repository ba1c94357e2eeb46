"""`curate mix`: proportions, up- and down-sampling, determinism, splits, the shuffle."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import manifest, read_rows, run

from curate.dataset import write_table_dataset


def _source(path: Path, name: str, n: int, *, tokens: int | None = None, words: int = 40) -> Path:
    columns = {
        "id": [f"{name}-{i:05d}" for i in range(n)],
        "text": [f"{name} document {i} " + "lorem ipsum " * words for i in range(n)],
        "source": [name] * n,
    }
    if tokens is not None:
        columns["n_tokens"] = pa.array([tokens] * n, type=pa.int64())
    write_table_dataset(path, pa.table(columns), step="ingest", params={"name": name})
    return path


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    root = tmp_path_factory.mktemp("mix-sources")
    return {
        "web": _source(root / "web", "web", 4000, tokens=10),
        "code": _source(root / "code", "code", 1000, tokens=30),
    }


def _mix(sources, out, *extra):
    r = run(
        "mix", f"web={sources['web']}:0.5", f"code={sources['code']}:0.5", "-o", out,
        "--workers", "1", *extra,
    )  # fmt: skip
    assert r.exit_code == 0, r.stderr
    return r


def test_documents_by_weight_down_and_up_sampling(sources, tmp_path):
    out = tmp_path / "mix"
    _mix(sources, out, "--documents", "4000", "--seed", "3")
    rows = read_rows(out / "train", ["id", "mix_source", "mix_copy", "mix_copies"])
    per = Counter(r["mix_source"] for r in rows)
    # code: 1,000 documents for a share of 2,000 -> every one exactly twice
    assert per["code"] == 2000
    times = Counter(r["id"] for r in rows if r["mix_source"] == "code")
    assert set(times.values()) == {2}
    # web: 4,000 documents for 2,000 -> each kept with probability 1/2
    assert 1850 <= per["web"] <= 2150
    assert all(v == 1 for k, v in Counter(r["id"] for r in rows).items() if k.startswith("web"))
    # the columns say how many times each document appears, and which copy a row is
    for r in rows:
        assert r["mix_copies"] == times.get(r["id"], 1)
    assert sorted(r["mix_copy"] for r in rows if r["id"] == "code-00007") == [0, 1]


def test_default_size_takes_the_scarcest_source_whole_once(sources, tmp_path):
    out = tmp_path / "mix"
    _mix(sources, out)
    per = Counter(r["mix_source"] for r in read_rows(out / "train", ["mix_source"]))
    assert per["code"] == 1000  # rate 1: every code document once, none twice
    assert 900 <= per["web"] <= 1100


def test_tokens_by_weight(sources, tmp_path):
    out = tmp_path / "mix"
    r = run(
        "mix", f"web={sources['web']}:0.7", f"code={sources['code']}:0.3", "--tokens", "6e4",
        "-o", out, "--workers", "1",
    )  # fmt: skip
    assert r.exit_code == 0, r.stderr
    rows = read_rows(out / "train", ["mix_source", "n_tokens"])
    tokens = Counter()
    for row in rows:
        tokens[row["mix_source"]] += row["n_tokens"]
    # code: 30 tokens x 1,000 docs; its 18,000 are a rate of 0.6 (in expectation)
    assert abs(tokens["code"] - 18_000) <= 18_000 * 0.08
    # web: 10 tokens x 4,000 docs; its 42,000 need each once and 5% of them twice
    assert abs(tokens["web"] - 42_000) <= 42_000 * 0.02
    assert tokens["web"] > 40_000


def test_tokens_need_n_tokens(tmp_path):
    plain = _source(tmp_path / "plain", "plain", 10)
    r = run("mix", f"a={plain}:1", "--tokens", "100", "-o", tmp_path / "out")
    assert r.exit_code == 2
    assert "--tokens needs the column n_tokens" in r.stderr


def test_same_seed_same_mixture_whatever_the_workers_other_seed_other(
    sources, tmp_path, real_workers
):
    _mix(sources, tmp_path / "one", "--seed", "7", "--buffer-size", "1MiB")
    r = run(
        "mix", f"web={sources['web']}:0.5", f"code={sources['code']}:0.5", "-o",
        tmp_path / "two", "--workers", "2", "--seed", "7", "--buffer-size", "1MiB",
    )  # fmt: skip
    assert r.exit_code == 0, r.stderr
    real_workers.assert_ran()
    _mix(sources, tmp_path / "other", "--seed", "8", "--buffer-size", "1MiB")

    def ids(folder: Path) -> list[str]:
        return [r["id"] for r in read_rows(folder / "train", ["id"])]

    assert ids(tmp_path / "one") == ids(tmp_path / "two")
    for a, b in zip(
        sorted((tmp_path / "one" / "train").glob("*.parquet")),
        sorted((tmp_path / "two" / "train").glob("*.parquet")),
        strict=True,
    ):
        assert pq.read_table(a).equals(pq.read_table(b))
    assert ids(tmp_path / "other") != ids(tmp_path / "one")


def test_the_shuffle_is_global_and_spans_several_buckets(sources, tmp_path):
    out = tmp_path / "mix"
    _mix(sources, out, "--buffer-size", "1MiB", "--documents", "8000")
    shards = manifest(out / "train")["shards"]
    assert len(shards) >= 2  # the mixture was larger than the buffer
    ids = [r["id"] for r in read_rows(out / "train", ["id"])]
    head = ids[:200]
    assert {i.split("-")[0] for i in head} == {"web", "code"}
    assert head != sorted(head)
    # neighbours in the output are not neighbours in the input
    numbers = [int(i.split("-")[1]) for i in head if i.startswith("web")]
    steps = [abs(a - b) for a, b in zip(numbers, numbers[1:], strict=False)]
    assert sum(s == 1 for s in steps) < len(steps) / 10


def test_splits_hold_the_fraction_and_share_no_document(sources, tmp_path):
    out = tmp_path / "mix"
    _mix(sources, out, "--documents", "4000", "--split", "val=0.1", "--split", "test=0.05")
    train = {r["id"] for r in read_rows(out / "train", ["id"])}
    val = {r["id"] for r in read_rows(out / "val", ["id"])}
    test = {r["id"] for r in read_rows(out / "test", ["id"])}
    assert not train & val and not train & test and not val & test
    total = len(train) + len(val) + len(test)
    assert 0.07 < len(val) / total < 0.13
    assert 0.03 < len(test) / total < 0.07
    # every copy of a code document (each appears twice) sits in one split
    val_rows = read_rows(out / "val", ["id", "mix_source"])
    code_val = Counter(r["id"] for r in val_rows if r["mix_source"] == "code")
    assert set(code_val.values()) == {2}


def test_the_manifest_records_weights_seed_and_times(sources, tmp_path):
    out = tmp_path / "mix"
    _mix(sources, out, "--documents", "4000", "--seed", "5", "--split", "val=0.1")
    step = manifest(out / "train")["lineage"][-1]
    assert step["step"] == "mix" and step["seed"] == 5 and step["split"] == "train"
    assert step["params"]["splits"] == {"val": 0.1, "train": 0.9}
    code = step["mixture"]["code"]
    assert code["weight"] == 0.5 and code["rate"] == 2.0
    assert set(code["times"]) == {"2"}  # every code document of train appears twice
    web = step["mixture"]["web"]
    assert set(web["times"]) == {"0", "1"}
    assert (
        web["times"]["0"]
        + web["times"]["1"]
        + sum(manifest(out / "val")["lineage"][-1]["mixture"]["web"]["times"].values())
        == 4000
    )
    assert step["rows_out"] == manifest(out / "train")["rows"]
    # the inputs' own lineage is carried
    assert any(s["step"] == "ingest" for s in manifest(out / "train")["lineage"])


def test_usage_errors(sources, tmp_path):
    web = sources["web"]
    for args, message in (
        (["web-only:1"], "NAME=DATASET:WEIGHT"),
        ([f"w={web}:0"], "positive number"),
        ([f"w={web}:1", f"w={web}:2"], "input names must differ"),
        ([f"w={web}:1", "--split", "val=1.5"], "0 < FRACTION < 1"),
        ([f"w={web}:1", "--split", "a=0.6", "--split", "b=0.5"], "add up to 1 or more"),
        ([f"w={web}:1", "--tokens", "lots"], "not a number"),
    ):
        r = run("mix", *args, "-o", tmp_path / "out")
        assert r.exit_code == 2, (args, r)
        assert r.stderr.startswith("error: ") and message in r.stderr


def test_the_output_folder_is_guarded(sources, tmp_path):
    out = tmp_path / "mix"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    r = run("mix", f"web={sources['web']}:1", "-o", out)
    assert r.exit_code == 2 and "notes.txt" in r.stderr
    (out / "notes.txt").unlink()
    _mix(sources, out)
    again = _mix(sources, out)
    assert "up to date" in again.stderr
    other = run("mix", f"web={sources['web']}:1", "-o", out, "--seed", "9")
    assert other.exit_code == 2 and "--overwrite" in other.stderr
    r = run("mix", f"web={sources['web']}:1", "-o", out, "--seed", "9", "--overwrite")
    assert r.exit_code == 0, r.stderr
    assert not (out / "train" / "_mix_scratch").exists()
    inside = run("mix", f"web={sources['web']}:1", "-o", sources["web"] / "mix")
    assert inside.exit_code == 2 and "inside the input" in inside.stderr


def test_the_report_records_the_mixture(sources, tmp_path):
    import json

    out = tmp_path / "mix"
    _mix(sources, out, "--documents", "4000", "--seed", "5")
    r = run("report", out / "train", "--json")
    assert r.exit_code in (0, 1), r.stderr
    step = next(s for s in json.loads(r.stdout)["lineage"] if s["step"] == "mix")
    assert step["params"]["seed"] == 5
    assert [i["weight"] for i in step["params"]["inputs"]] == [0.5, 0.5]
    assert step["mixture"]["code"]["times"] == {"2": 1000}
    assert "Combine sources into a training mixture" in step["purpose"]


def test_an_interrupted_mix_resumes_after_its_scatter_pass(sources, tmp_path, monkeypatch):
    import curate.mix

    real = curate.mix.shuffle_bucket
    scattered = []

    def failing(job):
        if job.bucket == 1:
            raise OSError(28, "No space left on device")
        return real(job)

    monkeypatch.setattr(curate.mix, "shuffle_bucket", failing)
    out = tmp_path / "mix"
    args = ("--buffer-size", "1MiB", "--documents", "8000", "--seed", "2")
    r = run("mix", f"web={sources['web']}:0.5", f"code={sources['code']}:0.5", "-o", out,
            "--workers", "1", *args)  # fmt: skip
    assert r.exit_code != 0
    assert not (out / "train" / "_curate.json").exists()  # nothing looks complete
    assert (out / "train" / "_curate.pending.json").exists()
    monkeypatch.setattr(curate.mix, "shuffle_bucket", real)
    real_scatter = curate.mix.scatter
    monkeypatch.setattr(
        curate.mix, "scatter", lambda job: scattered.append(job) or real_scatter(job)
    )
    _mix(sources, out, *args)
    assert scattered == []  # resumed: the scatter pass was not redone
    _mix(sources, tmp_path / "fresh", *args)
    ids = [r["id"] for r in read_rows(out / "train", ["id"])]
    assert ids == [r["id"] for r in read_rows(tmp_path / "fresh" / "train", ["id"])]
    assert not (out / "train" / "_mix_scratch").exists()
