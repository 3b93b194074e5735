"""`xent-conformance leaderboard`: our implementations and well-known libraries over the same vectors.

    xent-conformance leaderboard --run                 run ours (python, java, go) and the framework
                                                       adapters of frameworks/frameworks.yaml, then write
    xent-conformance leaderboard --ours a.json b.json --framework t.json   only write, from run reports

Statuses are shown at both levels (accurate and compatible), numerics and input validation apart, with the
failures at compatible listed by function and dtype.
Writes into --out (default reports/leaderboard/): leaderboard.md, heatmap.png/.svg, histograms.png/.svg
(with matplotlib: `pip install ./conformance[leaderboard]`) and leaderboard.html, self-contained.
"""
from __future__ import annotations

import sys
from pathlib import Path

from .. import paths
from .causes import CausesError, default_path, load_causes
from .data import LEVELS, ReportError, Run, load_report
from .render import Board, to_html, to_markdown


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "leaderboard", help="accuracy leaderboard: our implementations against framework adapters",
        description=__doc__.split("\n\n")[0])
    p.add_argument("--run", action="store_true",
                   help="run our implementations and every installed framework adapter first")
    p.add_argument("--ours", nargs="*", default=[], metavar="REPORT",
                   help="harness JSON reports of our implementations (label: the file's stem)")
    p.add_argument("--framework", nargs="*", default=[], metavar="REPORT",
                   help="harness JSON reports of framework adapters (label: the file's stem)")
    p.add_argument("--frameworks-file", metavar="YAML", help="framework adapters to run (default frameworks/frameworks.yaml)")
    p.add_argument("--impl", action="append", metavar="NAME",
                   help="with --run: only these of ours and the frameworks (repeatable; default all)")
    p.add_argument("--level", choices=LEVELS, default="accurate",
                   help="the level of the comparison with the frameworks, the max ulp matrix and the heatmap's "
                        "frames (default accurate); the status tables show both levels")
    p.add_argument("--causes", metavar="YAML",
                   help="why each framework fails what it fails (default frameworks/causes.yaml)")
    p.add_argument("--out", metavar="DIR", help="output folder (default reports/leaderboard)")
    p.set_defaults(handler=handle)


def handle(args) -> int:
    out = Path(args.out) if args.out else paths.repo_root() / "reports" / "leaderboard"
    out.mkdir(parents=True, exist_ok=True)
    ours = [(Path(p).stem, p) for p in args.ours]
    frameworks = [(Path(p).stem, p) for p in args.framework]
    skipped: dict[str, str] = {}
    if args.run:
        from .runner import run_all
        ran_ours, ran_fw, skipped = run_all(out, args.frameworks_file, set(args.impl or ()))
        ours += ran_ours
        frameworks += ran_fw
    if not ours and not frameworks:
        print("xent-conformance leaderboard: no reports (give --run, --ours or --framework)", file=sys.stderr)
        return 64
    try:
        if args.causes and not Path(args.causes).is_file():
            raise CausesError(f"{args.causes}: no such file")
        causes = load_causes(Path(args.causes) if args.causes else default_path())
        board = Board([load_report(p, label, args.level) for label, p in ours],
                      [load_report(p, label, args.level) for label, p in frameworks], args.level, skipped, causes)
    except (ReportError, CausesError) as exc:
        print(f"xent-conformance leaderboard: {exc}", file=sys.stderr)
        return 65
    written = write(board, out)
    print(board.verdict().replace("**", ""))
    for path in written:
        print(f"wrote {path}")
    return 0


def write(board: Board, out: Path) -> list[Path]:
    """Every output file of the board into `out`; pictures only when matplotlib is installed."""
    from . import plots
    written: list[Path] = []
    images: dict[str, str] = {}
    figures: dict[str, str] = {}
    if plots.available():
        for caption, draw, stem in (("max ulp error heatmap", plots.heatmap, "heatmap"),
                                    ("per-function error histograms", plots.histograms, "histograms")):
            files = draw(board, out / stem)
            written += files
            images[caption] = files[0].name
            figures[caption] = _inline_svg(files[1])
    md = out / "leaderboard.md"
    md.write_text(to_markdown(board, images), encoding="utf-8")
    page = out / "leaderboard.html"
    page.write_text(to_html(board, figures), encoding="utf-8")
    return [md, page, *written]


def _inline_svg(path: Path) -> str:
    """An SVG file's <svg> element, for embedding in HTML (the XML prolog and doctype dropped)."""
    text = path.read_text(encoding="utf-8")
    return text[text.index("<svg"):]


__all__ = ["Board", "Run", "load_report", "register", "write"]
