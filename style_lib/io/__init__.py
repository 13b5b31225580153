"""Input and output: pictures in and out, the demo images and where the weights come from.

The modules (import the one you need; importing this package loads nothing):

* :mod:`.images` -- load, save (atomically), resize and show pictures;
* :mod:`.catalogue` -- the demo photos and paintings, with their credits;
* :mod:`.download` -- the download cache and the downloader;
* :mod:`.data` -- ``as_image``: a demo name, a file or an array as pixels;
* :mod:`.training_photos` -- the photos the networks train on, and those held out;
* :mod:`.vgg_weights` -- where the canonical VGG16 weights come from.
"""
from __future__ import annotations

__all__: list[str] = []
