"""One exception hierarchy. Every message says what is wrong and how to fix it."""

from __future__ import annotations


class AssistError(Exception):
    """Base class of every error assist raises on purpose.

    The CLI prints ``str(error)`` and exits with ``exit_code``; nothing else
    reaches an agent's terminal.
    """

    exit_code = 2


class LibraryError(AssistError):
    """A script or rule file is malformed. Names the file, line and field."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        field: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.file = file
        self.line = line
        self.field = field
        self.fix = fix
        self.problem = message
        where = file or "<library>"
        if line is not None:
            where += f":{line}"
        text = f"{where}: {message}"
        if field:
            text = f"{where}: field '{field}': {message}"
        if fix:
            text += f" (fix: {fix})"
        super().__init__(text)


class IndexStateError(AssistError):
    """The index on disk is missing, stale, corrupted or built with another model."""


class ModelError(AssistError):
    """The sentence-transformers model could not be loaded from the given path."""


class InputError(AssistError):
    """A user-supplied utterance, draft or data file is unusable."""
