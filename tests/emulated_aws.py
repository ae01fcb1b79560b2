"""moto, started the way every test needs it, without paying for what the hub never uses.

Two costs used to come with every test that touched AWS, about half a second each on a 2-core
machine, several minutes over the suite:
- moto clears boto3's default session when it starts, so each test's clients loaded the service
  models and endpoint rules from disk again. One session per test process keeps them loaded; each
  test still gets its own clients (the wiring is new) and its own empty moto account.
- moto makes an RSA-2048 private key for every KMS key it creates, symmetric ones included. The hub
  only has symmetric keys, so one generated key per key spec is reused.
- Creating every resource (`local/resources.create_resources`: ~50 calls through botocore and
  moto's request parsing) took ~0.2 s of every test. It runs once per process and settings; each
  later test starts from a deep copy of moto's state as it stood just after (~2 ms).
- moto's response serializer walks the output shape for every value it writes: a DynamoDB read of a
  referral (~200 AttributeValues) took ~7 ms, most of the fault suite's time. DynamoDB's reads
  (GetItem, Query, Scan, BatchGetItem) are already in wire form when moto has them (its
  `dynamo_to_dict`), so they are written as JSON straight away; tests/test_emulated_aws.py holds
  the body to what moto's serializer writes.
- moto backs up every table a transaction names by deep-copying the whole table, once per item in
  the transaction, before it writes: ~40 % of the suite's DynamoDB time, and growing with the table
  (the fault suite's shared account). The backup is only put back when the transaction is refused
  part way, and only the items the transaction names can have changed, so the backup now shares the
  untouched items and deep-copies only those; tests/test_emulated_aws.py holds the rollback to what
  moto's own backup gives.
- moto answers a Query on the table's own key by sorting every item of the table and keeping those
  of the partition asked for. The items of one partition are already together (moto files them by
  partition key), so such a Query now sorts only those; a GSI query is left as moto does it. The
  same test file holds the answers equal to moto's for pages, ranges, order, filters and counts.
Nothing the tests observe changes: requests still go through moto's stubbed endpoints, and every
test starts from its own copy of a freshly created account: nothing one test writes reaches another.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_session: Any = None
_private_keys: dict[str, Any] = {}
# moto's state just after create_resources, what it returned, and the settings it read (name, value).
_created_states: list[tuple[list[tuple[Any, str, str, Any, dict[str, Any]]], dict[str, str], dict[str, Any]]] = []


def _reuse_private_keys() -> None:
    import moto.kms.models as kms_models

    generate = kms_models.generate_private_key
    if getattr(generate, "reused", False):
        return

    def reused(key_spec: str) -> Any:
        if key_spec not in _private_keys:
            _private_keys[key_spec] = generate(key_spec)
        return _private_keys[key_spec]

    reused.reused = True  # type: ignore[attr-defined]
    kms_models.generate_private_key = reused


@contextmanager
def emulated_aws() -> Iterator[None]:
    """`mock_aws()`, with this process's one boto3 session and moto's KMS key material reused."""
    global _session
    import boto3
    from moto import mock_aws

    _reuse_private_keys()
    _dynamodb_reads_written_directly()
    _transactions_back_up_only_their_items()
    _queries_read_only_their_partition()
    with mock_aws():
        if _session is None:
            # Made while moto is active, so moto's request hook is among its handlers.
            _session = boto3.Session()
        boto3.DEFAULT_SESSION = _session  # moto puts its own None back when it stops
        yield


@contextmanager
def hub_with_resources(env: Any) -> Iterator[Any]:
    """Every resource created in a fresh moto account, as `make run` does; yields the new wiring.
    `env` is a pytest MonkeyPatch: the agency topic's ARN is handed over as local/stack.py does."""
    from chalicelib import wiring as wiring_module

    with emulated_aws():
        hub = wiring_module.reset()
        created = _resources_for(hub)
        env.setenv("MASH_AGENCY_TOPIC_ARN", created["agency_topic_arn"])
        env.setenv("MASH_EXPORT_TOPIC_ARN", created["export_topic_arn"])
        yield wiring_module.reset()
    wiring_module.reset()


