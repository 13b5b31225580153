"""Stylising clips (Ruder et al. 2016): the temporal term, the warped start,
flicker halved on a synthetic and a real clip, the fast networks' blend,
interrupts, and ``python -m style_lib.video``."""
import numpy as np
import pytest
import tensorflow as tf

from style_lib.io import data
from style_lib.errors import SettingsError
from style_lib.video import __main__ as video_cli
from style_lib.video import clips, flow, io, temporal


@pytest.fixture(scope="module")
def synthetic():
    return clips.synthetic_clip(data.load("tubingen", max_size=160), frames=5, size=(48, 64))


@pytest.fixture(scope="module")
def real():
    return clips.real_clip("bigbuckbunny", frames=5, size=64, step=2)


def test_the_temporal_term_is_eq7_and_frames_never_retrace(synthetic):
    frames = synthetic.frames
    st = temporal.TemporalStylizer(frames[0], "starry_night", size=64,
                                   weights="imagenet", verbose=False)
    st.set_frame(frames[0])
    base = st.loss_terms(frames[0])["total"]
    previous = frames[0] + 10.0
    mask = np.zeros(frames.shape[1:3], np.float32)
    mask[:, :32] = 1.0
    st.set_frame(frames[0], previous, mask, temporal_weight=3.0)
    expected = 0.5 * 100.0 * 3 * mask.sum()              # 3 channels, 10 levels apart
    assert st.temporal_loss(frames[0]) == pytest.approx(expected, rel=1e-5)
    assert st.loss_terms(frames[0])["total"] == pytest.approx(base + 3.0 * expected,
                                                              rel=1e-5)
    st.set_frame(frames[1])                              # new photo: new content targets
    assert st.loss_terms(frames[0])["content"] > 0
    assert st.loss_terms(frames[1])["content"] == pytest.approx(0.0, abs=1e-3)
    assert st.traces == 1
    with pytest.raises(SettingsError, match="frames of one size"):
        st.set_frame(frames[0][:40])


@pytest.mark.parametrize("clip_name", ["synthetic", "real"])
def test_the_temporal_method_halves_the_flicker(clip_name, request):
    clip = request.getfixturevalue(clip_name)
    flows, masks = flow.clip_flows(clip.frames)
    runs = {temp: temporal.stylize_clip(clip.frames, "starry_night", temporal=temp,
                                        steps=8, flows=flows, masks=masks,
                                        weights="imagenet", progress=False)
            for temp in (False, True)}
    for r in runs.values():
        assert r.frames.shape == clip.frames.shape and len(r.seconds) == len(clip)
        assert not r.interrupted
    alone = flow.relative_flicker(runs[False].frames, clip.frames, flows, masks)
    tied = flow.relative_flicker(runs[True].frames, clip.frames, flows, masks)
    assert tied <= 0.5 * alone, (alone, tied)
    # the temporal run still paints: its frames are far from the photos
    assert np.abs(runs[True].frames - clip.frames).mean() > 10


def test_where_the_flow_is_unreliable_a_frame_starts_from_its_photo(synthetic, monkeypatch):
    """The start of frame t: the warped previous result where c = 1, the photo where c = 0
    (Ruder et al.'s start, the warped result everywhere, with fresh_where_unreliable=False)."""
    frames = synthetic.frames[:2]
    flows = np.zeros((1,) + frames.shape[1:3] + (2,), np.float32)
    masks = np.ones((1,) + frames.shape[1:3], np.float32)
    masks[0, :, :32] = 0.0
    starts = []
    original = temporal.TemporalStylizer.run

    def run(self, *args, init=None, **kwargs):
        starts.append(np.array(init) if not isinstance(init, str) else init)
        return original(self, *args, init=init, **kwargs)
    monkeypatch.setattr(temporal.TemporalStylizer, "run", run)
    for fresh in (True, False):
        result = temporal.stylize_clip(frames, "starry_night", steps=2, flows=flows, masks=masks,
                                       fresh_where_unreliable=fresh, weights="imagenet",
                                       progress=False)
        start = starts[-1]
        first = result.frames[0]             # zero flow: the warped previous result is frame 0's
        np.testing.assert_allclose(start[:, 32:], first[:, 32:], atol=1e-3)
        expected = frames[1][:, :32] if fresh else first[:, :32]
        np.testing.assert_allclose(start[:, :32], expected, atol=1e-3)
        assert result.settings["fresh_where_unreliable"] is fresh
    with pytest.raises(SettingsError, match="interpolation"):
        temporal.stylize_clip(frames, "starry_night", steps=2, flows=flows, masks=masks,
                              interpolation="spline", progress=False)


@pytest.fixture(scope="module")
def tiny_network():
    from style_lib.fast import network
    model = network.build_transform_net(0.25)
    rng = np.random.default_rng(0)
    for v in model.weights:                 # a network that reacts to noise strongly
        v.assign(v.numpy() + rng.normal(0, 0.2, v.shape).astype(np.float32))
    return model


def test_the_fast_blend_damps_flicker_and_blend_zero_is_independent(synthetic, tiny_network):
    flows, masks = flow.clip_flows(synthetic.frames)
    rng = np.random.default_rng(1)
    noisy = np.clip(synthetic.frames + rng.normal(0, 4, synthetic.frames.shape),
                    0, 255).astype(np.float32)
    alone = temporal.stylize_clip_fast(tiny_network, noisy, temporal=False, progress=False)
    zero = temporal.stylize_clip_fast(tiny_network, noisy, flows=flows, masks=masks,
                                      blend=0.0, progress=False)
    np.testing.assert_allclose(zero.frames, alone.frames, atol=1e-4)
    damped = temporal.stylize_clip_fast(tiny_network, noisy, flows=flows, masks=masks,
                                        blend=0.7, progress=False)
    assert flow.flicker(damped.frames, flows, masks) < \
        0.8 * flow.flicker(alone.frames, flows, masks)
    with pytest.raises(SettingsError, match="blend must be in"):
        temporal.stylize_clip_fast(tiny_network, noisy, blend=1.0, progress=False)


