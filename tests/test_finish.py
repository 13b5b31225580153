"""style_lib.pixel.finish and ``stylize(..., until="finished")``: stop when the
picture is finished, balance by measure (issue 34)."""
from __future__ import annotations

import numpy as np
import pytest

from style_lib.core.quality import GOAL_FRACTION, LAYOUT_MIN, Judge
from style_lib.errors import SettingsError
from style_lib.pixel import finish, optimize
from style_lib.settings import StyleSettings, default_style_weight

SIZE = 64
PAIR = ("tubingen", "starry_night")      # finishes at 64 px in about 15 steps


@pytest.fixture(scope="module")
def stylizer():
    return optimize.Stylizer(*PAIR, size=SIZE, verbose=False)


@pytest.fixture(scope="module")
def judge():
    return Judge(*PAIR, size=SIZE)


@pytest.fixture(scope="module")
def finished():
    optimize.clear_cache()
    return optimize.stylize(*PAIR, size=SIZE, until="finished", progress=False)


def test_the_proxy_is_the_judges_distance_from_the_steps_own_numbers(stylizer, judge):
    """||G - A|| = 2 N sqrt(E_l): the same number as the judge's, no extra pass."""
    proxy = stylizer.style_proxy()
    assert proxy.photo_distance == pytest.approx(judge.photo_distance, rel=1e-4)
    result = stylizer.run(steps=6, init="recoloured", progress=False)
    picture = result.image
    assert proxy.relative(stylizer.style_per_layer(picture)) == pytest.approx(
        judge(picture).relative, rel=1e-4)
    assert proxy.relative(stylizer.style_per_layer(stylizer.content)) == pytest.approx(1.0)


def test_the_layer_weights_follow_the_judge_and_keep_the_loss_scale(stylizer):
    proxy = stylizer.style_proxy()
    e = stylizer.style_per_layer(stylizer.initial_image("recoloured"))
    w = proxy.layer_weights(e)
    assert float(np.sum(w * e)) == pytest.approx(float(np.mean(e)), rel=1e-6)
    # half-way (LAYER_POWER) towards the judge's sensitivity k_l / sqrt(E_l)
    sensitivity = (proxy.scale / np.sqrt(e)) ** finish.LAYER_POWER
    assert 0 < finish.LAYER_POWER < 1
    assert w / w[0] == pytest.approx(sensitivity / sensitivity[0], rel=1e-6)
    # a layer far from the painting relative to its E_l gets more weight than 1/L would give
    assert not np.allclose(w / w.sum(), 1 / len(w), rtol=0.05)


def test_balance_decides_from_the_two_numbers():
    balance = finish.Balance(patience=3)
    assert balance.observe(0.5, 0.99) == ""                      # going well
    assert balance.observe(0.28, 0.95) == "finished"
    layout_goes = finish.Balance(patience=3)
    decisions = [layout_goes.observe(r, l) for r, l in
                 [(0.6, 0.95), (0.5, 0.93), (0.45, 0.91)]]
    assert decisions == ["", "", "lower"]                        # style short, layout going
    stalls = finish.Balance(patience=4)
    decisions = [stalls.observe(0.40 - 0.001 * k, 0.98) for k in range(4)]
    assert decisions[-1] == "raise"                              # stalled with room
    overshoot = finish.Balance(patience=3)
    assert [overshoot.observe(0.2, 0.85) for _ in range(3)] == ["", "", "lower"]
    with pytest.raises(SettingsError, match="patience"):
        finish.Balance(patience=2)


def test_balance_never_runs_away():
    balance = finish.Balance(patience=3, range=4.0)
    changes = 0
    for _ in range(50):
        action = balance.observe(0.40, 0.99)
        if action == "raise":
            balance.changed(balance.factor(action))
            changes += 1
    assert changes == 1 and balance.scale == pytest.approx(4.0)
    balance = finish.Balance(patience=3, range=4.0)
    lowered = sum(balance.observe(0.5, 0.85) == "lower" and (balance.changed(0.5) or True)
                  for _ in range(50))
    assert lowered == 2


def test_balance_raises_4x_while_the_layout_has_room_and_never_past_its_range():
    balance = finish.Balance(patience=3, range=8.0)
    for _ in range(3):
        action = balance.observe(0.40, 0.99)               # stalled, layout far above 0.9
    assert action == "raise" and balance.factor(action) == 4.0
    balance.changed(4.0)
    for _ in range(3):
        action = balance.observe(0.40, 0.99)
    assert action == "raise" and balance.factor(action) == 2.0   # 4 x 4 would pass 8
    tight = finish.Balance(patience=3)
    for _ in range(3):
        action = tight.observe(0.40, 0.96)                 # room, but not to spare
    assert action == "raise" and tight.factor(action) == 2.0
    assert tight.factor("lower") == 0.5


def test_until_finished_stops_as_soon_as_the_judge_would(finished, judge):
    assert finished.finished is True and not finished.interrupted
    verdict = judge(finished.image)             # float32, a network pass the run never made
    assert verdict.finished, verdict
    assert finished.relative == pytest.approx(verdict.relative, rel=1e-3)
    steps = finished.history["step"]
    assert len(steps) < 60                     # stopped, far below the cap
    # not finished one step earlier: it stopped as soon as it could
    earlier = finished.history["relative"][-2], finished.history["layout"][-2]
    assert finish.score(*earlier, finish.Balance().goal) > 0
    assert finished.settings["until"] == "finished"
    assert finished.settings["init"] == "recoloured"             # the default start
    assert set(finished.history) >= {"relative", "layout", "total", "seconds"}


def test_until_finished_uses_a_given_start_and_style_weight():
    optimize.clear_cache()
    beta = 2 * default_style_weight(48, 64)
    result = optimize.stylize(*PAIR, size=SIZE, until="finished", init="content",
                              style_weight=beta, steps=3, progress=False)
    assert result.settings["init"] == "content"
    assert result.settings["style_weight"] == pytest.approx(beta)
    assert result.history["relative"][0] == pytest.approx(1.0, abs=1e-3)   # from the photo
    assert len(result.history["step"]) == 3 and result.finished is False
    # not finished: the picture nearest to finished is kept, with its numbers
    scores = [finish.score(r, l, finish.Balance().goal)
              for r, l in zip(result.history["relative"], result.history["layout"])]
    assert finish.score(result.relative, result.layout,
                        finish.Balance().goal) == pytest.approx(min(scores))


def test_a_callback_sees_numbered_steps_and_can_stop_the_run():
    optimize.clear_cache()
    seen = []
    result = optimize.stylize(*PAIR, size=SIZE, until="finished", progress=False,
                              callback=lambda p: seen.append(p.step) or p.step >= 2)
    assert seen == [1, 2] and result.stopped and not result.finished


@pytest.mark.parametrize("changes, words", [
    ({"style": ["starry_night", "the_scream"]}, "one painting"),
    ({"style_loss": "mrf"}, "Gram"),
])
def test_until_finished_refuses_what_it_cannot_judge(changes, words):
    kwargs = {"style": "starry_night", **changes}
    style = kwargs.pop("style")
    with pytest.raises(SettingsError, match=words):
        optimize.stylize("tubingen", style, size=SIZE, steps=2, until="finished",
                         progress=False, **kwargs)


def test_until_is_a_checked_setting():
    assert StyleSettings().until is None and StyleSettings().init is None
    with pytest.raises(SettingsError, match="until must be None .* or 'finished'"):
        StyleSettings(until="done")


def test_the_goal_margin_is_below_the_judges():
    assert finish.Balance().goal < GOAL_FRACTION and finish.Balance().layout_min == LAYOUT_MIN
