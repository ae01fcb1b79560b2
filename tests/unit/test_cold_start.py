"""What the deployed app leaves off its cold start: the staff API's answer models and request bodies
load when a handler first uses them (make bench's cold import), so `import app` must not load them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOADED_BY_IMPORT = """
import json, sys
import app
print(json.dumps(sorted(sys.modules)))
"""
DEPLOYED = {
    "MASH_STAGE": "prod",
    "MASH_HMAC_SECRET": "cold-start-test-only",
    "MASH_OUT_OF_HOURS_EMAIL": "duty@out-of-hours.example",
    "AWS_DEFAULT_REGION": "eu-west-2",
}


def test_import_app_loads_no_request_bodies_or_answer_models() -> None:
    env = {**os.environ, **DEPLOYED}
    env.pop("MASH_AWS_ENDPOINT_URL", None)
    result = subprocess.run(
        [sys.executable, "-c", LOADED_BY_IMPORT], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert "chalicelib.web.admin" in loaded  # the routes themselves are there
    assert [m for m in loaded if m == "chalicelib.web.admin.models" or ".responses" in m] == []
