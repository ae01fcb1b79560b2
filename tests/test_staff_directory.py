"""Staff by name: the user pool's MASH groups in AWS (moto's Cognito), the local issuer's list locally."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import boto3
import pytest

from chalicelib.adapters.staff_directory import CognitoStaffDirectory, FileStaffDirectory, InMemoryStaffDirectory
from chalicelib.domain.staff import Role, StaffEntry, staff_name
from local.issuer import SYNTHETIC_STAFF, LocalIssuer
from tests.emulated_aws import emulated_aws

NOW = dt.datetime(2026, 12, 7, 9, 30, tzinfo=dt.UTC)


def test_a_page_names_staff_and_never_shows_a_raw_id() -> None:
    entries = [StaffEntry("id-1", "Pat Practitioner", frozenset({Role.PRACTITIONER}))]

    assert staff_name("id-1", entries) == "Pat Practitioner"
    assert staff_name("0b6f7c1e-gone", entries) == "a former member of staff"
    assert staff_name(None, entries) == "nobody"


def test_the_local_stage_reads_the_local_issuers_synthetic_staff(tmp_path: Path) -> None:
    LocalIssuer(tmp_path)

    directory = FileStaffDirectory(tmp_path / "issuer-staff.json")

    named = {entry.id: (entry.name, entry.roles) for entry in directory.everyone()}
    assert named[SYNTHETIC_STAFF["manager"].id] == ("Morgan Manager", frozenset({Role.MANAGER}))
    assert len(named) == len(SYNTHETIC_STAFF)
    assert FileStaffDirectory(tmp_path / "missing.json").everyone() == []


def test_the_wiring_gives_the_local_directory_beside_the_jwks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib import wiring as wiring_module

    LocalIssuer(tmp_path)
    monkeypatch.setenv("MASH_LOCAL_JWKS_PATH", str(tmp_path / "issuer-jwks.json"))
    try:
        names = [entry.name for entry in wiring_module.reset().staff_directory.everyone()]
    finally:
        wiring_module.reset()
    assert names == sorted(s.name for s in SYNTHETIC_STAFF.values())


def _pool_with_staff(cognito: Any) -> str:
    pool = cognito.create_user_pool(PoolName="mash-staff")["UserPool"]["Id"]
    for role in Role:
        cognito.create_group(UserPoolId=pool, GroupName=role.value)
    cognito.create_group(UserPoolId=pool, GroupName="housing-officer")  # another service's group
    people = [
        ("pat", [{"Name": "name", "Value": "Pat Practitioner"}], [Role.PRACTITIONER.value]),
        (
            "morgan",
            [{"Name": "given_name", "Value": "Morgan"}, {"Name": "family_name", "Value": "Manager"}],
            [Role.MANAGER.value, Role.PRACTITIONER.value],
        ),
        ("hal", [{"Name": "name", "Value": "Hal Housing"}], ["housing-officer"]),
    ]
    for username, attributes, groups in people:
        cognito.admin_create_user(UserPoolId=pool, Username=username, UserAttributes=attributes)
        for group in groups:
            cognito.admin_add_user_to_group(UserPoolId=pool, Username=username, GroupName=group)
    return pool


def test_in_aws_the_user_pools_mash_groups_name_the_staff_with_their_roles() -> None:
    with emulated_aws():
        cognito = boto3.client("cognito-idp", region_name="eu-west-2")
        pool = _pool_with_staff(cognito)

        found = CognitoStaffDirectory(cognito, pool, lambda: NOW).everyone()

    assert [(entry.name, entry.roles) for entry in found] == [
        ("Morgan Manager", frozenset({Role.MANAGER, Role.PRACTITIONER})),
        ("Pat Practitioner", frozenset({Role.PRACTITIONER})),
    ]
    assert all(len(entry.id) == 36 for entry in found)  # the token's sub, not the username


def test_the_user_pool_is_read_once_every_few_minutes_not_on_every_page() -> None:
    moments = [NOW]
    with emulated_aws():
        cognito = boto3.client("cognito-idp", region_name="eu-west-2")
        pool = _pool_with_staff(cognito)
        calls: list[str] = []
        cognito.meta.events.register("before-call.cognito-idp.*", lambda model, **_: calls.append(model.name))
        directory = CognitoStaffDirectory(cognito, pool, lambda: moments[-1])

        directory.everyone()
        directory.everyone()
        first = len(calls)
        moments.append(NOW + dt.timedelta(minutes=6))
        directory.everyone()

    assert first == len(Role)  # one ListUsersInGroup per MASH group
    assert len(calls) == 2 * len(Role)


def test_the_in_memory_twin_sorts_by_name() -> None:
    twin = InMemoryStaffDirectory([StaffEntry("2", "zed", frozenset()), StaffEntry("1", "Amy", frozenset())])
    assert [entry.name for entry in twin.everyone()] == ["Amy", "zed"]
