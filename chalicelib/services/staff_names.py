"""Staff named for a page: the directory read once per page (it is cached per warm function), and a
page still shown when the directory cannot be read, naming people "a member of staff"."""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.domain.failures import AwsError
from chalicelib.domain.staff import staff_name
from chalicelib.logs import logger
from chalicelib.wiring import wiring

StaffNamer = Callable[[str | None], str]


def staff_namer() -> StaffNamer:
    try:
        entries = wiring().staff_directory.everyone()
    except AwsError as error:
        logger.warning("staff directory unavailable: staff unnamed on this page", extra={"error": error.code})
        return lambda staff_id: "a member of staff" if staff_id else "nobody"
    return lambda staff_id: staff_name(staff_id, entries)
