"""style_lib.core.quality: the judge of a finished picture, and the bench section built on it."""
from __future__ import annotations

import numpy as np
import pytest

from style_lib.core import color, quality
from style_lib.io import data
from style_lib.core.quality import Judge, Verdict

SIZE = 64


@pytest.fixture(scope="module")
def judge():
    return Judge("tubingen", "starry_night", size=SIZE)


def test_the_photo_is_where_every_run_starts(judge):
    verdict = judge(judge.photo)
    assert verdict.relative == pytest.approx(1.0) and verdict.layout == pytest.approx(1.0)
    assert 0.3 < judge.photo_distance < 2.0 and not verdict.finished


def test_the_painting_is_close_in_style_but_not_in_layout(judge):
    painting = data.load("starry_night", max_size=SIZE)
    h, w = judge.photo.shape[:2]
    crop = painting[:h, :w] if painting.shape[0] >= h else np.resize(painting, judge.photo.shape)
    verdict = judge(crop)
    assert verdict.relative < 0.5            # its own Grams, cropped
    assert verdict.layout < quality.LAYOUT_MIN and not verdict.finished


def test_layout_sees_the_scene_not_the_colours(judge):
    brighter = np.clip(judge.photo * 0.8 + 40, 0, 255)
    recoloured = color.match_histogram(judge.photo, data.load("starry_night", max_size=SIZE))
    assert judge.layout(brighter) > 0.99 and judge.layout(recoloured) > 0.9
    assert judge.layout(judge.photo[::-1]) < 0.5                # upside down: another scene


def test_finished_needs_both_the_style_and_the_layout():
    assert Verdict(0.2, 0.3, 0.9).finished
    assert not Verdict(0.2, 0.31, 0.99).finished
    assert not Verdict(0.1, 0.1, 0.89).finished


def test_a_judge_with_another_network_scores_the_photo_the_same_way():
    hed = Judge("tubingen", "starry_night", size=SIZE, weights="hed")
    assert hed(hed.photo).relative == pytest.approx(1.0)
    imagenet = Judge("tubingen", "starry_night", size=SIZE)
    assert not np.allclose(hed.targets[0], imagenet.targets[0], rtol=1e-2)   # another network


def test_the_bench_section_renders_its_curve_and_table():
    from benchmarks import quality as bench
    point = {"step": 1, "seconds": 0.5, "relative": 0.5, "layout": 0.95,
             "finished": False, "relative_hed": 0.6}
    done = dict(point, seconds=2.5, relative=0.25, finished=True)
    results = {"goal_seconds": {"256": 5.0}, "caps": {"256": 15.0},
               "curves": {"pair": ["tubingen", "starry_night"], "size": 256,
                          "runs": {"default": [point, done]}},
               "time_to_goal": {"256": {"starry_night": {"default": 2.5, "peer": None}}}}
    text = "\n".join(bench.render(results))
    assert "| schedule | 1 s | 2 s | 3 s |" in text             # marks up to the runs' end
    assert "| default | 0.50 / 0.60 (0.95) | 0.50 / 0.60 (0.95) | 0.25 / 0.60 (0.95) |" in text
    assert "| starry_night | 2.5 | not reached |" in text
    assert "| **worst** | **2.5** | not reached |" in text
    assert bench.time_to_goal([point, done]) == 2.5 and bench.time_to_goal([point]) is None


def test_the_bench_table_of_pairs_names_the_worst_and_counts_the_finished():
    from benchmarks import quality as bench
    cell = {"seconds": 2.0, "relative": 0.29, "layout": 0.95, "relative_hed": 0.31, "steps": 8}
    slow = dict(cell, seconds=4.5, layout=0.91, steps=20)
    never = {"seconds": None, "relative": 0.4, "layout": 0.97}
    grid = {"256": {bench.UNTIL: {"tubingen x starry_night": cell, "china x the_kiss": slow},
                    bench.DEFAULT: {"tubingen x starry_night": never,
                                    "china x the_kiss": never}}}
    results = {"goal_seconds": {"256": 5.0}, "caps": {"256": {bench.UNTIL: 15.0,
                                                             bench.DEFAULT: 5.0}},
               "curves": {"pair": ["tubingen", "starry_night"], "size": 256, "runs": {
                   "default": [{"step": 1, "seconds": 0.5, "relative": 0.5, "layout": 0.95,
                                "finished": False}]}},
               "grid": grid}
    text = "\n".join(bench.render(results))
    assert "| 256 px | until finished | 2/2 | 3.2 | china x the_kiss | 4.5 |" in text
    assert "| 256 px | stylize defaults | 0/2 | not finished |" in text
    assert "| tubingen | 2.0 (0.95) | - |" in text                    # a pair not run: -
    assert bench.summary(grid["256"][bench.UNTIL])["worst_pair"] == "china x the_kiss"
    assert "most 20." in text and "worst 0.31" in text
