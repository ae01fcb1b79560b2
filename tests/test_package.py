"""The deployment zip that `chalice package` builds holds the app, its templates and assets, and no dev tools."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from local import package

pytestmark = pytest.mark.package

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Dev-only, or (boto3/botocore) provided by the Lambda runtime and kept out of requirements.txt.
# (requests is not listed: govuk-bank-holidays needs it at run time.)
NOT_PACKAGED = ("moto", "pytest", "playwright", "axe_playwright_python", "ruff", "responses", "boto3", "botocore", "werkzeug", "flask")


@pytest.fixture(scope="module")
def zip_names(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    if not (PROJECT_ROOT / "static" / "govuk-frontend.min.css").exists():
        pytest.fail("static/ is not built: run `make assets` (make test does)")
    output = tmp_path_factory.mktemp("build")
    zip_path = package.build(output)
    with zipfile.ZipFile(zip_path) as built:
        return set(built.namelist())


def top_level(names: set[str]) -> set[str]:
    return {name.split("/", 1)[0] for name in names}


def test_zip_holds_the_app_and_chalicelib(zip_names: set[str]) -> None:
    assert "app.py" in zip_names
    assert "chalicelib/__init__.py" in zip_names
    assert "chalicelib/templating.py" in zip_names


def test_every_template_is_in_the_zip_beside_app_py(zip_names: set[str]) -> None:
    templates = {
        path.relative_to(PROJECT_ROOT).as_posix()
        for path in (PROJECT_ROOT / "templates").rglob("*")
        if path.is_file()
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
