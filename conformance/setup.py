"""The wheel carries the spec and the vectors (issue 14): build_py copies them from the checkout into
xent_conformance/data/ with a manifest of SHA-256 hashes (xent_conformance.paths.write_manifest), so
nothing is committed twice and the manifest is made from the very files packaged. Building outside a
checkout (from an sdist that already holds data/) keeps what is there."""
from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
CHECKOUT = HERE.parent


def _paths_module():
    """xent_conformance/paths.py loaded on its own (the package's dependencies need not be installed)."""
    spec = importlib.util.spec_from_file_location("_xent_paths", HERE / "src" / "xent_conformance" / "paths.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


class BuildWithData(build_py):
    def run(self) -> None:
        super().run()
        if not (CHECKOUT / "spec" / "xent.yaml").is_file():
            return  # an sdist or a copy without the checkout around it: data/ (if any) came with the sources
        paths = _paths_module()
        target = Path(self.build_lib) / "xent_conformance" / "data"
        if target.exists():
            shutil.rmtree(target)
        for rel in paths.data_files(CHECKOUT):
            (target / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(CHECKOUT / rel, target / rel)
        paths.write_manifest(target, target)


setup(cmdclass={"build_py": BuildWithData})
