"""Pictures of the leaderboard (matplotlib, optional: `pip install ./conformance[leaderboard]`).

* heatmap: function/dtype x implementation, colour = max ulp error on a log scale, each cell annotated
  (grey: not provided; a red frame: some vector failed at the board's level, thick when a numerics vector
  fails at `compatible` too).
* histograms: one panel per function, the distribution of per-vector max ulp errors of each
  implementation (both dtypes), on log-spaced bins (two per decade); exact results (0 ulp) fall in the
  first bin, anything beyond the ceiling in the last.
"""
from __future__ import annotations

import math
from pathlib import Path

from .render import FAILURE_LEVEL, Board, fmt

FLOOR = 0.01  # ulp errors below this (exact results included) are drawn at this value on the log axes
CEILING = 1e17  # the heatmap's colour scale stops here (a float64 result of the wrong magnitude is ~1e16 ulp)


def available() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    plt.rcParams["svg.fonttype"] = "none"  # text stays text in the SVG (smaller, searchable)
    return plt


def heatmap(board: Board, stem: Path) -> list[Path]:
    """Write stem.png and stem.svg; returns the paths."""
    plt = _pyplot()
    from matplotlib.colors import LogNorm
    from matplotlib.patches import Rectangle
    import numpy as np
    keys = board.keys()
    runs = board.runs
    data = np.full((len(keys), len(runs)), np.nan)
    for i, key in enumerate(keys):
        for j, run in enumerate(runs):
            cell = run.cells.get(key)
            if cell is not None and cell.max_ulp is not None and math.isfinite(cell.max_ulp):
                data[i, j] = max(cell.max_ulp, FLOOR)
    fig, ax = plt.subplots(figsize=(1.3 * len(runs) + 4, 0.28 * len(keys) + 2))
    top = np.nanmax(data) if np.isfinite(data).any() else 1.0
    cmap = plt.get_cmap("viridis").with_extremes(bad="#dddddd")
    im = ax.imshow(np.ma.masked_invalid(data), aspect="auto", cmap=cmap, norm=LogNorm(vmin=FLOOR, vmax=min(max(top, 1.0), CEILING), clip=True))
    for i, key in enumerate(keys):
        for j, run in enumerate(runs):
            cell = run.cells.get(key)
            if cell is None or not cell.supported:
                continue
            ax.text(j, i, fmt(cell.max_ulp), ha="center", va="center", fontsize=6,
                    color="white" if not np.isnan(data[i, j]) and data[i, j] < math.sqrt(min(top, CEILING)) else "black")
            if cell.counts["failed"] + cell.counts["errored"]:
                # thick when numerics failures remain at compatible too, so the picture shows both levels
                width = 3.0 if any(not v.expects_error for v in cell.failures_at(FAILURE_LEVEL)) else 1.0
                ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="red", linewidth=width))
    ax.set_xticks(range(len(runs)), [r.label for r in runs], rotation=30, ha="right")
    ax.set_yticks(range(len(keys)), [f"{f} {d}" for f, d in keys], fontsize=7)
    ax.set_title(f"max ulp error per function and dtype (log scale, colours capped at {CEILING:.0e}; grey: not "
                 f"provided; red frame: failures at {board.level}, thick: numerics failures at {FAILURE_LEVEL} too)",
                 fontsize=9)
    fig.colorbar(im, ax=ax, label="max ulp error")
    fig.tight_layout()
    return _save(plt, fig, stem)


def histograms(board: Board, stem: Path) -> list[Path]:
    plt = _pyplot()
    import numpy as np
    functions = sorted({f for f, _ in board.keys()})
    ncols = 4
    nrows = max(1, math.ceil(len(functions) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 2.6 * nrows), squeeze=False)
    top = max((u for r in board.runs for c in r.cells.values() for u in c.ulps() if math.isfinite(u)), default=1.0)
    top = min(max(top, 10.0), CEILING)
    bins = np.logspace(math.log10(FLOOR), math.log10(top) + 0.5, 2 * round(math.log10(top / FLOOR)) + 2)
    colours = {run.label: plt.get_cmap("tab10")(i % 10) for i, run in enumerate(board.runs)}
    for ax, function in zip(axes.flat, functions):
        for run in board.runs:
            ulps = [min(max(u, FLOOR), top) for (f, _), c in run.cells.items() if f == function
                    for u in c.ulps() if not math.isnan(u)]
            if ulps:
                ax.hist(ulps, bins=bins, histtype="step", label=run.label, color=colours[run.label],
                        linewidth=2.0 if run in board.ours else 1.0)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_ylim(bottom=0.7)
        ax.set_title(function, fontsize=9)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(functions):]:
        ax.axis("off")
    from matplotlib.lines import Line2D
    handles = [Line2D([], [], color=colours[r.label], linewidth=2.0 if r in board.ours else 1.0) for r in board.runs]
    fig.legend(handles, [r.label for r in board.runs], loc="lower right", fontsize=9)
    fig.suptitle(f"per-vector max ulp error, both dtypes (below {FLOOR} drawn at {FLOOR}, above {top:.0e} at "
                 f"{top:.0e}); vectors per bin, log scale; ours drawn thick")
    fig.tight_layout()
    return _save(plt, fig, stem)


def _save(plt, fig, stem: Path) -> list[Path]:
    paths = [stem.with_suffix(".png"), stem.with_suffix(".svg")]
    fig.savefig(paths[0], dpi=110)
    fig.savefig(paths[1])
    plt.close(fig)
    return paths
