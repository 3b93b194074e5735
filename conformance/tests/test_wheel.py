"""The wheel, installed anywhere (issue 14): built from the checkout, it carries the spec and the vectors
with a manifest of their hashes, and a fresh virtual environment outside the checkout runs the README's
minimal adapter through `smoke` and `run`, validates the packaged spec, and refuses `generate` without
--out with a usage error. Needs uv and the package index (or uv's cache): mark `network`, skipped
with -m "not network" or XENT_OFFLINE=1."""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from xent_conformance import paths

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.network,
    pytest.mark.skipif(shutil.which("uv") is None, reason="uv is not installed"),
    pytest.mark.skipif(os.environ.get("XENT_OFFLINE") == "1", reason="XENT_OFFLINE=1"),
]


def _readme_adapter() -> str:
    """The code block after "A minimal adapter" in README.md."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"A minimal adapter.*?```python\n(.*?)```", text, re.S)
    assert match, "README.md lost its minimal adapter"
    return match.group(1)


def _sh(*argv: str, cwd: Path, env: dict[str, str], codes: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess:
    proc = subprocess.run(list(argv), cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode in codes, f"{argv}: exit {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(bin folder, work folder outside the checkout, environment, wheel) of a fresh install."""
    base = tmp_path_factory.mktemp("wheel")
    assert ROOT not in base.parents, "the temporary folder must lie outside the checkout"
    env = {k: v for k, v in os.environ.items() if k not in ("XENT_ROOT", "VIRTUAL_ENV", "PYTHONPATH")}
    _sh("uv", "build", "--wheel", str(ROOT / "conformance"), "-o", str(base / "dist"), cwd=base, env=env)
    wheel = next((base / "dist").glob("xent_conformance-*.whl"))
    _sh("uv", "venv", "-q", "--python", sys.executable, str(base / "venv"), cwd=base, env=env)
    _sh("uv", "pip", "install", "-q", "--python", str(base / "venv" / "bin" / "python"), str(wheel), cwd=base, env=env)
    work = base / "work"
    work.mkdir()
    return base / "venv" / "bin", work, env, wheel


def test_the_wheel_carries_spec_and_vectors_with_a_current_manifest(installed):
    """Every packaged file is hashed in the manifest, and each hash is the checkout's file's: the
    manifest is made at build time from the files it packages, so it cannot go stale."""
    *_, wheel = installed
    with zipfile.ZipFile(wheel) as archive:
        prefix = "xent_conformance/data/"
        names = {n[len(prefix):] for n in archive.namelist() if n.startswith(prefix)}
        manifest = json.loads(archive.read(prefix + paths.MANIFEST))["files"]
        assert set(manifest) == names - {paths.MANIFEST}
        for rel, digest in manifest.items():
            assert hashlib.sha256(archive.read(prefix + rel)).hexdigest() == digest, rel
    expected = {p.as_posix() for p in paths.data_files(ROOT)}
    assert set(manifest) == expected
    assert "spec/xent.yaml" in manifest and "vectors/sigmoid_float64.json" in manifest
    for rel in expected:
        assert hashlib.sha256((ROOT / rel).read_bytes()).hexdigest() == manifest[rel], f"{rel} changed during the build"


def test_the_readme_adapter_runs_from_any_folder(installed):
    bin_dir, work, env, _ = installed
    (work / "adapter.py").write_text(_readme_adapter(), encoding="utf-8")
    impl = f"{bin_dir / 'python'} adapter.py"
    tool = str(bin_dir / "xent-conformance")
    version = _sh(tool, "--version", cwd=work, env=env)
    assert "xent-conformance" in version.stdout
    _sh(tool, "smoke", "--impl", impl, cwd=work, env=env)
    # the README's adapter computes values only (no input validation): --numerics-only
    run = _sh(tool, "run", "--impl", impl, "--function", "sigmoid", "--dtype", "float64", "--numerics-only",
              cwd=work, env=env)
    assert "numerics: CONFORMS" in run.stdout and "packaged" in run.stderr


def test_validate_and_generate_outside_a_checkout(installed):
    bin_dir, work, env, _ = installed
    tool = str(bin_dir / "xent-conformance")
    where = _sh(str(bin_dir / "python"), "-c", "from xent_conformance import paths; print(paths.vectors_dir())",
                cwd=work, env=env).stdout.strip()
    assert "site-packages" in where  # the packaged copy, not a checkout
    validate = _sh(tool, "validate", str(Path(where) / "sigmoid_float64.json"), cwd=work, env=env)
    assert "valid" in validate.stderr
    generate = _sh(tool, "generate", cwd=work, env=env, codes=(64,))
    assert "--out" in generate.stderr and "Traceback" not in generate.stderr
