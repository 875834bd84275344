"""Game-theoretic baselines the simulation is checked against."""
