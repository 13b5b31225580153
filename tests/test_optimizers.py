"""The optimisers minimise any value-and-gradient function (no style involved)."""
import numpy as np
import pytest
import tensorflow as tf

from style_lib.core import optimizers
from style_lib.errors import SettingsError

RNG = np.random.default_rng(0)
# An ill-conditioned quadratic f(x) = 1/2 (x - c)^T A (x - c), minimum at c.
EIGEN = np.geomspace(1.0, 100.0, 6)
Q, _ = np.linalg.qr(RNG.normal(size=(6, 6)))
A = (Q * EIGEN) @ Q.T
C = RNG.uniform(20, 200, size=6)


def quadratic(x):
    x = tf.cast(x, tf.float64)
    d = x - C
    value = 0.5 * tf.reduce_sum(d * tf.linalg.matvec(A, d))
    grad = tf.cast(tf.linalg.matvec(A, d), tf.float32)
    return tf.cast(value, tf.float32), grad, {"distance": float(tf.norm(d))}


@pytest.mark.parametrize("method", optimizers.METHODS)
def test_each_method_lowers_the_value(method):
    x0 = np.full(6, 128.0, np.float32)
    found = optimizers.minimize(quadratic, x0, method=method, steps=60,
                                learning_rate=5.0, step_size=2.0)
    assert found.evaluations == 60 and not found.stopped
    assert found.value < 0.2 * float(quadratic(x0)[0])


def test_lbfgs_finds_the_minimum_of_a_quadratic():
    found = optimizers.minimize(quadratic, np.full(6, 128.0, np.float32),
                                method="lbfgs", steps=60, bounds=None)
    np.testing.assert_allclose(found.x.numpy(), C, rtol=1e-3)
    gd = optimizers.minimize(quadratic, np.full(6, 128.0, np.float32),
                             method="gd", steps=60, bounds=None, step_size=1.0)
    assert found.value < 1e-3 * gd.value


def test_two_loop_is_the_inverse_hessian_after_n_pairs():
    # For a quadratic every secant pair has y = A s. With n A-conjugate steps
    # (as exact line searches produce) the BFGS update keeps every secant
    # equation H y_k = s_k, so H = A^{-1}: the recursion gives -A^{-1} g,
    # whatever H_0 is. The eigenvectors of A are A-conjugate.
    n = 6
    s = Q.T * RNG.uniform(0.5, 2.0, size=(n, 1))
    y = s @ A.T
    rho = 1.0 / np.sum(s * y, axis=1)
    g = RNG.normal(size=n)
    d = optimizers.two_loop(tf.constant(g, tf.float32), tf.constant(s, tf.float32),
                            tf.constant(y, tf.float32), tf.constant(rho, tf.float64),
                            tf.constant(0.37, tf.float32))
    np.testing.assert_allclose(d.numpy(), -np.linalg.solve(A, g), rtol=2e-3, atol=1e-4)


def test_empty_slots_change_nothing():
    g = tf.constant(RNG.normal(size=4), tf.float32)
    zeros = tf.zeros((3, 4))
    d = optimizers.two_loop(g, zeros, zeros, tf.zeros(3, tf.float64),
                            tf.constant(2.0))
    np.testing.assert_allclose(d.numpy(), -2.0 * g.numpy(), rtol=1e-6)


@pytest.mark.parametrize("method", optimizers.METHODS)
def test_bounds_hold_and_the_best_point_is_returned(method):
    seen = []

    def callback(n, x, value, aux):
        seen.append((value, x.numpy().copy()))
        assert aux["distance"] >= 0           # aux is passed through

    found = optimizers.minimize(quadratic, np.full(6, 128.0, np.float32),
                                method=method, steps=25, bounds=(100.0, 150.0),
                                callback=callback, learning_rate=20.0)
    xs = np.array([x for _, x in seen])
    assert xs.min() >= 100.0 and xs.max() <= 150.0
    best_value, best_x = min(seen, key=lambda p: p[0])
    assert found.value == best_value
    np.testing.assert_array_equal(found.x.numpy(), best_x)


def test_callback_stops_and_ctrl_c_keeps_the_best():
    found = optimizers.minimize(quadratic, np.full(6, 128.0, np.float32),
                                steps=50, callback=lambda n, *_: n >= 7)
    assert found.evaluations == 7 and found.stopped and not found.interrupted
    calls = []

    def interrupting(x):
        calls.append(1)
        if len(calls) == 5:
            raise KeyboardInterrupt
        return quadratic(x)

    found = optimizers.minimize(interrupting, np.full(6, 128.0, np.float32), steps=50)
    assert found.interrupted and found.evaluations == 4
    assert np.isfinite(found.value)


def test_unknown_method_is_one_clear_error():
    with pytest.raises(SettingsError, match="optimizer must be one of"):
        optimizers.minimize(quadratic, np.zeros(6, np.float32), method="sgd")
