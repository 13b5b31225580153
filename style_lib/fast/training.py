"""Training a transformation network: the same objective, minimised over weights.

Gatys et al. minimise ``J(x)`` over the pixels ``x`` of one picture.
Johnson et al. minimise the *same* ``J``, summed over a batch of photos
``p``, over the weights ``θ`` of a network ``f_θ``:

    θ* = argmin_θ  Σ_p J(f_θ(p); content target = VGG features of p)

:func:`train` builds that objective from :class:`style_lib.core.objective.StyleObjective`
(the class the pixel optimiser uses, unchanged) and minimises it with Adam
on random crops of the training photos (:mod:`style_lib.io.training_photos`).
It checkpoints, resumes, keeps the last checkpoint on Ctrl-C, and runs
unchanged on one CPU, one GPU or several devices (pass a
``tf.distribute`` strategy, e.g. ``MirroredStrategy``).

Several paintings (``TrainConfig(style=("starry_night", "great_wave", ...))``)
train one network with conditional instance normalisation (Dumoulin et al.
2016): each batch is stylised in one painting, picked at random, and the
objective's Gram targets (variables) are set to that painting's, so a step
costs what a one-painting step costs. With
``base_model`` and ``train_only_norms``, a new painting is added to a
trained network by fitting only its ``γ, β`` (:func:`add_style_config`).
"""
from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from ..command_line import signals_deferred
from ..errors import DivergedError, SettingsError
from ..files import write_json
from ..progress import progress_bar
from ..io.images import resize_image
from ..core.objective import StyleObjective, style_targets
from ..pixel.optimize import HISTORY_KEYS
from ..settings import check_size, check_steps, check_weight
from ..core.vgg import FeatureExtractor
from .network import build_transform_net, load_model, output_kind, save_model, style_names

__all__ = ["TrainConfig", "TrainResult", "train", "strategy_for", "check_run_folder", "prepare_run_folder", "add_style_config", "random_crops", "smoothed",
           "style_of_step", "load_photos", "resumed_history", "write_loss_curve", "photo_folder", "held_out_judges",
           "held_out_quality", "EVAL_SIZE", "JOHNSON_CONTENT_LAYERS", "JOHNSON_STYLE_LAYERS"]

#: Johnson et al.'s layers: content at relu2_2, style at relu1_2 ... relu4_3
#: (our ``convX_Y`` features are after the ReLU).
JOHNSON_CONTENT_LAYERS = ("conv2_2",)
JOHNSON_STYLE_LAYERS = ("conv1_2", "conv2_2", "conv3_3", "conv4_3")


