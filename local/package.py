"""`make package`: the Lambda deployment package, with the templates and GOV.UK assets inside.

Chalice packages only app.py, chalicelib/ and vendor/, and unpacks vendor/ at the zip's root. So
templates/ and static/ are copied to vendor/templates and vendor/static: at run time they sit
beside app.py exactly as in the repo, where chalicelib.templating looks for them.

Every AWS resource the functions use comes from deploy/template.py, merged into Chalice's SAM
template (`--merge-template`); each function's IAM policy from deploy/policies.py, written to
.chalice/ where Chalice reads it. Output: build/deployment.zip and build/sam.json.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VENDOR = PROJECT_ROOT / "vendor"
BUILD = PROJECT_ROOT / "build"
BUNDLED = ("templates", "static")
STAGE = "prod"


def vendor_bundled_files() -> None:
    """Replace vendor/<dir> with a fresh copy of each bundled directory."""
    for name in BUNDLED:
        source = PROJECT_ROOT / name
        if not source.is_dir():
            raise SystemExit(f"{name}/ is missing: run `make assets` (static) or check out templates/")
        target = VENDOR / name
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(source, target, ignore=shutil.ignore_patterns(".built", "__pycache__", "*.pyc"))


def chalice_package(output: Path = BUILD, stage: str = STAGE) -> Path:
    """Run `chalice package`; returns the deployment zip's path."""
    from deploy.policies import write_policy_files
    from deploy.template import write_merge_template

    shutil.rmtree(output, ignore_errors=True)
    write_policy_files()
    merge_template = write_merge_template(output / "merge-template.json")
    chalice = Path(sys.executable).parent / "chalice"
    # `chalice package` imports app.py with the stage's settings, which refuse the local HMAC
    # secret. The value is used by this import only; nothing of it reaches the zip or template.
    # A region is needed for the template (partition, ARNs); no AWS call is made.
    env = {"MASH_HMAC_SECRET": "packaging-import-only", "AWS_DEFAULT_REGION": "eu-west-2", **os.environ}
    subprocess.run(
        [str(chalice), "package", "--stage", stage, "--merge-template", str(merge_template), str(output)],
        cwd=PROJECT_ROOT,
        env=env,
        check=True,
    )
    return output / "deployment.zip"


def build(output: Path = BUILD) -> Path:
    vendor_bundled_files()
    return chalice_package(output)


def main() -> None:
    zip_path = build()
    size_mb = zip_path.stat().st_size / 1_000_000
    template = json.loads((zip_path.parent / "sam.json").read_text())
    print(
        f"Built {zip_path.relative_to(PROJECT_ROOT)} ({size_mb:.1f} MB) and build/sam.json "
        f"({len(template['Resources'])} resources). Deploying: README, 'Deploying to AWS'."
    )


if __name__ == "__main__":
    main()
