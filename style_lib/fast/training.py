"""Training a transformation network: the same objective, minimised over weights.

Gatys et al. minimise ``J(x)`` over the pixels ``x`` of one picture.
Johnson et al. minimise the *same* ``J``, summed over a batch of photos
``p``, over the weights ``θ`` of a network ``f_θ``:

    θ* = argmin_θ  Σ_p J(f_θ(p); content target = VGG features of p)

:func:`train` builds that objective from :class:`style_lib.objective.StyleObjective`
(the class the pixel optimiser uses, unchanged) and minimises it with Adam
on random crops of the training photos (:mod:`style_lib.training_photos`).
It checkpoints, resumes, keeps the last checkpoint on Ctrl-C, and runs
unchanged on one CPU, one GPU or several devices (pass a
``tf.distribute`` strategy, e.g. ``MirroredStrategy``).
"""
from __future__ import annotations

import json
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from ..errors import SettingsError
from ..images import resize_image
from ..objective import StyleObjective, style_targets
from ..settings import check_size, check_steps, check_weight
from ..vgg import FeatureExtractor
from .network import build_transform_net, save_model

__all__ = ["TrainConfig", "TrainResult", "train", "random_crops", "smoothed", "JOHNSON_CONTENT_LAYERS",
           "JOHNSON_STYLE_LAYERS"]

#: Johnson et al.'s layers: content at relu2_2, style at relu1_2 ... relu4_3
#: (our ``convX_Y`` features are after the ReLU).
JOHNSON_CONTENT_LAYERS = ("conv2_2",)
JOHNSON_STYLE_LAYERS = ("conv1_2", "conv2_2", "conv3_3", "conv4_3")


@dataclass
class TrainConfig:
    """What to train; saved beside the model so a run can be repeated.

    ``style``: demo painting name or path; ``photos``: training photo names
    (default: :data:`style_lib.training_photos.TRAINING_NAMES`); ``size``:
    side of the square random crops (px); ``style_size``: longest side of
    the painting when its Gram targets are computed; weights α, β, γ of
    ``J`` per picture; ``width`` and ``upsample`` as for
    :func:`~style_lib.fast.network.build_transform_net`.
    """

    style: str = "starry_night"
    photos: tuple[str, ...] = ()
    size: int = 128
    style_size: int = 256
    batch_size: int = 4
    steps: int = 1600
    learning_rate: float = 1e-3
    width: float = 0.5
    upsample: str = "resize"
    content_layers: tuple[str, ...] = JOHNSON_CONTENT_LAYERS
    style_layers: tuple[str, ...] = JOHNSON_STYLE_LAYERS
    content_weight: float = 1.0
    style_weight: float = 150.0      # 50: faint strokes; 250: blotches early in training
    tv_weight: float = 10.0          # about 1 % of J: smooths without blurring
    precision: str = "auto"
    seed: int = 0

    def checked(self) -> "TrainConfig":
        """Return a copy with photos filled in, or raise SettingsError."""
        from .. import training_photos
        check_size(self.size)
        check_size(self.style_size)
        check_steps(self.steps)
        if not (isinstance(self.batch_size, int) and self.batch_size >= 1):
            raise SettingsError(f"batch_size must be a whole number >= 1, not "
                                f"{self.batch_size!r}. Fix: batch_size=4 (Johnson's).")
        if self.size % 4:
            raise SettingsError(f"size must be a multiple of 4 (two stride-2 stages), "
                                f"not {self.size}. Fix: size={self.size // 4 * 4 or 4}.")
        for name in ("learning_rate", "content_weight", "style_weight", "tv_weight"):
            check_weight(name, getattr(self, name))
        photos = tuple(self.photos) or tuple(training_photos.TRAINING_NAMES)
        held_out = sorted(set(photos) & set(training_photos.HELD_OUT_NAMES))
        if held_out:
            raise SettingsError(f"{held_out} are held out for evaluation and never "
                                "trained on. Fix: leave photos empty for the training set.")
        return TrainConfig(**{**asdict(self), "photos": photos,
                              "content_layers": tuple(self.content_layers),
                              "style_layers": tuple(self.style_layers)})