@dataclass
class TrainConfig:
    """What to train; saved beside the model so a run can be repeated.

    ``style``: demo painting name or path, or a tuple of several (one
    network for all: conditional instance normalisation); ``photos``: training photo names
    (default: :data:`style_lib.io.training_photos.TRAINING_NAMES`); ``size``:
    side of the square random crops (px); ``style_size``: longest side of
    the painting when its Gram targets are computed; weights α, β, γ of
    ``J`` per picture; ``width`` and ``upsample`` as for
    :func:`~style_lib.fast.network.build_transform_net`. ``base_model``: a
    many-style network's ``.keras`` file to start from (its styles must
    begin ``style``); ``train_only_norms``: fit only the ``γ, β`` of the
    styles the base model lacks, every convolution frozen.
    """

    style: str | tuple[str, ...] = "starry_night"
    photos: tuple[str, ...] = ()
    size: int = 256                  # Johnson's crop size
    style_size: int = 512            # the painting at the size the apps paint
    batch_size: int = 4
    steps: int = 1600
    learning_rate: float = 1e-3
    width: float = 0.5
    upsample: str = "resize"
    output: str = "linear"           # "tanh" (Johnson's) saturates into black blotches
    content_layers: tuple[str, ...] = JOHNSON_CONTENT_LAYERS
    style_layers: tuple[str, ...] = JOHNSON_STYLE_LAYERS
    content_weight: float = 1.0
    style_weight: float = 600.0      # content and tv are sums over pixels: 150 at 128 px
    tv_weight: float = 10.0          # about 1 % of J: smooths without blurring
    precision: str = "auto"
    seed: int = 0
    base_model: str = ""
    train_only_norms: bool = False

    @property
    def styles(self) -> tuple[str, ...]:
        """The paintings, one or several."""
        return (self.style,) if isinstance(self.style, str) else tuple(self.style)

    @property
    def conditional(self) -> bool:
        """True for a many-style network (``style`` a tuple)."""
        return not isinstance(self.style, str)

    def checked(self) -> "TrainConfig":
        """Return a copy with photos filled in, or raise SettingsError."""
        from ..io import training_photos
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
        style = self.style if isinstance(self.style, str) else tuple(self.style)
        if not style or len(set(self.styles)) != len(self.styles) or not all(
                isinstance(name, str) and name for name in self.styles):
            raise SettingsError(f"style must be a painting name or a tuple of different "
                                f"names, not {self.style!r}.")
        if (self.base_model or self.train_only_norms) and isinstance(style, str):
            raise SettingsError("base_model and train_only_norms are for many-style "
                                "networks. Fix: style=(the base model's styles..., new one).")
        if self.train_only_norms and not self.base_model:
            raise SettingsError("train_only_norms needs a base_model to take the "
                                "convolutions from. Fix: base_model='path/model.keras'.")
        return TrainConfig(**{**asdict(self), "style": style, "photos": photos,
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


def random_crops(photos: Sequence[np.ndarray], size: int, seed: int = 0,
                 groups: Sequence[str] | None = None):
    """Yield random ``(size, size, 3)`` float32 crops of ``photos`` forever.

    Each crop: a random group of photos, then a random photo of it (frames
    of one clip are one group, so a clip counts as one photo, not as many
    near-copies), scaled so its shorter side is between ``size`` and
    ``2 size`` px (several scales of every photo), a random square of
    ``size`` px, flipped left-right with probability 1/2. ``groups``: one
    label per photo (default: every photo its own). Deterministic for a
    given ``seed``.
    """
    rng = np.random.default_rng(seed)
    labels = list(groups) if groups is not None else list(range(len(photos)))
    if len(labels) != len(photos):
        raise SettingsError(f"{len(labels)} group labels for {len(photos)} photos.")
    members: dict[Any, list[int]] = {}
    for k, label in enumerate(labels):
        members.setdefault(label, []).append(k)
    clusters = list(members.values())
    scaled: dict[tuple[int, int], np.ndarray] = {}
    while True:
        cluster = clusters[int(rng.integers(len(clusters)))]
        k = cluster[int(rng.integers(len(cluster)))]
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


def _objective(config: TrainConfig) -> tuple[StyleObjective, list[list[tf.Tensor]]]:
    """Return the objective and every painting's Gram targets ``[painting][layer]``.

    The objective holds one painting's targets, as variables: assign another
    painting's to switch (no retracing, one style term per picture).
    """
    from ..io.data import as_image
    layers = list(dict.fromkeys(config.content_layers + config.style_layers))
    extractor = FeatureExtractor(layers, precision=config.precision, verbose=False)
    paintings = [as_image(name, config.style_size) for name in config.styles]
    grams = style_targets(extractor, paintings, config.style_layers)
    current = [tf.Variable(g, trainable=False, name="style_target") for g in grams[0]]
    objective = StyleObjective(extractor, content_layers=config.content_layers,
                               style_layers=config.style_layers, targets=[current])
    objective.set_weights(content_weight=config.content_weight,
                          style_weight=config.style_weight, tv_weight=config.tv_weight)
    return objective, grams


def load_photos(names: Sequence[str], max_size: int) -> tuple[list[np.ndarray], list[str]]:
    """Return the training photos ``names`` (training-photo names or image files)
    as ``(H, W, 3)`` float32 arrays, longest side ``max_size``, and their groups."""
    from ..io import training_photos
    from ..io.data import as_image
    photos, groups = [], []
    for name in names:
        if name in training_photos.NAMES:
            photos.append(training_photos.load(name, max_size=max_size))
            groups.append(training_photos.source_group(name))
        else:
            photos.append(as_image(name, max_size))
            groups.append(str(name))
    return photos, groups


#: File endings :func:`photo_folder` takes as photos.
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff")


def photo_folder(*paths: str | os.PathLike) -> tuple[str, ...]:
    """Return the photos to train on from folders, files and training-photo names.

    A folder gives its image files (sorted, not its subfolders); a file or a
    name (:data:`style_lib.io.training_photos.NAMES`) is kept as it is. Raises
    SettingsError naming the fix when a folder holds no image.
    """
    from ..io import training_photos
    out: list[str] = []
    for path in paths:
        text = os.fspath(path)
        folder = Path(text).expanduser()
        if text in training_photos.NAMES and not folder.exists():
            out.append(text)
        elif folder.is_dir():
            files = sorted(str(f) for f in folder.iterdir()
                           if f.is_file() and f.suffix.lower() in PHOTO_SUFFIXES)
            if not files:
                raise SettingsError(f"{folder} holds no photo ({', '.join(PHOTO_SUFFIXES)}). "
                                    "Fix: a folder of JPEG or PNG photos.")
            out.extend(files)
        elif folder.is_file():
            out.append(str(folder))
        else:
            raise SettingsError(f"{text!r} is neither a folder, an image file nor a training "
                                f"photo name. Fix: a folder of photos, or names from "
                                f"{', '.join(training_photos.TRAINING_NAMES[:4])}, ...")
    return tuple(dict.fromkeys(out))


def _dataset(config: TrainConfig) -> tf.data.Dataset:
    photos, groups = load_photos(config.photos, 4 * config.size)
    crops = random_crops(photos, config.size, config.seed, groups)
    spec = tf.TensorSpec((config.size, config.size, 3), tf.float32)
    return (tf.data.Dataset.from_generator(lambda: crops, output_signature=spec)
            .batch(config.batch_size, drop_remainder=True).prefetch(2))


def style_of_step(seed: int, step: int, choices: Sequence[int]) -> int:
    """Return the painting (one of ``choices``, indices into the styles) of batch ``step``.

    Random but fixed by ``(seed, step)``, so a resumed run continues the
    same sequence.
    """
    return int(choices[np.random.default_rng([seed, step]).integers(len(choices))])


def _network(config: TrainConfig, base: keras.Model | None
             ) -> tuple[keras.Model, list[tf.Variable], list[int]]:
    """Build the network (from ``base``, the loaded ``base_model``, if given).

    Returns it, the variables to train and the styles (indices) to train on:
    all of them, or with ``train_only_norms`` those the base model lacks.
    """
    model = build_transform_net(config.width, upsample=config.upsample, output=config.output,
                                styles=list(config.styles) if config.conditional else None)
    every_style = list(range(len(config.styles)))
    if base is None:
        return model, list(model.trainable_variables), every_style
    names = style_names(base)
    base_values = {v.path: v.numpy() for v in base.weights}
    norms = []
    for v in model.weights:
        value = base_values.get(v.path)
        is_norm = v.path.endswith(("/gamma", "/beta")) and len(v.shape) == 2
        if is_norm and value is not None and value.shape[1:] == tuple(v.shape[1:]):
            # (N_base, C) -> (N, C): a new style starts from the mean of the others
            extra = np.repeat(value.mean(axis=0, keepdims=True), v.shape[0] - value.shape[0], 0)
            value = np.concatenate([value, extra])
            norms.append(v)
        if value is None or value.shape != tuple(v.shape):
            raise SettingsError(f"{config.base_model} has another design (no {v.path} of "
                                f"shape {tuple(v.shape)}). Fix: the same width and upsample.")
        v.assign(value)
    if config.train_only_norms:
        return model, norms, every_style[len(names):]
    return model, list(model.trainable_variables), every_style


def _base_model(config: TrainConfig) -> keras.Model:
    """Load ``config.base_model``; its styles must begin ``config.style`` and miss some."""
    base = load_model(config.base_model)
    names = style_names(base) or []
    if tuple(names) != config.styles[:len(names)] or len(names) == len(config.styles):
        raise SettingsError(f"the base model holds {names}; style must start with those "
                            "and add at least one. Fix: style=(*those, 'new_painting').")
    return base


def add_style_config(base_model: str | os.PathLike, style: str, **settings) -> TrainConfig:
    """Return the :class:`TrainConfig` that adds painting ``style`` to a many-style network.

    Only the new style's ``γ, β`` train (``train_only_norms``); its other
    settings are read from the base model's ``config.json`` when it sits
    beside the model, and ``settings`` override them.
    """
    base_model = Path(base_model)
    loaded = load_model(base_model)
    names = style_names(loaded)
    if not names:
        raise SettingsError(f"{base_model} is a one-style network. Fix: a many-style "
                            "network (trained with several paintings).")
    saved = _read_json(base_model.parent / "config.json")
    known = {f.name for f in fields(TrainConfig)}
    base = {k: (tuple(v) if isinstance(v, list) else v) for k, v in saved.items() if k in known}
    base.pop("steps", None)
    base["output"] = output_kind(loaded)          # older networks end in tanh
    return TrainConfig(**{**base, **settings, "style": (*names, style),
                          "base_model": str(base_model), "train_only_norms": True})


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def resumed_history(out: Path, done: int) -> dict[str, list[float]]:
    """The loss curve of the run in ``out`` (``history.json``, written at each
    checkpoint) up to its checkpoint at step ``done``; ``{}`` if there is none."""
    old = _read_json(out / "history.json")
    kept = sum(1 for s in old.get("step", []) if s <= done)
    judged = sum(1 for s in old.get("eval_step", []) if s <= done)
    return {k: list(v)[:judged if k.startswith("eval_") else kept] for k, v in old.items()}


def write_loss_curve(out: Path, history: dict[str, list[float]], *, title: str,
                     weights: dict[str, Any]) -> None:
    """``out/loss.png``: the smoothed loss terms of ``history`` (a training
    command writes it beside the model); nothing for an empty history."""
    from ..files import write_bytes
    from ..teaching.plots import loss_plot_png
    if not history.get("step"):
        return
    with signals_deferred():
        write_bytes(out / "loss.png", loss_plot_png(
            smoothed(history), weights=weights, title=title, figsize=(6, 4), dpi=100,
            xlabel="training step (mean of the last 50 batches)"))


def check_run_folder(out: Path, config: TrainConfig, *, resume: bool = True) -> None:
    """Raise SettingsError unless ``train(config, out, resume=resume)`` may write
    into the folder ``out``: it is a folder (or can be made), writable, and,
    when resuming, it holds no trained network that the run would replace:
    a ``model.keras`` without a checkpoint, a run with other settings, or one
    already further than ``config.steps``. ``resume=False`` starts over."""
    fix = ("Fix: another output folder, or start over (resume=False; on the command "
           "line --overwrite).")
    if out.exists() and not out.is_dir():
        raise SettingsError(f"{out} is a file, not a folder. Fix: name a new folder for the "
                            "network, e.g. models/mine.")
    existing = next((p for p in (out, *out.parents) if p.exists()), Path("."))
    if not os.access(existing, os.W_OK | os.X_OK):
        raise SettingsError(f"Cannot write into {existing}: the folder is not writable. Fix: "
                            "an output folder you can write to (e.g. in your home folder).")
    if not resume or not out.is_dir():
        return
    checkpoint = tf.train.latest_checkpoint(str(out / "checkpoints"))
    trained = (out / "model.keras").exists()
    if not (checkpoint or trained):
        return                          # empty, or what a failed start left: start afresh
    if trained and not checkpoint:
        raise SettingsError(f"{out} holds a trained network (model.keras) and no checkpoint "
                            f"to resume from, so training would replace it. {fix}")
    saved = _read_json(out / "config.json")
    now = json.loads(json.dumps(asdict(config)))
    changed = sorted(k for k in now if k != "steps" and saved.get(k, now[k]) != now[k])
    if changed:
        raise SettingsError(f"{out} holds a run with other settings ({', '.join(changed)}). "
                            + fix)
    done = int(checkpoint.rsplit("-", 1)[-1]) if checkpoint else 0
    if done > config.steps:
        raise SettingsError(f"{out} holds a run {done} steps long, more than the {config.steps} "
                            f"asked for. Fix: steps >= {done} to go on, or another folder.")


def prepare_run_folder(out: Path, config: TrainConfig, *, resume: bool = True) -> Path:
    """:func:`check_run_folder`, then make the folder; return it (one line if it
    cannot be made)."""
    check_run_folder(out, config, resume=resume)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SettingsError(f"Cannot create the folder {out}: {exc.strerror or exc}. Fix: "
                            "another output folder.") from None
    return out


def train(config: TrainConfig, out_dir: str | os.PathLike, *,
          strategy: tf.distribute.Strategy | None = None, resume: bool = True,
          checkpoint_every: int = 100, progress: bool | None = None,
          callback: Callable[[int, dict[str, float]], Any] | None = None,
          evaluate_every: int = 0) -> TrainResult:
    """Train a transformation network for ``config.style`` (one painting or several);
    return a :class:`TrainResult`.

    Writes into ``out_dir``: ``checkpoints/`` (every ``checkpoint_every``
    steps and on Ctrl-C), ``history.json`` (the loss curve), ``config.json``
    and, at the end or on Ctrl-C, ``model.keras``. With ``resume``, a run
    with the same config continues from its last checkpoint.

    ``strategy``: a ``tf.distribute.Strategy`` (default: TensorFlow's
    current one, i.e. one device); the batch is split across its replicas.
    ``callback(step, terms)`` may return True to stop early.
    ``evaluate_every``: every so many steps, judge the network on the held-out
    photos (:func:`held_out_quality` at 256 px, every painting) and record it
    in the history as ``eval_step``, ``eval_seconds``, ``eval_relative`` (mean
    style distance relative to the photos') and ``eval_layout`` (the worst):
    the quality-against-minutes curve of ``make bench``. 0: never.
    """
    config = config.checked()
    out = prepare_run_folder(Path(out_dir).expanduser(), config, resume=resume)
    strategy = strategy or tf.distribute.get_strategy()
    replicas = strategy.num_replicas_in_sync
    if config.batch_size % replicas:
        raise SettingsError(f"batch_size {config.batch_size} does not split over "
                            f"{replicas} devices. Fix: a multiple of {replicas}.")
    if not resume and (out / "checkpoints").is_dir():
        shutil.rmtree(out / "checkpoints")           # start over: the old run's steps go
    now = json.loads(json.dumps(asdict(config)))
    base = _base_model(config) if config.base_model else None   # fails before VGG16
    write_json(out / "config.json", now)
    objective, grams = _objective(config)
    keras.utils.set_random_seed(config.seed)     # after VGG16 is built: same start every run
    with strategy.scope():
        model, trained, choices = _network(config, base)
        optimizer = keras.optimizers.Adam(config.learning_rate)
        optimizer.build(trained)
        step_var = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
    checkpoint = tf.train.Checkpoint(model=model, optimizer=optimizer, step=step_var)
    manager = tf.train.CheckpointManager(checkpoint, out / "checkpoints", max_to_keep=2)
    history: dict[str, list[float]] = {k: [] for k in HISTORY_KEYS}
    if config.conditional:
        history["painting"] = []                   # index into config.styles, per step
    if resume and manager.latest_checkpoint:
        checkpoint.restore(manager.latest_checkpoint)
        history = resumed_history(out, int(step_var.numpy())) or history
    elif not resume:
        step_var.assign(0)
    global_batch = config.batch_size

    def replica_step(photos, style):
        targets = [tf.stop_gradient(t) for t in objective.content_targets(photos)]
        inputs = (photos if not config.conditional
                  else (photos, tf.tile(style[tf.newaxis], [tf.shape(photos)[0], 1])))
        with tf.GradientTape() as tape:
            pictures = model(inputs, training=True)
            terms = objective.terms(pictures, targets)
            loss = terms.total / global_batch
        grads = tape.gradient(loss, trained)
        optimizer.apply_gradients(zip(grads, trained))
        return tf.stack([terms.total, terms.content, terms.style, terms.tv]) / global_batch

    @tf.function
    def train_step(batch, style):
        per_replica = strategy.run(replica_step, args=(batch, style))
        return strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)

    n_styles = len(config.styles)

    judges = held_out_judges(config.styles, EVAL_SIZE) if evaluate_every else {}
    data = iter(strategy.experimental_distribute_dataset(_dataset(config)))
    start_step = int(step_var.numpy())
    bar = progress_bar(config.steps, True if progress is None else progress, desc="training",
                       initial=start_step, leave=True)
    interrupted = diverged = False
    started = time.perf_counter() - (history["seconds"][-1] if history["seconds"] else 0.0)
    try:
        while int(step_var.numpy()) < config.steps:
            painting = (style_of_step(config.seed, int(step_var.numpy()) + 1, choices)
                        if config.conditional else 0)
            objective.set_style_targets(grams[painting])  # this batch's painting
            one_hot = np.eye(n_styles, dtype=np.float32)[painting]
            values = train_step(next(data), tf.constant(one_hot)).numpy()
            step = int(step_var.assign_add(1).numpy())
            terms = dict(zip(("total", "content", "style", "tv"), map(float, values)))
            if not all(math.isfinite(v) for v in terms.values()):
                raise DivergedError(f"the loss became {terms['total']} at step {step}. "
                                         "Fix: a smaller learning_rate or style_weight.")
            history["step"].append(step)
            for key, value in terms.items():
                history[key].append(value)
            history["seconds"].append(time.perf_counter() - started)
            if config.conditional:
                history["painting"].append(painting)
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=f"{terms['total']:.3g}",
                                content=f"{terms['content']:.3g}",
                                style=f"{terms['style']:.3g}")
            if evaluate_every and step % evaluate_every == 0:
                _record_held_out(history, step, time.perf_counter() - started, model, config,
                                 judges)
            if step % checkpoint_every == 0:
                manager.save(checkpoint_number=step)
                write_json(out / "history.json", history)
            if callback is not None and callback(step, terms):
                break
    except KeyboardInterrupt:
        interrupted = True
    except DivergedError:
        diverged = True                  # its weights are NaN: keep the last checkpoint
        raise
    finally:
        if bar is not None:
            bar.close()
        with signals_deferred() as again:       # a second Ctrl-C does not cut the save
            if int(step_var.numpy()) > 0 and not diverged:
                manager.save(checkpoint_number=int(step_var.numpy()))
                write_json(out / "history.json", history)
                path = save_model(model, out / "model.keras")
            else:
                path = None
        interrupted = interrupted or bool(again)
    return TrainResult(model=model, config=config, history=history,
                       interrupted=interrupted, model_path=path)


