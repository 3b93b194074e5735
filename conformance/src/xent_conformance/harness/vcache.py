"""A cache of checked vector files: a file that passed the loader's checks once is read back from a
marshal file next time, without re-parsing JSON, re-checking and re-reading hex floats.

The key is the SHA-256 of the file's text together with the source of the modules that check and read
it (vectors, hexfloat, tensor, jsonfmt, dtypes, fastjudge, whose split exact values are kept too, and protocol,
whose encoding of each case's request is kept too), the spec's function names and the Python version: an
edited vector file, a changed loader or spec never meets a stale entry. The cache lives in $XENT_CACHE_DIR, else
$XDG_CACHE_HOME/xent-conformance, else ~/.cache/xent-conformance; XENT_NO_CACHE=1 turns it off. It
holds nothing but what the loader produced (plain lists, dicts, strings and numbers); a cache folder
that cannot be written only costs the time saved. Like the package itself, it must be writable by its
user only: marshal data is trusted.
"""
from __future__ import annotations

import hashlib
import marshal
import os
import sys
import tempfile
from dataclasses import fields
from functools import lru_cache
from pathlib import Path

from .vectors import Acceptable, VectorCase

#: every field the loader fills (a field added to VectorCase is kept without an edit here); the rest is
#: stored apart (acceptable outputs; the inputs as part of the request JSON, read when used) or given on load
_FIELDS = tuple(f.name for f in fields(VectorCase)
                if f.init and f.name not in ("acceptable", "source", "inputs"))


def folder() -> Path | None:
    if os.environ.get("XENT_NO_CACHE") == "1":
        return None
    base = os.environ.get("XENT_CACHE_DIR")
    if not base:
        base = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"),
                            "xent-conformance")
    return Path(base)


@lru_cache(maxsize=1)
def _code_key() -> bytes:
    from .. import dtypes, hexfloat, jsonfmt, tensor
    from . import fastjudge, protocol, vectors
    digest = hashlib.sha256(sys.version.encode())
    for module in (vectors, hexfloat, tensor, jsonfmt, dtypes, fastjudge, protocol, sys.modules[__name__]):
        digest.update(Path(module.__file__).read_bytes())
    return digest.digest()


def _entry(text: str) -> Path | None:
    base = folder()
    if base is None:
        return None
    from .vectors import spec_functions
    spec = ",".join(sorted(spec_functions() or ())).encode()  # a file is valid for a spec's functions
    return base / f"{hashlib.sha256(_code_key() + spec + b'|' + text.encode('utf-8')).hexdigest()}.marshal"


def load(path: Path, text: str) -> list[VectorCase] | None:
    """The cases of a file checked before (same text, same loader), or None."""
    entry = _entry(text)
    if entry is None:
        return None
    try:
        rows = marshal.loads(entry.read_bytes())
        cases = []
        for row in rows:
            case = VectorCase(**dict(zip(_FIELDS, row[0])), inputs=None, source=str(path))  # read from request
            case.acceptable = [Acceptable(list(f), list(s), list(v)) for f, s, v in row[1]]
            case.exact_parts, case.request, case._size = row[2], row[3], row[4]
            cases.append(case)
        return cases
    except (OSError, ValueError, EOFError, TypeError, IndexError):
        return None


def store(text: str, cases: list[VectorCase]) -> None:
    """Remember a file's checked cases (atomically; any failure is ignored)."""
    entry = _entry(text)
    if entry is None:
        return
    from .fastjudge import exact_parts
    from .protocol import case_json
    rows = [(tuple(getattr(c, f) for f in _FIELDS), [(a.flags, a.shape, a.values) for a in c.acceptable],
             exact_parts(c), case_json(c), c.size) for c in cases]
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=entry.parent, delete=False, suffix=".tmp") as handle:
            handle.write(marshal.dumps(rows))
        os.replace(handle.name, entry)
        _prune(entry.parent)
    except (OSError, ValueError):
        try:
            os.unlink(handle.name)  # noqa: F821 - defined when the write itself failed
        except (OSError, NameError):
            pass


MAX_ENTRIES = 400  # about ten versions of the shipped vector set (40 files each); older entries go


def _prune(base: Path) -> None:
    """Keep the newest MAX_ENTRIES entries: every regenerated vector set would otherwise stay for good."""
    entries = list(base.glob("*.marshal"))
    if len(entries) <= MAX_ENTRIES:
        return
    entries.sort(key=lambda p: p.stat().st_mtime)
    for old in entries[:len(entries) - MAX_ENTRIES]:
        try:
            old.unlink()
        except OSError:
            pass
