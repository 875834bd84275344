"""Game-theoretic baselines the simulation is checked against: :mod:`.aes` (the exact
ruling-coalition solver) and :mod:`.pure_aes` (the model reduced to its game)."""

__all__: list[str] = []  # import the submodules