def test_estimated_flows_tie_only_where_the_photos_agree(recoloured_patch):
    """A patch that changes hue but not brightness in a still scene passes Ruder et
    al.'s tests (DIS matches grey levels: the flow is still), but the photos disagree
    there: with the flows left to the method, the blend must not carry the old
    colour into the new frame."""
    frames, _ = recoloured_patch
    after = frames[1]
    flows, ruder = flow.clip_flows(frames)
    kept = {}
    for label, given in (("estimated", {}), ("ruder", dict(flows=flows, masks=ruder))):
        kept[label] = temporal.stylize_clip_one_pass(
            lambda frame: frame, frames, method="identity", blend=0.9, progress=False,
            **given).frames[1][24:36, 34:56]
    np.testing.assert_allclose(kept["estimated"], after[24:36, 34:56], atol=3.0)
    assert np.abs(kept["ruder"] - after[24:36, 34:56]).mean() > 50      # the old colour smears in


def test_an_interrupt_keeps_the_finished_frames(synthetic, tiny_network):
    def stop_after_two(t, image):
        if t == 1:
            raise KeyboardInterrupt
    result = temporal.stylize_clip_fast(tiny_network, synthetic.frames, temporal=False,
                                        callback=stop_after_two, progress=False)
    assert result.interrupted and len(result.frames) == 2
    result = temporal.stylize_clip(synthetic.frames, "starry_night", steps=2,
                                   weights="imagenet", callback=stop_after_two,
                                   progress=False)
    assert result.interrupted and len(result.frames) == 2


def test_bad_clips_are_one_clear_error(synthetic):
    with pytest.raises(SettingsError, match=r"frames must be \(T, H, W, 3\)"):
        temporal.stylize_clip(synthetic.frames[0], "starry_night", progress=False)
    with pytest.raises(SettingsError, match="flows must be"):
        temporal.stylize_clip(synthetic.frames, "starry_night", flows=np.zeros((2, 4, 4, 2)),
                              progress=False)


# ------------------------------------------------------------------- CLI ---

def test_the_cli_writes_an_mp4_of_the_clip(tmp_path, capsys):
    out = tmp_path / "pan.mp4"
    code = video_cli.main(["pan:tubingen", "starry_night", "-o", str(out), "--size", "64",
                           "--frames", "3", "--steps", "2", "--weights", "imagenet",
                           "--precision", "float32"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "Wrote" in captured.out and "3 frames" in captured.out
    frames, fps = io.read_video(out)
    assert len(frames) == 3 and max(frames.shape[1:3]) == 64 and fps > 0


def test_the_cli_fast_method_uses_the_committed_network(tmp_path, capsys):
    out = tmp_path / "fast.mp4"
    code = video_cli.main(["bigbuckbunny", "starry_night", "-o", str(out), "--size", "64",
                           "--frames", "3", "--method", "fast", "-q"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert captured.out == "" and out.exists()


def test_an_interrupted_cli_run_writes_the_frames_so_far(tmp_path, capsys, monkeypatch):
    real_run = temporal.stylize_clip

    def interrupted(*args, **kwargs):
        kwargs["callback"] = lambda t, image: (_ for _ in ()).throw(KeyboardInterrupt) \
            if t == 1 else None
        return real_run(*args, **kwargs)

    monkeypatch.setattr(temporal, "stylize_clip", interrupted)
    out = tmp_path / "part.mp4"
    code = video_cli.main(["pan:tubingen", "starry_night", "-o", str(out), "--size", "64",
                           "--frames", "4", "--steps", "2", "--weights", "imagenet"])
    captured = capsys.readouterr()
    assert code == 130
    assert "interrupted: the first 2 frames" in captured.out
    frames, _ = io.read_video(out)
    assert len(frames) == 2


@pytest.mark.parametrize("args, message", [
    (["nothing_here.mp4", "starry_night"], "neither a video file"),
    (["pan:tubingen", "starry_night", "--blend", "0.5"], "--blend needs --method fast"),
    (["pan:tubingen", "starry_night", "--model", "m.keras"], "--model needs --method fast"),
    (["pan:tubingen", "starry_night", "--size", "0"], "size"),
])
def test_bad_cli_input_is_one_line(tmp_path, capsys, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as done:
        raise SystemExit(video_cli.main(args + ["-o", "x.mp4"]))
    err = capsys.readouterr().err.strip()
    assert done.value.code == 2 and len(err.splitlines()) == 1, err
    assert message in err
    assert not (tmp_path / "x.mp4").exists()


def test_the_cli_never_overwrites_without_asking(tmp_path, capsys):
    out = tmp_path / "exists.mp4"
    out.write_bytes(b"keep")
    code = video_cli.main(["pan:tubingen", "starry_night", "-o", str(out), "--size", "64",
                           "--frames", "2", "--steps", "1"])
    assert code == 2 and out.read_bytes() == b"keep"
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_tf_is_only_in_temporal():
    """flow, clips and io run without TensorFlow (the CLI's checks come first)."""
    import ast
    from pathlib import Path
    folder = Path(flow.__file__).parent
    for name in ("flow", "clips", "io"):
        tree = ast.parse((folder / f"{name}.py").read_text())
        imported = {a.name.split(".")[0] for n in ast.walk(tree)
                    if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names}
        imported |= {n.module.split(".")[0] for n in ast.walk(tree)
                     if isinstance(n, ast.ImportFrom) and n.module}
        assert "tensorflow" not in imported, name
    assert tf is not None
