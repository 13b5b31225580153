"""``python -m benchmarks`` (or ``make bench``): the speed and memory table.

Prints the table, writes it to ``benchmarks/RESULTS.md`` and the same
figures to ``benchmarks/results.json``. Options: ``--quick`` (tiny sizes,
for a smoke run; does not overwrite RESULTS.md unless ``--write``);
``--only quality`` / ``fast`` / ``many_styles`` / ``mrf`` / ``video`` / ``peer`` / ``adain``
(re-measure section 6, 7, 8, 9, 10, 11 or 12 only, keep the other figures).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .suite import machine, render_markdown, run_all

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="tiny sizes and budgets (a smoke run, minutes less)")
    parser.add_argument("--write", action="store_true",
                        help="write RESULTS.md/results.json even with --quick")
    parser.add_argument("--only", choices=["quality", "fast", "many_styles", "mrf", "video", "peer", "adain"],
                        help="re-measure one section, keep the others from results.json")
    args = parser.parse_args(argv)
    if args.only:
        import importlib
        import time
        key = {"quality": "finished_picture", "fast": "fast",
               "many_styles": "many_styles", "mrf": "mrf",
               "video": "video", "peer": "peer", "adain": "adain"}[args.only]
        run = importlib.import_module(f".{args.only}", __package__).run
        results = json.loads((HERE / "results.json").read_text())
        started = time.perf_counter()
        results[key] = run(quick=args.quick)
        results[key]["seconds"] = time.perf_counter() - started
        results[key]["date"] = machine()["date"]
    else:
        results = run_all(quick=args.quick)
    table = render_markdown(results)
    print(table)
    if not args.quick or args.write:
        (HERE / "RESULTS.md").write_text(table)
        (HERE / "results.json").write_text(json.dumps(results, indent=2) + "\n")
        print(f"wrote {HERE / 'RESULTS.md'} and {HERE / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
