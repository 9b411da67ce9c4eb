"""A synthetic video data set in which RGB and optical flow see different halves of the class.

Every video shows one textured square (the actor) moving over a static,
cluttered background. Its class fixes two things:

* an **appearance** (hue and texture pattern of the square), which one RGB
  frame shows, and
* a **motion** (direction, speed, linear or oscillating), which only optical
  flow shows: the actor starts at a uniformly random place and wraps around the
  frame edges, so its position in a single frame says nothing about its motion.

Classes come in confusable pairs (``design="pairs"``): in every other pair the
two classes share their appearance and differ only in motion, in the others
they share their motion and differ only in appearance. Neither stream alone
can tell all classes apart, and fusing the two helps. ``design="cycle"``
chains the classes instead, so that each class shares its appearance with one
neighbour and its motion with the other (each stream alone is capped near
50%).

Noise: static distractor squares of random hue (which the RGB stream cannot
tell from the actor), colour and speed jitter, camera shake and pixel noise.
Class evidence is uneven over time: in the last third of a video the actor
slows down and fades into the background, so the third TSN segment carries
less evidence than the other two.

Optical flow is computed from the rendered frames with OpenCV
(:mod:`trainers.opticalflow`). The output follows the layout of preprocessed
HMDB51 / UCF101 sets::

    OUT/dataset.json                         what was generated (written last)
    OUT/rgb/<video>/img_00001.jpg ...        RGB frames
    OUT/flow/u/<video>/flow_x_00001.jpg ...  x flow, quantised (TSN convention)
    OUT/flow/v/<video>/flow_y_00001.jpg ...  y flow
    OUT/splits/<class>_test_split1.txt ...   --layout hmdb51 (lines "video.avi 0|1|2")
    OUT/splits/classInd.txt, trainlist01.txt, testlist01.txt   --layout ucf101

Everything is a deterministic function of the seed (and of the OpenCV flow
method, which is recorded in ``dataset.json``).

Command line::

    python -m trainers.synthetic --out data/tiny --preset tiny --seed 0
"""

from __future__ import annotations

import argparse
import colorsys
import json
import math
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from fusionlab.output import atomic_write_bytes, atomic_write_text

from .errors import FusionlabError, UsageError
from .opticalflow import DEFAULT_BOUND, compute_flow, quantize_flow, resolve_method

__all__ = [
    "PRESETS",
    "Appearance",
    "Motion",
    "Preset",
    "class_codes",
    "class_names",
    "generate",
    "main",
    "render_video",
]

Layout = Literal["hmdb51", "ucf101"]
Design = Literal["pairs", "cycle"]

DATASET_FORMAT = "trainers.synthetic"
RGB_DIR = "rgb"
FLOW_X_DIR = "flow/u"
FLOW_Y_DIR = "flow/v"
SPLIT_DIR = "splits"
JPEG_QUALITY = 95

_PATTERNS = ("stripes", "bars", "checks", "dots")
_COLOURS = (
    "red", "orange", "yellow", "lime", "green", "teal",
    "cyan", "azure", "blue", "violet", "magenta", "pink",
)  # fmt: skip
_DIRECTIONS = ("right", "upright", "up", "upleft", "left", "downleft", "down", "downright")


@dataclass(frozen=True)
class Preset:
    """Size and difficulty of a synthetic data set.

    Attributes
    ----------
    name : str
    n_classes : int
    n_train, n_test, n_unused : int
        Videos per class and split: training, test, and not used (HMDB51 tag 0).
        Each class has ``n_train + n_test + n_unused`` videos; every split
        partitions them anew.
    n_splits : int
    size : int
        Frame height and width in pixels.
    n_frames : int
        Frames per video (``n_frames - 1`` flow fields).
    n_distractors : int
        Static squares of random appearance on the background.
    noise : float
        Standard deviation of per-pixel Gaussian noise, in grey levels.
    hue_jitter : float
        Standard deviation of the actor's hue, in degrees.
    direction_jitter : float
        Standard deviation of the motion direction, in degrees.
    speed_jitter : float
        Speed is multiplied by a uniform factor in ``[1 - j, 1 + j]``.
    speed : float
        Base speed in pixels per frame at 48 pixels frame size (scaled with size).
    shake : float
        Probability per frame of a one-pixel camera shake.
    evidence : tuple of 3 floats
        Evidence level (speed and visibility factor) in the first, middle and
        last third of each video.
    """

    name: str
    n_classes: int
    n_train: int
    n_test: int
    n_unused: int
    n_splits: int
    size: int
    n_frames: int
    n_distractors: int = 2
    noise: float = 6.0
    hue_jitter: float = 6.0
    direction_jitter: float = 10.0
    speed_jitter: float = 0.25
    speed: float = 2.0
    shake: float = 0.2
    evidence: tuple[float, float, float] = (0.8, 1.0, 0.3)

    @property
    def videos_per_class(self) -> int:
        return self.n_train + self.n_test + self.n_unused


