"""The losses against independent NumPy versions of the paper's formulas."""
import numpy as np
import pytest
import tensorflow as tf

from style_lib.core import gradients, losses
from style_lib.errors import SettingsError

RNG = np.random.default_rng(0)


def features(h=5, w=4, c=6, seed=0):
    return np.random.default_rng(seed).normal(size=(1, h, w, c)).astype(np.float32)


# Independent NumPy versions of the paper (Gatys et al. 2016, eqs. 1, 3, 4, 5),
# with *unnormalised* Grams G' = F^T F, F of shape (M, N).
def np_gram_unnormalised(f):
    m = f.shape[1] * f.shape[2]
    flat = f.reshape(m, f.shape[-1]).astype(np.float64)
    return flat.T @ flat


def np_content(f, p):
    return 0.5 * np.sum((f.astype(np.float64) - p) ** 2)


def np_style_layer(f, style_f):
    m, n = f.shape[1] * f.shape[2], f.shape[-1]
    g, a = np_gram_unnormalised(f), np_gram_unnormalised(style_f)
    return np.sum((g - a) ** 2) / (4.0 * n**2 * m**2)


def np_tv(x):
    x = x.astype(np.float64)
    return np.sum((x[1:] - x[:-1]) ** 2) + np.sum((x[:, 1:] - x[:, :-1]) ** 2)


def test_gram_matches_numpy_and_normalises_by_positions():
    f = features()
    g = losses.gram_matrix(f).numpy()
    assert g.shape == (6, 6)           # one image: (1, H, W, N) or (H, W, N)
    np.testing.assert_allclose(g, np_gram_unnormalised(f) / 20, rtol=1e-5)


def test_gram_of_single_image_is_c_by_c():
    f = features()[0]
    assert losses.gram_matrix(f).shape == (6, 6)


def test_gram_is_symmetric_and_positive_semidefinite():
    g = losses.gram_matrix(features(8, 8, 16)).numpy().astype(np.float64)
    np.testing.assert_allclose(g, g.T, rtol=1e-6)
    assert np.linalg.eigvalsh(g).min() > -1e-4 * np.abs(g).max()


def test_gram_ignores_where_things_are():
    f = features(6, 7, 5)
    flat = f.reshape(-1, 5)
    shuffled = flat[RNG.permutation(len(flat))].reshape(f.shape)
    np.testing.assert_allclose(losses.gram_matrix(f), losses.gram_matrix(shuffled),
                               rtol=1e-5, atol=1e-6)
    # ... whereas the content loss sees the change
    assert losses.content_loss(shuffled, f) > 1.0


def test_gram_rejects_wrong_rank_and_batches():
    with pytest.raises(SettingsError, match="expects"):
        losses.gram_matrix(np.zeros((4, 4)))
    # a batch would silently become the Gram of all images together
    with pytest.raises(SettingsError, match="batch of 2.*features\\[i\\]"):
        losses.gram_matrix(np.zeros((2, 4, 4, 3)))


def test_content_loss_matches_eq1():
    f, p = features(seed=1), features(seed=2)
    assert losses.content_loss(f, p).numpy() == pytest.approx(np_content(f, p), rel=1e-5)
    assert losses.content_loss(f, f).numpy() == 0


def test_style_layer_loss_matches_eq4_with_unnormalised_grams():
    f, s = features(seed=3), features(seed=4)
    target = losses.gram_matrix(s)
    got = losses.style_layer_loss(f, target).numpy()
    assert got == pytest.approx(np_style_layer(f, s), rel=1e-4)


def test_style_layer_loss_is_zero_for_the_style_itself_and_ignores_layout():
    s = features(seed=5)
    flat = s.reshape(-1, s.shape[-1])
    shuffled = flat[RNG.permutation(len(flat))].reshape(s.shape)
    target = losses.gram_matrix(s)
    assert losses.style_layer_loss(shuffled, target).numpy() == pytest.approx(0, abs=1e-8)


