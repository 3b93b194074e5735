"""The leaderboard as Markdown (leaderboard.md) and as one self-contained HTML page (leaderboard.html).

Both are built from the same `Board`: the summary (are ours at or below every framework?), one line per
implementation and level (numerics and input validation apart), a compact matrix of max ulp errors, a
matrix of statuses per level, the failures at `compatible` grouped by function and dtype, and the full
table function x implementation x dtype with the statuses at both levels.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field

from ..harness.report import format_figure as fmt
from .compare import NEAR_ROUNDING_ULPS, NearRounding, Shortfall, exceptions, far_from_rounding
from .causes import Cause, explain
from .data import LEVELS, Cell, Run

_PER_LEVEL = ("passed", "acceptable", "failed (missed errors)", "errored", "max err/bound", "worst tcId")
COLUMNS = ("function", "dtype", "implementation", "unsupported", "max ulp", "median ulp",
           *(f"{h} @{lv}" for lv in LEVELS for h in _PER_LEVEL))
FAILURE_LEVEL = "compatible"  # the level whose failures are listed one group at a time
_SHOWN_TCIDS = 12


@dataclass
class Board:
    ours: list[Run]
    frameworks: list[Run]
    level: str = "accurate"
    skipped: dict[str, str] = field(default_factory=dict)  # framework -> why it did not run
    causes: dict[str, list[Cause]] = field(default_factory=dict)  # frameworks/causes.yaml, by run label

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
        row = [*key, run.label, str(cell.counts["unsupported"]), fmt(cell.max_ulp), fmt(cell.median_ulp)]
        for level in LEVELS:
            c = cell.counts_at(level)
            worst = cell.worst_at(level)
            row += [str(c["passed"]), str(c["acceptable"]), f"{c['failed']} ({cell.missed_errors_at(level)})",
                    str(c["errored"]), fmt(cell.max_scaled_at(level)), "-" if worst is None else str(worst.tc_id)]
        return row

    def verdict(self) -> str:
        if not self.frameworks:
            return "No framework ran, so there is nothing to compare with."
        if not self.shortfalls:
            return (f"**Yes**: on every function and dtype, each of our implementations is at or below every "
                    f"framework ({self.compared} comparisons).")
        return (f"**No, not everywhere**: {len(self.shortfalls)} of {self.compared} comparisons "
                f"(ours x framework x function x dtype) have ours above the framework; listed below.")


def _grid(board: Board, cell_text) -> tuple[list[str], list[list[str]]]:
    """Function/dtype x implementation, each cell `cell_text(cell)` (blank: not declared or not supported)."""
    header = ["function", "dtype"] + [r.label for r in board.runs]
    rows = []
    for key in board.keys():
        cells = (run.cells.get(key) for run in board.runs)
        rows.append(list(key) + ["" if cell is None or not cell.supported else cell_text(cell) for cell in cells])
    return header, rows


def matrix_rows(board: Board) -> tuple[list[str], list[list[str]]]:
    """Function/dtype x implementation: max ulp, and the failed count when any (blank: not declared)."""
    return _grid(board, _matrix_cell)


def _matrix_cell(cell: Cell) -> str:
    failed = cell.counts["failed"] + cell.counts["errored"]
    return fmt(cell.max_ulp) + (f" ({failed} failed)" if failed else "")


def status_rows(board: Board, level: str) -> tuple[list[str], list[list[str]]]:
    """Function/dtype x implementation at `level`: "good/supported" (good = passed + acceptable) and the
    failed and errored counts when any; blank: nothing supported there."""
    return _grid(board, lambda cell: _status_cell(cell.counts_at(level)))


def _status_cell(c: dict[str, int]) -> str:
    good = c["passed"] + c["acceptable"]
    text = f"{good}/{good + c['failed'] + c['errored']}"
    bad = [f"{c[s]} {s}" for s in ("failed", "errored") if c[s]]
    return text + (f" ({', '.join(bad)})" if bad else "")


def _tally(cells: list[Cell], level: str) -> tuple[dict[str, int], dict[str, int], int]:
    """(numerics status counts, input validation judged/rejected, unsupported) over `cells` at `level`."""
    num = {s: 0 for s in ("passed", "acceptable", "failed", "errored")}
    val = {"judged": 0, "rejected": 0}
    unsupported = 0
    for cell in cells:
        for v in cell.vectors.values():
            status = v.status_at(level)
            if status == "unsupported":
                unsupported += 1
            elif v.expects_error:
                val["judged"] += 1
                val["rejected"] += status in ("passed", "acceptable")
            else:
                num[status] += 1
    return num, val, unsupported


def dtype_rows(board: Board, level: str) -> tuple[list[str], list[list[str]]]:
    """Implementation x dtype at `level`: numerics passed (+ acceptable) / judged with the failures, input
    validation rejected / judged, unsupported."""
    dtypes = sorted({d for r in board.runs for _, d in r.cells}, reverse=True)  # float64 first
    header = ["implementation"] + [f"{d} {part}" for d in dtypes for part in ("numerics", "validation", "unsupported")]
    rows = []
    for run in board.runs:
        row = [run.label]
        for d in dtypes:
            num, val, unsupported = _tally([c for (_, dt), c in run.cells.items() if dt == d], level)
            judged = sum(num.values())
            bad = num["failed"] + num["errored"]
            row += [f"{num['passed'] + num['acceptable']}/{judged}" + (f" ({bad} failed)" if bad else ""),
                    f"{val['rejected']}/{val['judged']}", str(unsupported)]
        rows.append(row)
    return header, rows


def level_lines(board: Board, level: str) -> list[str]:
    """One line per implementation at `level`: numerics and input validation apart, unsupported beside."""
    lines = []
    for run in board.runs:
        num, val, unsupported = _tally(list(run.cells.values()), level)
        judged = sum(num.values())
        ok = num["passed"] + num["acceptable"]
        verdict = "CONFORMS" if ok == judged and val["rejected"] == val["judged"] else "DOES NOT CONFORM"
        lines.append(f"- **{run.label}** at `{level}`: {verdict}. numerics {ok}/{judged} ({num['passed']} passed + "
                     f"{num['acceptable']} acceptable; {num['failed']} failed, {num['errored']} errored); "
                     f"input validation {val['rejected']}/{val['judged']} rejected; {unsupported} unsupported")
    return lines


def _ids(ids: list[int]) -> str:
    return ", ".join(map(str, ids[:_SHOWN_TCIDS])) + (f" ... {len(ids)} in all" if len(ids) > _SHOWN_TCIDS else "")


def cause_lines(board: Board, level: str = FAILURE_LEVEL) -> list[str]:
    """Every failure at `level`, one line per implementation and cause (frameworks/causes.yaml for numerics;
    input validation by what came back), with the vectors by function and dtype."""
    lines = []
    for run in board.runs:
        for g in explain(run, board.causes.get(run.label, []), level):
            where = "; ".join(f"{f} {d} (tcId {_ids(ids)})" for (f, d), ids in sorted(g.vectors.items()))
            lines.append(f"- **{run.label}**, {g.category} ({g.count}): {g.text}. Vectors: {where}")
    return lines


def unexplained_count(board: Board, level: str = FAILURE_LEVEL) -> int:
    return sum(g.count for run in board.runs for g in explain(run, board.causes.get(run.label, []), level)
               if g.category == "unexplained")


def failure_lines(board: Board, level: str = FAILURE_LEVEL) -> list[str]:
    """Every failed or errored vector at `level`, grouped by implementation, function and dtype, with the
    flags the group carries and its worst vector: the list whose causes the README explains."""
    lines = []
    for run in board.runs:
        for key, cell in sorted(run.cells.items()):
            bad = cell.failures_at(level)
            if not bad:
                continue
            ids = ", ".join(str(v.tc_id) for v in bad[:_SHOWN_TCIDS]) + (" ..." if len(bad) > _SHOWN_TCIDS else "")
            flags: dict[str, int] = {}
            for v in bad:
                for f in v.flags:
                    flags[f] = flags.get(f, 0) + 1
            flag_text = ", ".join(f"{f} x{n}" for f, n in sorted(flags.items(), key=lambda x: (-x[1], x[0])))
            worst = cell.worst_at(level)
            missed = sum(v.missed_error_at(level) for v in bad)
            errored = sum(v.status_at(level) == "errored" for v in bad)
            kinds = "".join([f", {missed} missed errors" if missed else "", f", {errored} errored" if errored else ""])
            lines.append(f"- {run.label} {key[0]} {key[1]}: {len(bad)} (tcId {ids}{kinds})"
                         + (f"; flags {flag_text}" if flag_text else "")
                         + f"; worst tcId {worst.tc_id} (err/bound {fmt(worst.scaled_by_level.get(level))}, "
                           f"max ulp {fmt(worst.ulp)})")
    return lines


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


_INTRO = ("Statuses at both levels, `accurate` and `compatible`, for every implementation alike; the comparison "
          "with the frameworks, the max ulp matrix and the heatmap's frames are at the `{level}` level. ulp errors "
          "are per vector (its worst element), over vectors whose golden value and result are both finite; "
          "\"max err/bound\" is the largest error divided by the level's bound (above 1 fails); the worst tcId is "
          "a failed vector when there is one, else the one nearest its bound. \"failed (missed errors)\": of the "
          "failures, how many expected an error kind. Unsupported counts the harness's unsupported vectors: outside "
          "the adapter's declared capabilities (functions, dtypes, parameter values) or answered `unsupported` per "
          "case. \"good/judged\" in the status matrices: passed + acceptable of the supported vectors.")


def _cause_intro(board: Board) -> str:
    n = unexplained_count(board)
    return ("Numerics failures carry the cause written in frameworks/causes.yaml (categories: library defect, "
            "semantics — the library defines the value otherwise, adapter, spec question — a result the level "
            "may be wrong to reject); input-validation failures are grouped by what came back. "
            + ("**Every failure has a cause.**" if n == 0 else f"**{n} numerics failures have no cause yet.**"))


def _status_caption(level: str) -> str:
    return f"Statuses at `{level}` (passed + acceptable / supported; blank: not provided)"


def to_markdown(board: Board, images: dict[str, str] | None = None) -> str:
    """leaderboard.md; `images` maps a caption to a relative image path."""
    lines = ["# xent accuracy leaderboard", "", _INTRO.format(level=board.level), "",
             "## Summary", "", *summary_lines(board), "", "## Verdicts per level", ""]
    for level in LEVELS:
        lines += level_lines(board, level)
    for level in LEVELS:
        lines += ["", f"Per dtype at `{level}` (numerics: passed + acceptable / judged; validation: rejected / "
                  "judged):", "", *_md_table(*dtype_rows(board, level), 1)]
    lines += ["", "## Implementations", "", *runs_lines(board), ""]
    for caption, path in (images or {}).items():
        lines += [f"![{caption}]({path})", ""]
    header, rows = matrix_rows(board)
    lines += [f"## Max ulp error (failed vectors at `{board.level}` in brackets; blank: not provided)", "",
              *_md_table(header, rows, 2), ""]
    for level in LEVELS:
        lines += [f"## {_status_caption(level)}", "", *_md_table(*status_rows(board, level), 2), ""]
    lines += [f"## Failures at `{FAILURE_LEVEL}` by cause", "", _cause_intro(board), "",
              *(cause_lines(board) or ["None."]), "",
              f"## Failures at `{FAILURE_LEVEL}` by function and dtype", "", *(failure_lines(board) or ["None."]), "",
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
    """The summary lines use only **bold** and `code`; escape everything else."""
    parts = html.escape(line).split("**")
    bold = "".join(f"<b>{p}</b>" if i % 2 else p for i, p in enumerate(parts))
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(bold.split("`")))


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
        f"<p>{_md_inline_to_html(_INTRO.format(level=board.level))} Rows of our implementations are shaded.</p>",
        "<h2>Summary</h2>", paragraphs[0] if paragraphs else "", _html_list(_shortfall_lines(board.shortfalls)),
        *paragraphs[1:], _html_list(_far_lines(board.far)),
        "<h2>Verdicts per level</h2>", _html_list([ln for lv in LEVELS for ln in level_lines(board, lv)]),
        *(f"<p>Per dtype at <code>{lv}</code>:</p>" + _html_table(*dtype_rows(board, lv), 1) for lv in LEVELS),
        "<h2>Implementations</h2>", _html_list(runs_lines(board)),
        "<h2>Pictures</h2>", figs or "<p>(matplotlib is not installed: no pictures)</p>",
        f"<h2>Max ulp error</h2><p>Failed vectors at {html.escape(board.level)} in brackets; blank: not provided.</p>",
        _html_table(header, rows, 2),
        *(f"<h2>{_md_inline_to_html(_status_caption(lv))}</h2>" + _html_table(*status_rows(board, lv), 2)
          for lv in LEVELS),
        f"<h2>Failures at {FAILURE_LEVEL} by cause</h2>", f"<p>{_md_inline_to_html(_cause_intro(board))}</p>",
        _html_list(cause_lines(board)) or "<p>None.</p>",
        f"<h2>Failures at {FAILURE_LEVEL} by function and dtype</h2>", _html_list(failure_lines(board)) or "<p>None.</p>",
        "<h2>Full table</h2>", _html_table(list(COLUMNS), _full_rows(board), 3, ours, 2),
        "</body></html>", ""])
