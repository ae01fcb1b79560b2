"""The IAM policy files in .chalice/ are the ones deploy/policies.py writes, and config.json names them."""

from __future__ import annotations

import json

from deploy import names, policies
from deploy.template import merge_template


def test_the_policy_files_in_dot_chalice_match_deploy_policies() -> None:
    for name, document in policies.policy_documents().items():
        path = names.CHALICE_DIR / name
        assert path.exists(), f"run `python -m deploy.policies` to write .chalice/{name}"
        assert path.read_text() == policies.render(document), (
            f"run `python -m deploy.policies`: .chalice/{name} is stale"
        )


def test_config_json_gives_each_function_its_policy_file_and_no_generated_policy() -> None:
    prod = json.loads((names.CHALICE_DIR / "config.json").read_text())["stages"][names.STAGE]
    assert prod["autogen_policy"] is False
    assert prod["iam_policy_file"] == policies.DEFAULT_POLICY_FILE
    assert {name: entry["iam_policy_file"] for name, entry in prod["lambda_functions"].items()} == {
        f.chalice_name: f.policy_file for f in names.FUNCTIONS
    }


def test_the_local_stage_has_no_iam_settings() -> None:
    local = json.loads((names.CHALICE_DIR / "config.json").read_text())["stages"]["local"]
    assert not {"autogen_policy", "iam_policy_file", "lambda_functions"} & set(local)


def test_the_merge_template_is_plain_json() -> None:
    assert json.loads(json.dumps(merge_template())) == merge_template()