def strategy_for(devices: int) -> tf.distribute.Strategy | None:
    """``MirroredStrategy`` over ``devices`` GPUs if TensorFlow sees them, else over
    as many logical CPUs (made here); None for one device (the default strategy)."""
    if devices <= 1:
        return None
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        if len(gpus) < devices:
            raise SettingsError(f"--devices {devices}, but TensorFlow sees {len(gpus)} GPUs.")
        return tf.distribute.MirroredStrategy([f"/gpu:{i}" for i in range(devices)])
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * devices)
    return tf.distribute.MirroredStrategy([f"/cpu:{i}" for i in range(devices)])


#: The side (px) of the held-out photos judged during training.
EVAL_SIZE = 256


@contextlib.contextmanager
def _no_retracing_warnings():
    """Hide TensorFlow's retracing warning: each judge compiles its own small function."""
    logger = tf.get_logger()
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def held_out_judges(paintings: Sequence[str], size: int = EVAL_SIZE) -> dict[tuple[str, str], Any]:
    """Return a :class:`style_lib.core.quality.Judge` per (held-out photo, painting), at ``size``."""
    from ..io import training_photos
    from ..core.quality import Judge
    with _no_retracing_warnings():
        return {(photo, painting): Judge(training_photos.center_squares([photo], size)[0],
                                         painting, size=size)
                for photo in training_photos.HELD_OUT_NAMES for painting in paintings}


