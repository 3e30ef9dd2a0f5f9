"""A local Xray emulator: a real HTTP server answering like Xray Server/DC and Xray Cloud.

Used by pytest-xray's own tests over real sockets and by users for CI dry runs::

    from pytest_xray.emulator import XrayEmulator

    with XrayEmulator(flavor="cloud", clients={"cid": "csecret"}) as emu:
        ...  # point the client at emu.url
        assert emu.executions

Command line: ``python -m pytest_xray.emulator --flavor server --port 8080``.
Schema validation needs the ``emulator`` extra (``pip install 'pytest-xray[emulator]'``);
importing this package does not.
"""

from __future__ import annotations

from .checks import MissingDependencyError
from .emulator import XrayEmulator
from .faults import Fault
from .model import (
    CLOUD_STATUSES,
    SERVER_STATUSES,
    Attachment,
    Execution,
    RecordedRequest,
)

__all__ = [
    "CLOUD_STATUSES",
    "SERVER_STATUSES",
    "Attachment",
    "Execution",
    "Fault",
    "MissingDependencyError",
    "RecordedRequest",
    "XrayEmulator",
]
