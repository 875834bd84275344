"""Figures rendered once and then only where they change: a cheap picture of every step.

A dashboard figure has a static part (axes, ticks, titles, legend, the network's ties) and a
few moving artists (the chart lines, the cadres' markers). :class:`Frame` renders the static
part once on matplotlib's Agg canvas and keeps its pixels; at each step it restores them, draws
only the moving artists (matplotlib's blitting) and encodes the pixels as a JPEG. A step then
costs a few milliseconds instead of a full render (text, ticks, a thousand ties, a layout pass)
and a PNG (whose encoding alone took four times as long as a JPEG's: too slow to play).
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

#: JPEG quality and chroma subsampling: 90 without subsampling (4:4:4) keeps thin coloured
#: lines and small markers sharp; the pictures are 30-90 kB.
QUALITY = {"quality": 90, "subsampling": 0}
FORMAT = "jpeg"


class Frame:
    """A figure whose ``moving`` artists are redrawn over a cached render of everything else.

    The figure's layout (constrained layout included) is computed by the first render and then
    frozen, so that the cached pixels and the moving artists stay aligned.
    """

    def __init__(self, fig: Figure, moving: Sequence[Artist]):
        self.fig = fig
        self.moving = list(moving)
        for artist in self.moving:
            artist.set_animated(True)  # left out of the full render: drawn by picture() only
        self.canvas = FigureCanvasAgg(fig)
        self._background = None

    def picture(self) -> bytes:
        """The figure as it is now, encoded as :data:`FORMAT`."""
        if self._background is None:
            self.canvas.draw()
            self.fig.set_layout_engine("none")
            self._background = self.canvas.copy_from_bbox(self.fig.bbox)
        else:
            self.canvas.restore_region(self._background)
        for artist in self.moving:
            self.fig.draw_artist(artist)
        return encode(self.canvas)


def encode(canvas: FigureCanvasAgg) -> bytes:
    """The canvas pixels as a JPEG (:data:`QUALITY`)."""
    width, height = canvas.get_width_height(physical=True)
    image = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format=FORMAT, **QUALITY)
    return buffer.getvalue()
