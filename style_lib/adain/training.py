"""Training the AdaIN decoder (Huang & Belongie 2017, Sec. 6.1 and eq. 11-13).

For a batch of photos ``c`` and paintings ``s``, with ``f`` the frozen encoder
and ``g`` the decoder:

    t   = AdaIN(f(c), f(s))                                          (eq. 9-10)
    L_c = ‖f(g(t)) − t‖²                   at conv4_1                (eq. 12)
    L_s = Σ_l ‖μ(φ_l(g(t))) − μ(φ_l(s))‖² + ‖σ(φ_l(g(t))) − σ(φ_l(s))‖²   (eq. 13)
    L   = L_c + λ L_s                                                 (eq. 11)
    L_id = ‖g(f(c)) − c‖²                  in pixels (optional)

over conv1_1 ... conv4_1, as mean squared errors (the reference code's). The
reference network is a VGG19 *normalised* so that every layer's mean
activation is 1; ours is the canonical VGG16, so each layer's features are
divided by their mean activation on the training photos before the losses,
on the same scale. With the paper's ``λ = 10``, 900 steps (of our budget of a
few thousand, against the paper's 160,000) painted textures over an
unrecognisable photo (held-out layout correlation 0.33); ``λ = 4`` is the
default.

``identity_weight`` adds ``L_id``, an identity loss as in Park & Lee (CVPR
2019, SANet, eq. 7's pixel term): the decoder must also give back the photo
itself from the photo's own features. Without it the decoder only ever
inverts painted targets and paints every photo pale (a dark table came back
light; held-out layout correlation 0.59 at α = 0); ``--init`` starts from a
trained decoder (a fine-tune).

Content: random crops of the training photos (:mod:`style_lib.io.training_photos`);
style: random crops of the training paintings (never the four held-out ones,
:data:`HELD_OUT_PAINTINGS`), with their colour channels shuffled half of the
time so that the decoder meets many more palettes than four. Checkpoints,
resume, Ctrl-C keeps the last checkpoint and the decoder, and
``tf.distribute`` strategies work unchanged.
"""
from __future__ import annotations

import json
import math
import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from ..command_line import signals_deferred
from ..errors import DivergedError, SettingsError
from ..files import write_json
from ..progress import progress_bar
from ..settings import check_size, check_steps, check_weight
from ..core.vgg import FeatureExtractor
from ..fast.training import load_photos, prepare_run_folder, random_crops, resumed_history
from .model import CONTENT_LAYER, ENCODER_LAYERS, adain, build_decoder, channel_stats, \
    load_decoder, save_decoder

__all__ = ["TRAINING_PAINTINGS", "HELD_OUT_PAINTINGS", "AdaINConfig", "AdaINResult",
           "train", "layer_scales", "painting_crops", "held_out_quality"]

#: The paintings the decoder is trained on.
TRAINING_PAINTINGS = ("starry_night", "the_scream", "great_wave", "composition_vii")
#: Never used in training: notebook 13 and ``make bench`` show them as paintings
#: the decoder has never seen.
HELD_OUT_PAINTINGS = ("shipwreck", "woman_with_hat", "san_giorgio_maggiore_at_dusk",
                      "the_kiss")
HISTORY_KEYS = ("step", "total", "content", "style", "identity", "seconds")


