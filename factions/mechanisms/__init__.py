"""One module per mechanism. Each is a few functions over the model's arrays.

The monthly schedule that calls them, in order, is :meth:`factions.model.FactionModel.step`.
Every mechanism reads its parameters from ``model.spec.mechanisms.<name>`` and does nothing
when that block says ``enabled = false`` (ablation).
"""
