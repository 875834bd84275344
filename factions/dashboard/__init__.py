"""``factions dashboard``: watch one run month by month and run ensembles, in the browser.

Built on Mesa's SolaraViz components (``ModelController``, ``UserInputs``), Mesa's
``SpaceRenderer`` and a ``mesa.discrete_space.Network`` for the patronage network.
Needs the ``dashboard`` extra (``pip install "factions[dashboard]"``). Modules: ``view`` (the
one adapter that reads model state), ``parameters`` (sliders, applying and saving them),
``model`` (the model on a Mesa network), ``figures`` (drawings), ``frames`` (redrawing a
figure only where it changed, as a JPEG), ``ensemble`` (the ensemble
tab's task), ``app`` (the page), ``server`` (starting solara).
"""