def _resources_for(hub: Any) -> dict[str, str]:
    """create_resources the first time for the settings it reads (moto's state then kept); a copy of
    that state after, in the fresh account moto has just started."""
    import copy

    from local.resources import create_resources

    _copyable_locks()
    for state, created, read in _created_states:
        if all(getattr(hub.settings, name) == value for name, value in read.items()):
            for backends, account, region, was, attributes in state:
                now = backends[account][region]  # a new backend, as moto makes it on first use
                # References to the backend object itself point at the new one, not a copy of the old.
                now.__dict__.update(copy.deepcopy(attributes, {id(was): now}))
            return created
    watched = _SettingsRead(hub.settings)
    created = create_resources(watched, hub.aws_client)  # type: ignore[arg-type]
    _created_states.append((_moto_state(), created, watched.read))
    return created


class _SettingsRead:
    """The settings, noting each one create_resources reads: another test's settings that agree on
    all of them (most differ only in a token issuer's key path) get the same resources."""

    def __init__(self, settings: Any) -> None:
        self._settings = settings
        self.read: dict[str, Any] = {}

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._settings, name)
        self.read[name] = value
        return value


def _moto_state() -> list[tuple[Any, str, str, Any, dict[str, Any]]]:
    """Every backend moto holds (each service, account and region in use), with a deep copy of its
    attributes: taken just after the resources were made, before any test wrote anything."""
    import copy

    from moto.core.base_backend import BackendDict

    return [
        (backends, account, region, backend, copy.deepcopy(backend.__dict__, {id(backend): backend}))
        for backends in list(BackendDict._instances)
        for account, region, backend in backends.iter_backends()
    ]


def _copyable_locks() -> None:
    """moto's queues and tables hold locks, which copy.deepcopy refuses: a copy gets a new lock. A
    Condition (an SQS queue's) gets a new one of its own: copied field by field, it would keep the
    old lock's bound acquire and release (deepcopy does not copy builtin methods) beside a new lock."""
    import copyreg
    import threading

    copyreg.pickle(threading.Condition, lambda _condition: (threading.Condition, ()))
    copyreg.pickle(type(threading.Lock()), lambda _lock: (threading.Lock, ()))
    copyreg.pickle(type(threading.RLock()), lambda _lock: (threading.RLock, ()))


# DynamoDB reads whose results moto holds in wire form already (dynamo_to_dict): no timestamps in them.
DIRECT_READS = frozenset({"GetItem", "Query", "Scan", "BatchGetItem"})


def direct_body(result: dict[str, Any], members: Any) -> str:
    """The output shape's top-level members, as DynamoDB's JSON: bytes in base64, None left out."""
    import base64
    import json

    def encode(value: Any) -> Any:
        if isinstance(value, bytes):
            return base64.b64encode(value).decode()
        raise TypeError(f"not JSON: {type(value).__name__}")

    return json.dumps({k: v for k, v in result.items() if k in members and v is not None}, default=encode)


def _dynamodb_reads_written_directly() -> None:
    from moto.dynamodb.responses import DynamoResult

    serialize = DynamoResult.execute_result
    if getattr(serialize, "direct", False):
        return

    def execute_result(self: Any, context: Any) -> Any:
        operation = context.operation_model
        if operation.name not in DIRECT_READS or not isinstance(self.result, dict):
            return serialize(self, context)
        headers = {"Content-Type": f"application/x-amz-json-{context.service_model.metadata['jsonVersion']}"}
        return 200, headers, direct_body(self.result, operation.output_shape.members)

    execute_result.direct = True  # type: ignore[attr-defined]
    execute_result.moto = serialize  # type: ignore[attr-defined]  # for the test that holds the two equal
    DynamoResult.execute_result = execute_result  # type: ignore[method-assign]


# The items of the transaction moto is running on this thread (its backups are taken inside it).
_transaction = threading.local()


