#!/usr/bin/env bash
# Reproduce the calibration of korea-1945 documented in docs/calibration.md.
#
#   bash experiments/calibrate_korea.sh            # 29 minutes on a busy two-core machine
#
# 1. ABC-SMC (pyabc) over three pretext, purge and challenge values, root seed 1; writes
#    results/korea-1945-calibration/ and results/korea-1945-calibrated.toml.
# 2. Scores the posterior-mean scenario on root seed 2, never used by the calibration, and the
#    base scenario on the same seed for comparison.
# Needs the optional extra: pip install -e ".[calibrate]".
set -euo pipefail
cd "$(dirname "$0")/.."
FACTIONS=${FACTIONS:-factions}
OUT=${OUT:-results/korea-1945-calibration}
SCENARIO=${SCENARIO:-results/korea-1945-calibrated.toml}

"$FACTIONS" calibrate korea-1945 \
  --param events.retreat_1950.magnitude=0:0.8 \
  --param mechanisms.purge.established_share=0.45:0.7 \
  --param mechanisms.challenge.rate=0.1:1.0 \
  --populations 4 --particles 24 --replicates 16 --max-simulations 200 \
  --seed 1 --workers 2 \
  --out "$OUT" --write-scenario "$SCENARIO" --force

if [ "$OUT" = results/korea-1945-calibration ]; then  # the figures shown in the docs
  cp "$OUT/figures/posterior.png" docs/figures/calibration-posterior.png
  cp "$OUT/figures/pattern-fit.png" docs/figures/calibration-pattern-fit.png
fi

"$FACTIONS" validate "$SCENARIO" --replicates 300 --seed 2 --workers 2
"$FACTIONS" validate korea-1945 --replicates 300 --seed 2 --workers 2
