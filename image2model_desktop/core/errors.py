"""Every error class of Image2Model Desktop, in one tree.

A failure a person reads is an ``Image2ModelError``: it carries a sentence a
person can act on (``user_message``) and a stable machine code (``code``). The
codes here are neutral; an engine passes its own (``FAL_AUTH``…) where one is
more precise, and each front end adds how to fix it in its own terms. The log
keeps the detail; the user sees the sentence. Secrets never appear in either.
The other branches are answers a front end gives (``ApiError``) and signals
that never reach a person as they are: the code that catches them decides.

    Exception
    ├── Image2ModelError               a failure a person reads (user_message, code)
    │   ├── SetupError                 bad configuration or argument (CLI exit 2)
    │   │   ├── ParameterError         a parameter outside the engine's range (HTTP 400)
    │   │   ├── UnknownModelError      no generator of that name
    │   │   └── UnsupportedParameterError  a generator does not take that option
    │   ├── InvalidImageError          a photo refused by content validation
    │   ├── StoreError                 the library database cannot be used
    │   │   └── StoreLockedError       another instance holds the data directory
    │   ├── EngineError                a generator failed one file
    │   │   ├── AuthError              the key was rejected (401): stop sending the batch
    │   │   ├── BalanceError           account locked / out of balance (403): the batch waits
    │   │   ├── RejectedInputError     the model refused this input (422)
    │   │   ├── TransientError         worth retrying: 408/409/429, network, 5xx
    │   │   ├── GenerationTimeoutError the file's time ran out before a result
    │   │   ├── ResultGoneError        the remote result expired or vanished
    │   │   ├── OutputError            a result could not be saved (disk full, read-only)
    │   │   └── UnconfirmedSubmitError sent, no answer: may be billed; never resent alone
    │   │       └── SubmitUnconfirmed  FAL's submit, with why the answer was lost
    │   └── ModelError                 a model file or what was asked of it (also ValueError)
    │       ├── UnknownFormatError     a destination extension we do not write
    │       ├── ExportOptionsError     export options out of range or contradictory
    │       ├── LengthError            a length that cannot be read ("12 furlongs")
    │       ├── TurntableError         a turntable that cannot be made as asked
    │       ├── WebProfileError        a web-export setting out of range
    │       └── PrintError             a print tool cannot do what was asked
    │           ├── PrintSettingsError a print setting out of range
    │           ├── HollowError        the model cannot be hollowed as asked
    │           └── ColourError        a colour request that cannot be met
    ├── ApiError                       the HTTP API's answer: status, envelope code, details
    ├── FormError                      an upload body the API cannot accept (kind → answer)
    │   ├── NotMultipartError          not multipart/form-data
    │   └── FileTooLargeError          a part over the size limit
    ├── StreamUnavailable              FAL's status stream cannot be used now: poll instead
    ├── PlatformRefused                FAL's platform API refused this key (401/403)
    ├── CostUnavailable                an engine will never tell a request's cost: stop asking
    ├── SelfTestFailure                a step of ``--self-test`` did not work
    ├── IllegalTransitionError         a state change the machine forbids (a bug; ValueError)
    └── GLUnavailableError             no OpenGL 3.2 core context here (RuntimeError)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class Image2ModelError(Exception):
    """Base of every error this app raises on purpose for a person to read."""

    code: str = "ERROR"

    def __init__(self, user_message: str, *, code: str | None = None) -> None:
        super().__init__(user_message)
        self.user_message = user_message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return self.user_message


# -- setup ---------------------------------------------------------------------


class SetupError(Image2ModelError):
    """The app cannot start the work as configured (missing key, bad option)."""

    code = "SETUP"


class ParameterError(SetupError):
    """A parameter is outside what the chosen engine accepts (CLI exit 2, HTTP 400)."""

    code = "INVALID_PARAMETER"

    def __init__(self, field: str, message: str, allowed: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.field = field
        #: What the field accepts, for machine-readable answers (``minimum``, ``choices``…).
        self.allowed = allowed or {}


class UnknownModelError(SetupError):
    """No generator has that name; the message lists the valid ones."""

    code = "UNKNOWN_MODEL"


class UnsupportedParameterError(SetupError):
    """A generator does not take a parameter the batch sets (never dropped silently)."""

    code = "UNSUPPORTED_PARAMETER"


# -- photos and the library ----------------------------------------------------


class InvalidImageError(Image2ModelError):
    """A photo was refused; the message names the file and the reason."""

    code = "INVALID_IMAGE"

    def __init__(self, filename: str, reason: str) -> None:
        super().__init__(f"{filename}: {reason}")
        self.filename = filename
        self.reason = reason


class StoreError(Image2ModelError):
    """The library database cannot be read or written."""

    code = "STORE"


class StoreLockedError(StoreError):
    """Another running instance owns the data directory."""

    code = "STORE_LOCKED"


# -- engines -------------------------------------------------------------------


class EngineError(Image2ModelError):
    """A generator could not turn one photo into a model."""

    code = "ENGINE"
    #: True when retrying the same call later may succeed.
    retryable: bool = False
    #: True when the rest of the batch must not be sent to this engine either.
    halts_batch: bool = False


class AuthError(EngineError):
    code = "AUTH"
    halts_batch = True


class BalanceError(EngineError):
    code = "BALANCE"
    halts_batch = True


class RejectedInputError(EngineError):
    code = "REJECTED_INPUT"


class TransientError(EngineError):
    code = "TRANSIENT"
    retryable = True


class GenerationTimeoutError(EngineError):
    """The file's time (Settings → per-file timeout) ran out before the engine finished."""

    code = "TIMEOUT"


