"""``python -m pytest_xray``: the same as the ``pytest-xray`` command."""

from __future__ import annotations

import sys

from pytest_xray.cli import main

sys.exit(main())
