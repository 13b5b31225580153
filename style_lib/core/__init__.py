"""What every method shares: VGG16's features, the losses, the objective, the optimisers.

The modules (import the one you need; importing this package loads nothing):

* :mod:`.vgg` -- VGG16's feature maps (``FeatureExtractor``), precision;
* :mod:`.losses` -- the notebooks' content, Gram-matrix style and TV losses;
* :mod:`.gradients` -- the style loss with the paper's eq. 6 written by hand;
* :mod:`.spatial` -- masks and guided Gram matrices (a style per region);
* :mod:`.mrf` -- patch-based style losses (Li & Wand 2016);
* :mod:`.style_terms` -- the one factory for a style term of each kind;
* :mod:`.objective` -- ``J = α content + β style + γ TV`` for a picture or a
  batch, and its extension points;
* :mod:`.optimizers` -- gradient descent, Adam and L-BFGS for any function;
* :mod:`.color` -- keeping the photo's colours (luminance, histogram matching);
* :mod:`.quality` -- the judge: style distance, layout, blotches.
"""
from __future__ import annotations

__all__: list[str] = []
