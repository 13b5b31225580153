"""Figures for the notebooks. Every function returns the matplotlib Figure.

In Jupyter a returned Figure is shown automatically, so end the plotting
line with ``;`` or assign the result (``fig = ...``) to avoid a second copy.
Functions that draw a single panel take ``ax=None``: pass an Axes to draw
into an existing figure (e.g. two panels side by side).

* :func:`image_grid` -- images in a titled grid.
* :func:`loss_curves` -- loss histories of several runs on one plot.
* :func:`feature_maps` -- channels of one layer's feature maps.
* :func:`feature_maps_by_layer` -- one row of channels per layer (or input).
* :func:`gram_heatmap`, :func:`gram_heatmaps` -- Gram matrices as heatmaps.
* :func:`bar_chart`, :func:`layer_sizes` -- one number per name / layer.
* :func:`channel_histograms` -- the value distribution of each colour channel.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import SettingsError

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["image_grid", "loss_curves", "feature_maps", "feature_maps_by_layer",
           "gram_heatmap", "gram_heatmaps", "bar_chart", "layer_sizes",
           "channel_histograms"]

#: Line colour per channel letter in :func:`channel_histograms`.
_CHANNEL_COLOURS = {"R": "tab:red", "G": "tab:green", "B": "tab:blue"}


def _plt():
    import matplotlib.pyplot as plt  # lazy: keep `import style_lib` cheap
    return plt


def _array(x: Any) -> np.ndarray:
    """Return a NumPy array from an array, tf.Tensor or list."""
    if hasattr(x, "numpy") and callable(x.numpy):
        x = x.numpy()
    return np.asarray(x)


def _new_axes(ax: "Axes | None", figsize: tuple[float, float]) -> "Axes":
    if ax is not None:
        return ax
    _, ax = _plt().subplots(figsize=figsize, constrained_layout=True)
    return ax


def _features_hwc(features: Any, what: str = "features") -> np.ndarray:
    """Return ``(H, W, C)`` from ``(H, W, C)`` or ``(1, H, W, C)``."""
    arr = _array(features).astype(np.float32)
    if arr.ndim == 4 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.ndim != 3:
        raise SettingsError(
            f"{what} must have shape (H, W, C) or (1, H, W, C), got "
            f"{arr.shape}; for a batch pass one image, e.g. features[:1].")
    return arr


def _pick_channels(arr: np.ndarray, n: int, order: str) -> list[int]:
    """Return the channel indices to show: the first ``n`` or most active."""
    if order not in ("first", "active"):
        raise SettingsError(f"order must be 'first' or 'active', not {order!r}.")
    n = max(1, min(int(n), arr.shape[-1]))
    if order == "first":
        return list(range(n))
    activity = arr.reshape(-1, arr.shape[-1]).mean(axis=0)
    return [int(i) for i in np.argsort(-activity, kind="stable")[:n]]


# ------------------------------------------------------------- images ---

def image_grid(images: Any, titles: Sequence[str] | None = None, *,
               ncols: int | None = None, size: float = 3.0,
               suptitle: str | None = None) -> "Figure":
    """Return a Figure showing images ``(H, W, 3)`` in ``[0, 255]`` in a grid.

    ``images`` is a list, a dict ``title -> image`` or a batch
    ``(N, H, W, 3)``. Same as :func:`style_lib.io.images.show_images`.
    """
    from ..io.images import show_images
    return show_images(images, titles, ncols=ncols, size=size,
                       suptitle=suptitle)


# ------------------------------------------------------------- losses ---

def loss_curves(histories: Mapping[str, Any], *,
                x: str | Sequence[str] = "step",
                terms: Sequence[str] | str = ("total",), log: bool = True,
                normalize: bool = False, title: str | None = None,
                ax: "Axes | None" = None) -> "Figure":
    """Return a Figure with the loss curves of several runs on one plot.

    Args:
      histories: label -> history dict (``StyleResult.history``: lists under
        ``"step"``, ``"seconds"``, ``"total"``, ``"content"``, ...) or
        label -> ``StyleResult``.
      x: ``"step"`` or ``"seconds"``; a pair such as ``("step", "seconds")``
        draws one panel per axis side by side (then ``ax`` must be None).
      terms: which losses to draw, e.g. ``("content", "style")``; one colour
        per run, one line style per term.
      log: logarithmic loss axis.
      normalize: divide each curve by its first value (compare runs whose
        losses have different scales).
    """
    if not isinstance(x, str):
        xs = list(x)
        if ax is not None:
            raise SettingsError("loss_curves: pass ax only with a single x.")
        fig, axes = _plt().subplots(1, len(xs), figsize=(5.0 * len(xs), 3.6),
                                    constrained_layout=True, squeeze=False)
        for axis_name, panel in zip(xs, axes[0]):
            loss_curves(histories, x=axis_name, terms=terms, log=log,
                        normalize=normalize, ax=panel)
        if title:
            fig.suptitle(title)
        return fig
    if x not in ("step", "seconds"):
        raise SettingsError(f"x must be 'step' or 'seconds', not {x!r}.")
    terms = (terms,) if isinstance(terms, str) else tuple(terms)
    if not histories:
        raise SettingsError("loss_curves() got no histories; pass "
                            "{'label': result.history}.")
    ax = _new_axes(ax, (6.0, 3.6))
    styles = ["-", "--", ":", "-."]
    colours = _plt().rcParams["axes.prop_cycle"].by_key()["color"]
    for i, (label, hist) in enumerate(histories.items()):
        hist = getattr(hist, "history", hist)
        for j, term in enumerate(terms):
            if term not in hist or x not in hist:
                raise SettingsError(
                    f"history {label!r} has no {term if term not in hist else x!r}"
                    f"; it has {sorted(hist)}.")
            ys = np.asarray(hist[term], np.float64)
            if normalize and ys.size and ys[0] != 0:
                ys = ys / ys[0]
            name = str(label) if len(terms) == 1 else f"{label}: {term}"
            ax.plot(hist[x], ys, styles[j % len(styles)],
                    color=colours[i % len(colours)], label=name)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("step" if x == "step" else "seconds")
    what = terms[0] if len(terms) == 1 else "loss"
    ax.set_ylabel(f"{what} / first value" if normalize else
                  ("loss" if what in ("total", "loss") else f"{what} loss"))
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize="small")
    if title:
        ax.set_title(title)
    return ax.figure


# ------------------------------------------------------- feature maps ---

def feature_maps(features: Any, *, n: int = 16, ncols: int = 8,
                 order: str = "first", channels: Sequence[int] | None = None,
                 title: str | None = None, cmap: str = "viridis",
                 size: float = 1.5) -> "Figure":
    """Return a Figure with a grid of single-channel feature maps.

    Args:
      features: ``(H, W, C)`` or ``(1, H, W, C)`` (one layer's output).
      n: how many channels to show.
      order: ``"first"`` (channels 0..n-1) or ``"active"`` (the n channels
        with the largest mean activation).
      channels: explicit channel indices (overrides ``n`` and ``order``).
      size: width of one panel in inches.
    Each panel has its own colour scale (bright = strong activation).
    """
    arr = _features_hwc(features)
    chans = list(channels) if channels is not None else \
        _pick_channels(arr, n, order)
    ncols = max(1, min(int(ncols), len(chans)))
    nrows = math.ceil(len(chans) / ncols)
    aspect = arr.shape[0] / arr.shape[1]
    fig, axes = _plt().subplots(
        nrows, ncols, squeeze=False, constrained_layout=True,
        figsize=(size * ncols, (size * aspect + 0.25) * nrows
                 + (0.35 if title else 0.0)))
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < len(chans):
            ax.imshow(arr[..., chans[i]], cmap=cmap)
            ax.set_title(f"ch {chans[i]}", fontsize="small")
    if title:
        fig.suptitle(title)
    return fig


def feature_maps_by_layer(rows: Mapping[str, Any], *, n: int = 8,
                          order: str = "active",
                          channels: Sequence[int] | None = None,
                          cmap: str = "viridis", size: float = 1.3,
                          image: Any = None,
                          suptitle: str | None = None) -> "Figure":
    """Return a Figure with one row of feature maps per entry of ``rows``.

    Args:
      rows: label (e.g. layer name) -> ``(H, W, C)`` or ``(1, H, W, C)``.
      n: channels per row; ``order`` = ``"active"`` (largest mean
        activation, chosen per row) or ``"first"``.
      channels: the same explicit channel indices in every row (use it to
        compare two versions of one layer, e.g. before/after a shuffle).
      image: optional ``(H, W, 3)`` input image shown at the start of each
        row, so the maps can be compared with what they came from.
    Each row is labelled with its name and shape ``h x w x C``.
    """
    if not rows:
        raise SettingsError("feature_maps_by_layer() got no rows.")
    arrays = {str(k): _features_hwc(v, f"rows[{k!r}]") for k, v in rows.items()}
    first = channels is None
    lead = 1 if image is not None else 0
    ncols = (n if first else len(channels)) + lead
    aspect = float(np.median([a.shape[0] / a.shape[1] for a in arrays.values()]))
    fig, axes = _plt().subplots(len(arrays), ncols, squeeze=False,
                                constrained_layout=True,
                                figsize=(size * ncols,
                                         (size * aspect + 0.3) * len(arrays)
                                         + (0.4 if suptitle else 0.0)))
    if image is not None:
        from ..io.images import to_uint8
        image = to_uint8(image)
    for r, (label, arr) in enumerate(arrays.items()):
        chans = list(channels) if channels is not None else \
            _pick_channels(arr, n, order)
        for c, ax in enumerate(axes[r]):
            ax.set_xticks([])
            ax.set_yticks([])
            k = c - lead
            if c < lead:
                ax.imshow(image)
            elif k < len(chans):
                ax.imshow(arr[..., chans[k]], cmap=cmap)
                ax.set_title(f"ch {chans[k]}", fontsize="x-small", pad=2)
            else:
                ax.axis("off")
        h, w, ch = arr.shape
        axes[r, 0].set_ylabel(f"{label}\n{h}×{w}×{ch}", fontsize="small")
    if suptitle:
        fig.suptitle(suptitle)
    return fig


# -------------------------------------------------------------- grams ---

def gram_heatmap(gram: Any, *, n: int = 64, title: str | None = None,
                 cmap: str = "magma", colorbar: bool = True, log: bool = True,
                 ax: "Axes | None" = None) -> "Figure":
    """Return a Figure with the top-left ``n x n`` block of a Gram matrix.

    Args:
      gram: ``(C, C)`` (or ``(1, C, C)``); entry ``(i, j)`` is how strongly
        channels ``i`` and ``j`` fire together, averaged over positions.
      n: show at most the first ``n`` channels (``None``: all).
      log: logarithmic colours over the top four decades (a few channels
        firing on a large smooth area would otherwise leave the rest black);
        entries below that, and entries <= 0, get the darkest colour.
    """
    g = _array(gram).astype(np.float64)
    if g.ndim == 3 and g.shape[0] == 1:
        g = g[0]
    if g.ndim != 2 or g.shape[0] != g.shape[1]:
        raise SettingsError(f"gram must be a square (C, C) matrix, got shape "
                            f"{g.shape}.")
    c = g.shape[0]
    k = c if n is None else max(1, min(int(n), c))
    ax = _new_axes(ax, (4.2, 3.6))
    block = g[:k, :k]
    norm = None
    if log and block.max() > 0:
        from matplotlib.colors import LogNorm
        top = float(block.max())
        norm = LogNorm(vmin=top * 1e-4, vmax=top, clip=True)
        block = np.maximum(block, top * 1e-4)
    im = ax.imshow(block, cmap=cmap, interpolation="nearest", norm=norm)
    ax.set_xlabel("channel j")
    ax.set_ylabel("channel i")
    shown = f"{c}×{c}" if k == c else f"first {k} of {c}×{c}"
    ax.set_title(f"{title} ({shown})" if title else f"Gram matrix ({shown})",
                 fontsize="medium")
    if colorbar:
        ax.figure.colorbar(im, ax=ax, shrink=0.85)
    return ax.figure


def gram_heatmaps(grams: Mapping[str, Any], *, n: int = 64,
                  cmap: str = "magma", size: float = 3.6, log: bool = True,
                  suptitle: str | None = None) -> "Figure":
    """Return a Figure with several Gram heatmaps side by side.

    Args:
      grams: title -> ``(C, C)`` Gram matrix; each panel has its own colour
        scale (Grams of different layers differ by orders of magnitude).
      n: show at most the first ``n`` channels of each.
      log: logarithmic colours (see :func:`gram_heatmap`).
    """
    if not grams:
        raise SettingsError("gram_heatmaps() got no Gram matrices.")
    k = len(grams)
    fig, axes = _plt().subplots(1, k, squeeze=False, constrained_layout=True,
                                figsize=(size * 1.2 * k, size
                                         + (0.4 if suptitle else 0.0)))
    for ax, (title, gram) in zip(axes[0], grams.items()):
        gram_heatmap(gram, n=n, title=str(title), cmap=cmap, log=log, ax=ax)
    if suptitle:
        fig.suptitle(suptitle)
    return fig


# --------------------------------------------------------------- bars ---

def bar_chart(values: Mapping[str, float], *, log: bool = False,
              ylabel: str | None = None, title: str | None = None,
              reference: tuple[float, str] | None = None,
              fmt: str = "{:,.3g}", annotate: bool = True,
              rotate: int = 45, ax: "Axes | None" = None) -> "Figure":
    """Return a Figure with one bar per name.

    Args:
      values: name -> number (kept in order).
      log: logarithmic value axis (for values spanning decades).
      reference: ``(value, label)`` drawn as a dashed horizontal line.
      fmt: format of the number written above each bar.
    """
    if not values:
        raise SettingsError("bar_chart() got no values.")
    names = [str(k) for k in values]
    nums = np.asarray([float(v) for v in values.values()], np.float64)
    ax = _new_axes(ax, (max(4.0, 0.55 * len(names) + 1.5), 3.6))
    bars = ax.bar(names, nums, color="tab:blue")
    if log:
        ax.set_yscale("log")
    if annotate:
        for bar, v in zip(bars, nums):
            ax.annotate(fmt.format(v), (bar.get_x() + bar.get_width() / 2, v),
                        ha="center", va="bottom", fontsize="x-small",
                        rotation=90 if len(names) > 8 else 0,
                        xytext=(0, 2), textcoords="offset points")
    if reference is not None:
        ax.axhline(reference[0], color="tab:red", ls="--", lw=1,
                   label=reference[1])
        ax.legend(fontsize="small")
    if rotate:
        ax.tick_params(axis="x", labelrotation=rotate)
    if ylabel:
        ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.margins(y=0.15)
    return ax.figure


def layer_sizes(sizes: Mapping[str, Any], *, image_shape: Sequence[int]
                | None = None, log: bool = True, title: str | None = None,
                ax: "Axes | None" = None) -> "Figure":
    """Return a bar chart of how many numbers each layer produces per image.

    Args:
      sizes: layer name -> a count, or features ``(1, h, w, C)`` /
        ``(h, w, C)`` (counted as ``h * w * C``).
      image_shape: ``(H, W)`` or ``(H, W, 3)`` of the input image: draws the
        image's own ``H * W * 3`` numbers as a reference line.
    """
    counts = {}
    for name, v in sizes.items():
        if isinstance(v, (int, np.integer, float)):
            counts[name] = float(v)
        else:
            counts[name] = float(np.prod(_features_hwc(v, name).shape))
    ref = None
    if image_shape is not None:
        h, w = int(image_shape[0]), int(image_shape[1])
        ref = (h * w * 3.0, f"input image: {h}×{w}×3 = {h * w * 3:,}")
    return bar_chart(counts, log=log, ylabel="numbers per image (h·w·C)",
                     title=title, reference=ref, fmt="{:,.0f}", ax=ax)


def channel_histograms(images: Mapping[str, Any], *,
                       channel_names: Sequence[str] | Mapping[str, Sequence[str]]
                       = ("R", "G", "B"), bins: int = 64,
                       size: float = 4.0) -> "Figure":
    """Return a Figure with one panel per image: a histogram per channel.

    Args:
      images: title -> ``(H, W, 3)`` or ``(1, H, W, 3)`` array.
      channel_names: names of the 3 channels, or title -> names (e.g.
        ``("B", "G", "R")`` for VGG input). R/G/B get red/green/blue lines.
    The mean of each channel is given in the legend.
    """
    if not images:
        raise SettingsError("channel_histograms() got no images.")
    k = len(images)
    fig, axes = _plt().subplots(1, k, squeeze=False, constrained_layout=True,
                                figsize=(size * k, size * 0.7))
    for ax, (title, img) in zip(axes[0], images.items()):
        arr = _features_hwc(img, str(title))
        names = channel_names[title] if isinstance(channel_names, Mapping) \
            else channel_names
        for c in range(arr.shape[-1]):
            name = names[c] if c < len(names) else f"ch {c}"
            values = arr[..., c].ravel()
            ax.hist(values, bins=bins, histtype="step", lw=1.5,
                    color=_CHANNEL_COLOURS.get(str(name).upper()),
                    label=f"{name} (mean {values.mean():.1f})")
        ax.axvline(0, color="0.5", lw=0.8)
        ax.set_title(str(title), fontsize="medium")
        ax.set_xlabel("value")
        ax.legend(fontsize="x-small")
    axes[0, 0].set_ylabel("pixels")
    return fig


# ------------------------------------------- beyond the basics (nb 08) ---

#: Tints of :func:`mask_overlay`, in order: blue, orange, green, magenta.
MASK_COLOURS = ((0, 160, 255), (255, 80, 0), (80, 220, 80), (220, 0, 220))


def mask_overlay(image: Any, masks: Mapping[str, Any], *, size: float = 3.0,
                 alpha: float = 0.55,
                 colours: Sequence[tuple[int, int, int]] = MASK_COLOURS) -> "Figure":
    """Return a Figure: the image, then each mask tinted over it.

    Args:
      image: ``(H, W, 3)`` RGB in ``[0, 255]``.
      masks: title -> mask ``(H, W)`` in ``[0, 1]`` (1 = style here).
      alpha: strength of the tint where the mask is 1.
      colours: one RGB tint per mask, in order (pick each painting's main
        colour, e.g. blue for The Starry Night, orange for The Scream).
    """
    from ..io.images import to_uint8
    img = to_uint8(image).astype(np.float32)
    if not masks:
        raise SettingsError("mask_overlay() got no masks.")
    panels = {"image": img}
    for i, (title, mask) in enumerate(masks.items()):
        m = _array(mask).astype(np.float32)
        if m.shape != img.shape[:2]:
            raise SettingsError(f"mask {title!r} has shape {m.shape}, the image "
                                f"{img.shape[:2]}; resize it first.")
        tint = np.array(colours[i % len(colours)], np.float32)
        a = alpha * m[..., None]
        panels[str(title)] = (1 - a) * img + a * tint
    from ..io.images import show_images
    return show_images(panels, size=size)


def crop_comparison(images: Mapping[str, Any], box: Sequence[float], *,
                    size: float = 3.5) -> "Figure":
    """Return a Figure: top row the whole images with ``box`` drawn, bottom
    row the same crop of each, enlarged (nearest neighbour, no smoothing).

    Args:
      images: title -> ``(H, W, 3)`` image; all the same size.
      box: ``(top, left, height, width)`` as fractions of the image (0..1).
    """
    from matplotlib.patches import Rectangle

    from ..io.images import to_uint8
    if not images:
        raise SettingsError("crop_comparison() got no images.")
    arrays = {str(k): to_uint8(v) for k, v in images.items()}
    shapes = {a.shape for a in arrays.values()}
    if len(shapes) != 1:
        raise SettingsError(f"crop_comparison needs images of one size, got "
                            f"{sorted(shapes)}.")
    h, w = next(iter(shapes))[:2]
    top, left, bh, bw = (float(v) for v in box)
    y0, x0 = int(top * h), int(left * w)
    y1, x1 = max(y0 + 1, int((top + bh) * h)), max(x0 + 1, int((left + bw) * w))
    n = len(arrays)
    fig, axes = _plt().subplots(2, n, squeeze=False, constrained_layout=True,
                                figsize=(size * n, size * (h / w + (y1 - y0) /
                                                          max(1, x1 - x0))))
    for i, (title, arr) in enumerate(arrays.items()):
        axes[0, i].imshow(arr)
        axes[0, i].add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False,
                                       edgecolor="yellow", lw=1.5))
        axes[0, i].set_title(title)
        axes[1, i].imshow(arr[y0:y1, x0:x1], interpolation="nearest")
        axes[1, i].set_title(f"crop {x1 - x0}×{y1 - y0} px", fontsize="small")
        for ax in axes[:, i]:
            ax.axis("off")
    return fig


__all__ += ["mask_overlay", "crop_comparison"]


def loss_plot_png(history: Mapping[str, Sequence[float]], *,
                  weights: Mapping[str, float] | None = None, title: str = "",
                  figsize: tuple[float, float] = (3.6, 2.7),
                  dpi: int = 80, xlabel: str = "step (best picture so far)") -> bytes:
    """Return PNG bytes of a small log plot of the loss terms over the steps.

    ``history`` is a ``StyleResult.history``-like dict (``"step"``,
    ``"total"`` and the *unweighted* ``"content"``, ``"style"``, ``"tv"``, and for
    the AdaIN decoder ``"identity"``).
    With ``weights`` (``content_weight``, ``style_weight``, ``tv_weight``:
    α, β, γ) the terms are drawn weighted, α·L_c, β·L_s, γ·L_tv, so that they
    add up to the total J; terms that are 0 throughout are left out. An
    empty history gives a placeholder. Drawn on a private Agg canvas (no
    pyplot state), so it is safe from a background thread and never shows
    up as a cell output.
    """
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import LogFormatter, LogLocator

    fig = Figure(figsize=figsize, dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.16, 0.36, 0.8, 0.56))
    steps = np.asarray(history.get("step", []), np.float64)
    w = dict(weights or {})
    terms = (("content", "content_weight", "α·L_c", "content  L_c"),
             ("style", "style_weight", "β·L_s", "style  L_s"),
             ("tv", "tv_weight", "γ·L_tv", "smoothing  L_tv"),
             ("identity", "identity_weight", "λ_id·L_id", "identity  L_id"))
    for key, weight, weighted, plain in terms:
        values = np.asarray(history.get(key, [])[:steps.size], np.float64)
        if weights is not None:
            values = values * float(w.get(weight, 1.0))
        if values.size and np.any(values > 0):
            ax.plot(steps[:values.size], np.maximum(values, 1e-12), "-", lw=1.2,
                    label=weighted if weights is not None else plain)
    total = np.asarray(history.get("total", [])[:steps.size], np.float64)
    if total.size:
        ax.plot(steps[:total.size], np.maximum(total, 1e-12), "--", lw=1.2,
                label="total J")
        ax.set_yscale("log")     # few ticks, plain "1e+05" labels: fast to draw
        ax.yaxis.set_minor_locator(LogLocator(subs=(2.0, 5.0)))
        ax.yaxis.set_major_formatter(LogFormatter())
        ax.yaxis.set_minor_formatter(LogFormatter(labelOnlyBase=False))
        ax.grid(True, which="major", alpha=0.3)
        ax.set_xlabel(xlabel, fontsize=8)
        ax.set_xlim(0.5, max(float(steps.max()), 2.0) + 0.5)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=7, loc="upper center", ncol=2,
                  bbox_to_anchor=(0.45, -0.25), frameon=False)
    else:
        ax.set_axis_off()
        ax.text(0.5, 0.5, "loss curves appear here\nduring a run", ha="center",
                va="center", fontsize=9, color="0.4", transform=ax.transAxes)
    ax.set_title(title, fontsize=8)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


__all__ += ["loss_plot_png"]
