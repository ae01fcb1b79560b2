"""Staff named for a page: the directory read once per page (it is cached per warm function), and a
page still shown when the directory cannot be read, naming people "a member of staff"."""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.domain.failures import AwsError
from chalicelib.domain.staff import StaffEntry, staff_name
from chalicelib.logs import logger
from chalicelib.wiring import wiring

StaffNamer = Callable[[str | None], str]
# Everyone in the directory; None while it cannot be read.
Entries = list[StaffEntry] | None


def staff_entries() -> Entries:
    try:
        return wiring().staff_directory.everyone()
    except AwsError as error:
        logger.warning("staff directory unavailable: staff unnamed on this page", extra={"error": error.code})
        return None


def name_of(staff_id: str | None, entries: Entries) -> str:
    """By name; "a former member of staff" for someone the directory no longer holds; "a member of
    staff" while the directory cannot be read (they may well still be here)."""
    if entries is None:
        return "a member of staff" if staff_id else "nobody"
    return staff_name(staff_id, entries)


def staff_namer() -> StaffNamer:
    entries = staff_entries()
    return lambda staff_id: name_of(staff_id, entries)
