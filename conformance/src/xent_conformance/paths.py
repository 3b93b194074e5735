"""Where the spec, the case files, the schemas and the vectors live.

Inside a checkout (or with XENT_ROOT set) the checkout's files are used, so an edit to spec/ or vectors/
counts at once. Elsewhere -- `pip install ./conformance` and run from any folder -- the copies packaged
with xent_conformance (xent_conformance/data/, written by the wheel build from the checkout, with a
manifest of SHA-256 hashes) are used. Which one is in use: `source()`.
"""
from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path

PACKAGED = Path(__file__).resolve().parent / "data"   # written by the wheel build (conformance/setup.py)
MANIFEST = "manifest.json"


class NoCheckout(FileNotFoundError):
    """Neither a checkout nor packaged data: the message says what to do (a usage error, exit 64)."""


def _checkout() -> Path | None:
    """$XENT_ROOT, else the nearest parent of cwd or of this file holding spec/xent.yaml, else None."""
    env = os.environ.get("XENT_ROOT")
    if env:
        return Path(env).resolve()
    for start in (Path.cwd(), Path(__file__).resolve()):
        for candidate in (start, *start.parents):
            if (candidate / "spec" / "xent.yaml").is_file():
                return candidate
    return None


def repo_root() -> Path:
    """The checkout holding spec/xent.yaml ($XENT_ROOT, else the nearest parent of cwd or of this file).
    NoCheckout outside one: implementations.yaml, reports/ and generation into vectors/ need a checkout."""
    root = _checkout()
    if root is None:
        raise NoCheckout("cannot find the xent checkout (spec/xent.yaml); run inside one or set XENT_ROOT")
    return root


def in_checkout() -> bool:
    return _checkout() is not None


def packaged() -> bool:
    """True when this installation carries the spec and the vectors (a wheel; not an editable install)."""
    return (PACKAGED / "spec" / "xent.yaml").is_file()


def _data_root() -> Path:
    root = _checkout()
    if root is not None:
        return root
    if packaged():
        return PACKAGED
    raise NoCheckout("cannot find the xent checkout (spec/xent.yaml) and this installation carries no packaged "
                     "spec; run inside a checkout, set XENT_ROOT, or install the wheel (pip install ./conformance)")


def source() -> str:
    """Where spec and vectors are read from, for messages: the checkout's path or 'the packaged copy'."""
    root = _data_root()
    return "the packaged copy (xent_conformance/data)" if root == PACKAGED else str(root)


def spec_dir() -> Path:
    return _data_root() / "spec"


def vectors_dir() -> Path:
    return _data_root() / "vectors"


def schema_dir() -> Path:
    return spec_dir() / "schema"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@lru_cache(maxsize=1)
def manifest() -> dict[str, str]:
    """{path relative to the data root: SHA-256} of the packaged files ({} without packaged data)."""
    try:
        data = json.loads((PACKAGED / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    files = data.get("files") if isinstance(data, dict) else None
    return {str(k): str(v) for k, v in files.items()} if isinstance(files, dict) else {}


def data_files(root: Path) -> list[Path]:
    """The files the wheel carries, relative to a checkout or data root: the spec, its case files and
    schemas, the vector files and their README."""
    patterns = ("spec/xent.yaml", "spec/cases/*.yaml", "spec/schema/*.json", "vectors/*.json", "vectors/README.md")
    return sorted({p.relative_to(root) for pattern in patterns for p in root.glob(pattern) if p.is_file()})


def write_manifest(root: Path, target: Path) -> dict[str, str]:
    """Write target/manifest.json for the data files under root; returns {relative path: hash}."""
    files = {p.as_posix(): sha256(root / p) for p in data_files(root)}
    (target / MANIFEST).write_text(json.dumps({"files": files}, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return files