@dataclass
class TrainResult:
    """The trained network and its loss curve.

    ``history``: per step ``step``, ``total``, ``content``, ``style``,
    ``tv`` (unweighted terms, mean per picture) and ``seconds``.
    """

    model: Any
    config: TrainConfig
    history: dict[str, list[float]] = field(default_factory=dict)
    interrupted: bool = False
    model_path: Path | None = None


def random_crops(photos: Sequence[np.ndarray], size: int, seed: int = 0):
    """Yield random ``(size, size, 3)`` float32 crops of ``photos`` forever.

    Each crop: a random photo, scaled so its shorter side is between ``size``
    and ``2 size`` px, a random square of ``size`` px, flipped left-right
    with probability 1/2. Deterministic for a given ``seed``.
    """
    rng = np.random.default_rng(seed)
    scaled: dict[tuple[int, int], np.ndarray] = {}
    while True:
        k = int(rng.integers(len(photos)))
        short = int(rng.integers(size, 2 * size + 1))
        key = (k, short)
        if key not in scaled:
            photo = photos[k]
            h, w = photo.shape[:2]
            longest = math.ceil(max(h, w) * short / min(h, w))
            scaled[key] = resize_image(photo, longest)
        image = scaled[key]
        h, w = image.shape[:2]
        y = int(rng.integers(h - size + 1))
        x = int(rng.integers(w - size + 1))
        crop = image[y:y + size, x:x + size]
        if rng.random() < 0.5:
            crop = crop[:, ::-1]
        yield np.ascontiguousarray(crop, np.float32)


def _objective(config: TrainConfig) -> StyleObjective:
    from ..data import as_image
    layers = list(dict.fromkeys(config.content_layers + config.style_layers))
    extractor = FeatureExtractor(layers, precision=config.precision, verbose=False)
    style = as_image(config.style, config.style_size)
    objective = StyleObjective(extractor, content_layers=config.content_layers,
                               style_layers=config.style_layers,
                               targets=style_targets(extractor, [style], config.style_layers))
    objective.set_weights(content_weight=config.content_weight,
                          style_weight=config.style_weight, tv_weight=config.tv_weight)
    return objective


def _dataset(config: TrainConfig) -> tf.data.Dataset:
    from .. import training_photos
    photos = [training_photos.load(name, max_size=4 * config.size) for name in config.photos]
    crops = random_crops(photos, config.size, config.seed)
    spec = tf.TensorSpec((config.size, config.size, 3), tf.float32)
    return (tf.data.Dataset.from_generator(lambda: crops, output_signature=spec)
            .batch(config.batch_size, drop_remainder=True).prefetch(2))


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=1) + "\n")
    os.replace(tmp, path)


