"""`make package`: the Lambda deployment package, with the templates and GOV.UK assets inside.

Chalice packages only app.py, chalicelib/ and vendor/, and unpacks vendor/ at the zip's root. The
build runs on a staged copy of the project (a temporary directory) where templates/ and static/ are
copied to vendor/templates and vendor/static: at run time they sit beside app.py exactly as in the
repo, where chalicelib.templating looks for them.

Every AWS resource the functions use comes from deploy/template.py, merged into Chalice's SAM
template (`--merge-template`); each function's IAM policy from deploy/policies.py, written to
.chalice/ (by `make package`; the staged copy gets its own). Output: build/deployment.zip and
build/sam.json.

The Lambda runtime. `chalice package` takes it from the Python that runs it (python3.11 from the
project's venv), and it downloads the compiled wheels (pydantic-core, cryptography) for that
version. AWS no longer creates python3.11 functions, so chalice runs from a separate build venv
(build/venv312) made with Python 3.12 (or 3.13) and holding chalice and the runtime requirements
only: the template then says python3.12 and the zip holds cp312 manylinux x86_64 wheels. The venv is
made once and reused while requirements.txt and the pins below are unchanged. The interpreter:
MASH_BUILD_PYTHON if set, else python3.12/python3.13 on PATH, else pyenv's versions directory; none
found is an error (never a silent python3.11 build).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BUILD = PROJECT_ROOT / "build"
DEPENDENCY_CACHE = BUILD / "chalice-deployments"
BUNDLED = ("templates", "static")
STAGE = "prod"
# Lambda runtimes AWS still creates functions on, in order of preference.
LAMBDA_PYTHONS = ((3, 12), (3, 13))
BUILD_PYTHON_VARIABLE = "MASH_BUILD_PYTHON"
# What chalice writes into the output directory (removed before a build; nothing else is).
OUTPUTS = ("deployment.zip", "sam.json", "merge-template.json")
# The build venv's packages besides requirements.txt: the same pins as the project's venv.
BUILD_TOOLS = ("chalice", "boto3")
STAMP = ".mash-build-venv"
# Environment that would make the build venv's Python read another interpreter's packages.
FOREIGN_ENVIRONMENT = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP", "PYTHONUSERBASE")
NO_BUILD_PYTHON = """\
`make package` needs Python 3.12 or 3.13 to build the Lambda package: chalice takes the Lambda
runtime from the Python that runs it, and AWS no longer creates python3.11 functions.
None was found (tried ${variable}, python3.12 and python3.13 on PATH, {pyenv}/versions/3.1[23]*).
Install one, then run `make package` again:
  Debian/Ubuntu:  apt-get install python3.12 python3.12-venv
  pyenv:          pyenv install 3.12
