"""Typed errors of Image2Model Desktop.

Every error carries a sentence a person can act on (``user_message``) and a
stable machine code (``code``). The codes here are neutral; an engine passes
its own (``FAL_AUTH``…) where one is more precise. The log keeps the detail; the user sees the
sentence. Secrets never appear in either.

    Image2ModelError
    ├── SetupError                 bad configuration: no key, bad argument (CLI exit 2)
    ├── InvalidImageError          a photo was refused by content validation
    ├── StoreError                 the library database cannot be used
    │   └── StoreLockedError       another instance holds the data directory
    └── EngineError                a generator failed one file
        ├── AuthError              the key was rejected (401): stop sending the batch
        ├── BalanceError           account locked / out of balance (403): the batch waits
        ├── RejectedInputError     the model refused this input (422)
        ├── TransientError         worth retrying: 429, network, 5xx runner errors
        ├── GenerationTimeoutError the request never finished in time
        ├── ResultGoneError        the remote result expired or vanished
        ├── OutputError            a result could not be saved (disk full, read-only)
        └── UnconfirmedSubmitError the request was sent and no answer came: the
                                   engine may have taken (and billed) it, so it is
                                   not sent again without the person's word
"""

from __future__ import annotations


class Image2ModelError(Exception):
    """Base of every error this app raises on purpose."""

    code: str = "ERROR"

    def __init__(self, user_message: str, *, code: str | None = None) -> None:
        super().__init__(user_message)
        self.user_message = user_message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return self.user_message


class SetupError(Image2ModelError):
    """The app cannot start the work as configured (missing key, bad option)."""

    code = "SETUP"


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
