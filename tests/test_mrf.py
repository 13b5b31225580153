"""The MRF style loss (Li & Wand 2016): patches, NCC as a convolution, the loss,
its gradient, rotated/scaled banks, and stylize(..., style_loss="mrf")."""
import numpy as np
import pytest
import tensorflow as tf

from style_lib import settings
from style_lib.core import losses, mrf
from style_lib.pixel import optimize
from style_lib.errors import SettingsError
from style_lib.core.vgg import FeatureExtractor

RNG = np.random.default_rng(0)


def _features(h, w, c, seed=0):
    return np.random.default_rng(seed).standard_normal((h, w, c)).astype(np.float32)


@pytest.mark.parametrize("size, stride", [(3, 1), (3, 2), (2, 1), (5, 3)])
def test_patches_are_the_slices_in_row_major_order(size, stride):
    f = _features(11, 9, 4)
    patches = mrf.extract_patches(f, size, stride).numpy()
    corners = [(r, c) for r in range(0, 11 - size + 1, stride)
               for c in range(0, 9 - size + 1, stride)]
    assert patches.shape == (len(corners), size, size, 4)
    for p, (r, c) in zip(patches, corners):
        np.testing.assert_array_equal(p, f[r:r + size, c:c + size])


def test_a_feature_map_smaller_than_a_patch_is_one_clear_error():
    with pytest.raises(SettingsError, match="no 3x3 patch"):
        mrf.extract_patches(_features(2, 9, 4), 3)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("k", [1, 3])
def test_the_convolution_finds_the_brute_force_nearest_patches(seed, k):
    f = _features(10, 12, 6, seed)
    s = _features(9, 8, 6, seed + 100)
    bank = mrf.patch_bank(mrf.extract_patches(s, k, 1))
    fast = mrf.nearest_patches(f, bank).numpy()
    slow = mrf.nearest_patches_brute_force(f, bank)
    assert fast.shape == slow.shape == (10 - k + 1, 12 - k + 1)
    np.testing.assert_array_equal(fast, slow)


def test_ncc_is_the_cosine_of_every_pair():
    f = _features(6, 7, 5, 1)
    bank = mrf.patch_bank(mrf.extract_patches(_features(5, 5, 5, 2), 3, 1))
    ncc = mrf.normalized_cross_correlation(f, bank).numpy()
    assert ncc.shape == (4, 5, bank.size)
    assert np.all(np.abs(ncc) <= 1 + 1e-5)
    p = f[1:4, 2:5].reshape(-1)
    q = bank.patches.numpy()[7].reshape(-1)
    np.testing.assert_allclose(ncc[1, 2, 7], p @ q / np.linalg.norm(p)
                               / np.linalg.norm(q), rtol=1e-4)


def test_the_painting_against_itself_has_zero_loss():
    s = np.abs(_features(12, 10, 8, 3))        # relu features are >= 0
    bank = mrf.patch_bank(mrf.extract_patches(s, 3, 1))
    assert float(mrf.mrf_layer_loss(s, bank)) == pytest.approx(0.0, abs=1e-6)
    assert np.array_equal(mrf.nearest_patches(s, bank).numpy().reshape(-1),
                          np.arange(bank.size))


def test_shuffling_positions_keeps_the_gram_loss_but_not_the_mrf_loss():
    """The Gram matrix does not know where features are; the patches do."""
    s = np.abs(_features(16, 16, 8, 4))
    s[:8] *= 3.0                                  # some large-scale structure
    flat = s.reshape(-1, 8)
    shuffled = flat[np.random.default_rng(5).permutation(len(flat))].reshape(s.shape)
    gram = losses.gram_matrix(s[np.newaxis])
    assert float(losses.style_layer_loss(shuffled[np.newaxis], gram)) == \
        pytest.approx(0.0, abs=1e-9 * float(tf.reduce_sum(gram ** 2)))
    bank = mrf.patch_bank(mrf.extract_patches(s, 3, 1))
    assert float(mrf.mrf_layer_loss(s, bank)) == pytest.approx(0.0, abs=1e-6)
    shuffled_loss = float(mrf.mrf_layer_loss(shuffled, bank))
    per_patch = shuffled_loss / (14 * 14) / float(np.mean(
        np.sum(bank.patches.numpy() ** 2, axis=(1, 2, 3))))
    assert per_patch > 0.2      # each patch misses its match by 20 % of its length


def test_the_gradient_pulls_each_patch_towards_its_match():
    """With NN fixed, d/dx Σ_i ||P_i(x) - T_i||² = 2 Σ_i (P_i(x) - T_i) placed back."""
    f = _features(7, 8, 3, 6)
    bank = mrf.patch_bank(mrf.extract_patches(_features(6, 6, 3, 7), 3, 1))
    x = tf.Variable(f)
    with tf.GradientTape() as tape:
        loss = mrf.mrf_layer_loss(x, bank)
    grad = tape.gradient(loss, x).numpy()
    nn = mrf.nearest_patches_brute_force(f, bank)
    expected = np.zeros_like(f)
    total = 0.0
    for r in range(nn.shape[0]):
        for c in range(nn.shape[1]):
            d = f[r:r + 3, c:c + 3] - bank.patches.numpy()[nn[r, c]]
            expected[r:r + 3, c:c + 3] += 2 * d
            total += float(np.sum(d ** 2))
    assert float(loss) == pytest.approx(total, rel=1e-5)
    np.testing.assert_allclose(grad, expected, rtol=1e-4, atol=1e-4)