class ResultGoneError(EngineError):
    code = "RESULT_GONE"


class OutputError(EngineError):
    code = "OUTPUT"


class UnconfirmedSubmitError(EngineError):
    """A paid request left this computer and no answer came back.

    The engine may have received it; sending it again could pay twice. The
    runner moves the file to ``FileState.UNCONFIRMED`` with this sentence.
    """

    code = "UNCONFIRMED"


class SubmitUnconfirmed(UnconfirmedSubmitError):
    """FAL's submit: its body was sent and no answer was read, so FAL may have enqueued it.

    Not retryable, so no retry loop sends it again; ``engines.fal.paid.PaidRequests.submit``
    words it with the request's price.
    """

    def __init__(self, why: str) -> None:
        super().__init__(f"FAL may have received this request ({why}); it was not sent again.")
        self.why = why


# -- models and what is asked of them --------------------------------------------


class ModelError(Image2ModelError, ValueError):
    """A model file, or what was asked of it, cannot be done; one sentence for the user.

    Also a ``ValueError``: the mesh layer's callers catch bad values as such.
    """

    code = "MODEL"


class UnknownFormatError(ModelError):
    """The destination's extension names no format we write."""


class ExportOptionsError(ModelError):
    """Options that contradict each other or are out of range."""


class LengthError(ModelError):
    """A length that cannot be read."""


class TurntableError(ModelError):
    """The request cannot be met (format, frame count, size)."""


class WebProfileError(ModelError):
    """A web profile setting out of range."""


class PrintError(ModelError):
    """A print tool cannot do what was asked."""


class PrintSettingsError(PrintError):
    """A setting out of range."""


class HollowError(PrintError):
    """The model cannot be hollowed as asked."""


class ColourError(PrintError):
    """A colour request that cannot be met."""


# -- what front ends answer --------------------------------------------------------


class ApiError(Exception):
    """An error the HTTP API answers with on purpose; raised from endpoints and dependencies."""

    def __init__(
        self,
        status_code: int,
        message: str,
        *,
        error_code: str | None = None,
        details: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.error_code = error_code or f"HTTP_{status_code}"
        self.details: dict[str, Any] = dict(details or {})
        self.headers: dict[str, str] = dict(headers or {})


class FormError(Exception):
    """The upload body cannot be accepted; ``kind`` tells the endpoint which answer to give."""

    def __init__(self, kind: str, message: str, filename: str | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.filename = filename


class NotMultipartError(FormError):
    def __init__(self) -> None:
        super().__init__("not_multipart", "The body is not multipart/form-data.")


class FileTooLargeError(FormError):
    def __init__(self, filename: str) -> None:
        super().__init__("file_too_large", "A file is over the size limit.", filename)


# -- signals caught by the code that knows what to do -----------------------------------


class StreamUnavailable(Exception):
    """FAL's status stream cannot be used for this request now: poll instead.

    ``refused``: FAL answered the stream request with 404/405 (no stream here);
    otherwise it ended before COMPLETED (a cut connection, silence, EOF).
    """

    def __init__(self, reason: str, *, refused: bool) -> None:
        super().__init__(reason)
        self.refused = refused


class PlatformRefused(Exception):
    """FAL refused this key the platform call (401/403): it will not change by retrying."""

    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status


class CostUnavailable(Exception):
    """The engine will never tell what this file's request cost (free engine,
    a key without permission to read billing): stop asking."""


class SelfTestFailure(Exception):
    """A step of the self-test did not work; the message says which."""


class IllegalTransitionError(ValueError):
    """A state change the machine does not allow (a programming error)."""


class GLUnavailableError(RuntimeError):
    """This computer gives no OpenGL 3.2 core context (VTK's minimum)."""
