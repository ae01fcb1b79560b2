"""`make bench`: printed figures, not a timed test. Goals from the foundation issue in brackets."""

from __future__ import annotations

import logging
import zipfile
from pathlib import Path

from bench import imports, referrals

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ZIP = PROJECT_ROOT / "build" / "deployment.zip"


def show(label: str, value: str, goal: str = "", met: bool | None = None) -> None:
    verdict = "" if met is None else ("  ok" if met else "  MISSED")
    goal_text = f"  [goal {goal}]" if goal else ""
    print(f"  {label:<44} {value}{goal_text}{verdict}", flush=True)


def cold_import() -> None:
    print("(a) Cold import, best of 7 fresh processes (MASH_STAGE=prod)")
    times = imports.measure_import_times()
    show("deployed app", f"{times.app_ms:.0f} ms")
    show("bare Chalice+boto3+pydantic+jinja2 app", f"{times.bare_ms:.0f} ms")
    show("ratio", f"{times.ratio:.2f}x", "<= 1.4x", times.ratio <= 1.4)
    show("botocore loaded by `import app`", "yes" if times.app_loads_botocore else "no")


def calls_at_import() -> None:
    print("(b) AWS at import")
    found = imports.aws_calls_at_import()
    show("API calls", str(len(found["calls"])) + (f" {found['calls']}" if found["calls"] else ""), "0", not found["calls"])
    show("clients created", str(len(found["clients"])), "0", not found["clients"])


def per_referral() -> None:
    print("(c) Per referral via POST /api/referrals (in-process moto; 3 examples x 3, after a warm-up)")
    result = referrals.measure_per_referral()
    show("kms.GenerateDataKey", f"{result.generate_data_key:g}", "exactly 1", result.generate_data_key == 1)
    show("all KMS calls", f"{result.kms_calls:g}")
    show("DynamoDB WCU (from item sizes)", f"{result.total_wcu:g}", "<= 3", result.total_wcu <= 3)
    for name, wcu in result.wcu.items():
        show(f"  of which {name}", f"{wcu:g}")
    show("  stored referral item size", f"{result.item_bytes:.0f} bytes (mean)")
    for name, n in result.calls.items():
        show(f"  call {name}", f"{n:g}")


def latency() -> None:
    print("(d) Latency of 500 submissions (chalice.test.Client, in-process moto)")
    result = referrals.measure_latency()
    show("p50", f"{result.p50_ms:.1f} ms")
    show("p99", f"{result.p99_ms:.1f} ms")
    show("mean", f"{result.mean_ms:.1f} ms")


def package_size() -> None:
    print("(e) Deployment package (rebuilt now with `make package`'s steps)")
    import subprocess

    from local import package

    try:
        package.build()
    except subprocess.CalledProcessError:
        if not ZIP.exists():
            raise
        print("  chalice package failed: the figure below is of the last build", flush=True)
    with zipfile.ZipFile(ZIP) as built:
        unpacked = sum(info.file_size for info in built.infolist())
        files = len(built.infolist())
    show("build/deployment.zip", f"{ZIP.stat().st_size / 1e6:.2f} MB ({unpacked / 1e6:.1f} MB unzipped, {files} files)")


def main() -> None:
    # The app logs each submission; the figures are what this run is for.
    logging.disable(logging.INFO)
    cold_import()
    calls_at_import()
    per_referral()
    latency()
    package_size()


if __name__ == "__main__":
    main()
