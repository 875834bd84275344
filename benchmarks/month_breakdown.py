"""Where a korea-1945 replicate's time goes, measured inside real runs.

Every function that ``FactionModel.step`` calls each month (and ``Recorder.record``) is wrapped
with a timer; the rest of the months' time is Mesa's step scheduling and ``step`` itself. The
timers add about 1 µs a call, counted in that remainder, so a replicate runs a little slower
than in ``run.py``. This is the table in docs/performance.md ("What is missed, and why").

    python benchmarks/month_breakdown.py --replicates 40
"""

from __future__ import annotations

import argparse
import collections
import functools
import gc
import time
from collections.abc import Callable

from factions import model as model_module
from factions.observe import Recorder
from factions.scenario import load_scenario

#: The parts of the table, each the month's calls it adds up (module, function).
PARTS: dict[str, list[tuple[object, str]]] = {
    "cadre loyalty and indoctrination": [
        (model_module.loyalty, "update_cadres"),
        (model_module.loyalty, "update_members"),
    ],
    "purge launches, spread and trials": [
        (model_module.purge, "launch_campaigns"),
        (model_module.purge, "spread_arrests"),
        (model_module.purge, "sentence"),
    ],
    "coalition decisions": [(model_module.coalition, "update_coalition")],
    "recruitment": [(model_module.recruitment, "grow_membership")],
    "faction power (twice a month)": [(model_module.power, "faction_power")],
    "rehabilitation, co-optation, elimination, interventions": [
        (model_module.rehabilitation, "rehabilitate"),
        (model_module.cooptation, "coopt"),
        (model_module.elimination, "check"),
        (model_module.patrons, "intervene"),
    ],
    "record, challenge, patron presence and the scalar updates": [
        (Recorder, "record"),
        (model_module.challenge, "attempt"),
        (model_module.patrons, "update_presence"),
        (model_module.exogenous, "apply"),
        (model_module.power, "grow_legitimacy"),
        (model_module.purge, "decay_pretext"),
        (model_module.recruitment, "tighten_army_control"),
        (model_module.coalition, "is_decision_point"),
    ],
}


def _timed(function: Callable, part: str, spent: collections.Counter) -> Callable:
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent[part] += time.perf_counter() - start

    return wrapper


def measure(replicates: int) -> tuple[dict[str, float], int]:
    """Milliseconds per replicate (setup, each part of the months, and Mesa plus ``step`` as the
    remainder) and the number of months."""
    spent: collections.Counter = collections.Counter()
    for part, calls in PARTS.items():
        for owner, name in calls:
            setattr(owner, name, _timed(getattr(owner, name), part, spent))
    spec = load_scenario("korea-1945")
    model_module.FactionModel(spec, rng=0).run()  # loads the kernels
    in_months: collections.Counter = collections.Counter()
    setup = months = 0.0
    gc.disable()
    try:
        for seed in range(replicates):
            start = time.perf_counter()
            model = model_module.FactionModel(spec, rng=seed)
            setup += time.perf_counter() - start
            before = spent.copy()  # setup's own power and coalition calls are not the months'
            start = time.perf_counter()
            model.run()
            months += time.perf_counter() - start
            in_months.update({part: spent[part] - before[part] for part in PARTS})
    finally:
        gc.enable()
    ms = {"setup": 1000 * setup / replicates}
    ms |= {part: 1000 * in_months[part] / replicates for part in PARTS}
    ms["Mesa's step scheduling and step itself"] = 1000 * months / replicates - sum(
        ms[part] for part in PARTS
    )
    return ms, spec.n_months


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=40)
    args = parser.parse_args()
    ms, n_months = measure(args.replicates)
    print(f"{'part':<60}{'ms/replicate':>14}{'us/month':>10}")
    for part, value in ms.items():
        per_month = "" if part == "setup" else f"{1000 * value / n_months:10.0f}"
        print(f"{part:<60}{value:14.1f}{per_month}")
    print(f"{'total':<60}{sum(ms.values()):14.1f}")


if __name__ == "__main__":
    main()
