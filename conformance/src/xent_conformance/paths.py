"""Where the repository's parts live. The tool runs from a checkout; XENT_ROOT overrides the search."""
from __future__ import annotations

import os
from pathlib import Path


def repo_root() -> Path:
    """The checkout holding spec/xent.yaml: $XENT_ROOT, else the nearest parent of cwd or this file."""
    env = os.environ.get("XENT_ROOT")
    if env:
        return Path(env).resolve()
    for start in (Path.cwd(), Path(__file__).resolve()):
        for candidate in (start, *start.parents):
            if (candidate / "spec" / "xent.yaml").is_file():
                return candidate
    raise FileNotFoundError("cannot find the xent checkout (spec/xent.yaml); set XENT_ROOT")


def spec_dir() -> Path:
    return repo_root() / "spec"


def vectors_dir() -> Path:
    return repo_root() / "vectors"


def schema_dir() -> Path:
    return spec_dir() / "schema"
