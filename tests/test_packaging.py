"""The wheel: the grammar ships inside it, and a plain install parses and lints anywhere."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (found,) = out.glob("coqlkit-*.whl")
    return found


def test_wheel_contains_the_grammar_and_the_demo_org(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "coqlkit/language/grammar/coql.lark" in names
    assert "coqlkit/catalog/demo.py" in names
    assert "coqlkit/py.typed" in names
    grammar = zipfile.ZipFile(wheel).read("coqlkit/language/grammar/coql.lark").decode()
    assert grammar == (ROOT / "grammar" / "coql.lark").read_text()


@pytest.mark.slow
def test_plain_install_in_a_fresh_venv_lints_from_another_directory(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    bin_dir = venv / ("Scripts" if sys.platform == "win32" else "bin")
    subprocess.run(
        [str(bin_dir / "python"), "-m", "pip", "install", "-q", str(wheel)], check=True, timeout=600
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    lint = subprocess.run(
        [str(bin_dir / "coqlkit"), "lint", "--demo", "-"],
        input="select Emial from Leads",
        cwd=elsewhere,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert lint.returncode == 1
    assert "did you mean Email?" in lint.stdout
    check = (
        "import coqlkit, coqlkit.language._loader as l;"
        "print(coqlkit.__file__);"
        "print(l.resources.files('coqlkit.language').joinpath('grammar').joinpath('coql.lark').is_file());"
        "print(coqlkit.render(coqlkit.parse('select a from Leads where b = 1 and c = 2 and d = 3')))"
    )
    out = subprocess.run(
        [str(bin_dir / "python"), "-c", check], cwd=elsewhere, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out[0].startswith(str(venv)), "imported coqlkit from the source tree, not the wheel"
    assert out[1] == "True"
    assert out[2] == "select a from Leads where (b = 1 and c = 2) and d = 3"
