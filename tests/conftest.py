"""Shared test helpers: run the real CLI, and build small inputs in tmp_path."""

from __future__ import annotations

import gzip
import io
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from curate.cli import app


class Run:
    """What a user sees from one command: exit code, stdout, stderr."""

    def __init__(self, exit_code: int, stdout: str, stderr: str) -> None:
        self.exit_code = exit_code
        self.stdout = stdout
        self.stderr = stderr

    def __repr__(self) -> str:
        return f"Run(exit={self.exit_code}, stdout={self.stdout!r}, stderr={self.stderr!r})"


def run(*args: Any) -> Run:
    """Invoke `curate ARGS...` in-process, as a user would from a shell."""
    result = CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)
    return Run(result.exit_code, result.stdout, result.stderr)


@pytest.fixture
def cli():
    return run


class WorkerRecord:
    """The processes that ran the units a test's steps sent to the worker pool."""

    def __init__(self, shortcuts: dict[str, int]) -> None:
        self.pids: list[int] = []  # one entry a unit that came back from a worker
        # the executor's thresholds as they were: a test sets them back to run the
        # in-process and thread paths too
        self.shortcuts = shortcuts

    def assert_ran(self, units: int = 2) -> None:
        """At least `units` units ran in worker processes, none in the test's own."""
        assert len(self.pids) >= units, f"{len(self.pids)} unit(s) reached the worker pool"
        assert os.getpid() not in self.pids


@pytest.fixture
def real_workers(monkeypatch) -> WorkerRecord:
    """Worker processes for a small input, as for a large one.

    A test's few dozen documents are otherwise run in-process or on threads (the
    executor's small-input shortcuts: `SMALL_INPUT_*`, `IN_PROCESS_DOCS`), and a test of
    the worker path would pass with that path broken. The shortcuts are turned off, and
    each unit sent to the pool reports the process it ran in: `assert_ran()` then fails
    if the units fell back to the test's process.
    """
    from functools import partial

    from worker_pids import with_pid

    import curate.executor as executor_mod

    names = ("SMALL_INPUT_DOCS", "SMALL_INPUT_BYTES", "IN_PROCESS_DOCS")
    record = WorkerRecord({name: getattr(executor_mod, name) for name in names})
    for name in names:
        monkeypatch.setattr(executor_mod, name, 0)
    in_pool = executor_mod.LocalExecutor._in_pool

    def recorded(self, fn, units, on_progress):
        for unit, res in in_pool(self, partial(with_pid, fn), units, on_progress):
            if isinstance(res, executor_mod.UnitFailed):  # its worker crashed
                yield unit, res
                continue
            pid, result = res
            record.pids.append(pid)
            yield unit, result

    monkeypatch.setattr(executor_mod.LocalExecutor, "_in_pool", recorded)
    return record


def write_jsonl(path: Path, rows: Iterable[dict[str, Any] | str], *, gz: bool = False) -> Path:
    lines = "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows)
    data = lines.encode()
    if gz:
        data = gzip.compress(data, mtime=0)
    path.write_bytes(data)
    return path


def read_rows(folder: Path, columns: list[str] | None = None) -> list[dict[str, Any]]:
    """All rows of a dataset folder, in manifest order."""
    manifest = json.loads((folder / "_curate.json").read_text())
    rows: list[dict[str, Any]] = []
    for shard in manifest["shards"]:
        rows.extend(pq.read_table(folder / shard["name"], columns=columns).to_pylist())
    return rows


def manifest(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "_curate.json").read_text())


HTML_PAGE = """<!doctype html><html lang="{lang}"><head><title>{title}</title>
<link rel="canonical" href="{url}"></head><body>
<nav><a href="/">Home</a> | <a href="/about">About</a> | <a href="/contact">Contact</a></nav>
<article><h1>{title}</h1>
<p>{body}</p>
<p>{body2}</p>
</article>
<footer>Content licensed <a rel="license"
 href="https://creativecommons.org/licenses/by-sa/4.0/">CC BY-SA 4.0</a></footer>
</body></html>"""


def html_page(
    title: str = "A page",
    body: str = "The river ran quietly past the old mill, where the miller kept his accounts.",
    *,
    lang: str = "en",
    url: str = "https://example.org/page",
) -> str:
    body2 = (
        "Every morning he counted the sacks of flour, wrote the numbers in a ledger, and "
        "walked to the village to sell bread to the baker and the inn."
    )
    return HTML_PAGE.format(lang=lang, title=title, url=url, body=body, body2=body2)


def http_response(body: bytes, *, status: str = "200 OK", content_type: str = "text/html") -> bytes:
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def write_warc(
    path: Path, records: list[dict[str, Any]], *, gz: bool = True, warcinfo: bool = True
) -> Path:
    """A WARC of the given records, built with warcio (one gzip member per record).

    Each record: {"uri", "payload" (bytes, HTTP message for responses), "type"
    (default "response"), "date", "id"}.
    """
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=gz)
    if warcinfo:
        writer.write_record(writer.create_warcinfo_record("test.warc", {"software": "tests"}))
    for i, r in enumerate(records):
        rtype = r.get("type", "response")
        headers = {
            "WARC-Date": r.get("date", f"2024-03-0{i % 9 + 1}T12:00:00Z"),
            "WARC-Record-ID": r.get("id", f"<urn:uuid:00000000-0000-4000-8000-{i:012d}>"),
        }
        payload = r["payload"]
        if rtype in ("response", "request"):
            rec = writer.create_warc_record(
                r["uri"],
                rtype,
                payload=io.BytesIO(payload),
                warc_headers_dict=headers,
                length=len(payload),
            )
        else:
            rec = writer.create_warc_record(
                r["uri"],
                rtype,
                payload=io.BytesIO(payload),
                warc_headers_dict=headers,
                warc_content_type=r.get("content_type", "text/plain"),
                length=len(payload),
            )
        writer.write_record(rec)
    path.write_bytes(buf.getvalue())
    _ = StatusAndHeaders
    return path


