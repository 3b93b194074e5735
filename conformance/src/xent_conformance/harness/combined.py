"""`xent-conformance combine`: one table over several `run --report-json` reports (one per language)."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from rich.table import Table

from .report import make_console


def register(commands) -> None:
    parser = commands.add_parser("combine", help="combine JSON run reports into one table per function and language")
    parser.add_argument("reports", nargs="+", type=Path, help="files written by `run --report-json`")
    parser.add_argument("--markdown", type=Path, metavar="PATH", help="also write the table as Markdown")
    parser.set_defaults(handler=run)


def _cell(group: dict | None) -> str:
    if group is None:
        return "-"
    counts, ulp = group["counts"], group.get("maxUlp")
    scaled = (group.get("maxScaledError") or {}).get("accurate")
    ok = counts["passed"] + counts["acceptable"]
    unsupported = counts.get("unsupported", 0)
    detail = [f"{ulp:.3g} ulp"] if ulp is not None else []
    detail += [f"eC {scaled:.2g}"] if scaled is not None else []
    detail += [f"{unsupported} unsupp."] if unsupported else []   # a partial port: ok of what it supports
    return f"{ok}/{group['total'] - unsupported}" + (f" ({', '.join(detail)})" if detail else "")


def load(reports: list[Path]) -> tuple[list[str], dict[tuple[str, str], dict[str, dict]], list[dict]]:
    names, table, documents = [], {}, []
    for path in reports:
        document = json.loads(path.read_text(encoding="utf-8"))
        name = document["implementation"].get("impl") or document["implementation"].get("name") or path.stem
        names.append(name)
        documents.append(document)
        for group in document["groups"]:
            table.setdefault((group["function"], group["dtype"]), {})[name] = group
    return names, table, documents


def run(args: argparse.Namespace) -> int:
    console = make_console()  # no truncation at 80 columns when stdout is not a terminal (CI logs)
    try:
        names, table, documents = load(args.reports)
    except (OSError, ValueError, KeyError) as exc:
        console.print(f"cannot read the reports: {exc}", markup=False, highlight=False)
        return 2
    view = Table(title="xent conformance: passed/supported (max ulp error, max error / accurate bound, "
                       "unsupported) per function, dtype and implementation")
    for column in ("function", "dtype", *names):
        view.add_column(column)
    rows = []
    for (function, dtype), by_impl in sorted(table.items()):
        cells = [_cell(by_impl.get(name)) for name in names]
        view.add_row(function, dtype, *cells)
        rows.append((function, dtype, cells))
    totals = [d["balance"] for d in documents]
    view.caption = "\n".join(f"{name}: {d['verdict']}: {b}" for name, d, b in zip(names, documents, totals))
    console.print(view)
    if args.markdown:
        lines = [f"| function | dtype | {' | '.join(names)} |", "|---|---|" + "---|" * len(names)]
        lines += [f"| {f} | {d} | {' | '.join(cells)} |" for f, d, cells in rows]
        lines += [""] + [f"- **{name}**: {d['verdict']}: {b}" for name, d, b in zip(names, documents, totals)]
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return max(d["exitCode"] for d in documents)
