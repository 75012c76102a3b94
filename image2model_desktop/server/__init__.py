"""The local HTTP API: the original Image2Model backend's API over the desktop engine.

Importing this package imports FastAPI and uvicorn: the window does so only
when the API is switched on.
"""

from .app import close_app, create_app
from .embedded import EmbeddedApiServer

__all__ = ["EmbeddedApiServer", "close_app", "create_app"]
