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

from critlcn.errors import EXIT_INCOMPLETE, CritlcnError, cli_message
from critlcn.files import atomic_write

__all__ = ["Heartbeat", "check_folder", "write_folder", "friendly", "finish", "incomplete_warning", "write_text", "emit", "join_k_values", "parse_sizes", "parse_filters", "architecture_from", "k_option", "strides_option", "KCommand", "KSubGroup", "KGroup", "reject_repeated", "SEED", "method_for"]


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


def incomplete_warning(result) -> str | None:
    """The one-line stderr warning for a solve that is not proven complete, or None.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> print(incomplete_warning(SimpleNamespace(problems=("λ = 2-1: 1 path failed",))))
    Warning: incomplete solve (λ = 2-1: 1 path failed): some critical points may be missing; rerun with another --seed (exit status 3)
    """
    problems = tuple(getattr(result, "problems", ()))
    if not problems and getattr(result, "complete", True) is False:
        problems = ("not every count was met",)
    if not problems:
        return None
    return (f"Warning: incomplete solve ({'; '.join(problems)}): some critical points may be missing; "
            f"rerun with another --seed (exit status {EXIT_INCOMPLETE})")


def finish(result) -> None:
    """End a command that solved: exit status 3 with `incomplete_warning` on
    stderr when ``result`` is not complete (its output is written already)."""
    line = incomplete_warning(result)
    if line is not None:
        click.echo(line, err=True)
        sys.exit(EXIT_INCOMPLETE)


class Heartbeat:
    """A progress line on stderr while a long call runs: ``label: 12 s``,
    refreshed every ``interval`` seconds by a background thread and erased at
    the end. Shown only when stderr is a terminal and ``enabled``, so pipes,
    files and ``--quiet`` get nothing.

    Examples
    --------
    >>> with Heartbeat("experiment", enabled=False) as beat:
    ...     beat.shown
    False
    """

    def __init__(self, label: str, *, enabled: bool = True, interval: float = 0.5, stream=None):
        import threading

        self.label, self.interval = label, interval
        self.stream = stream or sys.stderr
        self.shown = bool(enabled) and self.stream.isatty()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True) if self.shown else None

    def _run(self):
        import time

        start = time.monotonic()
        while not self._stop.wait(self.interval):
            self.stream.write(f"\r{self.label}: running, {time.monotonic() - start:.0f} s")
            self.stream.flush()

    def __enter__(self):
        if self._thread is not None:
            self.stream.write(f"{self.label}: running")
            self.stream.flush()
            self._thread.start()
        return self

    def __exit__(self, *exc):
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self.stream.write("\r\033[K")  # erase the line: the results follow
            self.stream.flush()
        return False


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


def _existing_ancestor(path: str) -> str:
    path = os.path.abspath(path)
    while not os.path.exists(path):
        path = os.path.dirname(path)
    return path


def check_folder(out_dir: str, *, option: str) -> None:
    """Fail now (before a long run) when ``out_dir`` cannot become a folder."""
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise CritlcnError(f"cannot write into {out_dir}: it is a file; pick a folder for {option}")
    base = _existing_ancestor(out_dir)
    if not os.path.isdir(base):
        raise CritlcnError(f"cannot create folder {out_dir}: {base} is not a folder; pick another {option}")


def write_folder(out_dir: str, files: dict, *, option: str) -> list[str]:
    """Write every file (name → text or bytes) into ``out_dir``, or, on any
    failure, none: files written so far and folders made for them are
    removed again. Returns the paths written.

    Examples
    --------
    >>> import tempfile
    >>> d = os.path.join(tempfile.mkdtemp(), "a", "b")
    >>> [os.path.basename(p) for p in write_folder(d, {"x.txt": "1", "y.bin": b"2"}, option="--out")]
    ['x.txt', 'y.bin']
    """
    from critlcn import files as files_module  # looked up at call time (tests replace atomic_write)

    check_folder(out_dir, option=option)
    made = []
    path = os.path.abspath(out_dir)
    while not os.path.exists(path):
        made.append(path)
        path = os.path.dirname(path)
    written = []
    try:
        os.makedirs(out_dir, exist_ok=True)
        for name, data in files.items():
            written.append(files_module.atomic_write(os.path.join(out_dir, name), data))
    except OSError as err:
        for path in written:
            os.unlink(path)
        for path in made:  # deepest first
            if os.path.isdir(path) and not os.listdir(path):
                os.rmdir(path)
        raise CritlcnError(f"cannot write into {out_dir}: {err.strerror}; pick a writable {option}") from None
    return written


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


