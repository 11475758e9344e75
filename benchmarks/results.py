"""The figures of one `make bench` run, gathered into one table.

Every benchmark calls ``record`` for each figure it measures; ``python -m benchmarks.results``
prints them all as one Markdown table (``make bench`` does, last). The figures are appended to
``var/bench/results.jsonl``, which ``make bench`` empties first.
"""

import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

RESULTS = Path(
    os.environ.get("BENCH_RESULTS", Path(__file__).resolve().parents[1] / "var/bench/results.jsonl")
)


def record(section: str, what: str, value: str, target: str = "", met: bool | None = None) -> None:
    """One row of the table: `value` as it should read ("1,234 items/s", "0.9x"), the issue's
    `target` ("≥ 1,000 items/s") and whether it is `met` (None where nothing is targeted)."""
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    row = {"section": section, "what": what, "value": value, "target": target, "met": met}
    with RESULTS.open("a", encoding="utf-8") as out:
        out.write(json.dumps(row, ensure_ascii=False) + "\n")


def machine() -> str:
    cpus = os.cpu_count()
    try:
        load = f", load average {os.getloadavg()[0]:.1f}"
    except OSError:
        load = ""
    return f"{platform.machine()}, {cpus} CPUs{load}, Python {platform.python_version()}"


def table(rows: list[dict[str, Any]]) -> str:
    head = ["section", "what", "figure", "target", "met"]
    body = [
        [
            row["section"],
            row["what"],
            row["value"],
            row["target"],
            {True: "yes", False: "NO", None: ""}[row["met"]],
        ]
        for row in rows
    ]
    widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)) + " |"]
    lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    lines += [
        "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
        for row in body
    ]
    return "\n".join(lines)


def main() -> None:
    if not RESULTS.exists():
        sys.exit("No benchmark figures recorded: run `make bench`.")
    rows = [json.loads(line) for line in RESULTS.read_text(encoding="utf-8").splitlines() if line]
    print(f"Machine: {machine()}\n")
    print(table(rows))


if __name__ == "__main__":
    main()
