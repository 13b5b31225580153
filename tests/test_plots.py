"""Tests for style_lib.teaching.plots: each function returns a Figure with the right parts."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from style_lib.teaching import plots  # noqa: E402
from style_lib.errors import SettingsError  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _history(n: int = 5, scale: float = 1.0) -> dict:
    steps = list(range(1, n + 1))
    return {"step": steps, "seconds": [0.1 * s for s in steps],
            "total": [scale / s for s in steps],
            "content": [0.5 * scale / s for s in steps],
            "style": [0.2 * scale / s for s in steps],
            "tv": [0.1] * n}


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def test_image_grid():
    images = [_rng(i).uniform(0, 255, (8, 10, 3)) for i in range(5)]
    fig = plots.image_grid(images, [f"im {i}" for i in range(5)], ncols=3)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 6            # 2 rows x 3 columns, one left blank
    assert [ax.get_title() for ax in fig.axes[:5]] == [f"im {i}" for i in range(5)]


def test_loss_curves_one_line_per_run_and_term():
    hists = {"gd": _history(), "adam": _history(scale=2.0), "lbfgs": _history(4)}
    fig = plots.loss_curves(hists)
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    assert len(ax.get_lines()) == 3
    assert ax.get_yscale() == "log"
    assert ax.get_xlabel() == "step"
    fig = plots.loss_curves(hists, x="seconds", terms=("content", "style"),
                            log=False)
    ax = fig.axes[0]
    assert len(ax.get_lines()) == 6
    assert ax.get_xlabel() == "seconds"
    assert ax.get_yscale() == "linear"


def test_loss_curves_two_panels_and_normalize():
    fig = plots.loss_curves({"a": _history(), "b": _history(scale=10.0)},
                            x=("step", "seconds"), normalize=True)
    assert len(fig.axes) == 2
    for ax in fig.axes:
        lines = ax.get_lines()
        assert len(lines) == 2
        assert all(line.get_ydata()[0] == pytest.approx(1.0) for line in lines)


def test_loss_curves_into_given_axes_and_result_objects():
    class Result:
        history = _history()

    fig, (a1, a2) = plt.subplots(1, 2)
    out = plots.loss_curves({"run": Result()}, ax=a2)
    assert out is fig
    assert len(a2.get_lines()) == 1 and len(a1.get_lines()) == 0


def test_loss_curves_errors():
    with pytest.raises(SettingsError):
        plots.loss_curves({"a": _history()}, x="minutes")
    with pytest.raises(SettingsError, match="no 'gram'"):
        plots.loss_curves({"a": _history()}, terms="gram")
    with pytest.raises(SettingsError):
        plots.loss_curves({})


@pytest.mark.parametrize("shape", [(12, 10, 20), (1, 12, 10, 20)])
def test_feature_maps(shape):
    feats = _rng().random(shape).astype(np.float32)
    fig = plots.feature_maps(tf.constant(feats), n=10, ncols=4, title="conv1_1")
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 12                       # 3 rows x 4 columns
    assert sum(bool(ax.images) for ax in fig.axes) == 10


def test_feature_maps_most_active_first():
    feats = np.zeros((4, 4, 6), np.float32)
    feats[..., 4] = 5.0
    feats[..., 2] = 1.0
    fig = plots.feature_maps(feats, n=2, order="active")
    assert [ax.get_title() for ax in fig.axes] == ["ch 4", "ch 2"]
    fig = plots.feature_maps(feats, channels=[5, 0])
    assert [ax.get_title() for ax in fig.axes] == ["ch 5", "ch 0"]


def test_feature_maps_rejects_batches():
    with pytest.raises(SettingsError, match="one image"):
        plots.feature_maps(np.zeros((2, 4, 4, 3)))


def test_feature_maps_by_layer():
    rows = {"conv1_1": _rng(1).random((1, 16, 16, 64)),
            "conv2_1": _rng(2).random((1, 8, 8, 128)),
            "conv3_1": _rng(3).random((4, 4, 256))}
    fig = plots.feature_maps_by_layer(rows, n=5, image=np.zeros((16, 16, 3)))
    assert len(fig.axes) == 3 * 6
    assert "conv2_1" in fig.axes[6].get_ylabel()
    assert "8×8×128" in fig.axes[6].get_ylabel()
    fig = plots.feature_maps_by_layer({"a": rows["conv1_1"], "b": rows["conv1_1"]},
                                      channels=[3, 1])
    assert [ax.get_title() for ax in fig.axes] == ["ch 3", "ch 1"] * 2


def test_gram_heatmap_and_heatmaps():
    f = _rng().random((30, 80))
    gram = f.T @ f / 30
    fig = plots.gram_heatmap(gram, n=16, title="conv1_1")
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 2                        # heatmap + colorbar
    assert fig.axes[0].images[0].get_array().shape == (16, 16)
    assert "first 16 of 80×80" in fig.axes[0].get_title()
    fig = plots.gram_heatmaps({"photo": gram, "painting": gram[None],
                               "small": gram[:8, :8]}, n=64)
    assert len(fig.axes) == 6                        # 3 heatmaps + 3 colorbars
    shapes = [ax.images[0].get_array().shape for ax in fig.axes if ax.images]
    assert shapes == [(64, 64), (64, 64), (8, 8)]
    with pytest.raises(SettingsError, match="square"):
        plots.gram_heatmap(np.zeros((3, 4)))


def test_gram_heatmap_into_axes():
    fig, axes = plt.subplots(1, 2)
    out = plots.gram_heatmap(np.eye(4), ax=axes[1], colorbar=False)
    assert out is fig and axes[1].images and not axes[0].images


def test_bar_chart_and_layer_sizes():
    fig = plots.bar_chart({"a": 1.0, "b": 10.0, "c": 1e4}, log=True,
                          reference=(5.0, "ref"), ylabel="value")
    (ax,) = fig.axes
    assert len(ax.patches) == 3
    assert ax.get_yscale() == "log"
    assert len(ax.get_lines()) == 1                  # the reference line
    feats = {"conv1_1": np.zeros((1, 16, 16, 64)), "conv2_1": np.zeros((8, 8, 128)),
             "pool5": 512}
    fig = plots.layer_sizes(feats, image_shape=(16, 16))
    ax = fig.axes[0]
    heights = [p.get_height() for p in ax.patches]
    assert heights == [16 * 16 * 64, 8 * 8 * 128, 512]
    assert ax.get_lines()[0].get_ydata()[0] == 16 * 16 * 3


def test_channel_histograms():
    img = _rng().uniform(0, 255, (10, 12, 3))
    fig = plots.channel_histograms({"RGB": img, "VGG input": img[None] - 100},
                                   channel_names={"RGB": "RGB",
                                                  "VGG input": "BGR"})
    assert len(fig.axes) == 2
    for ax in fig.axes:
        assert len(ax.patches) == 3                  # one step histogram each
    labels = [t.get_text() for t in fig.axes[1].get_legend().get_texts()]
    assert labels[0].startswith("B (mean")


def test_gram_heatmap_colours_span_four_decades_on_a_log_scale():
    """One huge entry (a channel firing on a large smooth sky) must not leave the
    rest of a Gram heat map black."""
    from matplotlib.colors import LogNorm
    gram = np.full((8, 8), 1.0)
    gram[0, 0] = 1e2
    image = plots.gram_heatmap(gram).axes[0].images[0]
    assert isinstance(image.norm, LogNorm)
    assert image.norm(1.0) == pytest.approx(0.5)             # mid-scale, not black
    linear = plots.gram_heatmap(gram, log=False).axes[0].images[0]
    assert linear.norm(1.0) < 1e-3                            # what the old scale did
    assert plots.gram_heatmap(np.zeros((4, 4))).axes[0].images    # all zero: still drawn


def test_mask_overlay_tints_each_region_in_its_own_colour():
    """The first mask is tinted blue (The Starry Night's sky in notebook 08), the
    second orange (The Scream): each region looks like its painting."""
    img = np.full((8, 8, 3), 128.0)
    top = np.zeros((8, 8))
    top[:4] = 1.0
    fig = plots.mask_overlay(img, {"sky": top, "rest": 1 - top})
    sky = fig.axes[1].images[0].get_array()
    rest = fig.axes[2].images[0].get_array()
    assert sky[0, 0, 2] > sky[0, 0, 0]          # blue where the first mask is 1
    assert rest[7, 0, 0] > rest[7, 0, 2]        # orange where the second mask is 1
    assert np.allclose(sky[7, 0], 128, atol=1)  # untouched where the mask is 0
    custom = plots.mask_overlay(img, {"a": top}, colours=[(0, 255, 0)])
    assert custom.axes[1].images[0].get_array()[0, 0, 1] > 128