def held_out_quality(model: keras.Model, judges: dict[tuple[str, str], Any],
                     conditional: bool | None = None) -> dict[str, float]:
    """Judge ``model`` on the held-out photos: mean and worst relative style distance,
    worst layout, over every (photo, painting) of ``judges`` (:func:`held_out_judges`)."""
    from .network import stylize_fast, style_names
    many = style_names(model) is not None if conditional is None else conditional
    with _no_retracing_warnings():
        verdicts = [judge(stylize_fast(model, judge.photo, style=painting if many else None,
                                       precision="auto"))
                    for (_, painting), judge in judges.items()]
    return {"relative": float(np.mean([v.relative for v in verdicts])),
            "worst_relative": float(max(v.relative for v in verdicts)),
            "worst_layout": float(min(v.layout for v in verdicts))}


def _record_held_out(history: dict[str, list[float]], step: int, seconds: float,
                     model: keras.Model, config: TrainConfig, judges: dict) -> None:
    quality = held_out_quality(model, judges, config.conditional)
    for key, value in (("eval_step", step), ("eval_seconds", seconds),
                       ("eval_relative", quality["relative"]),
                       ("eval_layout", quality["worst_layout"])):
        history.setdefault(key, []).append(value)


def smoothed(history: dict[str, list[float]], window: int = 50) -> dict[str, list[float]]:
    """Return ``history`` with each loss term replaced by its running mean."""
    out = dict(history)
    for key in ("total", "content", "style", "tv", "identity"):
        values = np.asarray(history.get(key, []), np.float64)
        if values.size:
            sums = np.cumsum(np.insert(values, 0, 0.0))
            n = np.minimum(np.arange(1, values.size + 1), window)
            out[key] = ((sums[1:] - sums[np.arange(values.size) + 1 - n]) / n).tolist()
    return out


