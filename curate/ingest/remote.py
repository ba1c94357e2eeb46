"""Inputs that are not local files: objects in `s3://`/`gs://`, `https://` URLs, and
paths files such as Common Crawl's `warc.paths.gz`.

Every input is streamed, never copied to local disk first. An HTTP input is read with
plain GET requests (a `Range` request to resume or to seek), so a connection reset in
the middle of a 1 GB WARC costs a reconnect, not the file: transient failures (5xx,
429 throttling, resets, timeouts) are retried with exponential backoff. A URL that
answers 403 or 404 is not transient: it raises `InputUnavailable`, which ingest counts
as `unreadable_file` for that input, naming the URL, so one missing file never ends a
long run (unless no input at all could be read).
"""

from __future__ import annotations

import gzip
import http.client
import io
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urljoin

from curate.errors import CurateError
from curate.ingest.stdin import is_stdin, open_stdin
from curate.storage import Store, display, is_remote, scheme_of

HTTP_SCHEMES = ("http", "https")
RETRIES = 6
BACKOFF_S = 0.5  # then 1, 2, 4, 8, 16 s
TIMEOUT_S = 60
TRANSIENT_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
USER_AGENT = "curate (training-data curation; https://github.com/curate)"


class InputUnavailable(Exception):
    """An input that answered with a definite "no" (403, 404, 410...) or failed on every
    retry. Not an OSError on purpose: readers count damaged streams (OSError) as
    truncated files, while this is a file that could not be read at all."""

    def __init__(self, url: str, why: str) -> None:
        super().__init__(f"{display(url)}: {why}")
        self.url = url
        self.why = why

    def __reduce__(self) -> tuple[type[InputUnavailable], tuple[str, str]]:
        return (type(self), (self.url, self.why))


def is_url(spec: str | Path) -> bool:
    return scheme_of(str(spec)) in HTTP_SCHEMES


def is_network(spec: str | Path) -> bool:
    """An input read over the network: an object store or a web server."""
    return not isinstance(spec, Path) and (is_remote(spec) or is_url(spec))


def name_of(spec: str | Path) -> str:
    """The file name of a local path, an object key or a URL (without its query)."""
    if isinstance(spec, Path):
        return spec.name
    return str(spec).split("?", 1)[0].rstrip("/").rpartition("/")[2]


def open_input(spec: str | Path) -> BinaryIO:
    """A seekable binary stream of a local file, an object or a URL (or standard input,
    which can be sought back only within its first bytes: `curate.ingest.stdin`)."""
    if is_stdin(spec):
        return open_stdin()
    if isinstance(spec, Path) or not is_network(spec):
        return open(spec, "rb")  # noqa: SIM115 - returned to the caller
    if is_url(spec):
        return io.BufferedReader(HttpFile(str(spec)), buffer_size=1 << 20)
    folder, _, name = str(spec).rpartition("/")
    try:
        native = Store(folder).open_input(name)
        # each read of a store's file is a ranged GET: read large blocks, as Python files
        # (fastwarc and the decompressors read a few KB at a time)
        return io.BufferedReader(_NativeRaw(native), buffer_size=4 << 20)
    except FileNotFoundError as exc:
        raise InputUnavailable(str(spec), "no such object") from exc
    except OSError as exc:
        raise InputUnavailable(str(spec), " ".join(str(exc).split())[:200]) from exc


class _NativeRaw(io.RawIOBase):
    """A pyarrow file as a Python raw file, for `io.BufferedReader`."""

    def __init__(self, native: Any) -> None:
        super().__init__()
        self.native = native

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.native.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self.native.seek(offset, whence)

    def tell(self) -> int:
        return self.native.tell()

    def close(self) -> None:
        self.native.close()
        super().close()


