"""The hub's "today" for judging what a person sends: London's date on the injected clock."""

from __future__ import annotations

import datetime as dt

from chalicelib.domain.london_time import london_date


def hub_today() -> dt.date:
    # The wiring's clock, which tests and the local run move; imported here, not at module load,
    # so the edge modules stay cheap to import.
    from chalicelib.wiring import wiring

    return london_date(wiring().clock())
