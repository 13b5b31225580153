"""The engine of the slider app, with no UI: runs, debouncing, convergence.

:class:`StyleRunner` holds the settings of notebook 07's app (photo,
painting, size, step budget, and α, β, γ, ``w_l`` of
``J(x) = α L_content + β L_style + γ L_tv``) and re-optimises the picture in
a background thread: :meth:`~StyleRunner.update` cancels the run in
progress and, ``debounce`` seconds after the last change, starts one run
with the final settings from the current picture (a warm start). Runs end
when the picture becomes *finished* (:mod:`style_lib.core.quality`'s judge,
watched through :class:`~style_lib.pixel.finish.StyleProxy` at no extra
cost; a warm start from a picture that is finished already goes on, so that a
slider's change shows), when :class:`ConvergenceCheck` says so, at the step
budget, or on :meth:`~StyleRunner.stop`. Errors become one-line status
messages. A UI (:mod:`style_lib.teaching.widgets`) passes callbacks, which are also
called from the worker thread.

>>> runner = StyleRunner("tubingen", "starry_night", size=64)  # doctest: +SKIP
>>> runner.update(style_weight=1e4); runner.wait()              # doctest: +SKIP
"""
from __future__ import annotations

import math
import os
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..io import data
from ..session import pick
from ..io.data import as_image
from ..errors import SettingsError, StyleLibError
from ..pixel import finish
from ..pixel.optimize import HISTORY_KEYS, Progress, StyleResult, Stylizer, get_stylizer
from ..settings import (DEFAULT_CONTENT_WEIGHT, DEFAULT_STYLE_LAYERS,
                       DEFAULT_STYLE_WEIGHT, DEFAULT_TV_WEIGHT, StyleSettings,
                       check_weight)
from ..core.vgg import resolve_precision

__all__ = ["StyleRunner", "ConvergenceCheck", "Source", "make_source",
           "one_line", "slug", "CONVERGED_TOL", "CONVERGED_WINDOW",
           "HISTORY_KEYS"]

#: A run has converged when its best loss fell by less than this fraction
#: over the last :data:`CONVERGED_WINDOW` steps.
CONVERGED_TOL = 0.01
CONVERGED_WINDOW = 10
#: Keys of :attr:`StyleRunner.history`, as in ``StyleResult.history``.
WEIGHT_KEYS = ("content_weight", "style_weight", "tv_weight")


# ------------------------------------------------------------ helpers ---

def slug(name: str) -> str:
    """Return ``name`` reduced to letters, digits, ``_`` and ``.``."""
    text = re.sub(r"[^A-Za-z0-9_.]+", "_", str(name)).strip("._")
    return text[:40] or "image"


def one_line(exc: BaseException, what: str = "") -> str:
    """Return ``exc`` as one short line for a status bar (never a traceback)."""
    text = str(exc) if isinstance(exc, StyleLibError) \
        else f"{type(exc).__name__}: {exc}"
    text = " ".join(((f"{what}: " if what else "") + text).split())
    return text if len(text) <= 300 else text[:299] + "…"


class ConvergenceCheck:
    """Optimiser callback: True (stop) once the run has converged.

    Converged: the best loss fell by less than ``tol`` (relative) over the
    last ``window`` steps. Pass an instance as ``callback`` to
    :meth:`Stylizer.run`, or call it from your own callback.
    """

    def __init__(self, tol: float = CONVERGED_TOL,
                 window: int = CONVERGED_WINDOW) -> None:
        self.tol = check_weight("tol", tol)
        if isinstance(window, bool) or int(window) != window or window < 1:
            raise SettingsError(f"window must be a whole number >= 1, got "
                                f"{window!r}.")
        self.window = int(window)
        self.bests: list[float] = []    # best total so far, per step
        self.converged = False

    def __call__(self, p: Progress) -> bool:
        previous = self.bests[-1] if self.bests else math.inf
        best = p.total if p.total < previous else previous
        self.bests.append(best)
        if len(self.bests) > self.window:
            drop = self.bests[-self.window - 1] - best
            self.converged = self.converged or drop <= self.tol * abs(best)
        return self.converged