def test_style_loss_is_the_weighted_sum_eq5():
    f1, f2, s1, s2 = (features(seed=k) for k in range(4))
    feats = {"a": f1, "b": f2}
    targets = {"a": losses.gram_matrix(s1), "b": losses.gram_matrix(s2)}
    e_a, e_b = np_style_layer(f1, s1), np_style_layer(f2, s2)
    got = losses.style_loss(feats, targets, {"a": 0.3, "b": 2.0}).numpy()
    assert got == pytest.approx(0.3 * e_a + 2.0 * e_b, rel=1e-4)
    default = losses.style_loss(feats, targets).numpy()
    assert default == pytest.approx((e_a + e_b) / 2, rel=1e-4)


def test_style_loss_names_a_missing_layer():
    with pytest.raises(SettingsError, match="conv9_9"):
        losses.style_loss({}, {"conv9_9": np.eye(3)})


def test_total_variation_matches_numpy_and_ignores_constants():
    x = RNG.uniform(0, 255, size=(7, 9, 3)).astype(np.float32)
    assert losses.total_variation_loss(x).numpy() == pytest.approx(np_tv(x), rel=1e-5)
    assert losses.total_variation_loss(x[np.newaxis]).numpy() == pytest.approx(np_tv(x), rel=1e-5)
    assert losses.total_variation_loss(np.full((5, 5, 3), 42.0)).numpy() == 0
    assert losses.total_variation_loss(x + 10).numpy() == pytest.approx(np_tv(x), rel=1e-4)


def grad(fn, x):
    x = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = fn(x)
    return tape.gradient(y, x).numpy()


def test_content_gradient_is_f_minus_p():
    f, p = features(seed=6), features(seed=7)
    np.testing.assert_allclose(grad(lambda x: losses.content_loss(x, p), f), f - p,
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("style_layer_loss", [losses.style_layer_loss,
                                              gradients.style_layer_loss_eq6])
def test_style_gradient_is_the_papers_eq6(style_layer_loss):
    # dE/dF = F (G - A) / (N^2 M)  ==  paper eq. 6 with unnormalised Grams:
    # what GradientTape makes of eq. 4, and what style_layer_loss_eq6 writes out.
    f, s = features(3, 3, 4, seed=8), features(3, 3, 4, seed=9)
    target = losses.gram_matrix(s).numpy()
    m, n = 9, 4
    flat = f.reshape(m, n).astype(np.float64)
    g = flat.T @ flat / m
    expected = (flat @ (g - target) / (n**2 * m)).reshape(f.shape)
    np.testing.assert_allclose(grad(lambda x: style_layer_loss(x, target), f),
                               expected, rtol=1e-4, atol=1e-6)


def test_tv_gradient_matches_finite_differences():
    x = RNG.uniform(0, 1, size=(4, 5, 3)).astype(np.float64)
    g = grad(lambda t: losses.total_variation_loss(t), x.astype(np.float32))
    eps = 1e-3
    for idx in [(0, 0, 0), (2, 3, 1), (3, 4, 2)]:
        up, down = x.copy(), x.copy()
        up[idx] += eps
        down[idx] -= eps
        numeric = (np_tv(up) - np_tv(down)) / (2 * eps)
        assert g[idx] == pytest.approx(numeric, rel=1e-3, abs=1e-4)


@pytest.mark.parametrize("style_layer_loss", [losses.style_layer_loss,
                                              gradients.style_layer_loss_eq6])
def test_style_gradient_with_respect_to_the_target_gram(style_layer_loss):
    f, s = features(3, 3, 4, seed=10), features(3, 3, 4, seed=11)
    target = losses.gram_matrix(s).numpy()
    g = losses.gram_matrix(f).numpy()
    got = grad(lambda a: style_layer_loss(f, a), target)
    np.testing.assert_allclose(got, -(g - target) / (2 * 4**2), rtol=1e-4, atol=1e-7)


def test_eq6_loss_has_the_same_value_and_gradient_on_vgg_sized_features():
    f = np.maximum(features(12, 10, 32, seed=12), 0)
    target = losses.gram_matrix(np.maximum(features(9, 9, 32, seed=13), 0))
    for x in (f, f[0]):
        assert float(gradients.style_layer_loss_eq6(x, target)) == pytest.approx(
            float(losses.style_layer_loss(x, target)), rel=1e-5)
    np.testing.assert_allclose(
        grad(lambda x: gradients.style_layer_loss_eq6(x, target), f),
        grad(lambda x: losses.style_layer_loss(x, target), f), rtol=1e-3, atol=1e-9)