or point {variable} at one: make package {variable}=/path/to/python3.12"""


@dataclass(frozen=True)
class BuildPython:
    path: str
    version: tuple[int, int]

    @property
    def runtime(self) -> str:
        return f"python{self.version[0]}.{self.version[1]}"

    @property
    def venv(self) -> Path:
        return BUILD / f"venv{self.version[0]}{self.version[1]}"


# -- The interpreter ------------------------------------------------------------------------------


def _probe(path: str) -> tuple[int, int] | None:
    """The version of a Python that can make a venv with pip; None if it does not run (e.g. a pyenv
    shim for a version that is not selected) or lacks venv/ensurepip (Debian without python3.X-venv)."""
    try:
        answer = subprocess.run(
            [path, "-c", "import sys, venv, ensurepip; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
            env=_clean_environment(),
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = re.fullmatch(r"(\d+)\.(\d+)\s*", answer.stdout)
    if answer.returncode != 0 or not found:
        return None
    return int(found.group(1)), int(found.group(2))


def _pyenv_root() -> Path:
    return Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")


def _version_key(path: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", path.name)[:3])


def _candidates() -> Iterator[str]:
    for major, minor in LAMBDA_PYTHONS:
        on_path = shutil.which(f"python{major}.{minor}")
        if on_path:
            yield on_path
    versions = _pyenv_root() / "versions"
    for major, minor in LAMBDA_PYTHONS:
        installed = sorted(versions.glob(f"{major}.{minor}.*"), key=_version_key, reverse=True)
        for directory in installed:
            yield str(directory / "bin" / f"python{major}.{minor}")


def find_build_python() -> BuildPython:
    """The Python to run `chalice package` with: a version Lambda still creates functions on."""
    chosen = os.environ.get(BUILD_PYTHON_VARIABLE)
    if chosen:
        version = _probe(chosen)
        if version is None or version not in LAMBDA_PYTHONS:
            wanted = " or ".join(f"{major}.{minor}" for major, minor in LAMBDA_PYTHONS)
            raise SystemExit(
                f"{BUILD_PYTHON_VARIABLE}={chosen} is not a Python {wanted} that can make a venv "
                f"(found {'.'.join(map(str, version)) if version else 'nothing that runs'})"
            )
        return BuildPython(chosen, version)
    for path in _candidates():
        version = _probe(path)
        if version is not None and version in LAMBDA_PYTHONS:
            return BuildPython(path, version)
    raise SystemExit(NO_BUILD_PYTHON.format(variable=BUILD_PYTHON_VARIABLE, pyenv=_pyenv_root()))


# -- The build venv -------------------------------------------------------------------------------


def _pins() -> list[str]:
    """chalice==X and boto3==Y as requirements-dev.txt pins them."""
    lines = (PROJECT_ROOT / "requirements-dev.txt").read_text().splitlines()
    pins = [line.strip() for line in lines if line.split("==")[0].strip() in BUILD_TOOLS and "==" in line]
    if len(pins) != len(BUILD_TOOLS):
        raise SystemExit(f"requirements-dev.txt must pin {', '.join(BUILD_TOOLS)} (name==version)")
    return pins


def _venv_fingerprint(python: BuildPython) -> str:
    """Changes when the venv must be made again: the interpreter, the pins, requirements.txt."""
    parts = [python.path, python.runtime, *_pins(), (PROJECT_ROOT / "requirements.txt").read_text()]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


@contextmanager
def _locked(name: str) -> Iterator[None]:
    """One process at a time making the build venv or using chalice's dependency cache (test
    workers build in parallel)."""
    BUILD.mkdir(parents=True, exist_ok=True)
    with open(BUILD / f".{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def build_venv(python: BuildPython) -> Path:
    """The build venv for this interpreter, made (or made again) if its requirements changed.
    Returns its chalice executable."""
    venv, fingerprint = python.venv, _venv_fingerprint(python)
    chalice = venv / "bin" / "chalice"
    stamp = venv / STAMP
    with _locked(venv.name):
        if chalice.exists() and stamp.exists() and stamp.read_text() == fingerprint:
            return chalice
        print(
            f"Making the build venv {venv.relative_to(PROJECT_ROOT)} with {python.path} ({python.runtime})", flush=True
        )
        shutil.rmtree(venv, ignore_errors=True)
        env = _clean_environment()
        subprocess.run([python.path, "-m", "venv", str(venv)], check=True, env=env)
        subprocess.run(
            [
                str(venv / "bin" / "python"),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                *_pins(),
                "-r",
                str(PROJECT_ROOT / "requirements.txt"),
            ],
            check=True,
            env=env,
        )
        stamp.write_text(fingerprint)
    return chalice


def _clean_environment() -> dict[str, str]:
    return {name: value for name, value in os.environ.items() if name not in FOREIGN_ENVIRONMENT}


# -- The package ----------------------------------------------------------------------------------


def stage_project(stage: Path) -> None:
    """What chalice packages, copied into `stage`: app.py, chalicelib/ (no bytecode: the project
    venv's .pyc are for another Python), requirements.txt, .chalice/ with config.json and the
    policies from deploy/policies.py, and vendor/ with the bundled templates and static files.
    Builds never share a working directory, so parallel ones (test workers) cannot mix files."""
    from deploy.policies import write_policy_files

    no_bytecode = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copy2(PROJECT_ROOT / "app.py", stage / "app.py")
    shutil.copy2(PROJECT_ROOT / "requirements.txt", stage / "requirements.txt")
    shutil.copytree(PROJECT_ROOT / "chalicelib", stage / "chalicelib", ignore=no_bytecode)
    (stage / ".chalice").mkdir()
    shutil.copy2(PROJECT_ROOT / ".chalice" / "config.json", stage / ".chalice" / "config.json")
    write_policy_files(stage / ".chalice")
    for name in BUNDLED:
        source = PROJECT_ROOT / name
        if not source.is_dir():
            raise SystemExit(f"{name}/ is missing: run `make assets` (static) or check out templates/")
        shutil.copytree(
            source, stage / "vendor" / name, ignore=shutil.ignore_patterns(".built", "__pycache__", "*.pyc")
        )
    # Chalice keeps the dependencies it built by a hash of requirements.txt, the app's files and
    # vendor/: shared between builds, so an unchanged app is not built again.
    DEPENDENCY_CACHE.mkdir(parents=True, exist_ok=True)
    (stage / ".chalice" / "deployments").symlink_to(DEPENDENCY_CACHE, target_is_directory=True)


def chalice_package(output: Path = BUILD, stage_name: str = STAGE, python: BuildPython | None = None) -> Path:
    """Run `chalice package` with the build venv's Python on a staged copy of the project; returns
    the deployment zip's path."""
    from deploy.template import write_merge_template

    python = python or find_build_python()
    chalice = build_venv(python)
    output = output.resolve()
    output.mkdir(parents=True, exist_ok=True)
    for name in OUTPUTS:  # only chalice's outputs: build/ also holds the build venv
        (output / name).unlink(missing_ok=True)
    merge_template = write_merge_template(output / "merge-template.json")
    # `chalice package` imports app.py with the stage's settings, which refuse the local HMAC
    # secret. The value is used by this import only; nothing of it reaches the zip or template.
    # A region is needed for the template (partition, ARNs); no AWS call is made.
    env = {
        "MASH_HMAC_SECRET": "packaging-import-only",
        "MASH_OUT_OF_HOURS_EMAIL": "packaging-import-only@out-of-hours.example",
        "AWS_DEFAULT_REGION": "eu-west-2",
        "PYTHONDONTWRITEBYTECODE": "1",
        **_clean_environment(),
    }
    with tempfile.TemporaryDirectory(prefix="mash-package-") as directory, _locked("dependency-cache"):
        stage = Path(directory)
        stage_project(stage)
        answer = subprocess.run(
            [str(chalice), "package", "--stage", stage_name, "--merge-template", str(merge_template), str(output)],
            cwd=stage,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        _prune_dependency_cache()
    sys.stdout.write(answer.stdout)
    sys.stderr.write(answer.stderr)
    answer.check_returncode()
    if "Could not install dependencies" in answer.stdout + answer.stderr:
        # Chalice carries on without them; the functions would fail at import in AWS.
        raise SystemExit(f"chalice package could not get every dependency for {python.runtime} (above)")
    _check_runtime(output / "sam.json", python.runtime)
    return output / "deployment.zip"


def _prune_dependency_cache(keep: int = 4) -> None:
    """Chalice's cache gets a ~10 MB zip per change of the app: keep the newest few."""
    cached = sorted(DEPENDENCY_CACHE.glob("*.zip"), key=lambda path: path.stat().st_mtime, reverse=True)
    for old in cached[keep:]:
        old.unlink(missing_ok=True)


def _check_runtime(template: Path, runtime: str) -> None:
    resources = json.loads(template.read_text())["Resources"].values()
    runtimes = {r["Properties"]["Runtime"] for r in resources if r.get("Type") == "AWS::Serverless::Function"}
    if runtimes != {runtime}:
        raise SystemExit(f"the template's Lambda runtimes are {sorted(runtimes)}, not {runtime}")


def build(output: Path = BUILD) -> Path:
    """build/deployment.zip and build/sam.json (or into `output`). The policy files in .chalice/
    are not touched: `make package` (main) writes them, the package is built from its own copy."""
    return chalice_package(output, python=find_build_python())


def main(arguments: list[str]) -> None:
    from deploy.policies import write_policy_files

    if arguments not in ([], ["--build-venv"]):
        raise SystemExit("usage: python -m local.package [--build-venv]")
    if arguments == ["--build-venv"]:
        # `make test`'s setup, beside the project venv: the tools are installed before the timed
        # tests start (~20 s on a fresh machine), and nothing happens while they are up to date.
        build_venv(find_build_python())
        return
    python = find_build_python()  # first: without one, fail before touching anything
    write_policy_files()  # .chalice/, where the README says they are (a test checks they match)
    zip_path = chalice_package(BUILD, python=python)
    size_mb = zip_path.stat().st_size / 1_000_000
    template = json.loads((zip_path.parent / "sam.json").read_text())
    runtimes = sorted(
        {
            r["Properties"]["Runtime"]
            for r in template["Resources"].values()
            if r.get("Type") == "AWS::Serverless::Function"
        }
    )
    print(
        f"Built {zip_path.relative_to(PROJECT_ROOT)} ({size_mb:.1f} MB, {', '.join(runtimes)}) and build/sam.json "
        f"({len(template['Resources'])} resources). Deploying: README, 'Deploying to AWS'."
    )


if __name__ == "__main__":
    main(sys.argv[1:])
