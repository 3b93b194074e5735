"""--impl resolution and the build step (artifact missing or older than a source)."""
from __future__ import annotations

import os
import sys
import time

import pytest
import yaml

from xent_conformance.harness.impls import ImplError, build, needs_build, resolve

from .helpers import FIXTURES, FAKE


@pytest.fixture
def toy_root(tmp_path, monkeypatch):
    (tmp_path / "spec").mkdir()
    (tmp_path / "spec" / "xent.yaml").write_text("specVersion: 1\n")
    (tmp_path / "conformance").mkdir()
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_text("source")
    script = f"import pathlib,shutil; pathlib.Path('bin').mkdir(exist_ok=True); shutil.copy({str(FAKE)!r}, 'bin/toy.py')"
    entries = {
        "toy": {"language": "python", "build": ["{python}", "-c", script], "sources": ["src"],
                "artifact": "bin/toy.py", "command": ["{python}", "bin/toy.py", "good"]},
        "broken": {"build": ["{python}", "-c", "import sys; print('compile error: x.go:3'); sys.exit(1)"],
                   "sources": ["src"], "artifact": "bin/never", "command": ["bin/never"]},
    }
    (tmp_path / "conformance" / "implementations.yaml").write_text(yaml.safe_dump(entries))
    monkeypatch.setenv("XENT_ROOT", str(tmp_path))
    return tmp_path


def test_build_when_missing_then_fresh_then_stale(toy_root):
    impl = resolve("toy")
    assert impl.own and impl.argv[0] == sys.executable
    assert needs_build(impl)
    build(impl, 60)
    assert (toy_root / "bin" / "toy.py").is_file()
    assert not needs_build(impl)
    later = time.time() + 5
    os.utime(toy_root / "src" / "a.txt", (later, later))
    assert needs_build(impl)


def test_failed_build_is_exit_2_with_its_output(toy_root, run_cli):
    with pytest.raises(ImplError, match="compile error"):
        build(resolve("broken"), 60)
    code, out, err = run_cli("run", "--impl", "broken", "--vectors", str(FIXTURES))
    assert code == 2 and "compile error: x.go:3" in err


def test_own_implementation_runs_from_the_root_at_level_accurate(toy_root, run_cli, tmp_path):
    report = tmp_path / "r.json"
    code, out, err = run_cli("run", "--impl", "toy", "--vectors", str(FIXTURES), "--report-json", str(report))
    assert code == 0, out + err
    assert "level accurate" in out