def _transactions_back_up_only_their_items() -> None:
    import copy as copy_module

    from moto.dynamodb import models as dynamodb_models

    transact = dynamodb_models.DynamoDBBackend.transact_write_items
    if getattr(transact, "item_backups", False):
        return

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        _transaction.items = transact_items
        try:
            transact(self, transact_items)
        finally:
            _transaction.items = None

    class _BackupCopy:
        """Stands in for the `copy` module inside moto's DynamoDB backend (whose only deep copy of a
        table is a transaction's backup): a table is copied item by item only where the running
        transaction names an item; anything else is copied as before."""

        copy = staticmethod(copy_module.copy)

        @staticmethod
        def deepcopy(value: Any, memo: Any = None) -> Any:
            items = getattr(_transaction, "items", None)
            if isinstance(value, dynamodb_models.Table) and items is not None:
                backup = table_backup(value, items)
                if backup is not None:
                    return backup
            return copy_module.deepcopy(value, memo)

    transact_write_items.item_backups = True  # type: ignore[attr-defined]
    transact_write_items.moto = transact  # type: ignore[attr-defined]  # for the test of the rollback
    dynamodb_models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    dynamodb_models.copy = _BackupCopy  # type: ignore[assignment]


def table_backup(table: Any, transact_items: list[dict[str, Any]]) -> Any:
    """`table` as a rollback needs it: its own item index, the named items deep-copied, the rest
    shared (nothing but the named items can change inside the transaction). None when the table
    has a stream (its records would be shared) or a key cannot be read (moto refuses it later)."""
    import copy

    from moto.dynamodb.models.dynamo_type import DynamoType

    if table.stream_shard is not None:
        return None
    keys: list[tuple[Any, Any]] = []
    for entry in transact_items:
        operation = next(iter(entry.values()), None)
        if not isinstance(operation, dict) or operation.get("TableName") != table.name:
            continue
        attributes = operation.get("Item") or operation.get("Key") or {}
        try:
            hash_value = DynamoType(attributes[table.hash_key_attr])
            range_value = DynamoType(attributes[table.range_key_attr]) if table.range_key_attr else None
        except (KeyError, TypeError, AttributeError):
            return None
        keys.append((hash_value, range_value))
    backup = copy.copy(table)
    backup.items = copy.copy(table.items)
    for hash_value, range_value in keys:
        if hash_value not in table.items:
            continue
        if range_value is None:
            backup.items[hash_value] = copy.deepcopy(table.items[hash_value])
            continue
        if backup.items[hash_value] is table.items[hash_value]:
            backup.items[hash_value] = dict(table.items[hash_value])
        if range_value in table.items[hash_value]:
            backup.items[hash_value][range_value] = copy.deepcopy(table.items[hash_value][range_value])
    return backup


# The partition a base-table Query on this thread is reading: (table, partition key).
_query = threading.local()


def _queries_read_only_their_partition() -> None:
    import inspect

    from moto.dynamodb.models.table import Table

    query, all_items = Table.query, Table.all_items
    if getattr(query, "by_partition", False):
        return
    signature = inspect.signature(query)

    def partition_query(self: Any, *args: Any, **kwargs: Any) -> Any:
        asked = signature.bind(self, *args, **kwargs).arguments
        if asked.get("index_name") or asked.get("hash_key") is None:
            return query(self, *args, **kwargs)
        _query.partition = (self, asked["hash_key"])
        try:
            return query(self, *args, **kwargs)
        finally:
            _query.partition = None

    def items_of_the_partition(self: Any) -> Any:
        partition = getattr(_query, "partition", None)
        if partition is None or partition[0] is not self:
            return all_items(self)
        hash_key = partition[1]
        if hash_key not in self.items:  # `in`: self.items is a defaultdict, a lookup would add the key
            return []
        held = self.items[hash_key]
        items = list(held.values()) if self.range_key_attr else [held]
        return sorted(items, key=lambda x: (x.hash_key, x.range_key) if x.range_key else x.hash_key)

    partition_query.by_partition = True  # type: ignore[attr-defined]
    partition_query.moto = query  # type: ignore[attr-defined]  # for the test that holds the two equal
    Table.query = partition_query  # type: ignore[method-assign]
    Table.all_items = items_of_the_partition  # type: ignore[method-assign]
