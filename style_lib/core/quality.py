"""When does a picture look finished? Two numbers a run can be judged by.

* **Style distance**: the mean over ``conv1_1`` ... ``conv5_1`` of the relative
  Gram-matrix distance ``||G(x) - G(a)||_F / ||G(a)||_F`` (``G = F^T F / M``)
  between the picture ``x`` and the painting ``a``: 0 for the painting itself;
  the photo itself scores about 0.5 to 1.
* **Layout**: the correlation of the picture's and the photo's luminance, both
  shrunk to 32 px: near 1 while the scene is recognisable.

A third number catches a failure the other two miss:

* **Blotch share**: the share of pixels in *blotches*, near-black regions at
  least ``BLOTCH_WIDTH`` px thick where the photo is not dark. A fast
  network whose output saturates paints them (notebook 09); a thin black
  stroke of a painting (Kandinsky's lines) is not one.

A picture is *finished* when its style distance is at most ``GOAL_FRACTION``
(0.3) times the photo's own and its layout correlation is at least
``LAYOUT_MIN`` (0.9). The judge can use another network than the run
(``weights="hed"``), so that a run cannot win by fitting its own judge.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from .color import luminance
from ..io.data import as_image
from .losses import gram_matrix
from ..settings import DEFAULT_STYLE_LAYERS
from .vgg import FeatureExtractor

__all__ = ["GOAL_FRACTION", "LAYOUT_MIN", "LAYOUT_SIZE", "Judge", "Verdict", "layout_correlation",
           "BLOTCH_DARK", "BLOTCH_PHOTO_LIGHT", "BLOTCH_WIDTH", "blotch_mask", "blotch_share"]

#: A finished picture's style distance, as a fraction of the photo's own.
GOAL_FRACTION = 0.3
#: A finished picture's least luminance correlation with the photo (32 px).
LAYOUT_MIN = 0.9
#: The longest side at which layouts are compared, in pixels.
LAYOUT_SIZE = 32
#: A pixel is near-black when its brightest channel is below this (0..255).
BLOTCH_DARK = 16.0
#: ... and the photo is not dark there when its local mean luminance (9 px) is above this.
BLOTCH_PHOTO_LIGHT = 8.0
#: Near-black regions thinner than this (px) are strokes, not blotches.
BLOTCH_WIDTH = 7


@dataclass(frozen=True)
class Verdict:
    """How far a picture has come: ``distance`` relative to the photo's, ``layout``."""

    distance: float          # mean relative Gram distance to the painting
    relative: float          # distance / the photo's own distance
    layout: float            # luminance correlation with the photo at 32 px

    @property
    def finished(self) -> bool:
        return self.relative <= GOAL_FRACTION and self.layout >= LAYOUT_MIN


class Judge:
    """Judges pictures of one photo painted after one painting, at one size.

    Args:
      photo, painting: ``(H, W, 3)`` RGB in ``[0, 255]``, paths or demo names;
        both are resized to ``size`` (the painting as ``stylize`` does).
      size: the pictures' longest side in pixels.
      weights: the network that judges: ``"imagenet"`` (what the runs
        optimise) or ``"hed"`` (one they do not).
    """

    def __init__(self, photo, painting, *, size: int, weights: str = "imagenet"):
        self.photo = as_image(photo, size)
        self.layers = list(DEFAULT_STYLE_LAYERS)
        self.extractor = FeatureExtractor(self.layers, weights, verbose=False)
        self._grams = tf.function(self._grams_py, input_signature=[
            tf.TensorSpec((1, None, None, 3), tf.float32)])       # one trace, any size
        self.targets = self._grams(as_image(painting, size)[np.newaxis])
        self.norms = [float(tf.norm(t)) for t in self.targets]
        self.photo_layout = _small_luminance(self.photo)
        self.photo_distance = self.distance(self.photo)

    def _grams_py(self, image: tf.Tensor) -> list[tf.Tensor]:
        features = self.extractor(image)
        return [gram_matrix(features[name]) for name in self.layers]

    def distance(self, image) -> float:
        """Mean relative Gram distance of ``image`` ``(H, W, 3)`` to the painting."""
        grams = self._grams(tf.convert_to_tensor(np.asarray(image, np.float32)[np.newaxis]))
        return float(np.mean([float(tf.norm(g - t)) / n for g, t, n
                              in zip(grams, self.targets, self.norms)]))

    def layout(self, image) -> float:
        """Correlation of the luminance of ``image`` and the photo, at 32 px."""
        return _correlation(_small_luminance(image), self.photo_layout)

    def __call__(self, image) -> Verdict:
        d = self.distance(image)
        return Verdict(d, d / max(self.photo_distance, 1e-12), self.layout(image))


def layout_correlation(picture, photo) -> float:
    """The layout measure on its own: the correlation of the luminance of
    ``picture`` and ``photo`` (both ``(H, W, 3)``, ``[0, 255]``), shrunk to 32 px.
    Near 1 while the scene is recognisable; 0 for a flat picture."""
    return _correlation(_small_luminance(picture), _small_luminance(photo))


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.ravel(), b.ravel()
    if np.ptp(a) < 1e-3 or np.ptp(b) < 1e-3:
        return 0.0                    # a flat picture keeps no layout
    return float(np.corrcoef(a, b)[0, 1])


def _small_luminance(image) -> np.ndarray:
    image = np.asarray(image, np.float32)
    h, w = image.shape[:2]
    scale = LAYOUT_SIZE / max(h, w)
    small = tf.image.resize(image, (max(1, round(h * scale)), max(1, round(w * scale))),
                            method="area").numpy()
    return luminance(small)


def blotch_mask(picture, photo) -> np.ndarray:
    """Return the blotches of ``picture`` as a boolean ``(H, W)`` mask.

    A blotch pixel is near-black (brightest channel < :data:`BLOTCH_DARK`),
    inside a near-black region at least :data:`BLOTCH_WIDTH` px thick (a
    morphological opening removes thinner strokes), where the photo's mean
    luminance over 9 x 9 px is above :data:`BLOTCH_PHOTO_LIGHT`.

    Args:
      picture, photo: ``(H, W, 3)`` RGB in ``[0, 255]``, the same size.
    """
    from scipy import ndimage
    picture, photo = np.asarray(picture, np.float32), np.asarray(photo, np.float32)
    if picture.shape != photo.shape or picture.ndim != 3:
        raise ValueError(f"picture {picture.shape} and photo {photo.shape} must both be "
                         "(H, W, 3) of the same size.")
    dark = picture.max(axis=-1) < BLOTCH_DARK
    thick = ndimage.binary_opening(dark, structure=np.ones((BLOTCH_WIDTH, BLOTCH_WIDTH), bool))
    light = ndimage.uniform_filter(luminance(photo), size=9, mode="reflect") > BLOTCH_PHOTO_LIGHT
    return thick & light


def blotch_share(picture, photo) -> float:
    """Return the share of ``picture``'s pixels in blotches (:func:`blotch_mask`), 0..1."""
    return float(blotch_mask(picture, photo).mean())