PRESETS: dict[str, Preset] = {
    "tiny": Preset(
        name="tiny", n_classes=4, n_train=4, n_test=2, n_unused=1, n_splits=2, size=24,
        n_frames=12,
    ),
    "small": Preset(
        name="small", n_classes=10, n_train=30, n_test=12, n_unused=0, n_splits=3, size=32,
        n_frames=24,
    ),
    "hmdb51-like": Preset(
        name="hmdb51-like", n_classes=51, n_train=70, n_test=30, n_unused=10, n_splits=3,
        size=48, n_frames=24,
    ),
}  # fmt: skip


@dataclass(frozen=True)
class Appearance:
    """What an RGB frame shows of a class: hue in degrees and texture pattern."""

    hue: float
    pattern: int

    @property
    def name(self) -> str:
        colour = _COLOURS[round(self.hue / 30.0) % len(_COLOURS)]
        return f"{colour}_{_PATTERNS[self.pattern]}"


@dataclass(frozen=True)
class Motion:
    """What only optical flow shows of a class: direction (degrees), speed factor, kind."""

    direction: float
    speed: float
    oscillate: bool

    @property
    def name(self) -> str:
        d = _DIRECTIONS[round(self.direction / 45.0) % len(_DIRECTIONS)]
        pace = "fast" if self.speed > 1.2 else "slow"
        return f"{d}_{pace}" + ("_wave" if self.oscillate else "")


def _appearances(n: int) -> list[Appearance]:
    return [Appearance(hue=(i * 360.0 / n) % 360.0, pattern=i % len(_PATTERNS)) for i in range(n)]


def _motions(n: int) -> list[Motion]:
    return [
        Motion(
            direction=(i * 360.0 / n) % 360.0,
            speed=1.0 if i % 2 == 0 else 1.5,
            oscillate=(i % 4 == 3),
        )
        for i in range(n)
    ]