@dataclass(frozen=True)
class AdaINConfig:
    """What to train; saved beside the decoder (``config.json``).

    ``paintings``: demo painting names or files (styles); ``photos``: training
    photo names or files (content; default the training photos); ``size``:
    side of the square crops of both (px); ``style_weight``: λ; ``width``: of
    the decoder (:func:`~style_lib.adain.model.build_decoder`); ``channel_shuffle``:
    the probability that a painting crop's colour channels are permuted;
    ``identity_weight``: of the identity loss (0: none); ``init``: a decoder
    ``.keras`` file to start from ("" = a new decoder of ``width``).
    """

    paintings: tuple[str, ...] = TRAINING_PAINTINGS
    photos: tuple[str, ...] = ()
    size: int = 128
    batch_size: int = 8
    steps: int = 3000
    learning_rate: float = 3e-4
    style_weight: float = 4.0
    width: float = 0.5
    channel_shuffle: float = 0.5
    identity_weight: float = 0.0
    init: str = ""
    precision: str = "auto"
    seed: int = 0

    def checked(self) -> "AdaINConfig":
        """A copy with the photos filled in, or SettingsError."""
        from ..io import training_photos
        check_size(self.size)
        check_steps(self.steps)
        if self.size % 8:
            raise SettingsError(f"size must be a multiple of 8 (three poolings), not "
                                f"{self.size}. Fix: size={max(8, self.size // 8 * 8)}.")
        if not (isinstance(self.batch_size, int) and self.batch_size >= 1):
            raise SettingsError(f"batch_size must be a whole number >= 1, not "
                                f"{self.batch_size!r}.")
        for name in ("learning_rate", "style_weight", "identity_weight"):
            check_weight(name, getattr(self, name))
        if not 0 <= float(self.channel_shuffle) <= 1:
            raise SettingsError("channel_shuffle is a probability from 0 to 1.")
        paintings = tuple(self.paintings)
        if not paintings:
            raise SettingsError("paintings must name at least one painting.")
        unseen = sorted(set(paintings) & set(HELD_OUT_PAINTINGS))
        if unseen:
            raise SettingsError(f"{unseen} are held out: the notebook shows them as "
                                "paintings the decoder never saw. Fix: leave them out.")
        photos = tuple(self.photos) or tuple(training_photos.TRAINING_NAMES)
        held = sorted(set(photos) & set(training_photos.HELD_OUT_NAMES))
        if held:
            raise SettingsError(f"{held} are held out for evaluation and never trained on.")
        init = str(self.init)
        if init and not Path(init).expanduser().is_file():
            raise SettingsError(f"init: no decoder file at {init}. Fix: the model.keras of a "
                                "trained decoder, or leave --init out.")
        return AdaINConfig(**{**asdict(self), "paintings": paintings, "photos": photos,
                              "init": init})


@dataclass
class AdaINResult:
    """What :func:`train` returns: the decoder, its config and loss curve."""

    decoder: keras.Model
    config: AdaINConfig
    history: dict[str, list[float]]
    interrupted: bool = False
    model_path: Path | None = None


def painting_crops(paintings: Sequence[np.ndarray], size: int, seed: int = 0,
                   channel_shuffle: float = 0.5):
    """Yield random ``(size, size, 3)`` crops of ``paintings`` forever (several
    scales, flips; see :func:`style_lib.fast.training.random_crops`), each one's
    RGB channels permuted with probability ``channel_shuffle``."""
    rng = np.random.default_rng(seed + 1)
    for crop in random_crops(paintings, size, seed + 1):
        if rng.random() < channel_shuffle:
            crop = np.ascontiguousarray(crop[..., rng.permutation(3)])
        yield crop


def _paintings(names: Sequence[str], max_size: int) -> list[np.ndarray]:
    from ..io.data import as_image
    return [as_image(name, max_size) for name in names]


def layer_scales(encoder: FeatureExtractor, photos: Sequence[np.ndarray], size: int,
                 seed: int = 0, n: int = 16) -> dict[str, float]:
    """Each encoder layer's mean activation on ``n`` crops of ``photos``: what
    the reference's normalised VGG19 divides by (its layers average 1)."""
    crops = random_crops(photos, size, seed)
    batch = np.stack([next(crops) for _ in range(n)])
    features = encoder(batch)
    return {k: float(tf.reduce_mean(v)) for k, v in features.items()}


def _dataset(config: AdaINConfig) -> tf.data.Dataset:
    photos, groups = load_photos(config.photos, 4 * config.size)
    paintings = _paintings(config.paintings, 4 * config.size)
    content = random_crops(photos, config.size, config.seed, groups)
    style = painting_crops(paintings, config.size, config.seed, config.channel_shuffle)
    spec = tf.TensorSpec((config.size, config.size, 3), tf.float32)
    pairs = tf.data.Dataset.zip((
        tf.data.Dataset.from_generator(lambda: content, output_signature=spec),
        tf.data.Dataset.from_generator(lambda: style, output_signature=spec)))
    return pairs.batch(config.batch_size, drop_remainder=True).prefetch(2)


