"""The whole hub on one machine: moto's server, the app over HTTP, and an event pump.

Used by `make run` (local/run.py) and by the HTTP and browser tests:

    with LocalStack() as stack:            # free ports
        requests.get(stack.app_url + "/")
        stack.pump_once()                  # deliver schedules and queued events now

moto keeps its state in process-wide backends, so one LocalStack runs per process at a time;
each start begins from an empty emulator.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import socket
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from local.pump import EventPump

log = logging.getLogger("local.stack")

PROJECT_ROOT = Path(__file__).resolve().parent.parent
REGION = "eu-west-2"
# Popped while the stack runs: a named profile would make boto3 ignore the dummy credentials.
MASKED_ENV = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")


class LocalStack:
    """Start with `start()` or `with`; `stop()` releases both ports and restores the environment."""

    _active: LocalStack | None = None

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        app_port: int = 0,
        moto_port: int = 0,
        pump_interval: float | None = 1.0,
        schedule_interval: float = 5.0,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        """Port 0 picks a free port. `pump_interval=None` runs no pump thread (call `pump_once`)."""
        self.host = host
        self._app_port = app_port
        self._moto_port = moto_port
        self._pump_interval = pump_interval
        self._schedule_interval = schedule_interval
        self._extra_env = extra_env or {}
        self._saved_env: dict[str, str | None] = {}
        self._moto: Any = None
        self._server: Any = None
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        self.pump: EventPump | None = None
        self.app: Any = None
        self.moto_url = ""
        self.app_url = ""

    # -- lifecycle ----------------------------------------------------------------------------

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    @classmethod
    def active(cls) -> LocalStack | None:
        """The stack running in this process, if any: tests share it rather than start another."""
        return cls._active

    def start(self) -> Self:
        if LocalStack._active is not None:
            raise RuntimeError("a LocalStack is already running in this process (moto state is process-wide)")
        LocalStack._active = self
        self._stopping = threading.Event()
        try:
            self._start_emulator()
            self._set_environment()
            self._create_resources()
            self.app = _load_app()
            self.pump = EventPump(self.app, _client_factory(self.moto_url), REGION)
            self.pump.wire()
            self._start_app_server()
            if self._pump_interval is not None:
                self._spawn("event-pump", self._pump_forever)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the pump, the app server and the emulator; safe to call more than once."""
        self._stopping.set()
        for thread in self._threads:
            if thread.name == "event-pump":
                thread.join(timeout=30)
        if self._server is not None:
            self._server.shutdown()
            self._server.server.server_close()
            self._server = None
        if self._moto is not None and self._moto._server is not None:
            self._moto.stop()
            # ThreadedMotoServer.stop() shuts down but keeps the socket: close it to free the port.
            self._moto._server.server_close()
        self._moto = None
        self._threads = []
        self._restore_environment()
        if LocalStack._active is self:
            LocalStack._active = None
            _reset_wiring()

    def pump_once(self) -> int:
        """Run every schedule, then drain every queue, synchronously. Returns invocations made."""
        if self.pump is None:
            raise RuntimeError("the stack is not running")
        return self.pump.pump_once()

    # -- parts --------------------------------------------------------------------------------

    def _start_emulator(self) -> None:
        from moto.server import ThreadedMotoServer

        _refuse_busy_port(self.host, self._moto_port, "MASH_MOTO_PORT")
        _refuse_busy_port(self.host, self._app_port, "MASH_APP_PORT")
        # One access-log line per AWS call drowns the app's own log; warnings still show.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._moto = ThreadedMotoServer(ip_address=self.host, port=self._moto_port, verbose=False)
        self._moto.start()
        host, port = self._moto.get_host_and_port()
        self.moto_url = f"http://{host}:{port}"
        _reset_emulator()

    def _set_environment(self) -> None:
        env = {
            "MASH_STAGE": "local",
            "MASH_AWS_ENDPOINT_URL": self.moto_url,
            "MASH_COOKIE_SECURE": "false",
            # As in AWS (deploy/names.py CONFIGURATION_SET): the outbox's replay buttons need it.
            "MASH_SES_CONFIGURATION_SET": "mash-hub",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
            **self._extra_env,
        }
        for name in (*env, *MASKED_ENV):
            self._saved_env.setdefault(name, os.environ.get(name))
        for name in MASKED_ENV:
            os.environ.pop(name, None)
        os.environ.update(env)

    def _restore_environment(self) -> None:
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved_env = {}

    def _create_resources(self) -> None:
        from chalicelib.settings import get_settings, reset_settings
        from local.resources import create_resources

        reset_settings()
        created = create_resources(get_settings(), _client_factory(self.moto_url))
        # Known once the topic exists, as in AWS (the template passes it as MASH_AGENCY_TOPIC_ARN).
        self._set("MASH_AGENCY_TOPIC_ARN", created["agency_topic_arn"])
        self._set("MASH_EXPORT_TOPIC_ARN", created["export_topic_arn"])
        reset_settings()
        _reset_wiring()

    def _set(self, name: str, value: str) -> None:
        """Set an environment variable for the stack's life (restored by stop)."""
        self._saved_env.setdefault(name, os.environ.get(name))
        os.environ[name] = value

    def _start_app_server(self) -> None:
        from local.web_server import dev_server

        _make_request_local(self.app)
        # A method it has no handler for (TRACE…) is a 405 with Allow, as at API Gateway, not a 501.
        self._server = dev_server(self.app, _chalice_config(self.app), self.host, self._app_port)
        host, port = self._server.server.server_address[:2]
        self.app_url = f"http://{host}:{port}"
        # ThreadedHTTPServer: one thread per connection, so a browser's parallel asset fetches work.
        self._spawn("app-server", self._server.server.serve_forever)

    def _pump_forever(self) -> None:
        assert self.pump is not None and self._pump_interval is not None
        last_schedules = float("-inf")
        while not self._stopping.wait(self._pump_interval):
            run_schedules = time.monotonic() - last_schedules >= self._schedule_interval
            if run_schedules:
                last_schedules = time.monotonic()
            try:
                self.pump.pump_once(schedules=run_schedules)
            except Exception as exc:  # the emulator going away at stop: keep pumping
                log.warning("event pump cycle failed (%s)", type(exc).__name__)

    def _spawn(self, name: str, target: Any) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)