@pytest.fixture(scope="session")
def ray_cluster():
    """A real local Ray instance on 2 CPUs, started once for the tests that need one.

    Functions of the test modules travel to Ray's workers by value (those workers do
    not have the tests folder on their path).
    """
    import sys

    ray = pytest.importorskip("ray")
    cloudpickle = pytest.importorskip("ray.cloudpickle")
    for name in ("conftest", "test_executor", "test_ray"):
        if name in sys.modules:
            cloudpickle.register_pickle_by_value(sys.modules[name])
    if not ray.is_initialized():
        ray.init(
            address="local",  # never a cluster `ray start` left running on this machine
            num_cpus=2,
            include_dashboard=False,
            log_to_driver=False,
            logging_level="ERROR",
        )
    yield ray
    ray.shutdown()


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory):
    """A real S3-compatible server (moto in server mode) on 127.0.0.1, for the session.

    Returns the endpoint URL; `s3` (below) points a test's environment at it.
    """
    pytest.importorskip("moto")
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = tmp_path_factory.getbasetemp() / "moto-server.log"  # see `s3_requests`
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        env={**os.environ, "MOTO_ALLOW_NONEXISTENT_REGION": "1"},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(url, timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError(f"moto did not start: {log.read_text()[-2000:]}") from None
            time.sleep(0.2)
    yield url
    proc.kill()
    proc.wait()


SECRET = "curate-test-secret-Zq81vXk"  # a credential that must never reach a file or output


@pytest.fixture
def s3(s3_endpoint, monkeypatch):
    """A fresh bucket on the session's S3 server; the environment set as a user's would be.

    Yields a function: bucket-relative key -> `s3://bucket/key`.
    """
    import uuid

    import pyarrow.fs as pafs

    import curate.storage as storage

    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing-key-id")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setattr(storage, "_S3", None)  # a filesystem made from this environment
    bucket = f"b-{uuid.uuid4().hex[:12]}"
    fs = pafs.S3FileSystem(
        endpoint_override=s3_endpoint,
        access_key="testing-key-id",
        secret_key=SECRET,
        region="us-east-1",
        allow_bucket_creation=True,
    )
    fs.create_dir(bucket)
    yield lambda key="": f"s3://{bucket}/{key}".rstrip("/")


@pytest.fixture
def s3_requests(s3_endpoint, tmp_path_factory):
    """A function: the number of requests the session's S3 server has answered so far.

    Read from the server's log (one line a request); waits until the count settles,
    since a request's line is written just after its answer is sent.
    """
    import re
    import time

    log = tmp_path_factory.getbasetemp() / "moto-server.log"
    line = re.compile(rb'"(GET|PUT|POST|HEAD|DELETE) ')

    def count() -> int:
        last, stable = -1, 0
        while stable < 3:
            n = len(line.findall(log.read_bytes()))
            stable = stable + 1 if n == last else 0
            last = n
            time.sleep(0.1)
        return last

    return count


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def gcs_endpoint(tmp_path_factory):
    """A GCS emulator (gcp-storage-emulator, in memory) on 127.0.0.1, for the session."""
    pytest.importorskip("gcp_storage_emulator")
    import subprocess
    import sys
    import time
    import urllib.request

    port = _free_port()
    log = tmp_path_factory.getbasetemp() / "gcs-emulator.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "gcp_storage_emulator", "start", "-H", "127.0.0.1"]
        + ["--port", str(port), "--in-memory"],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/storage/v1/b?project=test", timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError(
                    f"the GCS emulator did not start: {log.read_text()[-2000:]}"
                ) from None
            time.sleep(0.2)
    yield url
    proc.kill()
    proc.wait()


@pytest.fixture
def gs(gcs_endpoint, monkeypatch):
    """A fresh bucket on the session's GCS emulator, found through `STORAGE_EMULATOR_HOST`
    as Google's own clients find one. Yields: bucket-relative key -> `gs://bucket/key`."""
    import uuid
    from urllib.parse import urlsplit

    import pyarrow.fs as pafs

    import curate.storage as storage

    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_endpoint)
    monkeypatch.setattr(storage, "_GCS", None)  # a filesystem made from this environment
    bucket = f"b-{uuid.uuid4().hex[:12]}"
    fs = pafs.GcsFileSystem(
        anonymous=True,
        scheme="http",
        endpoint_override=urlsplit(gcs_endpoint).netloc,
        project_id="test",
    )
    fs.create_dir(bucket)
    yield lambda key="": f"gs://{bucket}/{key}".rstrip("/")