def reject_repeated(command: click.Command, args: list[str]) -> None:
    """A `click.UsageError` when an option that takes one value (``--k``,
    ``--strides``) is given more than once: click would silently keep the last.

    Examples
    --------
    >>> cmd = click.Command("enumerate", params=[click.Option(["--k"])])
    >>> reject_repeated(cmd, ["--k", "3,2,2", "--k", "4,2"])
    Traceback (most recent call last):
    ...
    click.exceptions.UsageError: --k given 2 times, but enumerate takes one architecture: run it once per architecture (critlcn table compares several)
    """
    args = list(args)
    if "--" in args:
        args = args[: args.index("--")]
    for param in command.params:
        if not isinstance(param, click.Option) or param.multiple:
            continue
        for flag in param.opts:
            if flag not in ("--k", "--strides"):
                continue
            n = sum(1 for a in args if a == flag or a.startswith(flag + "="))
            if n > 1:
                what = "one architecture" if flag == "--k" else "one list of strides"
                raise click.UsageError(f"{flag} given {n} times, but {command.name} takes {what}: run it once per "
                                       "architecture (critlcn table compares several)")


class SeedType(click.ParamType):
    """``--seed``: a whole number ``>= 0`` (numpy's seeds), else a one-line error."""

    name = "integer"

    def convert(self, value, param, ctx):
        from critlcn.seeds import check_seed

        try:
            number = int(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a whole number; pass e.g. --seed 0", param, ctx)
        try:
            return check_seed(number)
        except CritlcnError:
            self.fail(f"{number} is negative; numpy seeds are whole numbers >= 0, e.g. --seed 0", param, ctx)


#: The type of every ``--seed`` option.
SEED = SeedType()


class KCommand(click.Command):
    """A command whose ``--k`` takes several values after one flag, also when
    invoked on its own (under ``critlcn`` the main group already joins them)."""

    def parse_args(self, ctx, args):
        args = join_k_values(list(args))
        reject_repeated(self, args)
        return super().parse_args(ctx, args)


class KSubGroup(click.Group):
    """A subgroup whose own ``--k`` takes several values after one flag."""

    command_class = KCommand

    def parse_args(self, ctx, args):
        args = join_k_values(list(args))
        # the group's own options come before the subcommand's name
        names = set(self.commands)
        head = args[: next((i for i, a in enumerate(args) if a in names), len(args))]
        reject_repeated(self, head)
        return super().parse_args(ctx, args)


class KGroup(click.Group):
    """A click group that accepts ``--k 3 2 2`` in every subcommand."""

    command_class = KCommand

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


def method_for(arch, method: str | None) -> str:
    """The ``--method`` of ``solve`` and ``experiment``: ``strata`` by default
    for 1-D stride one, ``parameters`` otherwise (the only one there).

    Examples
    --------
    >>> from critlcn.architecture import Architecture
    >>> method_for(Architecture((3, 2)), None), method_for(Architecture((3, 2), (2, 1)), None)
    ('strata', 'parameters')
    """
    if method is None:
        return "strata" if arch.stride_one else "parameters"
    if method == "strata" and not arch.stride_one:
        raise CritlcnError(f"--method strata needs a 1-D network of stride one, not {arch.label()}: "
                           "use --method parameters (MATH.md §9)")
    return method