def _refuse_busy_port(host: str, port: int, variable: str) -> None:
    """Say which port is taken and how to choose another, before a server thread dies on it."""
    if port == 0:
        return
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            raise RuntimeError(f"port {port} on {host} is in use: stop what uses it, or set {variable}") from None


def _client_factory(endpoint_url: str) -> Any:
    import boto3

    clients: dict[str, Any] = {}

    def client(service: str) -> Any:
        if service not in clients:
            clients[service] = boto3.client(service, endpoint_url=endpoint_url, region_name=REGION)
        return clients[service]

    return client


def _reset_emulator() -> None:
    """Forget whatever an earlier stack in this process left in moto's backends."""
    from moto.moto_api import _internal

    _internal.moto_api_backend.reset()


def _reset_wiring() -> None:
    from chalicelib import wiring

    wiring.reset()


def _load_app() -> Any:
    """The Chalice app, imported with the local environment in force."""
    module = importlib.import_module("app")
    if not any(path.startswith("/_local") for path in module.app.routes):
        # Not reloaded: Chalice blueprints register correctly into one app per process only.
        raise RuntimeError("app was imported outside the local stage in this process; set MASH_STAGE=local first")
    return module.app


def _make_request_local(app: Any) -> None:
    """Make `app.current_request` per thread, as `chalice local` does, once per app object.

    (chalice.local.create_local_server does this too, but fails on a second call for one app.)
    """
    from chalice.local import LocalChalice

    if not isinstance(app, LocalChalice):
        app.__class__ = type("ThreadLocalChalice", (LocalChalice, app.__class__), {})


def _chalice_config(app: Any) -> Any:
    from chalice.config import Config

    with open(PROJECT_ROOT / ".chalice" / "config.json", encoding="utf-8") as handle:
        from_disk = json.load(handle)
    return Config(
        chalice_stage="local",
        config_from_disk=from_disk,
        user_provided_params={"chalice_app": app, "project_dir": str(PROJECT_ROOT)},
    )
