"""Writing files so that a failed run leaves nothing half-written."""

from __future__ import annotations

import os
import tempfile

__all__ = ["atomic_write"]


def atomic_write(path: str, data: bytes | str) -> str:
    """Write ``data`` to ``path`` through a temporary file in the same folder
    that takes the final name only once it is complete; on any failure the
    temporary file is removed and ``path`` is left as it was. Raises
    `OSError` as the system does (callers word it for their users).

    Examples
    --------
    >>> p = os.path.join(tempfile.mkdtemp(), "a.txt")
    >>> atomic_write(p, "hi\\n") == p, open(p).read(), oct(os.stat(p).st_mode & 0o044)
    (True, 'hi\\n', '0o44')
    """
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), prefix=".critlcn-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode() if isinstance(data, str) else data)
        # mkstemp makes the file private; give it the usual 0666 minus umask
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path
