"""The one exception type a user of critlcn can cause."""

from __future__ import annotations

__all__ = ["CritlcnError", "cli_message", "FLAGS", "EXIT_OK", "EXIT_FAILED", "EXIT_USAGE", "EXIT_INCOMPLETE"]

#: Exit status of the command line: success.
EXIT_OK = 0
#: A run that failed (e.g. a start system that could not be built).
EXIT_FAILED = 1
#: Bad input: a usage error or data that cannot be used, said on one line.
EXIT_USAGE = 2
#: The run finished and wrote its output, but the solve is not proven
#: complete (failed paths, or a count that differs from the exact one).
EXIT_INCOMPLETE = 3


class CritlcnError(ValueError):
    """Bad input or a failed run, with a message saying what and how to fix it.

    The CLI prints ``str(error)`` on one line and exits with ``exit_code``
    (2 for bad input, 1 for a run that failed). Messages name the function's
    parameters, in backquotes (```jobs```), not command-line flags; when
    ``parameter`` is given, the CLI writes its flag (``--jobs``) instead
    (`cli_message`).

    Examples
    --------
    >>> err = CritlcnError("`jobs` must be at least 1, got 0", parameter="jobs")
    >>> err.exit_code, cli_message(err)
    (2, '--jobs must be at least 1, got 0')
    """

    def __init__(self, message: str, exit_code: int = 2, *, parameter: str | None = None):
        super().__init__(message)
        self.exit_code = exit_code
        self.parameter = parameter


#: Command-line flags of parameters whose flag is not ``--`` and the name with
#: dashes for underscores.
FLAGS = {"scale": "--init-scale", "archs": "--k", "strides": "--s"}


def cli_message(err: CritlcnError, flags: dict[str, str] | None = None) -> str:
    """The message of ``err`` with its parameter written as the command-line
    flag that sets it (`FLAGS`, updated by ``flags``).

    Examples
    --------
    >>> cli_message(CritlcnError("`max_steps` must be at least 1", parameter="max_steps"))
    '--max-steps must be at least 1'
    >>> cli_message(CritlcnError("no data"))
    'no data'
    """
    text = str(err)
    name = getattr(err, "parameter", None)
    if name:
        table = {**FLAGS, **(flags or {})}
        text = text.replace(f"`{name}`", table.get(name, "--" + name.replace("_", "-")))
    return text
