"""The deployment zip that `chalice package` builds holds the app, its templates and assets, and no dev
tools; it is built with a Python whose Lambda runtime AWS still creates, and its compiled packages
are that Python's manylinux x86_64 wheels."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest

from local import package

pytestmark = pytest.mark.package

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Dev-only, or (boto3/botocore) provided by the Lambda runtime and kept out of requirements.txt.
# (requests is not listed: govuk-bank-holidays needs it at run time.)
NOT_PACKAGED = (
    "moto",
    "pytest",
    "playwright",
    "axe_playwright_python",
    "ruff",
    "responses",
    "boto3",
    "botocore",
    "werkzeug",
    "flask",
)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (PROJECT_ROOT / "static" / "govuk-frontend.min.css").exists():
        pytest.fail("static/ is not built: run `make assets` (make test does)")
    return package.build(tmp_path_factory.mktemp("build"))


@pytest.fixture(scope="module")
def zip_names(built: Path) -> set[str]:
    with zipfile.ZipFile(built) as archive:
        return set(archive.namelist())


@pytest.fixture(scope="module")
def runtime(built: Path) -> str:
    template = json.loads((built.parent / "sam.json").read_text())
    (found,) = {
        r["Properties"]["Runtime"] for r in template["Resources"].values() if r["Type"] == "AWS::Serverless::Function"
    }
    return str(found)


def top_level(names: set[str]) -> set[str]:
    return {name.split("/", 1)[0] for name in names}


def test_zip_holds_the_app_and_chalicelib(zip_names: set[str]) -> None:
    assert "app.py" in zip_names
    assert "chalicelib/__init__.py" in zip_names
    assert "chalicelib/templating.py" in zip_names


def test_every_template_is_in_the_zip_beside_app_py(zip_names: set[str]) -> None:
    templates = {
        path.relative_to(PROJECT_ROOT).as_posix() for path in (PROJECT_ROOT / "templates").rglob("*") if path.is_file()
    }
    assert templates, "templates/ should not be empty"
    assert templates <= zip_names, sorted(templates - zip_names)


def test_the_govuk_assets_are_in_the_zip(zip_names: set[str]) -> None:
    assert "static/govuk-frontend.min.css" in zip_names
    assert any(name.startswith("static/assets/fonts/") for name in zip_names)


def test_runtime_dependencies_are_in_the_zip(zip_names: set[str]) -> None:
    assert {"pydantic", "pydantic_core", "jinja2", "cryptography", "govuk_frontend_jinja"} <= top_level(zip_names)


@pytest.mark.parametrize("name", NOT_PACKAGED)
def test_no_dev_only_or_runtime_provided_package_is_in_the_zip(zip_names: set[str], name: str) -> None:
    assert name not in {top.lower() for top in top_level(zip_names)}
    assert not any(top.lower().startswith(f"{name}-") and ".dist-info" in top for top in top_level(zip_names))


# -- The runtime and the compiled wheels ----------------------------------------------------------


def test_the_package_is_built_for_a_runtime_aws_still_creates(runtime: str) -> None:
    assert runtime in {"python3.12", "python3.13"}


def test_compiled_modules_are_the_runtimes_own_linux_x86_64_builds(zip_names: set[str], runtime: str) -> None:
    abi = "cpython-" + runtime.removeprefix("python").replace(".", "")  # cpython-312
    extensions = sorted(name for name in zip_names if name.endswith(".so"))
    assert "pydantic_core/_pydantic_core." + abi + "-x86_64-linux-gnu.so" in extensions
    assert any(name.startswith("cryptography/") for name in extensions)
    wrong = [name for name in extensions if not re.search(rf"\.({abi}-x86_64-linux-gnu|abi3)\.so$", name)]
    assert wrong == []


def test_compiled_wheels_are_manylinux_x86_64_for_the_runtime(built: Path, runtime: str) -> None:
    python_tag = "cp" + runtime.removeprefix("python").replace(".", "")
    with zipfile.ZipFile(built) as archive:
        wheels = {
            name.split("/")[0]: [
                line.split(": ", 1)[1] for line in archive.read(name).decode().splitlines() if line.startswith("Tag:")
            ]
            for name in archive.namelist()
            if name.endswith(".dist-info/WHEEL")
        }
    compiled = {dist: tags for dist, tags in wheels.items() if not all(tag.endswith("-none-any") for tag in tags)}
    assert {"pydantic_core", "cryptography"} <= {dist.split("-")[0] for dist in compiled}
    for dist, tags in compiled.items():
        for tag in tags:
            interpreter, abi, platform = tag.split("-")
            assert platform.startswith("manylinux") and platform.endswith("_x86_64"), (dist, tag)
            # abi3 wheels (cryptography) are built for an older CPython and load on any later one.
            assert (interpreter, abi) == (python_tag, python_tag) or abi == "abi3", (dist, tag)


def test_the_zip_holds_no_bytecode_of_another_python(zip_names: set[str]) -> None:
    assert [name for name in zip_names if name.endswith(".pyc") or "__pycache__/" in name] == []


# -- Finding the build interpreter ----------------------------------------------------------------


def test_without_python_3_12_or_3_13_the_build_stops_and_says_how_to_install_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(package.BUILD_PYTHON_VARIABLE, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "pyenv"))
    with pytest.raises(SystemExit) as stopped:
        package.find_build_python()
    message = str(stopped.value)
    assert "python3.11" in message and "apt-get install python3.12 python3.12-venv" in message
    assert "pyenv install 3.12" in message and package.BUILD_PYTHON_VARIABLE in message


def test_a_pyenv_shim_that_does_not_run_is_skipped_for_the_pyenv_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pyenv global is 3.11 here: the `python3.12` shim exits 127; the installed 3.12 is used."""
    shims, versions = tmp_path / "shims", tmp_path / "pyenv" / "versions"
    shims.mkdir()
    shim = shims / "python3.12"
    shim.write_text("#!/bin/sh\necho 'pyenv: python3.12: command not found' >&2\nexit 127\n")
    shim.chmod(0o755)
    real = package.find_build_python()  # this machine's (the suite needs one anyway)
    installed = versions / f"{real.version[0]}.{real.version[1]}.99" / "bin"
    installed.mkdir(parents=True)
    (installed / f"python{real.version[0]}.{real.version[1]}").symlink_to(real.path)
    monkeypatch.delenv(package.BUILD_PYTHON_VARIABLE, raising=False)
    monkeypatch.setenv("PATH", str(shims))
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "pyenv"))
    found = package.find_build_python()
    assert found.path == str(installed / f"python{real.version[0]}.{real.version[1]}")
    assert found.version == real.version


def test_a_chosen_interpreter_that_is_too_old_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setenv(package.BUILD_PYTHON_VARIABLE, sys.executable)  # the project venv's 3.11
    with pytest.raises(SystemExit, match=package.BUILD_PYTHON_VARIABLE):
        package.find_build_python()


def test_the_build_venv_is_reused_while_its_requirements_are_unchanged(built: Path) -> None:
    python = package.find_build_python()
    stamp = python.venv / package.STAMP
    before = stamp.stat().st_mtime_ns
    assert package.build_venv(python) == python.venv / "bin" / "chalice"
    assert stamp.stat().st_mtime_ns == before
    assert stamp.read_text() == package._venv_fingerprint(python)
