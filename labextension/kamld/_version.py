"""The one place the Python package's version lives (hatch reads it from here)."""

from __future__ import annotations

__version__ = "0.1.0"
