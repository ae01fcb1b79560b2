"""Who the MASH staff are, by name: from the staff user pool (Cognito) in AWS, from the local
issuer's list of synthetic staff in the local stage. Pages show names from here instead of ids.

The directory changes rarely (someone joins or leaves), so it is read at most once every few minutes
per warm function: one ListUsersInGroup call per MASH group, not one per page.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from chalicelib.adapters.aws import aws_errors
from chalicelib.domain.staff import Role, StaffEntry

CACHE_FOR = dt.timedelta(minutes=5)


class StaffDirectory(Protocol):
    def everyone(self) -> list[StaffEntry]:
        """Every member of staff holding a MASH role, sorted by name."""
        ...


def _merged(found: dict[str, tuple[str, set[Role]]]) -> list[StaffEntry]:
    entries = [StaffEntry(id=i, name=name, roles=frozenset(roles)) for i, (name, roles) in found.items()]
    return sorted(entries, key=lambda entry: (entry.name.casefold(), entry.id))


class CognitoStaffDirectory:
    """The staff user pool's members of each MASH group (`name`, else given and family names, else
    their email's local part), cached for CACHE_FOR."""

    def __init__(self, cognito_client: Any, user_pool_id: str, clock: Callable[[], dt.datetime]) -> None:
        self._cognito = cognito_client
        self._pool = user_pool_id
        self._clock = clock
        self._read_at: dt.datetime | None = None
        self._entries: list[StaffEntry] = []

    def everyone(self) -> list[StaffEntry]:
        now = self._clock()
        if self._read_at is None or now - self._read_at >= CACHE_FOR:
            self._entries = self._read()
            self._read_at = now
        return self._entries

    def _read(self) -> list[StaffEntry]:
        found: dict[str, tuple[str, set[Role]]] = {}
        with aws_errors("cognito-idp"):
            for role in Role:
                pages = self._cognito.get_paginator("list_users_in_group").paginate(
                    UserPoolId=self._pool, GroupName=role.value
                )
                for page in pages:
                    for user in page.get("Users", []):
                        attributes = {a["Name"]: a["Value"] for a in user.get("Attributes", [])}
                        staff_id = attributes.get("sub") or user["Username"]
                        name, roles = found.get(staff_id, (_display_name(attributes, user["Username"]), set()))
                        found[staff_id] = (name, roles | {role})
        return _merged(found)


def _display_name(attributes: dict[str, str], username: str) -> str:
    if attributes.get("name"):
        return attributes["name"]
    given_and_family = " ".join(p for p in (attributes.get("given_name"), attributes.get("family_name")) if p)
    if given_and_family:
        return given_and_family
    return attributes.get("email", username).split("@")[0]


class FileStaffDirectory:
    """The local stage's directory: the JSON list the local issuer writes beside its JWKS
    ([{"id", "name", "roles": [group, ...]}]). A missing file is an empty directory."""

    def __init__(self, path: Path) -> None:
        self._path = path

    def everyone(self) -> list[StaffEntry]:
        if not self._path.exists():
            return []
        found: dict[str, tuple[str, set[Role]]] = {}
        for person in json.loads(self._path.read_text(encoding="utf-8")):
            found[person["id"]] = (person["name"], set(Role.from_groups(person.get("roles", []))))
        return _merged(found)


class InMemoryStaffDirectory:
    def __init__(self, entries: list[StaffEntry] | None = None) -> None:
        self.entries = list(entries or [])

    def everyone(self) -> list[StaffEntry]:
        return sorted(self.entries, key=lambda entry: (entry.name.casefold(), entry.id))
