"""Keep the API key and link signatures out of every log line, uvicorn's access log included.

EventSource clients pass the key as ``?api_key=`` and signed links carry
``?sig=``; uvicorn's access log would print both with the path. A filter on the
access and error loggers rewrites those query values and any verbatim
occurrence of the key before a handler sees it.
"""

from __future__ import annotations

import logging
import re

_QUERY_KEY = re.compile(r"(?i)((?:api_key|sig)=)[^&\s\"']*")
_LOGGERS = ("uvicorn.access", "uvicorn.error", "uvicorn")
MASK = "***"


class KeyScrubFilter(logging.Filter):
    """Mask ``api_key=…`` and ``sig=…`` values and the key in a record's message and arguments."""

    def __init__(self, api_key: str) -> None:
        super().__init__()
        self.api_key = api_key

    def scrub(self, text: str) -> str:
        text = _QUERY_KEY.sub(rf"\1{MASK}", text)
        return text.replace(self.api_key, MASK) if self.api_key else text

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = self.scrub(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                self.scrub(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        return True


def install_key_scrubber(api_key: str) -> KeyScrubFilter:
    """Attach a scrubber to uvicorn's loggers; return it so it can be removed."""
    scrubber = KeyScrubFilter(api_key)
    for name in _LOGGERS:
        logging.getLogger(name).addFilter(scrubber)
    return scrubber


def remove_key_scrubber(scrubber: KeyScrubFilter) -> None:
    for name in _LOGGERS:
        logging.getLogger(name).removeFilter(scrubber)
