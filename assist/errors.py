"""One exception hierarchy. Every message says what is wrong and how to fix it.

Each class carries how every surface reports it: ``exit_code`` for the CLI,
``http_status`` and ``code`` for the HTTP and stdio APIs. The CLI maps errors in
one place (:func:`assist.cli.main`), HTTP and stdio through
:func:`assist.server.api.assist_error_body`. The exit codes, documented in the README:

== ===========================================================================
0  ok
1  a finding (``assist check`` found a block violation); not an error
2  usage (an unknown option, a bad choice, a server started as it must not be)
3  bad input (an utterance, draft or data file that cannot be used)
4  an invalid library or rule file
5  index or model state (missing, stale with ``--no-build``, damaged)
6  a service unavailable (the build lock held, the store down)
7  an optional extra not installed
== ===========================================================================
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FINDING = 1
EXIT_USAGE = 2


class AssistError(Exception):
    """Base class of every error assist raises on purpose.

    Surfaces show ``str(error)`` and nothing else: no traceback reaches an agent's
    terminal, and no message echoes customer text.
    """

    exit_code = 3
    http_status = 422
    code = "assist_error"


class UsageError(AssistError):
    """A command or server started in a way it must not be (e.g. a public bind without a token)."""

    exit_code = EXIT_USAGE
    http_status = 400
    code = "usage"


class ServeError(UsageError):
    """The server cannot start as configured."""


class InputError(AssistError):
    """A user-supplied utterance, draft or data file is unusable."""

    exit_code = 3
    http_status = 422
    code = "invalid_input"


class NotFoundError(InputError):
    """A requested object (a script id) does not exist in the loaded library."""

    http_status = 404
    code = "not_found"


class LibraryError(AssistError):
    """A script or rule file is malformed. Names the file, line and field."""

    exit_code = 4
    http_status = 422
    code = "library_error"

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

    exit_code = 5
    http_status = 422
    code = "index_state"


class ModelError(AssistError):
    """The sentence-transformers model could not be loaded from the given path."""

    exit_code = 5
    http_status = 422
    code = "model_error"


class UnavailableError(AssistError):
    """A service assist depends on is busy or down (the build lock is held, the store is unreachable)."""

    exit_code = 6
    http_status = 503
    code = "unavailable"


class ExtraMissingError(AssistError):
    """An optional extra is not installed; the message gives the exact install command."""

    exit_code = 7
    http_status = 501
    code = "extra_missing"

    def __init__(self, feature: str, extra: str) -> None:
        self.extra = extra
        super().__init__(f"{feature} needs the optional extra '{extra}': pip install 'assist[{extra}]'")

