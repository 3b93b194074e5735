"""The leaderboard as Markdown (leaderboard.md) and as one self-contained HTML page (leaderboard.html).

Both are built from the same `Board`: the summary (are ours at or below every framework?), a compact
matrix of max ulp errors, and the full table function x implementation x dtype.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field

from ..harness.report import format_figure as fmt
from .compare import NEAR_ROUNDING_ULPS, NearRounding, Shortfall, exceptions, far_from_rounding
from .data import Cell, Run

COLUMNS = ("function", "dtype", "implementation", "passed", "acceptable", "failed (missed errors)", "errored",
           "unsupported", "max ulp", "median ulp", "max err/bound", "worst tcId")


@dataclass
class Board:
    ours: list[Run]
    frameworks: list[Run]
    level: str = "accurate"
    skipped: dict[str, str] = field(default_factory=dict)  # framework -> why it did not run

    def __post_init__(self) -> None:
        self.shortfalls, self.compared = exceptions(self.ours, self.frameworks)
        self.far = far_from_rounding(self.ours)

    @property
    def runs(self) -> list[Run]:
        return self.ours + self.frameworks

    def keys(self) -> list[tuple[str, str]]:
        return sorted({k for r in self.runs for k in r.cells})

    def row(self, run: Run, key: tuple[str, str]) -> list[str]:
        cell = run.cells.get(key)
        if cell is None:
            return [*key, run.label] + ["-"] * (len(COLUMNS) - 3)
        c = cell.counts
        worst = cell.worst
        return [*key, run.label, str(c["passed"]), str(c["acceptable"]), f"{c['failed']} ({cell.missed_errors})",
                str(c["errored"]), str(c["unsupported"]), fmt(cell.max_ulp), fmt(cell.median_ulp),
                fmt(cell.max_scaled), "-" if worst is None else str(worst.tc_id)]

    def verdict(self) -> str:
        if not self.frameworks:
            return "No framework ran, so there is nothing to compare with."
        if not self.shortfalls:
            return (f"**Yes**: on every function and dtype, each of our implementations is at or below every "
                    f"framework ({self.compared} comparisons).")
        return (f"**No, not everywhere**: {len(self.shortfalls)} of {self.compared} comparisons "
                f"(ours x framework x function x dtype) have ours above the framework; listed below.")


def matrix_rows(board: Board) -> tuple[list[str], list[list[str]]]:
    """Function/dtype x implementation: max ulp, and the failed count when any (blank: not declared)."""
    header = ["function", "dtype"] + [r.label for r in board.runs]
    rows = []
    for key in board.keys():
        row = list(key)
        for run in board.runs:
            cell = run.cells.get(key)
            row.append(_matrix_cell(cell))
        rows.append(row)
    return header, rows


def _matrix_cell(cell: Cell | None) -> str:
    if cell is None or not cell.supported:
        return ""
    failed = cell.counts["failed"] + cell.counts["errored"]
    return fmt(cell.max_ulp) + (f" ({failed} failed)" if failed else "")


def _shortfall_lines(items: list[Shortfall]) -> list[str]:
    return [f"- {s.function} {s.dtype}: **{s.ours}** vs {s.framework}: {s.describe()}" for s in items]


def _far_lines(items: list[NearRounding]) -> list[str]:
    return [f"- {n.function} {n.dtype}: {n.impl} max {fmt(n.max_ulp)} ulp (tcId {n.tc_id})" for n in items]


def _md_table(header: list[str], rows: list[list[str]], right_from: int) -> list[str]:
    align = ["---" if i < right_from else "---:" for i in range(len(header))]
    return ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |",
            *("| " + " | ".join(r) + " |" for r in rows)]


def summary_lines(board: Board) -> list[str]:
    lines = [board.verdict(), ""]
    if board.shortfalls:
        lines += _shortfall_lines(board.shortfalls) + [""]
    lines.append(f"Near correct rounding (max ulp <= {NEAR_ROUNDING_ULPS:g} on vectors not flagged Cancellation): "
                 + ("every function of ours." if not board.far
                    else f"{len(board.far)} exception{'s' if len(board.far) > 1 else ''}:"))
    lines += _far_lines(board.far)
    return lines


def runs_lines(board: Board) -> list[str]:
    lines = []
    for r in board.runs:
        kind = "ours" if r in board.ours else "framework"
        took = f", {r.elapsed:.1f} s" if r.elapsed is not None else ""
        lines.append(f"- **{r.label}** ({kind}): {r.name} {r.version}{took}. {r.verdict}"
                     + (f" Start error: {r.start_error}" if r.start_error else ""))
    lines += [f"- **{name}** (framework): not run: {why}" for name, why in board.skipped.items()]
    return lines


def to_markdown(board: Board, images: dict[str, str] | None = None) -> str:
    """leaderboard.md; `images` maps a caption to a relative image path."""
    lines = ["# xent accuracy leaderboard", "",
             f"Statuses at the `{board.level}` level for every implementation. ulp errors are per vector (its worst "
             "element), over vectors whose golden value and result are both finite; \"max err/bound\" is the "
             "largest error divided by the level's bound (above 1 fails); the worst tcId is a failed vector when "
             "there is one, else the one nearest its bound. \"failed (missed errors)\": of the failures, how many "
             "expected an error kind. Unsupported counts the harness's unsupported vectors: outside the adapter's "
             "declared capabilities (functions, dtypes, parameter values) or answered `unsupported` per case.", "",
             "## Summary", "", *summary_lines(board), "", "## Implementations", "", *runs_lines(board), ""]
    for caption, path in (images or {}).items():
        lines += [f"![{caption}]({path})", ""]
    header, rows = matrix_rows(board)
    lines += ["## Max ulp error (failed vectors in brackets; blank: not provided)", "",
              *_md_table(header, rows, 2), "",
              "## Full table", "", *_md_table(list(COLUMNS), _full_rows(board), 3), ""]
    return "\n".join(lines)


def _full_rows(board: Board) -> list[list[str]]:
    return [board.row(run, key) for key in board.keys() for run in board.runs]


# ---------------------------------------------------------------- HTML

_CSS = """body{font-family:system-ui,sans-serif;margin:2em;max-width:90em}table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ccc;padding:2px 6px;font-size:13px}td.n{text-align:right}th{background:#eee}
tr.ours td{background:#f3f8ff}figure{margin:1em 0}svg{max-width:100%;height:auto}"""


def _html_table(header: list[str], rows: list[list[str]], right_from: int, ours: set[str] | None = None,
                impl_col: int | None = None) -> str:
    out = ["<table><thead><tr>", *(f"<th>{html.escape(h)}</th>" for h in header), "</tr></thead><tbody>"]
    for r in rows:
        cls = ' class="ours"' if ours and impl_col is not None and r[impl_col] in ours else ""
        out.append(f"<tr{cls}>" + "".join(
            f'<td{" class=n" if i >= right_from else ""}>{html.escape(v)}</td>' for i, v in enumerate(r)) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _md_inline_to_html(line: str) -> str:
    """The summary lines use only **bold**; escape everything else."""
    parts = html.escape(line).split("**")
    return "".join(f"<b>{p}</b>" if i % 2 else p for i, p in enumerate(parts))


def _html_list(lines: list[str]) -> str:
    items = [_md_inline_to_html(line[2:]) for line in lines if line.startswith("- ")]
    return "<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>" if items else ""


def to_html(board: Board, figures: dict[str, str] | None = None) -> str:
    """One self-contained page; `figures` maps a caption to inline SVG markup."""
    summary = summary_lines(board)
    paragraphs = [f"<p>{_md_inline_to_html(s)}</p>" for s in summary if s and not s.startswith("- ")]
    header, rows = matrix_rows(board)
    ours = {r.label for r in board.ours}
    figs = "".join(f"<figure>{svg}<figcaption>{html.escape(c)}</figcaption></figure>"
                   for c, svg in (figures or {}).items())
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        "<title>xent accuracy leaderboard</title>", f"<style>{_CSS}</style></head><body>",
        "<h1>xent accuracy leaderboard</h1>",
        f"<p>Statuses at the <code>{html.escape(board.level)}</code> level for every implementation; ulp errors per "
        "vector (its worst element). Rows of our implementations are shaded.</p>",
        "<h2>Summary</h2>", paragraphs[0] if paragraphs else "", _html_list(_shortfall_lines(board.shortfalls)),
        *paragraphs[1:], _html_list(_far_lines(board.far)),
        "<h2>Implementations</h2>", _html_list(runs_lines(board)),
        "<h2>Pictures</h2>", figs or "<p>(matplotlib is not installed: no pictures)</p>",
        "<h2>Max ulp error</h2><p>Failed vectors in brackets; blank: not provided.</p>",
        _html_table(header, rows, 2),
        "<h2>Full table</h2>", _html_table(list(COLUMNS), _full_rows(board), 3, ours, 2),
        "</body></html>", ""])
