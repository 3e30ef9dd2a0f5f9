"""pytest-xray: report pytest results to Xray (Jira test management), Server/DC and Cloud."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
