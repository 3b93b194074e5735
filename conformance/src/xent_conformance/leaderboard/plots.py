"""Pictures of the leaderboard (matplotlib, optional: `pip install ./conformance[leaderboard]`).

* heatmap: function/dtype x implementation, colour = max ulp error on a log scale, each cell annotated
  (grey: not provided; a red frame: some vector failed).
* histograms: one panel per function, the distribution of per-vector max ulp errors of each
  implementation (both dtypes), on log-spaced bins; exact results (0 ulp) fall in the first bin.
"""
from __future__ import annotations

import math
from pathlib import Path

from .render import Board, fmt

FLOOR = 0.01  # ulp errors below this (exact results included) are drawn at this value on the log axes


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
    im = ax.imshow(np.ma.masked_invalid(data), aspect="auto", cmap=cmap, norm=LogNorm(vmin=FLOOR, vmax=max(top, 1.0)))
    for i, key in enumerate(keys):
        for j, run in enumerate(runs):
            cell = run.cells.get(key)
            if cell is None or not cell.supported:
                continue
            ax.text(j, i, fmt(cell.max_ulp), ha="center", va="center", fontsize=6,
                    color="white" if not np.isnan(data[i, j]) and data[i, j] < math.sqrt(top) else "black")
            if cell.counts["failed"] + cell.counts["errored"]:
                ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="red", linewidth=1.2))
    ax.set_xticks(range(len(runs)), [r.label for r in runs], rotation=30, ha="right")
    ax.set_yticks(range(len(keys)), [f"{f} {d}" for f, d in keys], fontsize=7)
    ax.set_title(f"max ulp error per vector set (log scale; grey: not provided; red frame: failures at {board.level})")
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
    bins = np.logspace(math.log10(FLOOR), math.log10(max(top, 10.0)) + 0.5, 40)
    for ax, function in zip(axes.flat, functions):
        for run in board.runs:
            ulps = [max(u, FLOOR) for (f, _), c in run.cells.items() if f == function
                    for u in c.ulps() if math.isfinite(u)]
            if ulps:
                ax.hist(ulps, bins=bins, histtype="step", label=run.label,
                        linewidth=1.8 if run in board.ours else 1.0)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(function, fontsize=9)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(functions):]:
        ax.axis("off")
    handles, labels = [], []
    for ax in axes.flat:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    fig.legend(handles, labels, loc="lower right", fontsize=9)
    fig.suptitle(f"per-vector max ulp error (0 drawn at {FLOOR}); vectors per bin, log scale")
    fig.tight_layout()
    return _save(plt, fig, stem)


def _save(plt, fig, stem: Path) -> list[Path]:
    paths = [stem.with_suffix(".png"), stem.with_suffix(".svg")]
    fig.savefig(paths[0], dpi=110)
    fig.savefig(paths[1])
    plt.close(fig)
    return paths