class HttpFile(io.RawIOBase):
    """A URL as a seekable, resumable read-only file (see the module docstring)."""

    def __init__(self, url: str, *, retries: int = RETRIES, backoff: float = BACKOFF_S) -> None:
        super().__init__()
        self.url = url
        self.retries = retries
        self.backoff = backoff
        self.pos = 0
        self.length: int | None = None
        self._resp: Any = None
        self._eof = False

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_CUR:
            offset += self.pos
        elif whence == io.SEEK_END:
            if self.length is None:
                self._connect()
            if self.length is None:
                raise OSError(f"{display(self.url)}: the server gives no length to seek from")
            offset += self.length
        if offset != self.pos:
            self._drop()
            self.pos = offset
            self._eof = False
        return self.pos

    def readinto(self, buffer: Any) -> int:
        if self._eof:
            return 0
        for attempt in range(self.retries + 1):
            if self._resp is None:
                self._connect()
                if self._eof:
                    return 0
            try:
                n = self._resp.readinto(buffer)
            except (ConnectionError, TimeoutError, http.client.HTTPException, OSError) as exc:
                self._drop()  # reconnect where we were: a Range request
                if attempt == self.retries:
                    raise InputUnavailable(self.url, f"connection lost ({exc})") from exc
                time.sleep(self.backoff * 2**attempt)
                continue
            if n == 0 and self.length is not None and self.pos < self.length:
                self._drop()  # the server closed early without saying so: resume
                if attempt == self.retries:
                    raise InputUnavailable(self.url, "the connection keeps ending early")
                time.sleep(self.backoff * 2**attempt)
                continue
            if n == 0:
                self._eof = True
            self.pos += n
            return n
        return 0  # pragma: no cover - the loop returns or raises

    def close(self) -> None:
        self._drop()
        super().close()

    def _drop(self) -> None:
        if self._resp is not None:
            self._resp.close()
            self._resp = None

    def _connect(self) -> None:
        """Open a response at `self.pos`, retrying transient failures with backoff."""
        headers = {"User-Agent": USER_AGENT}
        if self.pos:
            headers["Range"] = f"bytes={self.pos}-"
        last = ""
        for attempt in range(self.retries + 1):
            try:
                resp = urllib.request.urlopen(  # noqa: S310 - http(s) only, checked above
                    urllib.request.Request(self.url, headers=headers), timeout=TIMEOUT_S
                )
            except urllib.error.HTTPError as exc:
                if exc.code == 416:  # asked past the end
                    self._eof = True
                    return
                if exc.code not in TRANSIENT_STATUS:
                    raise InputUnavailable(self.url, f"HTTP {exc.code} {exc.reason}") from None
                last = f"HTTP {exc.code} {exc.reason}"
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as exc:
                last = " ".join(str(getattr(exc, "reason", exc)).split())[:200]
            else:
                self._accept(resp)
                return
            if attempt < self.retries:
                time.sleep(self.backoff * 2**attempt)
        raise InputUnavailable(self.url, f"failed after {self.retries + 1} attempts ({last})")

    def _accept(self, resp: Any) -> None:
        if self.pos and resp.status != 206:  # the server ignores ranges: skip to pos
            remaining = self.pos
            while remaining:
                chunk = resp.read(min(remaining, 1 << 20))
                if not chunk:
                    break
                remaining -= len(chunk)
        if self.length is None:
            total = resp.headers.get("Content-Range", "").rpartition("/")[2]
            given = resp.headers.get("Content-Length")
            if total.isdigit():
                self.length = int(total)
            elif given and given.isdigit() and resp.status == 200:
                self.length = int(given)
        self._resp = resp


def list_remote(spec: str) -> list[tuple[str, int]]:
    """(URI, size) of the objects a `s3://`/`gs://` spec names: one object, every object
    under a prefix (recursively), or the objects of a folder matching a glob."""
    import glob

    try:
        if glob.has_magic(spec):
            folder, _, pattern = spec.rstrip("/").rpartition("/")
            store = Store(folder)
            return [
                (f"{folder}/{e.name}", e.size)
                for e in sorted(store.list(), key=lambda e: e.name)
                if not e.is_dir and _fnmatch(e.name, pattern)
            ]
        parent, _, name = spec.rstrip("/").rpartition("/")
        store = Store(parent)
        if name and not spec.endswith("/") and store.exists(name):
            entry = next((e for e in store.list() if e.name == name), None)
            if entry is not None and not entry.is_dir:
                return [(spec, entry.size)]
        return [(f"{spec.rstrip('/')}/{rel}", size) for rel, size in Store(spec).walk()]
    except OSError as exc:
        why = " ".join(str(exc).split())
        raise CurateError(f"{display(spec)}: cannot list it ({why})") from exc


def _fnmatch(name: str, pattern: str) -> bool:
    import fnmatch

    return fnmatch.fnmatchcase(name, pattern)


def read_paths_file(path: str, base_url: str | None) -> Iterator[str]:
    """The inputs a paths file lists, one a line (gzip or plain; blank and `#` lines
    skipped), each joined to `base_url` when it is relative (Common Crawl's paths
    files hold keys such as `crawl-data/CC-MAIN-2024-10/segments/.../x.warc.gz`)."""
    try:
        with open_input(path if is_network(path) else Path(path)) as raw:
            head = raw.read(2)
            raw.seek(0)
            stream: Any = gzip.GzipFile(fileobj=raw) if head == b"\x1f\x8b" else raw
            data = stream.read()
    except (OSError, InputUnavailable, EOFError) as exc:
        raise CurateError(f"--paths-from {display(path)}: cannot be read ({exc})") from exc
    base = base_url if base_url is None or base_url.endswith("/") else base_url + "/"
    for raw_line in data.decode("utf-8", "replace").splitlines():
        line = raw_line.strip()
        if not line or line.startswith("#"):
            continue
        if scheme_of(line) is not None or base is None:
            yield line
        else:
            yield urljoin(base, line.lstrip("/"))
