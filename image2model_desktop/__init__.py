"""Image2Model Desktop: turn photos into 3D models."""

from importlib import metadata as _metadata

try:
    __version__ = _metadata.version("image2model-desktop")
except _metadata.PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.1.0"

__all__ = ["__version__"]