def class_codes(
    n_classes: int, *, design: Design = "pairs"
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Appearance and motion code of every class.

    Parameters
    ----------
    n_classes : int
        At least 2.
    design : {"pairs", "cycle"}, default "pairs"
        ``"pairs"``: classes ``2p`` and ``2p + 1`` share their appearance when
        ``p`` is even and their motion when ``p`` is odd. ``"cycle"``: class
        ``c`` shares its appearance with one neighbour and its motion with the
        other.

    Returns
    -------
    appearance : ndarray of shape (n_classes,), int64
        Index into the appearance codebook.
    motion : ndarray of shape (n_classes,), int64
        Index into the motion codebook.

    Examples
    --------
    >>> a, m = class_codes(4)
    >>> a.tolist(), m.tolist()
    ([0, 0, 1, 2], [0, 1, 2, 2])
    """
    if n_classes < 2:
        raise UsageError(f"n_classes must be >= 2, got {n_classes}")
    app = np.zeros(n_classes, dtype=np.int64)
    mot = np.zeros(n_classes, dtype=np.int64)
    if design == "cycle":
        half = (n_classes + 1) // 2
        for c in range(n_classes):
            app[c] = c // 2
            mot[c] = ((c + 1) // 2) % half
        return app, mot
    if design != "pairs":
        raise UsageError(f"unknown design {design!r}, expected 'pairs' or 'cycle'")
    na = nm = 0
    for c in range(n_classes):
        p = c // 2
        first = c % 2 == 0
        singleton = first and c == n_classes - 1
        if p % 2 == 0 and not singleton:  # pair shares appearance
            if first:
                na += 1
            app[c] = na - 1
            mot[c] = nm
            nm += 1
        elif not singleton:  # pair shares motion
            if first:
                nm += 1
            mot[c] = nm - 1
            app[c] = na
            na += 1
        else:
            app[c], mot[c] = na, nm
            na += 1
            nm += 1
    return app, mot


def _codebooks(
    n_classes: int, design: Design
) -> tuple[list[Appearance], list[Motion], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    app, mot = class_codes(n_classes, design=design)
    return _appearances(int(app.max()) + 1), _motions(int(mot.max()) + 1), app, mot


def class_names(
    n_classes: int, *, design: Design = "pairs", layout: Layout = "hmdb51"
) -> list[str]:
    """Readable, unique class names in class-index order.

    HMDB51 style is ``c03_blue_checks_left_fast``; UCF101 style (no
    underscores) is ``C03BlueChecksLeftFast``. Both sort in class-index order.

    Examples
    --------
    >>> class_names(2)
    ['c00_red_stripes_right_slow', 'c01_red_stripes_left_fast']
    """
    apps, mots, app, mot = _codebooks(n_classes, design)
    out = []
    for c in range(n_classes):
        name = f"c{c:02d}_{apps[app[c]].name}_{mots[mot[c]].name}"
        if layout == "ucf101":
            name = "".join(w[:1].upper() + w[1:] for w in name.split("_"))
        out.append(name)
    return out


# --------------------------------------------------------------------------- rendering


def _rgb(hue: float, sat: float, val: float) -> npt.NDArray[np.float32]:
    r, g, b = colorsys.hsv_to_rgb((hue % 360.0) / 360.0, sat, val)
    return np.array([r, g, b], dtype=np.float32) * 255.0


def _sprite(
    app: Appearance, side: int, rng: np.random.Generator, hue_jitter: float
) -> npt.NDArray[np.float32]:
    """A textured square of shape (side, side, 3), float32 in 0..255."""
    hue = app.hue + rng.normal(0.0, hue_jitter)
    light = _rgb(hue, 0.9 + rng.uniform(-0.08, 0.08), 0.95 + rng.uniform(-0.1, 0.05))
    dark = _rgb(hue, 0.75 + rng.uniform(-0.1, 0.1), 0.45 + rng.uniform(-0.08, 0.08))
    period = max(2, side // 3)
    yy, xx = np.mgrid[0:side, 0:side]
    if app.pattern == 0:
        on = (yy // max(1, period // 2)) % 2 == 0
    elif app.pattern == 1:
        on = (xx // max(1, period // 2)) % 2 == 0
    elif app.pattern == 2:
        on = ((yy // period) + (xx // period)) % 2 == 0
    else:
        c = (period - 1) / 2.0
        on = ((yy % period - c) ** 2 + (xx % period - c) ** 2) <= (period / 2.5) ** 2
    return np.where(on[..., None], light, dark).astype(np.float32)


def _envelope(
    n_frames: int, rng: np.random.Generator, levels: tuple[float, float, float]
) -> npt.NDArray[np.float64]:
    """Evidence level of each frame: three plateaus with jittered borders."""
    t = (np.arange(n_frames) + 0.5) / n_frames
    b1 = 1.0 / 3.0 + rng.uniform(-1.0, 1.0) / 12.0
    b2 = 2.0 / 3.0 + rng.uniform(-1.0, 1.0) / 12.0
    return np.where(t < b1, levels[0], np.where(t < b2, levels[1], levels[2]))


def _translate(img: npt.NDArray[np.float32], dx: float, dy: float) -> npt.NDArray[np.float32]:
    import cv2

    h, w = img.shape[:2]
    m = np.array([[1.0, 0.0, dx], [0.0, 1.0, dy]], dtype=np.float64)
    out = cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_WRAP)
    return np.asarray(out, dtype=np.float32)


def render_video(
    appearance: Appearance,
    motion: Motion,
    *,
    preset: Preset,
    rng: np.random.Generator,
) -> npt.NDArray[np.uint8]:
    """Render one video of the given appearance and motion.

    Parameters
    ----------
    appearance : Appearance
    motion : Motion
    preset : Preset
        Frame size, length and noise levels.
    rng : numpy.random.Generator
        The only source of randomness.

    Returns
    -------
    ndarray of shape (n_frames, size, size, 3), uint8
        RGB frames.
    """
    import cv2

    size, n = preset.size, preset.n_frames
    side = max(4, round(size * 0.3))
    # Background: smooth colour field plus static fine texture.
    coarse = rng.uniform(50.0, 200.0, size=(4, 4, 3)).astype(np.float32)
    bg = cv2.resize(coarse, (size, size), interpolation=cv2.INTER_CUBIC)
    grey = bg.mean(axis=2, keepdims=True)
    bg = 0.5 * grey + 0.5 * bg + rng.normal(0.0, 12.0, size=(size, size, 1)).astype(np.float32)
    for _ in range(preset.n_distractors):
        d = Appearance(
            hue=float(rng.uniform(0.0, 360.0)), pattern=int(rng.integers(len(_PATTERNS)))
        )
        spr = _sprite(d, side, rng, 0.0)
        y, x = (int(v) for v in rng.integers(0, size - side + 1, size=2))
        bg[y : y + side, x : x + side] = spr
    # The actor, drawn at the origin and moved with wrap-around.
    layer = np.zeros((size, size, 3), dtype=np.float32)
    mask = np.zeros((size, size), dtype=np.float32)
    layer[:side, :side] = _sprite(appearance, side, rng, preset.hue_jitter)
    mask[:side, :side] = 1.0
    env = _envelope(n, rng, preset.evidence)
    angle = math.radians(motion.direction + rng.normal(0.0, preset.direction_jitter))
    speed = (
        preset.speed
        * motion.speed
        * (size / 48.0)
        * rng.uniform(1.0 - preset.speed_jitter, 1.0 + preset.speed_jitter)
    )
    ux, uy = math.cos(angle), -math.sin(angle)  # image y points down
    period = float(rng.uniform(7.0, 10.0))
    px, py = (float(v) for v in rng.uniform(0.0, size, size=2))
    shake_x = shake_y = 0
    frames = np.empty((n, size, size, 3), dtype=np.uint8)
    for t in range(n):
        lay = _translate(layer, px, py)
        msk = _translate(mask, px, py)[..., None]
        alpha = msk * (0.45 + 0.55 * env[t])
        img = bg * (1.0 - alpha) + lay * alpha
        if rng.random() < preset.shake:
            shake_x += int(rng.integers(-1, 2))
            shake_y += int(rng.integers(-1, 2))
        img = np.roll(img, (shake_y, shake_x), axis=(0, 1))
        img = img + rng.normal(0.0, preset.noise, size=img.shape).astype(np.float32)
        frames[t] = np.clip(np.rint(img), 0, 255).astype(np.uint8)
        step = speed * env[t]
        if motion.oscillate:
            step *= 2.0 * math.cos(2.0 * math.pi * t / period)
        px += step * ux
        py += step * uy
    return frames


# --------------------------------------------------------------------------- writing


def _encode_jpeg(img: npt.NDArray[np.uint8]) -> bytes:
    import cv2

    if img.ndim == 3:
        img = np.ascontiguousarray(img[..., ::-1])  # RGB -> BGR for OpenCV
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:  # pragma: no cover - OpenCV always encodes uint8 images
        raise RuntimeError("OpenCV failed to encode a JPEG image")
    return bytes(buf.tobytes())


@dataclass(frozen=True)
class _Job:
    out: str
    video: str
    class_index: int
    video_index: int
    seed: int
    preset: Preset
    design: Design
    flow_method: str
    flow_bound: float


def _video_rng(seed: int, class_index: int, video_index: int) -> np.random.Generator:
    return np.random.default_rng([seed, 1, class_index, video_index])


def _run_job(job: _Job) -> None:
    apps, mots, app, mot = _codebooks(job.preset.n_classes, job.design)
    rng = _video_rng(job.seed, job.class_index, job.video_index)
    frames = render_video(
        apps[app[job.class_index]], mots[mot[job.class_index]], preset=job.preset, rng=rng
    )
    flow = compute_flow(frames, method=job.flow_method)
    u = quantize_flow(flow[..., 0], bound=job.flow_bound)
    v = quantize_flow(flow[..., 1], bound=job.flow_bound)
    root = Path(job.out)
    for t, img in enumerate(frames, start=1):
        atomic_write_bytes(root / RGB_DIR / job.video / f"img_{t:05d}.jpg", _encode_jpeg(img))
    for t in range(u.shape[0]):
        name = f"{t + 1:05d}.jpg"
        atomic_write_bytes(root / FLOW_X_DIR / job.video / f"flow_x_{name}", _encode_jpeg(u[t]))
        atomic_write_bytes(root / FLOW_Y_DIR / job.video / f"flow_y_{name}", _encode_jpeg(v[t]))


def _init_worker() -> None:  # pragma: no cover - runs in worker processes
    import cv2

    cv2.setNumThreads(1)


def _video_name(layout: Layout, cls: str, i: int) -> str:
    if layout == "ucf101":
        return f"v_{cls}_g{i // 4 + 1:02d}_c{i % 4 + 1:02d}"
    return f"{cls}_v{i:03d}"


def _split_tags(preset: Preset, seed: int, split: int, class_index: int) -> npt.NDArray[np.int64]:
    """HMDB51 tags (1 train, 2 test, 0 unused) of one class's videos in one split."""
    rng = np.random.default_rng([seed, 2, split, class_index])
    perm = rng.permutation(preset.videos_per_class)
    tags = np.zeros(preset.videos_per_class, dtype=np.int64)
    tags[perm[: preset.n_test]] = 2
    tags[perm[preset.n_test : preset.n_test + preset.n_train]] = 1
    return tags


def _write_splits(out: Path, preset: Preset, seed: int, layout: Layout, names: list[str]) -> None:
    sdir = out / SPLIT_DIR
    if layout == "ucf101":
        atomic_write_text(
            sdir / "classInd.txt", "".join(f"{c + 1} {n}\n" for c, n in enumerate(names))
        )
    for k in range(1, preset.n_splits + 1):
        train: list[str] = []
        test: list[str] = []
        for c, cls in enumerate(names):
            tags = _split_tags(preset, seed, k, c)
            vids = [_video_name(layout, cls, i) for i in range(preset.videos_per_class)]
            if layout == "hmdb51":
                text = "".join(f"{v}.avi {int(t)} \n" for v, t in zip(vids, tags, strict=True))
                atomic_write_text(sdir / f"{cls}_test_split{k}.txt", text)
            else:
                train += [
                    f"{cls}/{v}.avi {c + 1}\n" for v, t in zip(vids, tags, strict=True) if t == 1
                ]
                test += [f"{cls}/{v}.avi\n" for v, t in zip(vids, tags, strict=True) if t == 2]
        if layout == "ucf101":
            atomic_write_text(sdir / f"trainlist{k:02d}.txt", "".join(train))
            atomic_write_text(sdir / f"testlist{k:02d}.txt", "".join(test))


def generate(
    out: str | os.PathLike[str],
    *,
    preset: str | Preset = "tiny",
    seed: int = 0,
    layout: Layout = "hmdb51",
    design: Design = "pairs",
    flow_method: str = "auto",
    flow_bound: float = DEFAULT_BOUND,
    workers: int = 1,
    force: bool = False,
    progress: bool = False,
) -> dict[str, Any]:
    """Generate a synthetic data set into ``out``.

    Parameters
    ----------
    out : path
        Destination folder; it must be empty or absent unless ``force``.
    preset : str or Preset, default "tiny"
        ``"tiny"``, ``"small"``, ``"hmdb51-like"`` or a :class:`Preset`.
    seed : int, default 0
        Everything generated is a deterministic function of the seed.
    layout : {"hmdb51", "ucf101"}, default "hmdb51"
        Format of the split lists and of the video names.
    design : {"pairs", "cycle"}, default "pairs"
        How classes share appearance and motion, see :func:`class_codes`.
    flow_method : {"auto", "tvl1", "farneback"}, default "auto"
        OpenCV optical flow; ``"auto"`` is TV-L1 where ``cv2.optflow`` exists.
    flow_bound : float, default 20
        Flow is clipped to ``[-flow_bound, flow_bound]`` pixels before quantisation.
    workers : int, default 1
        Processes rendering videos in parallel (the output does not depend on it).
    force : bool, default False
        Write into a non-empty folder (files of the same names are replaced).
    progress : bool, default False
        Show a tqdm progress bar.

    Returns
    -------
    dict
        The contents written to ``out/dataset.json``.

    Raises
    ------
    UsageError
        A bad option, or a non-empty ``out`` without ``force``.
    """
    p = PRESETS.get(preset) if isinstance(preset, str) else preset
    if p is None:
        raise UsageError(f"unknown preset {preset!r}, expected one of {', '.join(PRESETS)}")
    if layout not in ("hmdb51", "ucf101"):
        raise UsageError(f"unknown layout {layout!r}, expected 'hmdb51' or 'ucf101'")
    if workers < 1:
        raise UsageError(f"workers must be >= 1, got {workers}")
    if p.n_frames < 2:
        raise UsageError(f"a video needs at least 2 frames, preset has {p.n_frames}")
    method = resolve_method(flow_method)
    names = class_names(p.n_classes, design=design, layout=layout)
    root = Path(out)
    if root.exists() and not root.is_dir():
        raise UsageError(f"{root}: exists and is not a folder")
    if root.is_dir() and any(root.iterdir()) and not force:
        raise UsageError(f"{root}: folder is not empty; pass --force to write into it anyway")
    jobs = [
        _Job(str(root), _video_name(layout, cls, i), c, i, seed, p, design, method, flow_bound)
        for c, cls in enumerate(names)
        for i in range(p.videos_per_class)
    ]
    from tqdm import tqdm

    t0 = time.perf_counter()
    bar = tqdm(total=len(jobs), desc="videos", unit="video", disable=not progress)
    if workers == 1:
        for job in jobs:
            _run_job(job)
            bar.update()
    else:
        import multiprocessing

        with multiprocessing.get_context("spawn").Pool(workers, initializer=_init_worker) as pool:
            for _ in pool.imap_unordered(_run_job, jobs, chunksize=4):
                bar.update()
    bar.close()
    _write_splits(root, p, seed, layout, names)
    apps, mots, app, mot = _codebooks(p.n_classes, design)
    info: dict[str, Any] = {
        "format": DATASET_FORMAT,
        "version": 1,
        "name": f"synthetic-{p.name}",
        "preset": asdict(p),
        "seed": seed,
        "layout": layout,
        "design": design,
        "flow_method": method,
        "flow_bound": flow_bound,
        "rgb_dir": RGB_DIR,
        "flow_x_dir": FLOW_X_DIR,
        "flow_y_dir": FLOW_Y_DIR,
        "split_dir": SPLIT_DIR,
        "classes": [
            {"name": n, "appearance": apps[app[c]].name, "motion": mots[mot[c]].name}
            for c, n in enumerate(names)
        ],
        "n_videos": len(jobs),
        "seconds": round(time.perf_counter() - t0, 3),
    }
    atomic_write_text(root / "dataset.json", json.dumps(info, indent=2) + "\n")
    return info


# --------------------------------------------------------------------------- command line


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``python -m trainers.synthetic``."""
    parser.add_argument("--out", required=True, help="destination folder (empty or absent)")
    parser.add_argument(
        "--preset", default="tiny", choices=sorted(PRESETS), help="size (default tiny)"
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--layout",
        default="hmdb51",
        choices=["hmdb51", "ucf101"],
        help="split-list format (default hmdb51)",
    )
    parser.add_argument(
        "--design",
        default="pairs",
        choices=["pairs", "cycle"],
        help="how classes share appearance and motion (default pairs)",
    )
    parser.add_argument(
        "--flow-method",
        default="auto",
        choices=["auto", "tvl1", "farneback"],
        help="OpenCV optical flow (default auto: TV-L1 if cv2.optflow exists)",
    )
    parser.add_argument(
        "--flow-bound",
        type=float,
        default=DEFAULT_BOUND,
        help="clip flow to +-bound pixels before quantising (default 20)",
    )
    parser.add_argument("--classes", type=int, default=None, help="override the number of classes")
    parser.add_argument("--workers", type=int, default=1, help="parallel processes (default 1)")
    parser.add_argument("--force", action="store_true", help="write into a non-empty folder")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m trainers.synthetic``; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m trainers.synthetic",
        description="Generate a synthetic two-stream video data set (frames, flow, split lists).",
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    import cv2

    cv2.setNumThreads(1)
    try:
        preset = PRESETS[args.preset]
        if args.classes is not None:
            preset = replace(preset, n_classes=args.classes)
        info = generate(
            args.out,
            preset=preset,
            seed=args.seed,
            layout=args.layout,
            design=args.design,
            flow_method=args.flow_method,
            flow_bound=args.flow_bound,
            workers=args.workers,
            force=args.force,
            progress=not args.no_progress,
        )
    except FusionlabError as exc:
        print(f"trainers.synthetic: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    print(
        f"wrote {info['n_videos']} videos of {len(info['classes'])} classes to {args.out} "
        f"({info['layout']} layout, {info['flow_method']} flow) in {info['seconds']:.1f} s"
    )
    return 0


if __name__ == "__main__":
    # Run the canonical module's main, so that worker processes can import the jobs.
    from trainers.synthetic import main as _main

    sys.exit(_main())
