"""Build a tiny ARC (v1) file by hand: no library writes the format of old archives."""

from __future__ import annotations

import gzip
from pathlib import Path


def arc_record(url: str, date: str, content_type: str, payload: bytes) -> bytes:
    header = f"{url} 93.184.216.34 {date} {content_type} {len(payload)}\n".encode()
    return header + payload + b"\n"


def write_arc(path: Path, records: list[tuple[str, str, str, bytes]], *, gz: bool = True) -> Path:
    version = b"1 0 test\nURL IP-address Archive-date Content-type Archive-length\n"
    first = f"filedesc://{path.name} 0.0.0.0 20240301000000 text/plain {len(version)}\n".encode()
    members = [first + version + b"\n"] + [arc_record(*r) for r in records]
    if gz:
        path.write_bytes(b"".join(gzip.compress(m, mtime=0) for m in members))
    else:
        path.write_bytes(b"".join(members))
    return path
