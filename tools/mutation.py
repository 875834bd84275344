"""Mutation testing of the model's rules with mutmut: run it, report the score.

    .venv/bin/pip install -e ".[mutation]"
    .venv/bin/python tools/mutation.py     # every configured module, the model tests
    .venv/bin/python tools/mutation.py factions/mechanisms/congress.py \\
        --tests tests/test_mechanisms.py tests/test_terms.py --max-minutes 30

mutmut (configured in ``[tool.mutmut]`` of pyproject.toml) plants one small bug at a time in
``factions/mechanisms/``, ``factions/theory/`` and ``factions/model.py`` and runs the tests that
reach the mutated function; a mutant *survives* when they all still pass. The tests are those of
the default suite less the plot, command-line and dashboard tests (``--tests`` to choose), so that
no mutant counts as killed by a test of how results are drawn or printed. The run happens in a
copy of the tracked files under ``build/mutation/`` (the repository itself is never touched), so
that a restricted test selection (``--tests``) changes only the copy's configuration; the copy
stays for ``cd build/mutation && mutmut show NAME``.

The score is killed / (killed + survived), leaving out the mutants listed with their reason in
``tools/equivalent_mutants.txt`` (equivalent: no test can tell them from the original) and those
not run before ``--max-minutes``. Exit code 0 when the run finished, 1 when it was cut short or
mutmut failed, 2 for bad arguments. docs/testing.md explains how to read the survivors.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tomllib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "build" / "mutation"
EQUIVALENT = Path(__file__).with_name("equivalent_mutants.txt")
KILLED = {"killed", "timeout", "segfault", "caught by type check"}
RESULT = re.compile(r"^\s*(\S+__mutmut_\d+): (.+?)\s*$")
NOT_MODEL_TESTS = re.compile(r"plot|cli|dashboard|docs|render")  # test files left out by default


def model_tests() -> list[str]:
    """The default selection: every test file but those of plots, the CLI, the dashboard, the
    documentation and the rendering of summaries."""
    files = sorted((ROOT / "tests").glob("test_*.py"))
    return [f"tests/{f.name}" for f in files if not NOT_MODEL_TESTS.search(f.name)]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "modules", nargs="*", help="source files to mutate (default: all configured)"
    )
    parser.add_argument(
        "--tests", nargs="+", default=None, help="test files to run (default: model tests)"
    )
    parser.add_argument("--max-minutes", type=float, default=None, help="wall-time cap of the run")
    parser.add_argument("--max-children", type=int, default=1, help="mutants run in parallel")
    return parser.parse_args(argv)


def mutant_prefix(module: str) -> str:
    """mutmut's name prefix of the mutants of a source file (``factions.model.``)."""
    path = Path(module)
    if path.suffix != ".py" or not (ROOT / path).is_file():
        raise SystemExit(f"error: {module}: not a Python source file of the repository (exit 2)")
    return ".".join(path.with_suffix("").parts) + "."


def prepare(tests: list[str]) -> None:
    """Copy the tracked files to ``WORK`` (keeping mutmut's earlier results) and set the test
    selection of the copy's configuration."""
    files = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, files.split("\0")):
        if not (ROOT / name).is_file():
            continue  # deleted in the working tree
        target = WORK / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    if tests:
        config = WORK / "pyproject.toml"
        text = config.read_text(encoding="utf-8")
        selection = ", ".join(f'"{t}"' for t in tests)
        text = text.replace(
            "[tool.mutmut]\n",
            f"[tool.mutmut]\npytest_add_cli_args_test_selection = [{selection}]\n",
        )
        tomllib.loads(text)  # still valid
        config.write_text(text, encoding="utf-8")


def run_mutmut(names: list[str], max_children: int, max_minutes: float | None) -> bool:
    """Run mutmut in ``WORK``; False when the wall-time cap cut it short."""
    mutmut = Path(sys.executable).with_name("mutmut")
    command = [str(mutmut), "run", "--max-children", str(max_children), *names]
    proc = subprocess.Popen(command, cwd=WORK, start_new_session=True)
    try:
        proc.wait(timeout=None if max_minutes is None else max_minutes * 60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait()
        return False
    return proc.returncode == 0


def results(prefixes: list[str]) -> dict[str, str]:
    """Status of each mutant of the chosen modules, from ``mutmut results --all true``."""
    mutmut = Path(sys.executable).with_name("mutmut")
    out = subprocess.run(
        [str(mutmut), "results", "--all", "true"], cwd=WORK, capture_output=True, text=True
    ).stdout
    found = {m[1]: m[2] for line in out.splitlines() if (m := RESULT.match(line))}
    return {k: v for k, v in found.items() if not prefixes or k.startswith(tuple(prefixes))}


def equivalent() -> set[str]:
    """Mutant names listed as equivalent (``name  # reason`` per line)."""
    lines = EQUIVALENT.read_text(encoding="utf-8").splitlines() if EQUIVALENT.exists() else []
    return {line.split("#")[0].strip() for line in lines if line.split("#")[0].strip()}


def report(status: dict[str, str]) -> tuple[int, int]:
    """Print the counts, the survivors and the score; return (killed, survived)."""
    same = equivalent()
    counts = Counter("equivalent" if k in same else v for k, v in status.items())
    killed = sum(n for s, n in counts.items() if s in KILLED)
    survived = counts["survived"]
    for state, n in sorted(counts.items()):
        print(f"{state:>22}: {n}")
    for name in sorted(k for k, v in status.items() if v == "survived" and k not in same):
        print(f"survived: {name}")
    if killed + survived:
        print(f"mutation score: {killed}/{killed + survived} = {killed / (killed + survived):.1%}")
    return killed, survived


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    prefixes = [mutant_prefix(m) for m in args.modules]
    prepare(model_tests() if args.tests is None else args.tests)
    finished = run_mutmut([f"{p}*" for p in prefixes], args.max_children, args.max_minutes)
    report(results(prefixes))
    if not finished:
        print("the run did not finish (wall-time cap or mutmut error): the score is partial")
    return 0 if finished else 1


if __name__ == "__main__":
    sys.exit(main())
