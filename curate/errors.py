"""The one error type a user mistake becomes.

The library raises `CurateError` with a message that names the thing (file, row,
column, option) and the fix; `cli.py` catches it in one place and prints one line.
A traceback therefore always means a bug in curate, never a mistake by the user.
"""

from __future__ import annotations

USAGE = 2
CHECK_FAILED = 1


class CurateError(Exception):
    """A user-facing error: one line of message and the exit code it maps to."""

    def __init__(self, message: str, exit_code: int = USAGE, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
        self.hint = hint

    def __reduce__(self) -> tuple[type[CurateError], tuple[str, int, str | None]]:
        """Pickled whole: an error raised in a worker process or a Ray task keeps its
        exit code and hint on its way back to the command."""
        return (type(self), (self.message, self.exit_code, self.hint))


def system_reason(exc: OSError) -> str:
    """What an error the system raised means, in a user's words (a full disk, a
    read-only folder...), else the system's own text."""
    import errno

    return {
        errno.ENOSPC: "no space left on the device",
        errno.EDQUOT: "disk quota exceeded",
        errno.EFBIG: "file too large for this system or its limits",
        errno.EROFS: "the file system is read-only",
        errno.EACCES: "permission denied",
        errno.EPERM: "operation not permitted",
        errno.ENOTDIR: "a part of the path is a file, not a folder",
        errno.EEXIST: "a part of the path is a file, not a folder",
    }.get(exc.errno or 0, exc.strerror or str(exc) or type(exc).__name__)
