"""Plumbing shared by the click commands: one-line errors, clean output files.

Kept apart from ``cli.py`` so that every command module can use it without
importing the others.
"""

from __future__ import annotations

import functools
import re
import os
import sys

import click

from critlcn.errors import CritlcnError, cli_message
from critlcn.files import atomic_write

__all__ = ["friendly", "write_text", "emit", "join_k_values", "parse_sizes", "parse_filters", "architecture_from", "k_option", "strides_option", "KCommand", "KSubGroup", "KGroup"]


def friendly(func):
    """Turn a `CritlcnError` raised by a command into one line on stderr and
    its exit code (2 for bad input), with no traceback."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except CritlcnError as err:
            click.echo(f"Error: {cli_message(err)}", err=True)
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
        atomic_write(path, text)
    except OSError as err:
        raise CritlcnError(f"cannot write {path}: {err.strerror}; pick a writable --output") from None


def emit(text: str, output: str | None) -> None:
    """Print ``text`` to stdout, or write it to ``output`` when given."""
    if not text.endswith("\n"):
        text += "\n"
    if output:
        write_text(output, text)
    else:
        click.echo(text, nl=False)


_NUMBERISH = re.compile(r"^-?\d+(\.\d*)?$")


def join_k_values(args: list[str]) -> list[str]:
    """Rewrite ``--k 3 2 2`` as ``--k 3,2,2`` so that click sees one value.

    click options take a fixed number of values; the filter sizes follow one
    ``--k`` separated by spaces, so the group rewrites argv before parsing.
    Negative numbers are kept as values so that they reach validation.

    Examples
    --------
    >>> join_k_values(["table", "--k", "3", "2", "2", "--k", "4", "2", "--format", "md"])
    ['table', '--k', '3,2,2', '--k', '4,2', '--format', 'md']
    """
    out: list[str] = []
    i = 0
    while i < len(args):
        token = args[i]
        out.append(token)
        i += 1
        if token in ("--k", "--s", "--strides"):
            values = []
            while i < len(args) and (not args[i].startswith("-") or _NUMBERISH.match(args[i])):
                values.append(args[i])
                i += 1
            # an empty value reaches parse_sizes, which says what to pass
            out.append(",".join(values))
    return out


def parse_sizes(text: str, what: str = "filter size") -> tuple[int, ...]:
    """Read ``'3,2,2'`` (as produced by `join_k_values`) into integers.

    Examples
    --------
    >>> parse_sizes("3,2,2")
    (3, 2, 2)
    """
    out = []
    for piece in str(text).replace(" ", ",").split(","):
        if not piece:
            continue
        try:
            out.append(int(piece))
        except ValueError:
            raise CritlcnError(f"{what} {piece!r} is not a whole number: pass e.g. --k 3 2 2") from None
    if not out:
        raise CritlcnError("no filter sizes after --k: pass them separated by spaces, e.g. --k 3 2 2")
    return tuple(out)


def parse_filters(text: str) -> tuple:
    """Read ``'3,2,2'`` into sizes and ``'2x2,3x3'`` into D-dimensional formats.

    Examples
    --------
    >>> parse_filters("3,2,2"), parse_filters("2x2,2x1")
    ((3, 2, 2), ((2, 2), (2, 1)))
    """
    pieces = [p for p in str(text).replace(" ", ",").split(",") if p]
    if not any("x" in p.lower() for p in pieces):
        return parse_sizes(text)
    out = []
    for piece in pieces:
        fmt = tuple(parse_sizes(v, "filter size") if v else () for v in piece.lower().split("x"))
        if any(len(v) != 1 for v in fmt):
            raise CritlcnError(f"filter format {piece!r} is not a whole number per axis: pass e.g. --k 2x2 3x3")
        out.append(tuple(v[0] for v in fmt) if len(fmt) > 1 else fmt[0][0])
    return tuple(out)


def architecture_from(k: str | None, strides: str | None = None, *, stride_one: str | None = None):
    """Build and check the `Architecture` of ``--k`` / ``--s`` values; with
    ``stride_one`` (the command's name), refuse strides and D-dim filters."""
    from critlcn.architecture import Architecture, check_degree, check_stride_one

    if k is None:
        raise CritlcnError("missing --k: give the filter sizes, layer 1 first, e.g. --k 3 2 2")
    s = parse_sizes(strides, "stride") if strides else ()
    arch = check_degree(Architecture(parse_filters(k), s))
    return check_stride_one(arch, stride_one) if stride_one else arch


def k_option(multiple: bool = False):
    """The ``--k K1 K2 ...`` option (values joined by `join_k_values`)."""
    help_text = "filter sizes, layer 1 first, e.g. --k 3 2 2" + (" (repeat for more architectures)" if multiple else "")
    return click.option("--k", "k", multiple=multiple, default=None, metavar="K1 K2 ...", help=help_text)


def strides_option():
    """The ``--s S1 S2 ...`` option (alias ``--strides``): one stride per layer."""
    return click.option("--s", "--strides", "strides", default=None, metavar="S1 S2 ...",
                        help="strides, one per layer, e.g. --s 2 2 1 (default all ones)")


class KCommand(click.Command):
    """A command whose ``--k`` takes several values after one flag, also when
    invoked on its own (under ``critlcn`` the main group already joins them)."""

    def parse_args(self, ctx, args):
        return super().parse_args(ctx, join_k_values(list(args)))


class KSubGroup(click.Group):
    """A subgroup whose own ``--k`` takes several values after one flag."""

    def parse_args(self, ctx, args):
        return super().parse_args(ctx, join_k_values(list(args)))


class KGroup(click.Group):
    """A click group that accepts ``--k 3 2 2`` in every subcommand."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if args is None:
            args = sys.argv[1:]
        args = join_k_values(list(args))
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        # click's own usage errors span three lines; ours are one line
        try:
            super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.Exit as done:
            sys.exit(done.exit_code)
        except click.ClickException as err:
            hint = " (see --help)" if isinstance(err, click.UsageError) else ""
            click.echo(f"Error: {err.format_message()}{hint}", err=True)
            sys.exit(err.exit_code)
        except click.exceptions.Abort:
            click.echo("Aborted.", err=True)
            sys.exit(1)
        sys.exit(0)
