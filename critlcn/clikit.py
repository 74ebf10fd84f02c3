"""Plumbing shared by the click commands: one-line errors, clean output files.

Kept apart from ``cli.py`` so that every command module can use it without
importing the others.
"""

from __future__ import annotations

import functools
import os
import sys
import tempfile

import click

from critlcn.errors import CritlcnError

__all__ = ["friendly", "write_text", "emit"]


def friendly(func):
    """Turn a `CritlcnError` raised by a command into one line on stderr and
    its exit code (2 for bad input), with no traceback."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except CritlcnError as err:
            click.echo(f"Error: {err}", err=True)
            sys.exit(err.exit_code)

    return wrapper


def write_text(path: str, text: str) -> None:
    """Write ``text`` to ``path`` atomically: a failed write leaves nothing behind.

    Examples
    --------
    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "t.txt")
    >>> write_text(p, "hi\\n"); open(p).read()
    'hi\\n'
    """
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise CritlcnError(f"cannot write {path}: folder {directory} does not exist; create it or pick another --output")
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".critlcn-", suffix=".tmp")
    except OSError as err:
        raise CritlcnError(f"cannot write {path}: {err.strerror}; pick a writable --output") from None
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def emit(text: str, output: str | None) -> None:
    """Print ``text`` to stdout, or write it to ``output`` when given."""
    if not text.endswith("\n"):
        text += "\n"
    if output:
        write_text(output, text)
    else:
        click.echo(text, nl=False)