@dataclass(frozen=True, eq=False)
class Source:
    """A photo or painting: ``label`` to show, ``image`` for get_stylizer
    (a demo name or an ``(H, W, 3)`` array), ``path`` if it came from a file
    (a file that saving never overwrites). Compared by identity."""

    label: str
    image: Any
    path: Path | None = None


def make_source(value: Any, which: str = "content",
                label: str | None = None) -> Source:
    """Return a :class:`Source` for a demo name, a path or an image array."""
    if isinstance(value, Source):
        return value
    if isinstance(value, str) and value in data.NAMES:
        return Source(label or value, value)
    if isinstance(value, (str, os.PathLike)):
        path = Path(value)
        return Source(label or f"{slug(path.stem)} (file)", as_image(value), path)
    return Source(label or f"my {which}", as_image(value))


# ------------------------------------------------------------- runner ---

class StyleRunner:
    """Settings, background runs and their results, with no UI.

    ``content``/``style``: demo name, path, array or :class:`Source`;
    ``size`` (px, default 192, quick mode 64) and ``steps`` (budget, 100 /
    10); ``weights``: VGG16 weights; ``precision``: what VGG16 computes in
    (default ``"auto"``: bfloat16 where the hardware is fast at it, about
    twice as many steps a second); ``optimizer``: lbfgs/adam/gd;
    ``debounce`` (s); at most one ``on_preview``/``on_history`` per
    ``preview_interval``/``plot_interval`` s during a run; ``tol``,
    ``window``: :class:`ConvergenceCheck`. Callbacks: ``on_status(text,
    error)``, ``on_preview(image)``, ``on_progress(step, steps)``,
    ``on_history(history, weights)``, ``on_finish(reason)`` with reason
    finished/converged/budget/stopped/cancelled/error.
    """

    def __init__(self, content: Any = "tubingen", style: Any = "starry_night",
                 *, size: int | None = None, steps: int | None = None,
                 weights: str = "auto", optimizer: str = "lbfgs",
                 style_layers: Sequence[str] = DEFAULT_STYLE_LAYERS,
                 debounce: float = 0.25, preview_interval: float = 0.4,
                 plot_interval: float = 1.5, tol: float = CONVERGED_TOL,
                 window: int = CONVERGED_WINDOW, precision: str = "auto",
                 on_status: Callable[[str, bool], None] | None = None,
                 on_preview: Callable[[np.ndarray], None] | None = None,
                 on_progress: Callable[[int, int], None] | None = None,
                 on_history: Callable[[dict, dict], None] | None = None,
                 on_finish: Callable[[str], None] | None = None) -> None:
        #: Every setting of a run, checked once here (the app's door) and on
        #: :meth:`update`; passed down whole to :func:`get_stylizer` and the run.
        self.style_settings = StyleSettings(
            size=size if size is not None else pick(full=192, quick=64),
            steps=steps if steps is not None else pick(full=100, quick=10),
            optimizer=optimizer, weights=weights, style_layers=tuple(style_layers),
            precision=precision, style_weight=DEFAULT_STYLE_WEIGHT)
        self.debounce, self.preview_interval, self.plot_interval = (
            float(debounce), float(preview_interval), float(plot_interval))
        ConvergenceCheck(tol, window)            # checks both
        self.tol, self.window = float(tol), int(window)
        self.callbacks = {"status": on_status, "preview": on_preview,
                          "progress": on_progress, "history": on_history,
                          "finish": on_finish}
        self._lock = threading.RLock()
        self._run_lock = threading.Lock()        # held while an optimiser runs
        self._history_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._cancel: threading.Event | None = None
        self._timer: threading.Timer | None = None
        self._generation = 0                     # one per run()
        self._epoch = 0                          # bumped when the image resets
        self._stop_requested: set[int] = set()
        self._sources = {"content": make_source(content, "content"),
                         "style": make_source(style, "style")}
        self._weights = self.default_weights()
        self._content_image = as_image(self._sources["content"].image, self.size)
        self._current_image: np.ndarray | None = None
        self._image_weights: dict | None = None  # the weights that made it
        self._history: dict[str, list[float]] = {}
        #: The :class:`Stylizer` in use (``None`` before the first run).
        self.stylizer: Stylizer | None = None
        #: Its judge's style distance (None when the style cannot be judged).
        self.proxy: finish.StyleProxy | None = None
        #: ``(relative style distance, layout)`` of the latest picture of a run.
        self.last_measure: tuple[float, float] | None = None
        self._stylizer_key: tuple | None = None
        self.status_text, self.status_is_error = "", False
        #: Counters and the latest outcome, for tests, benchmarks and the UI.
        self.runs_started = self.runs_finished = self.stylizers_built = 0
        self.targets_seconds = math.nan          # last get_stylizer() call
        self.last_error: BaseException | None = None
        self.last_result: StyleResult | None = None
        self.last_reason, self.last_steps = "", 0

    # ------------------------------------------------------------ state --
    @property
    def size(self) -> int:
        """Longest side of the result (px)."""
        return self.style_settings.size

    @property
    def steps(self) -> int:
        """The step budget of one run."""
        return self.style_settings.steps

    @property
    def optimizer(self) -> str:
        return self.style_settings.optimizer

    @property
    def style_layers(self) -> tuple[str, ...]:
        return self.style_settings.style_layers

    @property
    def vgg_weights(self) -> str:
        """VGG16's weights (``"auto"``, ``"imagenet"``, ``"hed"`` or a file)."""
        return self.style_settings.weights

    @property
    def precision(self) -> str:
        """What VGG16 computes in (``"auto"`` resolved)."""
        return resolve_precision(self.style_settings.precision)

    def default_weights(self) -> dict[str, Any]:
        """α, β, γ and equal layer weights: what :meth:`reset` restores."""
        n = len(self.style_layers)
        return {"content_weight": DEFAULT_CONTENT_WEIGHT,
                "style_weight": DEFAULT_STYLE_WEIGHT,
                "tv_weight": DEFAULT_TV_WEIGHT, "layer_weights": [1.0 / n] * n}

    def settings(self) -> dict[str, Any]:
        """Return the current settings as plain Python values."""
        with self._lock:
            return {"content": self._sources["content"].label,
                    "style": self._sources["style"].label, "size": self.size,
                    "steps": self.steps, **self._weights,
                    "layer_weights": list(self._weights["layer_weights"])}

    def source(self, which: str) -> Source:
        """The current ``"content"`` or ``"style"`` :class:`Source`."""
        return self._sources[which]

    def input_paths(self) -> list[Path]:
        """The files the photo and painting came from (never overwrite)."""
        return [s.path for s in self._sources.values() if s.path is not None]

    def picture(self) -> tuple[np.ndarray, dict[str, Any]]:
        """The current picture and the settings (weights) that made it."""
        with self._lock:
            cfg = self.settings()
            if self._current_image is not None and self._image_weights:
                cfg.update(self._image_weights)
            return self.current_image, cfg

    @property
    def content_image(self) -> np.ndarray:
        """The photo at the run size, ``(H, W, 3)`` float32."""
        return self._content_image.copy()

    @property
    def current_image(self) -> np.ndarray:
        """The current picture (the photo before any run), a copy."""
        image = self._current_image
        return (self._content_image if image is None else image).copy()

    @property
    def history(self) -> dict[str, list[float]]:
        """The latest run, per step, for the best picture so far: keys of
        ``StyleResult.history``, unweighted terms
        (``total = α content + β style + γ tv``)."""
        with self._history_lock:
            return {k: list(v) for k, v in self._history.items()}

    @property
    def busy(self) -> bool:
        """True while a run is scheduled or in progress."""
        with self._lock:
            thread = self._thread
            return self._timer is not None or (thread is not None
                                               and thread.is_alive())

    # ----------------------------------------------------------- status --
    def _emit(self, name: str, *args: Any) -> None:
        callback = self.callbacks.get(name)
        if callback is not None:
            callback(*args)

    def set_status(self, text: str, *, error: bool = False) -> None:
        """Set the one-line status (plain text) and tell ``on_status``."""
        self.status_text, self.status_is_error = text, error
        self._emit("status", text, error)

    def report_error(self, exc: BaseException, what: str = "") -> None:
        """Show ``exc`` as a one-line error status; keep it in ``last_error``."""
        self.last_error = exc
        self.set_status(one_line(exc, what), error=True)

    # --------------------------------------------------------- settings --
    def update(self, **changes: Any) -> bool:
        """Change settings; unless only ``steps`` changed, schedule a run.

        Keys: ``content``, ``style`` (see :func:`make_source`), ``size``,
        ``steps``, ``content_weight``, ``style_weight``, ``tv_weight``,
        ``layer_weights`` (one per style layer). A bad value changes nothing
        and shows why in the status; returns False then.
        """
        unknown = set(changes) - {"content", "style", "size", "steps",
                                  "layer_weights", *WEIGHT_KEYS}
        if unknown:
            raise TypeError(f"unknown settings: {sorted(unknown)}")
        try:
            new = self._checked(changes)
        except (StyleLibError, OSError, ValueError) as exc:
            self.report_error(exc, "Could not load that image" if {
                "content", "style", "size"} & set(changes) else "Setting refused")
            return False
        with self._lock:
            self._sources.update({k: new.pop(k) for k in ("content", "style")
                                  if k in new})
            photo = new.pop("photo", None)
            if "settings" in new:
                self.style_settings = new.pop("settings")
                self._weights.update({k: getattr(self.style_settings, k)
                                      for k in (*WEIGHT_KEYS, "layer_weights")
                                      if k in changes})
                if "layer_weights" in changes:
                    self._weights["layer_weights"] = list(self._weights["layer_weights"])
            if "content" in changes:             # a new photo: start from it
                self._epoch += 1
                self._current_image = self._image_weights = None
            if photo is not None:
                self._content_image = photo
            show = photo is not None and self._current_image is None
        if show:
            self._emit("preview", photo.copy())
        if set(changes) != {"steps"}:
            self.schedule("new images" if {"content", "style"} & set(changes)
                          else "new size" if "size" in changes
                          else "weights changed")
        return True

    def _checked(self, changes: dict[str, Any]) -> dict[str, Any]:
        fields = {k: changes[k] for k in (*WEIGHT_KEYS, "layer_weights", "size", "steps")
                  if k in changes}
        out: dict[str, Any] = {}
        if fields:                               # the door: checked once
            out["settings"] = self.style_settings.replace(**fields)
        for which in ("content", "style"):
            if which in changes:
                out[which] = make_source(changes[which], which)
        if "style" in out:
            as_image(out["style"].image)         # fails now, not in the run
        if {"content", "size"} & set(out):
            out["photo"] = as_image(out.get("content", self._sources["content"])
                                    .image, out.get("settings", self.style_settings).size)
        return out

    # ------------------------------------------------------- scheduling --
    def schedule(self, why: str = "settings changed") -> None:
        """Debounce: one run ``debounce`` s after the last call; a run in
        progress is cancelled now (its best picture is kept)."""
        with self._lock:
            self._drop_timer()
            if self._cancel is not None:
                self._cancel.set()
            timer = threading.Timer(self.debounce, self._fire)
            timer.daemon = True
            self._timer = timer
            timer.start()
        self.set_status(f"{why[:1].upper()}{why[1:]}; restyling…")

    def _drop_timer(self) -> bool:
        """Cancel the debounce timer; True if one was pending (hold _lock)."""
        timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()
        return timer is not None

    def _fire(self) -> None:
        with self._lock:
            if self._timer is not threading.current_thread():
                return                           # superseded by a later change
            self._timer = None
            self.run()

    def run(self, wait: bool = False, timeout: float | None = None) -> bool:
        """Start a run from the current picture with the current settings.

        A run in progress is cancelled first; the new one starts when it has
        ended (never two optimisers at once). Returns at once unless
        ``wait``; then returns True if the run ended within ``timeout`` s.
        """
        with self._lock:
            self._drop_timer()
            self.runs_started += 1
            self._generation += 1
            old_thread, old_cancel = self._thread, self._cancel
            if old_cancel is not None:
                old_cancel.set()
            cancel = threading.Event()
            cfg = {**self.settings(), "sources": dict(self._sources),
                   "settings": self.style_settings}
            job = (self._generation, self._epoch, cancel, old_thread, cfg)
            thread = threading.Thread(target=self._work, args=job, daemon=True,
                                      name=f"style-run-{self._generation}")
            self._thread, self._cancel = thread, cancel
            thread.start()
        return self.wait(timeout) if wait else True

    def stop(self) -> None:
        """Stop the run in progress (its best picture is kept) or the
        scheduled one."""
        with self._lock:
            pending = self._drop_timer()
            running = self._thread is not None and self._thread.is_alive()
            if running:
                self._stop_requested.add(self._generation)
                self._cancel.set()
        self.set_status("Stopping…" if running else "Stopped before the run "
                        "started." if pending else "Nothing is running.")

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until no run is scheduled or running; True if idle in time."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._lock:
                timer, thread = self._timer, self._thread
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return not self.busy
            if timer is not None:
                time.sleep(0.01 if left is None else min(0.01, left))
            elif thread is not None and thread.is_alive():
                thread.join(0.1 if left is None else min(0.1, left))
            elif not self.busy:
                return True

    def reset(self) -> None:
        """Stop, restore the default weights and go back to the photo
        (no run starts)."""
        self.stop()
        with self._lock:
            self._epoch += 1
            self._weights = self.default_weights()
            self.style_settings = self.style_settings.replace(**self._weights)
            self._current_image = self._image_weights = None
            weights = dict(self._weights)
        with self._history_lock:
            self._history = {}
        self._emit("progress", 0, self.steps)
        self._emit("preview", self.content_image)
        self._emit("history", {}, weights)
        self.set_status("Reset: default weights, back to the photo.")

    # ----------------------------------------------------------- worker --
    def _ensure_stylizer(self, cfg: dict) -> Stylizer:
        content, style = cfg["sources"]["content"], cfg["sources"]["style"]
        settings: StyleSettings = cfg["settings"]
        key = (content, style, settings.stylizer_key())
        if self.stylizer is None or self._stylizer_key != key:
            self.set_status(f"Computing the targets for {content.label} × "
                            f"{style.label} at {cfg['size']} px (once per pair "
                            f"and size)…")
            started = time.perf_counter()
            self.stylizer = get_stylizer(content.image, style.image, settings,
                                         verbose=False)
            try:
                self.proxy = self.stylizer.style_proxy()
            except SettingsError:           # a style the judge cannot measure
                self.proxy = None
            self._stylizer_key = key
            self.stylizers_built += 1
            self.targets_seconds = time.perf_counter() - started
        return self.stylizer

    def _work(self, generation: int, epoch: int, cancel: threading.Event,
              old: threading.Thread | None, cfg: dict) -> None:
        if old is not None:
            old.join()                           # the previous run ends first
        with self._run_lock:
            try:
                if cancel.is_set():
                    self.last_reason = "cancelled"
                else:
                    self._optimise(generation, epoch, cancel, cfg)
            except Exception as exc:             # a status line, never raised
                self.last_reason = "error"
                self.report_error(exc, "The run failed")
            finally:
                self.runs_finished += 1
                self._stop_requested.discard(generation)
        self._emit("finish", self.last_reason)

    def _optimise(self, generation: int, epoch: int, cancel: threading.Event,
                  cfg: dict) -> None:
        stylizer = self._ensure_stylizer(cfg)
        if cancel.is_set():
            self.last_reason = "cancelled"
            return
        weights = {k: cfg[k] for k in (*WEIGHT_KEYS, "layer_weights")}
        stylizer.set_weights(**weights)
        with self._lock:
            start = self._current_image if epoch == self._epoch else None
        history: dict[str, list[float]] = {k: [] for k in HISTORY_KEYS}
        with self._history_lock:
            self._history = history
        steps = cfg["steps"]
        self._emit("progress", 0, steps)
        self.set_status("Running: starting from the photo…" if start is None
                        else "Running: warm start from the picture on screen…")
        converged = ConvergenceCheck(self.tol, self.window)
        best = {"total": math.inf, "terms": None}
        judged = {"finished": False, "first": None}
        proxy, self.last_measure = self.proxy, None

        def measure(p: Progress) -> None:
            if proxy is None or p.style_per_layer is None:
                return
            relative = proxy.relative(p.style_per_layer)
            layout = finish.layout_correlation(p.image, stylizer.content)
            self.last_measure = (relative, layout)
            done = finish.score(relative, layout, finish.GOAL) == 0.0
            if judged["first"] is None:
                judged["first"] = done        # finished at the start: go on
            judged["finished"] = done and not judged["first"]
            if judged["finished"]:            # keep and show this picture, not the
                judged["image"] = np.clip(p.image, 0, 255).astype(np.float32)  # best loss
        clock = {"progress": 0.0, "preview": -math.inf,
                 "plot": time.perf_counter()}

        def callback(p: Progress) -> bool:
            improved = p.total < best["total"] or best["terms"] is None
            if improved:
                best.update(total=p.total, terms=(p.content, p.style, p.tv))
            with self._history_lock:
                for key, value in zip(HISTORY_KEYS, (p.step, best["total"],
                                                     *best["terms"], p.seconds)):
                    history[key].append(float(value))
            if cancel.is_set():
                return True
            now = time.perf_counter()
            if now - clock["progress"] >= 0.1:   # at most 10 updates a second
                clock["progress"] = now
                self._emit("progress", p.step, steps)
            if improved and p.step > 1 and epoch == self._epoch \
                    and now - clock["preview"] >= self.preview_interval:
                clock["preview"] = now
                self._emit("preview", np.clip(p.image, 0, 255).astype(np.float32))
                self.set_status(f"Running: step {p.step}/{steps}, loss "
                                f"{best['total']:.3g}")
            if now - clock["plot"] >= self.plot_interval:
                clock["plot"] = now
                self._emit("history", self.history, weights)
            measure(p)
            return converged(p) or judged["finished"] or cancel.is_set()

        started = time.perf_counter()
        result = stylizer.run(cfg["settings"], init="content" if start is None
                              else start, callback=callback, progress=False)
        seconds = time.perf_counter() - started
        done = len(result.history["step"])
        self.last_result, self.last_steps = result, done
        self.last_reason = ("stopped" if generation in self._stop_requested
                            else "cancelled" if cancel.is_set()
                            else "finished" if judged["finished"]
                            else "converged" if converged.converged
                            else "budget")
        if judged["finished"]:
            result.image = judged["image"]       # the finished picture
        with self._lock:
            if epoch != self._epoch:
                return                           # reset meanwhile: discard
            self._current_image = result.image
            self._image_weights = weights
        self._emit("progress", min(done, steps), steps)
        self._emit("preview", result.image.copy())
        self._emit("history", self.history, weights)
        loss = f"loss {result.best_loss:.3g}"
        judge = ""
        if self.last_measure is not None:
            relative, layout = self.last_measure
            judge = (f" Style {relative:.2f} x the photo's distance (finished: < "
                     f"{finish.GOAL_FRACTION:g}), layout {layout:.2f} (>= {finish.LAYOUT_MIN:g}).")
        message = {   # "cancelled": the next run writes the status
            "stopped": f"Stopped after {done} steps; the best picture so far "
                       f"is kept.",
            "finished": f"Finished after {done} steps ({seconds:.1f} s).{judge}",
            "converged": f"Converged after {done} steps ({seconds:.1f} s), {loss}.{judge}",
            "budget": f"Done: {done} steps in {seconds:.1f} s, {loss}.{judge} Run "
                      f"again to continue."}.get(self.last_reason)
        if message:
            self.set_status(message)
