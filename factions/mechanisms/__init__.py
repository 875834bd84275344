"""One module per mechanism. Each is a few functions over the model's arrays.

The monthly schedule that calls them, in order, is :meth:`factions.model.FactionModel.step`.
Every mechanism reads its parameters from ``model.spec.mechanisms.<name>``; ``enabled = false``
switches it off for ablation. What "off" means is stated in each module's docstring (mostly: the
mechanism does nothing; for power, all factions equally strong; for patrons, no presence).
"""
