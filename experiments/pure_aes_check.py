"""Check the pure-AES configuration of the model against the exact solver on random powers.

Draws ``--vectors`` generic power vectors (2 to 7 factions, powers uniform on [0.01, 1], alpha
from a fixed list, the nominal leader at random), runs the model once per vector and compares
the factions standing at the horizon with ``ruling_coalition(powers, alpha)``. Prints the counts
and a markdown table of the first ``--table`` vectors whose strongest faction is left out (the
numbers of docs/validation.md, "The game-theory baseline"):

    .venv/bin/python experiments/pure_aes_check.py --vectors 2000 --seed 1
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter

import numpy as np

from factions.model import FactionModel
from factions.theory.aes import ruling_coalition
from factions.theory.pure_aes import final_camp, is_generic, pure_aes_scenario

ALPHAS = (0.5, 0.55, 0.6, 2 / 3, 0.75, 0.9)


def draw(rng: np.random.Generator) -> tuple[dict[str, float], float]:
    """One generic power vector and an alpha (redrawn until generic)."""
    while True:
        n = int(rng.integers(2, 8))
        powers = {f"f{i}": round(float(v), 3) for i, v in enumerate(rng.uniform(0.01, 1, n))}
        alpha = float(rng.choice(ALPHAS))
        if is_generic(powers, alpha):
            return powers, alpha


def camp(members) -> str:
    return "{" + ", ".join(sorted(members)) + "}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vectors", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--table", type=int, default=5)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    counts: Counter[str] = Counter()
    rows = []
    started = time.perf_counter()
    for k in range(args.vectors):
        powers, alpha = draw(rng)
        leader = str(rng.choice(sorted(powers)))
        predicted = ruling_coalition(powers, alpha)
        model = FactionModel(pure_aes_scenario(powers, alpha, leader=leader), rng=k).run()
        got = final_camp(model)
        strongest_out = max(powers, key=powers.get) not in predicted
        counts["vectors"] += 1
        counts["equal"] += got == predicted
        counts["strongest left out"] += strongest_out
        counts["leader left out"] += leader not in predicted
        counts["everyone rules"] += predicted == set(powers)
        if got != predicted:
            print(f"MISMATCH {powers} alpha={alpha}: {camp(predicted)} vs {camp(got)}")
        if strongest_out and len(rows) < args.table:
            shown = ", ".join(f"{v:g}" for v in powers.values())
            rows.append(f"| ({shown}) | {alpha:.3g} | {leader} | {camp(predicted)} | {camp(got)} |")
    elapsed = time.perf_counter() - started
    for key, value in counts.items():
        print(f"{key}: {value}")
    print(f"seconds: {elapsed:.1f}\n")
    print("| Powers (f0, f1, ...) | alpha | Leader | Solver | Model at the horizon |")
    print("|---|---|---|---|---|")
    print("\n".join(rows))
    return 0 if counts["equal"] == counts["vectors"] else 1


if __name__ == "__main__":
    sys.exit(main())
