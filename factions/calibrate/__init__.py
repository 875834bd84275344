"""Calibrate scenario values against the scenario's declared patterns by ABC-SMC.

Approximate Bayesian computation by sequential Monte Carlo (ABC-SMC; Toni et al. 2009, with the
importance weights of Beaumont et al. 2009) draws parameter values ("particles") from uniform
priors, simulates each, and keeps those whose simulated summary statistics lie within a tolerance
of the observed ones; every later population perturbs the weighted survivors of the last and
shrinks the tolerance. The sampler is pyabc (Klinger, Rickert & Hasenauer 2018), an optional
dependency: ``pip install "factions[calibrate]"``.

Here a particle's simulation is a small ensemble of the scenario with the particle's values; its
summary statistics are the pass rates of the scenario's declared patterns; its distance from the
all-pass target is the root mean square failure rate (:func:`failure_distance`).

Reproducibility: pyabc draws from numpy's global generator, which :func:`calibrate` seeds from the
root seed (and restores afterwards); particles are evaluated one after another in pyabc's
single-core sampler, and evaluation ``n`` runs its replicates from child ``n`` of the root seed's
particle stream (:func:`particle_seed`). Workers parallelise the replicates *inside* a particle,
whose results do not depend on the number of workers, so the same arguments give the same
posterior whatever ``workers`` is.

References: Toni, T., Welch, D., Strelkowa, N., Ipsen, A. & Stumpf, M. P. H. (2009), J. R. Soc.
Interface 6, 187–202. Beaumont, M. A., Cornuet, J.-M., Marin, J.-M. & Robert, C. P. (2009),
Biometrika 96, 983–990. Klinger, E., Rickert, D. & Hasenauer, J. (2018), Bioinformatics 34,
3591–3593.
"""

from factions.calibrate.files import scenario_text, write_scenario
from factions.calibrate.parameters import Parameter, check_parameters, parse_parameter
from factions.calibrate.posterior import Calibration, weighted_quantiles
from factions.calibrate.smc import PassRateModel, calibrate, failure_distance, particle_seed

# The command line's own steps (checking folders, staging, requiring pyabc) stay in
# factions.calibrate.files and factions.calibrate.smc.
__all__ = [
    "Calibration",
    "Parameter",
    "PassRateModel",
    "calibrate",
    "check_parameters",
    "failure_distance",
    "parse_parameter",
    "particle_seed",
    "scenario_text",
    "weighted_quantiles",
    "write_scenario",
]