def train(config: AdaINConfig, out_dir: str | os.PathLike, *,
          strategy: tf.distribute.Strategy | None = None, resume: bool = True,
          checkpoint_every: int = 100, progress: bool | None = None,
          callback: Callable[[int, dict[str, float]], Any] | None = None,
          evaluate_every: int = 0) -> AdaINResult:
    """Train an AdaIN decoder; write ``checkpoints/``, ``history.json``,
    ``config.json`` and (at the end or on Ctrl-C) ``model.keras`` into ``out_dir``.

    As :func:`style_lib.fast.training.train`: ``resume`` continues a run with
    the same settings; ``strategy`` splits each batch over devices;
    ``callback(step, terms)`` may return True to stop; ``evaluate_every`` judges
    the decoder on the held-out photos and paintings (:func:`held_out_quality`).
    """
    config = config.checked()
    out = prepare_run_folder(Path(out_dir).expanduser(), config, resume=resume)
    strategy = strategy or tf.distribute.get_strategy()
    replicas = strategy.num_replicas_in_sync
    if config.batch_size % replicas:
        raise SettingsError(f"batch_size {config.batch_size} does not split over "
                            f"{replicas} devices. Fix: a multiple of {replicas}.")
    if not resume and (out / "checkpoints").is_dir():
        shutil.rmtree(out / "checkpoints")
    write_json(out / "config.json", json.loads(json.dumps(asdict(config))))
    encoder = FeatureExtractor(list(ENCODER_LAYERS), "auto", precision=config.precision,
                               verbose=False)
    photos, _ = load_photos(config.photos, 4 * config.size)
    scales = layer_scales(encoder, photos, config.size, config.seed)
    keras.utils.set_random_seed(config.seed)
    with strategy.scope():
        if config.init:
            decoder = load_decoder(Path(config.init).expanduser())
        else:
            decoder = build_decoder(config.width, input_scale=scales[CONTENT_LAYER])
        optimizer = keras.optimizers.Adam(config.learning_rate)
        optimizer.build(decoder.trainable_variables)
        step_var = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
    checkpoint = tf.train.Checkpoint(model=decoder, optimizer=optimizer, step=step_var)
    manager = tf.train.CheckpointManager(checkpoint, out / "checkpoints", max_to_keep=2)
    history: dict[str, list[float]] = {k: [] for k in HISTORY_KEYS}
    if resume and manager.latest_checkpoint:
        checkpoint.restore(manager.latest_checkpoint)
        history = resumed_history(out, int(step_var.numpy())) or history
    global_batch = config.batch_size
    lam = config.style_weight
    identity_weight = float(config.identity_weight)

    def per_example(a: tf.Tensor, b: tf.Tensor) -> tf.Tensor:
        return tf.reduce_mean(tf.square(a - b), axis=[1, 2, 3])

    def replica_step(photos, paintings):
        n = tf.shape(photos)[0]
        both = encoder(tf.concat([photos, paintings], 0))
        c4, s_feats = both[CONTENT_LAYER][:n], {k: v[n:] for k, v in both.items()}
        target = tf.stop_gradient(adain(c4, s_feats[CONTENT_LAYER]))
        s_stats = {k: channel_stats(v / scales[k]) for k, v in s_feats.items()}
        with tf.GradientTape() as tape:
            pictures = decoder(target, training=True)
            g_feats = encoder(pictures)
            content = per_example(g_feats[CONTENT_LAYER] / scales[CONTENT_LAYER],
                                  target / scales[CONTENT_LAYER])
            style = tf.add_n([
                per_example(m, s_stats[k][0]) + per_example(s, s_stats[k][1])
                for k in ENCODER_LAYERS
                for m, s in [channel_stats(g_feats[k] / scales[k])]])
            total = content + lam * style
            if identity_weight:
                rebuilt = decoder(tf.stop_gradient(c4), training=True)
                identity = per_example(tf.cast(rebuilt, tf.float32) / 255.0, photos / 255.0)
                total = total + identity_weight * identity
            else:
                identity = tf.zeros_like(content)
            loss = tf.reduce_sum(total) / global_batch
        grads = tape.gradient(loss, decoder.trainable_variables)
        optimizer.apply_gradients(zip(grads, decoder.trainable_variables))
        return tf.stack([tf.reduce_sum(total), tf.reduce_sum(content), tf.reduce_sum(style),
                         tf.reduce_sum(identity)]) / global_batch

    @tf.function
    def train_step(photos, paintings):
        per_replica = strategy.run(replica_step, args=(photos, paintings))
        return strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)

    data = iter(strategy.experimental_distribute_dataset(_dataset(config)))
    bar = progress_bar(config.steps, True if progress is None else progress,
                       desc="training the decoder", initial=int(step_var.numpy()),
                       leave=True)
    judges = held_out_judges(256) if evaluate_every else {}
    interrupted = diverged = False
    started = time.perf_counter() - (history["seconds"][-1] if history["seconds"] else 0.0)
    try:
        while int(step_var.numpy()) < config.steps:
            photos, paintings = next(data)
            values = train_step(photos, paintings).numpy()
            step = int(step_var.assign_add(1).numpy())
            terms = dict(zip(("total", "content", "style", "identity"), map(float, values)))
            if not all(math.isfinite(v) for v in terms.values()):
                raise DivergedError(f"the loss became {terms['total']} at step {step}. "
                                    "Fix: a smaller learning_rate.")
            history["step"].append(step)
            for key, value in terms.items():
                history[key].append(value)
            history["seconds"].append(time.perf_counter() - started)
            if bar is not None:
                bar.update(1)
                bar.set_postfix(content=f"{terms['content']:.3g}",
                                style=f"{terms['style']:.3g}")
            if evaluate_every and step % evaluate_every == 0:
                quality = held_out_quality(decoder, judges, config.precision)
                for key, value in (("eval_step", step),
                                   ("eval_seconds", time.perf_counter() - started),
                                   ("eval_relative", quality["relative"]),
                                   ("eval_layout", quality["worst_layout"])):
                    history.setdefault(key, []).append(value)
            if step % checkpoint_every == 0:
                manager.save(checkpoint_number=step)
                write_json(out / "history.json", history)
            if callback is not None and callback(step, terms):
                break
    except KeyboardInterrupt:
        interrupted = True
    except DivergedError:
        diverged = True
        raise
    finally:
        if bar is not None:
            bar.close()
        with signals_deferred() as again:
            if int(step_var.numpy()) > 0 and not diverged:
                manager.save(checkpoint_number=int(step_var.numpy()))
                write_json(out / "history.json", history)
                path = save_decoder(decoder, out / "model.keras")
            else:
                path = None
        interrupted = interrupted or bool(again)
    return AdaINResult(decoder=decoder, config=config, history=history,
                       interrupted=interrupted, model_path=path)


def held_out_judges(size: int = 256) -> dict[tuple[str, str], Any]:
    """A :class:`style_lib.core.quality.Judge` per held-out photo and held-out painting."""
    from ..io import training_photos
    from ..core.quality import Judge
    return {(photo, painting): Judge(training_photos.center_squares([photo], size)[0],
                                     painting, size=size)
            for photo in training_photos.HELD_OUT_NAMES for painting in HELD_OUT_PAINTINGS}


def held_out_quality(decoder: keras.Model, judges: dict[tuple[str, str], Any],
                     precision: str = "auto") -> dict[str, float]:
    """Mean and worst style distance (relative to the photo's) and worst layout of
    ``decoder``'s pictures of the held-out photos in the held-out paintings."""
    from ..io.data import as_image
    from .model import AdaIN
    model = AdaIN(decoder, precision=precision)
    verdicts = [judge(model(judge.photo, as_image(painting, max(judge.photo.shape[:2]))))
                for (_, painting), judge in judges.items()]
    return {"relative": float(np.mean([v.relative for v in verdicts])),
            "worst_relative": float(max(v.relative for v in verdicts)),
            "worst_layout": float(min(v.layout for v in verdicts))}
