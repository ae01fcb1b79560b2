"""moto, started the way every test needs it, without paying for what the hub never uses.

Two costs used to come with every test that touched AWS, about half a second each on a 2-core
machine, several minutes over the suite:
- moto clears boto3's default session when it starts, so each test's clients loaded the service
  models and endpoint rules from disk again. One session per test process keeps them loaded; each
  test still gets its own clients (the wiring is new) and its own empty moto account.
- moto makes an RSA-2048 private key for every KMS key it creates, symmetric ones included. The hub
  only has symmetric keys, so one generated key per key spec is reused.
Nothing the tests observe changes: requests still go through moto's stubbed endpoints, and every
resource is created afresh in each test.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_session: Any = None
_private_keys: dict[str, Any] = {}


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
    from local.resources import create_resources

    with emulated_aws():
        hub = wiring_module.reset()
        created = create_resources(hub.settings, hub.aws_client)
        env.setenv("MASH_AGENCY_TOPIC_ARN", created["agency_topic_arn"])
        env.setenv("MASH_EXPORT_TOPIC_ARN", created["export_topic_arn"])
        yield wiring_module.reset()
    wiring_module.reset()