def train(config: TrainConfig, out_dir: str | os.PathLike, *,
          strategy: tf.distribute.Strategy | None = None, resume: bool = True,
          checkpoint_every: int = 100, progress: bool | None = None,
          callback: Callable[[int, dict[str, float]], Any] | None = None) -> TrainResult:
    """Train a transformation network for ``config.style``; return a :class:`TrainResult`.

    Writes into ``out_dir``: ``checkpoints/`` (every ``checkpoint_every``
    steps and on Ctrl-C), ``history.json`` (the loss curve), ``config.json``
    and, at the end or on Ctrl-C, ``model.keras``. With ``resume``, a run
    with the same config continues from its last checkpoint.

    ``strategy``: a ``tf.distribute.Strategy`` (default: TensorFlow's
    current one, i.e. one device); the batch is split across its replicas.
    ``callback(step, terms)`` may return True to stop early.
    """
    config = config.checked()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    strategy = strategy or tf.distribute.get_strategy()
    replicas = strategy.num_replicas_in_sync
    if config.batch_size % replicas:
        raise SettingsError(f"batch_size {config.batch_size} does not split over "
                            f"{replicas} devices. Fix: a multiple of {replicas}.")
    saved = _read_json(out / "config.json")
    now = json.loads(json.dumps(asdict(config)))
    changed = sorted(k for k in now if k != "steps" and saved.get(k, now[k]) != now[k])
    if resume and saved and changed:
        raise SettingsError(f"{out} holds a run with other settings ({', '.join(changed)}). "
                            "Fix: another output folder, or resume=False to start over.")
    _write_json(out / "config.json", now)
    objective = _objective(config)
    keras.utils.set_random_seed(config.seed)     # after VGG16 is built: same start every run
    with strategy.scope():
        model = build_transform_net(config.width, upsample=config.upsample)
        optimizer = keras.optimizers.Adam(config.learning_rate)
        optimizer.build(model.trainable_variables)
        step_var = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
    checkpoint = tf.train.Checkpoint(model=model, optimizer=optimizer, step=step_var)
    manager = tf.train.CheckpointManager(checkpoint, out / "checkpoints", max_to_keep=2)
    history: dict[str, list[float]] = {k: [] for k in
                                       ("step", "total", "content", "style", "tv", "seconds")}
    if resume and manager.latest_checkpoint:
        checkpoint.restore(manager.latest_checkpoint)
        old = _read_json(out / "history.json")      # written at each checkpoint
        kept = sum(1 for s in old.get("step", []) if s <= int(step_var.numpy()))
        history = {k: list(v)[:kept] for k, v in old.items()} if old else history
    elif not resume:
        step_var.assign(0)
    global_batch = config.batch_size

    def replica_step(photos):
        targets = [tf.stop_gradient(t) for t in objective.content_targets(photos)]
        with tf.GradientTape() as tape:
            pictures = model(photos, training=True)
            terms = objective.terms(pictures, targets)
            loss = terms.total / global_batch
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return tf.stack([terms.total, terms.content, terms.style, terms.tv]) / global_batch

    @tf.function
    def train_step(batch):
        per_replica = strategy.run(replica_step, args=(batch,))
        return strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)

    data = iter(strategy.experimental_distribute_dataset(_dataset(config)))
    start_step = int(step_var.numpy())
    bar = _bar(config.steps, start_step, progress)
    interrupted = False
    started = time.perf_counter() - (history["seconds"][-1] if history["seconds"] else 0.0)
    try:
        while int(step_var.numpy()) < config.steps:
            values = train_step(next(data)).numpy()
            step = int(step_var.assign_add(1).numpy())
            terms = dict(zip(("total", "content", "style", "tv"), map(float, values)))
            if not all(math.isfinite(v) for v in terms.values()):
                raise FloatingPointError(f"the loss became {terms['total']} at step {step}. "
                                         "Fix: a smaller learning_rate or style_weight.")
            history["step"].append(step)
            for key, value in terms.items():
                history[key].append(value)
            history["seconds"].append(time.perf_counter() - started)
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=f"{terms['total']:.3g}",
                                content=f"{terms['content']:.3g}",
                                style=f"{terms['style']:.3g}")
            if step % checkpoint_every == 0:
                manager.save(checkpoint_number=step)
                _write_json(out / "history.json", history)
            if callback is not None and callback(step, terms):
                break
    except KeyboardInterrupt:
        interrupted = True
    finally:
        if bar is not None:
            bar.close()
        if int(step_var.numpy()) > 0:
            manager.save(checkpoint_number=int(step_var.numpy()))
            _write_json(out / "history.json", history)
    path = save_model(model, out / "model.keras") if int(step_var.numpy()) > 0 else None
    if interrupted:
        print(f"Interrupted at step {int(step_var.numpy())}: the checkpoint and "
              f"{path} are kept; run again to resume.", file=sys.stderr)
    return TrainResult(model=model, config=config, history=history,
                       interrupted=interrupted, model_path=path)


def smoothed(history: dict[str, list[float]], window: int = 50) -> dict[str, list[float]]:
    """Return ``history`` with each loss term replaced by its running mean."""
    out = dict(history)
    for key in ("total", "content", "style", "tv"):
        values = np.asarray(history.get(key, []), np.float64)
        if values.size:
            sums = np.cumsum(np.insert(values, 0, 0.0))
            n = np.minimum(np.arange(1, values.size + 1), window)
            out[key] = ((sums[1:] - sums[np.arange(values.size) + 1 - n]) / n).tolist()
    return out


def _bar(steps: int, initial: int, progress: bool | None):
    if progress is False:
        return None
    from tqdm.auto import tqdm
    return tqdm(total=steps, initial=initial, desc="training", unit="step",
                leave=True, dynamic_ncols=True)
