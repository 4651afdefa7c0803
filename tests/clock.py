"""A clock a test moves by hand: the services take `now` as a callable."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass
class Clock:
    """Returns `now` until the test sets another time."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now
