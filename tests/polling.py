"""Waiting for background threads in tests (the slider app and its runner)."""
from __future__ import annotations

import time
from collections.abc import Callable

#: Generous: the CI machine is slow and shared.
TIMEOUT = 60.0


def wait_for(predicate: Callable[[], object], timeout: float = TIMEOUT) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return bool(predicate())
