"""The one exception type a user of critlcn can cause."""

__all__ = ["CritlcnError"]


class CritlcnError(ValueError):
    """Bad input or a failed run, with a message saying what and how to fix it.

    The CLI prints ``str(error)`` on one line and exits with ``exit_code``
    (2 for bad input, 1 for a run that failed).

    Examples
    --------
    >>> err = CritlcnError("filter sizes must be >= 1: got 0; pass e.g. --k 3 2 2")
    >>> err.exit_code
    2
    """

    def __init__(self, message: str, exit_code: int = 2):
        super().__init__(message)
        self.exit_code = exit_code