def test_rotations_and_scales_make_more_patches_from_valid_regions():
    style = RNG.uniform(0, 255, (64, 80, 3)).astype(np.float32)
    plain = mrf.style_variants(style, mrf.MRFSettings())
    assert len(plain) == 1 and plain[0][0] is not None and plain[0][1].min() == 1
    many = mrf.style_variants(style, mrf.MRFSettings(rotations=1, scales=1))
    assert len(many) == 9 == mrf.MRFSettings(rotations=1, scales=1).copies
    sizes = sorted({v[0].shape[:2] for v in many})
    assert len(sizes) == 3                      # 1/1.05, 1, 1.05
    rotated = [m for _, m in many if m.min() == 0]
    assert len(rotated) == 6                    # empty corners masked out
    extractor = FeatureExtractor(["conv3_1"], "imagenet", verbose=False)
    one = mrf.mrf_targets(extractor, [style], ["conv3_1"])[0][0]
    nine = mrf.mrf_targets(extractor, [style], ["conv3_1"],
                           mrf.MRFSettings(rotations=1, scales=1))[0][0]
    assert one.size == 7 * 9                    # 16x20 cells, stride 2
    assert 5 * one.size < nine.size < 9.5 * one.size


@pytest.mark.parametrize("bad, match", [
    ({"patch_size": 0}, "patch_size"), ({"stride": 1.5}, "stride"),
    ({"rotations": 9}, "rotations"), ({"scale_step": 0.9}, "scale_step"),
    ({"patchsize": 3}, "unknown setting 'patchsize'")])
def test_bad_mrf_settings_are_one_clear_error(bad, match):
    with pytest.raises(SettingsError, match=match):
        mrf.as_settings(bad)


def test_the_paper_schedule_halves_twice():
    assert mrf.paper_sizes(256) == (64, 128, 256)
    assert mrf.paper_sizes(384, 2) == (192, 384)


@pytest.fixture(scope="module")
def pair():
    rng = np.random.default_rng(1)
    content = rng.uniform(0, 255, (48, 64, 3)).astype(np.float32)
    content[:, :32] *= 0.3
    style = np.tile(np.linspace(0, 255, 16, dtype=np.float32)[:, None, None],
                    (4, 64, 3))
    style[..., 1] = style[::-1, :, 1]
    return content, style


def test_stylize_with_the_mrf_loss_lowers_its_objective(pair):
    content, style = pair
    result = optimize.stylize(content, style, size=64, steps=10, style_loss="mrf",
                              weights="imagenet", progress=False)
    h = result.history
    assert result.settings["style_loss"] == "mrf"
    assert result.settings["style_layers"] == settings.MRF_STYLE_LAYERS
    assert result.settings["style_weight"] == pytest.approx(settings.MRF_STYLE_WEIGHT)
    assert result.settings["mrf"]["patch_size"] == 3
    assert result.best_loss < 0.7 * h["total"][0]
    assert h["style"][-1] < h["style"][0]
    gram = optimize.stylize(content, style, size=64, steps=2, weights="imagenet",
                            progress=False)
    assert gram.settings["style_loss"] == "gram"
    assert gram.settings["style_layers"] == settings.DEFAULT_STYLE_LAYERS


def test_the_objective_holds_patch_banks_and_gives_eq2(pair):
    content, style = pair
    st = optimize.get_stylizer(content, style, size=64, style_loss="mrf",
                               weights="imagenet", verbose=False,
                               mrf={"stride": 1})
    bank = st.style_targets[0][0]
    assert isinstance(bank, mrf.MRFTarget)
    x = st.initial_image("noise", seed=2)
    feats = st.extractor(x[np.newaxis])
    expected = sum(float(mrf.mrf_layer_loss(feats[name][0], b)) / 2
                   for name, b in zip(st.style_layers, st.style_targets[0]))
    assert st.loss_terms(x)["style"] == pytest.approx(expected, rel=1e-4)
    other = optimize.get_stylizer(content, style, size=64, style_loss="mrf",
                                  weights="imagenet", verbose=False)
    assert other is not st and other.style_targets[0][0].size < bank.size


@pytest.mark.parametrize("kwargs, match", [
    ({"style_loss": "patches"}, "style_loss must be 'gram'"),
    ({"mrf": {"stride": 2}}, "need style_loss='mrf'"),
    ({"style_loss": "mrf", "masks": [np.ones((48, 64))]}, "masks work with Gram"),
])
def test_bad_combinations_are_one_clear_error(pair, kwargs, match):
    content, style = pair
    with pytest.raises(SettingsError, match=match):
        optimize.stylize(content, style, size=64, steps=1, weights="imagenet",
                         progress=False, **kwargs)


def test_a_search_too_large_is_refused_before_it_starts(monkeypatch, pair):
    content, style = pair
    monkeypatch.setattr(mrf, "MAX_RESPONSE", 1000)
    with pytest.raises(SettingsError, match="MRF search would compare"):
        optimize.Stylizer(content, style, size=64, style_loss="mrf",
                          weights="imagenet", verbose=False)


def test_an_mrf_texture_has_the_paintings_shape(pair):
    _, style = pair
    result = optimize.synthesize_texture(style, size=64, steps=5, style_loss="mrf",
                                         weights="imagenet", progress=False)
    assert result.image.shape == style.shape
    assert result.history["style"][-1] < result.history["style"][0]
