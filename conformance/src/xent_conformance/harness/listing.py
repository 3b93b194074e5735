"""`xent-conformance list`: what there is to run (functions, dtypes, vector counts, flags with their
descriptions), and "did you mean" suggestions for misspelt names given to `run`."""
from __future__ import annotations

import argparse
import difflib
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .. import paths
from ..dtypes import DTYPES
from .report import EXIT_OK, EXIT_USAGE, make_console


@dataclass
class Catalogue:
    """The vector folder in short: tests per function and dtype, and the flags with their descriptions."""
    counts: dict[str, dict[str, int]] = field(default_factory=dict)      # function -> dtype -> tests
    flags: dict[str, str] = field(default_factory=dict)                  # flag -> description
    flag_counts: dict[str, int] = field(default_factory=dict)            # flag -> tests carrying it
    summaries: dict[str, str] = field(default_factory=dict)              # function -> the spec's summary

    @property
    def functions(self) -> list[str]:
        return sorted(set(self.counts) | set(self.summaries))

    @property
    def dtypes(self) -> list[str]:
        return sorted({d for per in self.counts.values() for d in per} | set(DTYPES))


def catalogue(folder: Path | None = None) -> Catalogue:
    """Read the vector files (plain JSON, no checks: `validate` checks) and the spec's summaries."""
    from .vectors import vector_files
    folder = Path(folder) if folder is not None else paths.vectors_dir()
    cat = Catalogue()
    for file in vector_files(folder):
        try:
            doc = json.loads(file.read_text(encoding="utf-8"))
            function, dtype = str(doc["function"]), str(doc["dtype"])
            tests = [t for g in doc["testGroups"] for t in g["tests"]]
        except (OSError, ValueError, KeyError, TypeError):
            continue  # a broken file is `validate`'s business; listing shows what can be read
        cat.counts.setdefault(function, {})[dtype] = len(tests)
        for name, note in (doc.get("notes") or {}).items():
            if isinstance(note, dict):
                cat.flags.setdefault(name, str(note.get("description", "")))
        for t in tests:
            for flag in t.get("flags", []) if isinstance(t, dict) else []:
                cat.flag_counts[flag] = cat.flag_counts.get(flag, 0) + 1
    cat.summaries = _summaries()
    return cat


def _summaries() -> dict[str, str]:
    try:
        import yaml
        spec = yaml.load((paths.spec_dir() / "xent.yaml").read_text(encoding="utf-8"),
                         Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        return {str(k): str(v.get("summary", "")).strip() for k, v in spec["functions"].items() if isinstance(v, dict)}
    except Exception:  # noqa: BLE001 - summaries are decoration; the counts come from the vectors
        return {}


def suggestion(name: str, known: list[str]) -> str:
    """' (did you mean X?)' for the closest known names, or ''."""
    close = difflib.get_close_matches(name, known, n=2, cutoff=0.6)
    return f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""


def unknown_names(functions: list[str] | None, dtypes: list[str] | None, folder: Path | None = None) -> list[str]:
    """One sentence per function or dtype name that no vector file has, with suggestions."""
    if not functions and not dtypes:
        return []
    from .vectors import vector_files
    try:
        files = vector_files(Path(folder) if folder is not None else paths.vectors_dir())
    except OSError:
        return []  # the loader reports a missing folder
    # the files' names (<function>_<dtype>.json) suffice, as for the loader's filters: nothing is read
    named = [f.stem.rsplit("_", 1) for f in files]
    if not all(len(n) == 2 and n[1] in DTYPES for n in named):
        return []  # files named otherwise: the loader's filters decide, without suggestions
    known_functions = sorted({n[0] for n in named if len(n) == 2})
    known_dtypes = sorted({n[1] for n in named if len(n) == 2} | set(DTYPES))
    problems = []
    for name in functions or []:
        if known_functions and name not in known_functions:
            problems.append(f"no vectors for function {name!r}{suggestion(name, known_functions)}")
    for name in dtypes or []:
        if name not in known_dtypes:
            problems.append(f"no vectors for dtype {name!r}{suggestion(name, known_dtypes)}")
    return problems


def register(subparsers) -> None:
    p = subparsers.add_parser("list", help="functions, dtypes, vector counts and flags (with descriptions)",
                              description="What the vector folder holds: tests per function and dtype, and the flags "
                                          "vectors carry with their descriptions. Exit 0; 64 without vectors.")
    p.add_argument("--vectors", metavar="DIR", help="vector folder (default: the checkout's vectors/, else the packaged copy)")
    p.add_argument("--json", action="store_true", help="print JSON instead of tables")
    p.set_defaults(handler=handle_list)


def handle_list(args: argparse.Namespace) -> int:
    folder = Path(args.vectors) if args.vectors else paths.vectors_dir()
    if not folder.is_dir():
        print(f"xent-conformance list: no such vector folder: {folder}", file=sys.stderr)
        return EXIT_USAGE
    cat = catalogue(folder)
    if args.json:
        print(json.dumps({"vectors": str(folder), "functions": cat.counts, "dtypes": cat.dtypes,
                          "flags": {f: {"description": d, "tests": cat.flag_counts.get(f, 0)}
                                    for f, d in sorted(cat.flags.items())}}, indent=1))
        return EXIT_OK
    from rich.table import Table
    console = make_console(False)
    console.print(f"vectors: {folder}", markup=False, highlight=False)
    functions = Table(title="functions (tests per dtype)")
    functions.add_column("function")
    for d in cat.dtypes:
        functions.add_column(d, justify="right")
    functions.add_column("summary")
    for name in cat.functions:
        per = cat.counts.get(name, {})
        functions.add_row(name, *(str(per.get(d, "-")) for d in cat.dtypes), cat.summaries.get(name, ""))
    total = sum(n for per in cat.counts.values() for n in per.values())
    functions.caption = f"{total} vectors in {sum(len(p) for p in cat.counts.values())} files"
    console.print(functions)
    flags = Table(title="flags")
    for col, justify in (("flag", "left"), ("tests", "right"), ("description", "left")):
        flags.add_column(col, justify=justify)
    for name, description in sorted(cat.flags.items()):
        flags.add_row(name, str(cat.flag_counts.get(name, 0)), description)
    console.print(flags)
    return EXIT_OK
