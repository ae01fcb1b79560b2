"""Cold import of the deployed app, against a bare Chalice + boto3 + pydantic + jinja2 app.

Each sample is a fresh interpreter timing only its `import app` (interpreter start-up is the
same for both and left out). The app is imported as deployed: MASH_STAGE=prod, so the local-only
pages are not loaded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

BARE_APP = """
import boto3
import jinja2
import pydantic
from chalice import Chalice

app = Chalice(app_name="bare")


@app.route("/")
def index():
    return {"hello": "world"}
"""

TIME_IMPORT = """
import json, sys, time
started = time.perf_counter()
import app
elapsed = time.perf_counter() - started
print(json.dumps({"ms": elapsed * 1000, "botocore_loaded": "botocore" in sys.modules}))
"""

# Count every AWS API call and every client made while importing the app.
COUNT_CALLS = """
import json
import botocore.client, botocore.session
calls, clients = [], []
original_call = botocore.client.BaseClient._make_api_call
original_create = botocore.session.Session.create_client
def counting_call(self, operation, params):
    calls.append(self.meta.service_model.service_name + "." + operation)
    return original_call(self, operation, params)
def counting_create(self, *args, **kwargs):
    clients.append(args[0] if args else kwargs.get("service_name"))
    return original_create(self, *args, **kwargs)
botocore.client.BaseClient._make_api_call = counting_call
botocore.session.Session.create_client = counting_create
import app
print(json.dumps({"calls": calls, "clients": clients}))
"""


@dataclass(frozen=True)
class ImportTimes:
    app_ms: float
    bare_ms: float
    app_loads_botocore: bool

    @property
    def ratio(self) -> float:
        return self.app_ms / self.bare_ms


def deployed_env() -> dict[str, str]:
    env = {
        **os.environ,
        "MASH_STAGE": "prod",
        "MASH_HMAC_SECRET": "bench-only",
        "MASH_OUT_OF_HOURS_EMAIL": "bench-only@out-of-hours.example",
        "AWS_DEFAULT_REGION": "eu-west-2",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
    # Bytecode is cached after the warm-up run, as it is in the deployed package.
    for name in ("MASH_AWS_ENDPOINT_URL", "PYTHONDONTWRITEBYTECODE"):
        env.pop(name, None)
    return env


def _run(code: str, cwd: Path) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=deployed_env(), capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def best_import(cwd: Path, runs: int) -> tuple[float, bool]:
    samples = [_run(TIME_IMPORT, cwd) for _ in range(runs)]
    return min(s["ms"] for s in samples), any(s["botocore_loaded"] for s in samples)


def measure_import_times(runs: int = 7) -> ImportTimes:
    with tempfile.TemporaryDirectory(prefix="bare-app-") as folder:
        bare = Path(folder)
        (bare / "app.py").write_text(BARE_APP)
        _run(TIME_IMPORT, bare)  # compile .pyc once, as the deployed app's already are
        bare_ms, _ = best_import(bare, runs)
    _run(TIME_IMPORT, PROJECT_ROOT)
    app_ms, loads_botocore = best_import(PROJECT_ROOT, runs)
    return ImportTimes(app_ms=app_ms, bare_ms=bare_ms, app_loads_botocore=loads_botocore)


def aws_calls_at_import() -> dict[str, list[str]]:
    return _run(COUNT_CALLS, PROJECT_ROOT)
