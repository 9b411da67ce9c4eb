"""Frame and flow folders with official split lists; TSN segment sampling.

One reader serves real HMDB51 / UCF101 sets and the synthetic ones of
:mod:`trainers.synthetic`. A data root holds:

* an RGB folder with one sub-folder of JPEG frames per video
  (``rgb/``, ``jpegs_256/``, ``rawframes/`` or ``frames/`` are found
  automatically; ``<class>/<video>/`` nesting is accepted too);
* x and y flow folders with one sub-folder per video (``flow/u`` + ``flow/v``,
  ``tvl1_flow/u`` + ``tvl1_flow/v``, ``flow_x`` + ``flow_y``), or the TSN /
  mmaction2 "rawframes" layout in which ``img_*.jpg``, ``flow_x_*.jpg`` and
  ``flow_y_*.jpg`` share one folder per video;
* split lists in one of the official formats, in ``splits/``,
  ``testTrainMulti_7030_splits/``, ``ucfTrainTestlist/`` or the root:
  HMDB51 ``<class>_test_split<N>.txt`` (lines ``video.avi TAG``, TAG 1 = train,
  2 = test, 0 = unused; classes numbered in sorted name order) or UCF101
  ``classInd.txt`` (``INDEX Class``, 1-based), ``trainlist0N.txt``
  (``Class/video.avi INDEX``) and ``testlist0N.txt`` (``Class/video.avi``).

A video's id is its file name without extension; it names its frame folders
and keys the score files. Frames are taken in sorted file-name order.

TSN sampling (Wang et al., 2016): a video of ``n`` frames has
``P = n - L + 1`` snippet start positions for snippets of length ``L``
(``L = 1`` for RGB). These are cut into ``S`` equal segments; training draws
one random start in every segment, testing takes the centre of every segment.

This module needs numpy and OpenCV (to read JPEGs), not torch.
"""

from __future__ import annotations

import fnmatch
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeAlias

import numpy as np
import numpy.typing as npt

from .errors import DataError, UsageError

__all__ = [
    "RGB_MEAN",
    "RGB_STD",
    "DataLayout",
    "SampleKey",
    "SnippetDataset",
    "Split",
    "TSNBatchSampler",
    "VideoRecord",
    "centre_offsets",
    "find_layout",
    "frame_size",
    "load_videos",
    "random_offsets",
    "read_split",
    "snippet_indices",
    "validation_split",
]

Stream = Literal["rgb", "flow"]
SplitFormat = Literal["auto", "hmdb51", "ucf101"]
#: A frame size: N for N x N pixels, or (height, width).
Size: TypeAlias = int | tuple[int, int]

#: ImageNet statistics, the usual normalisation of RGB input (channel order R, G, B).
RGB_MEAN = (0.485, 0.456, 0.406)
RGB_STD = (0.229, 0.224, 0.225)
#: Flow grey levels g (0..255, 128 = no motion) are fed as (g / 255 - 0.5) / FLOW_STD.
FLOW_STD = 0.226

_RGB_CANDIDATES = ("rgb", "jpegs_256", "rawframes", "frames")
_FLOW_CANDIDATES = (("flow/u", "flow/v"), ("tvl1_flow/u", "tvl1_flow/v"), ("flow_x", "flow_y"))
_SPLIT_CANDIDATES = ("splits", "testTrainMulti_7030_splits", "ucfTrainTestlist", ".")


# --------------------------------------------------------------------------- layout


@dataclass(frozen=True)
class DataLayout:
    """Where the frames, flow and split lists of a data root are.

    Attributes
    ----------
    root : Path
    rgb_dir, flow_x_dir, flow_y_dir : Path
        Folders holding one sub-folder (or ``<class>/<video>``) per video.
    split_dir : Path
    rgb_glob, flow_x_glob, flow_y_glob : str
        File-name patterns of the frames inside a video folder.
    split_format : {"hmdb51", "ucf101"}
    dataset : str
        Name for score files: ``dataset.json``'s ``name`` if present, else the format.
    """

    root: Path
    rgb_dir: Path
    flow_x_dir: Path
    flow_y_dir: Path
    split_dir: Path
    rgb_glob: str
    flow_x_glob: str
    flow_y_glob: str
    split_format: Literal["hmdb51", "ucf101"]
    dataset: str


def _read_info(root: Path) -> dict[str, Any]:
    p = root / "dataset.json"
    if not p.is_file():
        return {}
    try:
        info = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"{p}: unreadable dataset description ({exc})") from None
    return info if isinstance(info, dict) else {}


def _detect_split_format(split_dir: Path) -> Literal["hmdb51", "ucf101"] | None:
    if (split_dir / "classInd.txt").is_file():
        return "ucf101"
    if any(split_dir.glob("*_test_split*.txt")):
        return "hmdb51"
    return None


def find_layout(
    root: str | os.PathLike[str],
    *,
    rgb_dir: str | None = None,
    flow_x_dir: str | None = None,
    flow_y_dir: str | None = None,
    split_dir: str | None = None,
    rgb_glob: str | None = None,
    flow_x_glob: str | None = None,
    flow_y_glob: str | None = None,
    split_format: SplitFormat = "auto",
    dataset: str | None = None,
) -> DataLayout:
    """Find the frame folders and split lists of a data root.

    Every folder option is relative to ``root`` (absolute paths are kept);
    ``None`` means: take it from ``root/dataset.json`` when that exists, else
    try the usual names listed in the module docstring, in that order.

    Parameters
    ----------
    root : path
    rgb_dir, flow_x_dir, flow_y_dir, split_dir : str, optional
    rgb_glob, flow_x_glob, flow_y_glob : str, optional
        Defaults: ``img_*.jpg`` / ``flow_x_*.jpg`` / ``flow_y_*.jpg`` when RGB
        and flow share one folder (rawframes layout), else ``*.jpg``.
    split_format : {"auto", "hmdb51", "ucf101"}, default "auto"
        ``"auto"``: UCF101 when ``classInd.txt`` exists, HMDB51 when
        ``*_test_split*.txt`` files exist.
    dataset : str, optional
        Dataset name written into score files.

    Returns
    -------
    DataLayout

    Raises
    ------
    DataError
        ``root`` is missing, not a folder, unreadable or empty, or no split
        lists are found; the message says what was looked for.
    """
    r = Path(root)
    if not r.exists():
        raise DataError(f"{r}: no such data folder")
    if not r.is_dir():
        raise DataError(
            f"{r}: not a folder, expected a data root with frame folders and split lists"
        )
    try:
        entries = sorted(os.listdir(r))
    except OSError as exc:
        raise DataError(f"{r}: unreadable data folder ({exc.strerror or exc})") from None
    if not entries:
        raise DataError(
            f"{r}: empty data folder, expected frame folders (e.g. rgb/, flow/u/, flow/v/) and "
            "split lists (e.g. splits/)"
        )
    info = _read_info(r)

    def pick(given: str | None, key: str, candidates: Sequence[str]) -> Path | None:
        if given is not None:
            return r / given
        if isinstance(info.get(key), str):
            return r / str(info[key])
        for c in candidates:
            if (r / c).is_dir():
                return r / c
        return None

    rgb = pick(rgb_dir, "rgb_dir", _RGB_CANDIDATES)
    fx = pick(flow_x_dir, "flow_x_dir", [c[0] for c in _FLOW_CANDIDATES])
    fy = pick(flow_y_dir, "flow_y_dir", [c[1] for c in _FLOW_CANDIDATES])
    if rgb is None:
        rgb = r / _RGB_CANDIDATES[0]
    shared = False
    if fx is None and fy is None and rgb.is_dir():
        # rawframes layout: flow_x_* and flow_y_* beside img_* in each video folder.
        fx = fy = rgb
        shared = True
    fx = fx if fx is not None else r / _FLOW_CANDIDATES[0][0]
    fy = fy if fy is not None else r / _FLOW_CANDIDATES[0][1]
    shared = shared or fx == rgb
    sd = pick(split_dir, "split_dir", _SPLIT_CANDIDATES[:-1])
    fmt: Literal["hmdb51", "ucf101"] | None
    if sd is None:
        sd = r
    if split_format == "auto":
        fmt = _detect_split_format(sd)
        if fmt is None:
            tried = ", ".join(f"{c}/" for c in _SPLIT_CANDIDATES[:-1])
            raise DataError(
                f"{sd}: no split lists found (looked for HMDB51 '*_test_split<N>.txt' or UCF101 "
                f"'classInd.txt' in {tried} and the data root); pass --split-dir"
            )
    elif split_format in ("hmdb51", "ucf101"):
        fmt = split_format
    else:
        raise UsageError(f"unknown split format {split_format!r}, expected auto, hmdb51 or ucf101")
    name = dataset or (str(info["name"]) if isinstance(info.get("name"), str) else fmt)
    return DataLayout(
        root=r,
        rgb_dir=rgb,
        flow_x_dir=fx,
        flow_y_dir=fy,
        split_dir=sd,
        rgb_glob=rgb_glob or ("img_*.jpg" if shared else "*.jpg"),
        flow_x_glob=flow_x_glob or ("flow_x_*.jpg" if shared else "*.jpg"),
        flow_y_glob=flow_y_glob or ("flow_y_*.jpg" if shared else "*.jpg"),
        split_format=fmt,
        dataset=name,
    )


# --------------------------------------------------------------------------- split lists


@dataclass(frozen=True)
class Split:
    """One official split: class names and the (video id, label) lists.

    Attributes
    ----------
    class_names : list of str
        In label order.
    train, test : list of (str, str, int)
        ``(video_id, class_name, label)`` in list order.
    """

    class_names: list[str]
    train: list[tuple[str, str, int]]
    test: list[tuple[str, str, int]]


def _lines(path: Path) -> list[tuple[int, str]]:
    if not path.is_file():
        raise DataError(f"{path}: split list not found")
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise DataError(f"{path}: unreadable split list ({exc.strerror or exc})") from None
    return [(i, ln.strip()) for i, ln in enumerate(text.splitlines(), start=1) if ln.strip()]


def _stem(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return base.rsplit(".", 1)[0] if "." in base else base


def _read_hmdb51(split_dir: Path, split: int) -> Split:
    suffix = f"_test_split{split}.txt"
    files = sorted(p for p in split_dir.glob(f"*{suffix}") if p.is_file())
    if not files:
        raise DataError(f"{split_dir}: no HMDB51 split lists '<class>{suffix}' for split {split}")
    names = [p.name[: -len(suffix)] for p in files]
    train: list[tuple[str, str, int]] = []
    test: list[tuple[str, str, int]] = []
    for label, (cls, path) in enumerate(zip(names, files, strict=True)):
        for lineno, line in _lines(path):
            parts = line.split()
            if len(parts) != 2 or parts[1] not in ("0", "1", "2"):
                raise DataError(
                    f"{path}:{lineno}: expected 'VIDEO.avi TAG' with TAG 0, 1 or 2, got {line!r}"
                )
            vid = _stem(parts[0])
            if parts[1] == "1":
                train.append((vid, cls, label))
            elif parts[1] == "2":
                test.append((vid, cls, label))
    return Split(class_names=names, train=train, test=test)


def _read_ucf101(split_dir: Path, split: int) -> Split:
    ind = split_dir / "classInd.txt"
    index: dict[int, str] = {}
    for lineno, line in _lines(ind):
        parts = line.split()
        if len(parts) != 2 or not parts[0].isdigit():
            raise DataError(f"{ind}:{lineno}: expected 'INDEX ClassName', got {line!r}")
        index[int(parts[0])] = parts[1]
    if not index:
        raise DataError(f"{ind}: no classes listed")
    if sorted(index) != list(range(1, len(index) + 1)):
        raise DataError(f"{ind}: class indices must be 1..{len(index)} without gaps")
    names = [index[i] for i in range(1, len(index) + 1)]
    by_name = {n: i - 1 for i, n in index.items()}
    by_lower = {n.lower(): i for n, i in by_name.items()}

    def parse(path: Path, with_label: bool) -> list[tuple[str, str, int]]:
        out: list[tuple[str, str, int]] = []
        for lineno, line in _lines(path):
            parts = line.split()
            if len(parts) not in ((2,) if with_label else (1, 2)) or "/" not in parts[0].replace(
                "\\", "/"
            ):
                want = "'Class/video.avi INDEX'" if with_label else "'Class/video.avi'"
                raise DataError(f"{path}:{lineno}: expected {want}, got {line!r}")
            cls = parts[0].replace("\\", "/").split("/")[0]
            if len(parts) == 2:
                if not parts[1].isdigit() or int(parts[1]) not in index:
                    raise DataError(
                        f"{path}:{lineno}: class index {parts[1]!r} is not in {ind.name} "
                        f"(1..{len(index)})"
                    )
                label = int(parts[1]) - 1
            else:
                found = by_name.get(cls, by_lower.get(cls.lower()))
                if found is None:
                    raise DataError(f"{path}:{lineno}: class {cls!r} is not in {ind.name}")
                label = found
            out.append((_stem(parts[0]), cls, label))
        return out

    train = parse(split_dir / f"trainlist{split:02d}.txt", True)
    test = parse(split_dir / f"testlist{split:02d}.txt", False)
    return Split(class_names=names, train=train, test=test)


def read_split(layout: DataLayout, split: int) -> Split:
    """Read split ``split`` (1-based) from the official lists.

    Raises
    ------
    DataError
        A list is missing or has a malformed line (the file and line are named),
        a video is listed twice, or the split has no training or no test video.
    """
    if split < 1:
        raise UsageError(f"split must be >= 1, got {split}")
    if layout.split_format == "hmdb51":
        s = _read_hmdb51(layout.split_dir, split)
    else:
        s = _read_ucf101(layout.split_dir, split)
    for subset, rows in (("training", s.train), ("test", s.test)):
        if not rows:
            raise DataError(f"{layout.split_dir}: split {split} lists no {subset} video")
    seen: set[str] = set()
    for vid, _, _ in s.train + s.test:
        if vid in seen:
            raise DataError(f"{layout.split_dir}: video {vid!r} is listed twice in split {split}")
        seen.add(vid)
    return s


# --------------------------------------------------------------------------- videos


@dataclass(frozen=True)
class VideoRecord:
    """One video: its id, label and frame files.

    Attributes
    ----------
    video_id : str
    label : int
    rgb : tuple of str
        Paths of the RGB frames in time order (empty when not loaded).
    flow_x, flow_y : tuple of str
        Paths of the x / y flow frames in time order (empty when not loaded).
    """

    video_id: str
    label: int
    rgb: tuple[str, ...] = ()
    flow_x: tuple[str, ...] = ()
    flow_y: tuple[str, ...] = ()

    def n_frames(self, stream: Stream) -> int:
        """Frames usable by ``stream`` (for flow, the shorter of x and y)."""
        if stream == "rgb":
            return len(self.rgb)
        return min(len(self.flow_x), len(self.flow_y))


class _FolderIndex:
    """Finds ``<dir>/<video>`` or ``<dir>/<class>/<video>`` (case-insensitive fallback)."""

    def __init__(self, base: Path, what: str) -> None:
        if not base.is_dir():
            raise DataError(
                f"{base}: {what} folder not found (expected one sub-folder of JPEG frames per "
                "video); pass its path with the matching --*-dir option"
            )
        try:
            names = os.listdir(base)
        except OSError as exc:
            raise DataError(f"{base}: unreadable {what} folder ({exc.strerror or exc})") from None
        if not names:
            raise DataError(f"{base}: empty {what} folder, expected one sub-folder per video")
        self.base = base
        self.names = set(names)
        self.lower = {n.lower(): n for n in names}

    def find(self, video: str, cls: str) -> Path | None:
        for name in (video, self.lower.get(video.lower())):
            if name is not None and name in self.names:
                return self.base / name
        for c in (cls, self.lower.get(cls.lower())):
            if c is not None and c in self.names and (self.base / c / video).is_dir():
                return self.base / c / video
        return None


def _list_frames(folder: Path, pattern: str) -> tuple[str, ...]:
    try:
        files = sorted(f for f in os.listdir(folder) if fnmatch.fnmatch(f, pattern))
    except OSError as exc:
        raise DataError(f"{folder}: unreadable frame folder ({exc.strerror or exc})") from None
    return tuple(str(folder / f) for f in files)


def load_videos(
    layout: DataLayout,
    rows: Sequence[tuple[str, str, int]],
    *,
    stream: Stream,
    min_frames: int = 1,
) -> list[VideoRecord]:
    """Find the frame files of every listed video for ``stream``.

    Parameters
    ----------
    layout : DataLayout
    rows : sequence of (video_id, class_name, label)
        As in :class:`Split`.
    stream : {"rgb", "flow"}
    min_frames : int, default 1
        Videos with fewer frames are an error.

    Returns
    -------
    list of VideoRecord
        In the order of ``rows``.

    Raises
    ------
    DataError
        A frame folder is missing or holds no matching frame; the message
        names the folder, says how many videos are affected and gives one
        example.
    """
    if stream == "rgb":
        dirs = [("rgb", layout.rgb_dir, layout.rgb_glob)]
    elif stream == "flow":
        dirs = [
            ("x flow", layout.flow_x_dir, layout.flow_x_glob),
            ("y flow", layout.flow_y_dir, layout.flow_y_glob),
        ]
    else:
        raise UsageError(f"unknown stream {stream!r}, expected 'rgb' or 'flow'")
    found: list[list[tuple[str, ...]]] = []
    for what, base, pattern in dirs:
        index = _FolderIndex(base, what)
        frames: list[tuple[str, ...]] = []
        missing: list[str] = []
        short: list[str] = []
        for vid, cls, _ in rows:
            folder = index.find(vid, cls)
            if folder is None:
                missing.append(vid)
                frames.append(())
                continue
            files = _list_frames(folder, pattern)
            if len(files) < min_frames:
                short.append(str(folder))
            frames.append(files)
        if missing:
            raise DataError(
                f"{base}: no {what} frame folder for {len(missing)} of {len(rows)} listed videos "
                f"(e.g. {missing[0]!r}; expected {base / missing[0]}/ with {pattern!r} files)"
            )
        if short:
            raise DataError(
                f"{short[0]}: fewer than {min_frames} {what} frames matching {pattern!r} "
                f"({len(short)} of {len(rows)} videos affected)"
            )
        found.append(frames)
    out = []
    for i, (vid, _, label) in enumerate(rows):
        if stream == "rgb":
            out.append(VideoRecord(vid, label, rgb=found[0][i]))
        else:
            out.append(VideoRecord(vid, label, flow_x=found[0][i], flow_y=found[1][i]))
    return out


def frame_size(video: VideoRecord, *, stream: Stream) -> tuple[int, int]:
    """Height and width of the first frame of ``video`` for ``stream``.

    Parameters
    ----------
    video : VideoRecord
    stream : {"rgb", "flow"}
        For flow, the first x-flow frame.

    Returns
    -------
    (height, width) : tuple of int

    Raises
    ------
    DataError
        The video has no frame for ``stream``, or its first frame is unreadable.
    """
    frames = video.rgb if stream == "rgb" else video.flow_x
    if not frames:
        raise DataError(f"video {video.video_id!r}: no {stream} frames")
    import cv2

    img = cv2.imread(frames[0], cv2.IMREAD_COLOR if stream == "rgb" else cv2.IMREAD_GRAYSCALE)
    if img is None:
        raise DataError(f"{frames[0]}: missing or unreadable image")
    return int(img.shape[0]), int(img.shape[1])


def validation_split(
    labels: npt.ArrayLike, *, fraction: float, seed: int = 0
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Carve a stratified validation subset out of a training list.

    Parameters
    ----------
    labels : array-like of shape (n_videos,), int
    fraction : float in [0, 1)
        Share of every class moved to validation: ``round(fraction * n_c)``
        videos, at least 1 (when ``fraction > 0`` and the class has two or more
        videos) and at most ``n_c - 1``.
    seed : int, default 0

    Returns
    -------
    train_index, val_index : ndarray of int
        Sorted positions into ``labels``.

    Examples
    --------
    >>> tr, va = validation_split([0, 0, 0, 0, 1, 1, 1, 1], fraction=0.25, seed=0)
    >>> len(tr), len(va)
    (6, 2)
    """
    y = np.asarray(labels, dtype=np.int64)
    if not 0.0 <= fraction < 1.0:
        raise UsageError(f"validation fraction must be in [0, 1), got {fraction}")
    rng = np.random.default_rng([seed, 4])
    val: list[int] = []
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        k = round(fraction * idx.size)
        if fraction > 0 and idx.size >= 2:
            k = min(max(k, 1), idx.size - 1)
        else:
            k = 0
        val.extend(int(i) for i in rng.permutation(idx)[:k])
    val_idx = np.array(sorted(val), dtype=np.intp)
    train_idx = np.setdiff1d(np.arange(y.size), val_idx).astype(np.intp)
    return train_idx, val_idx


# --------------------------------------------------------------------------- TSN sampling


def random_offsets(
    n_frames: int, *, n_segments: int, length: int, rng: np.random.Generator
) -> npt.NDArray[np.int64]:
    """Snippet starts for training: one random start in each of ``n_segments`` segments.

    Parameters
    ----------
    n_frames : int
        Frames of the video (for flow: flow frames).
    n_segments : int
    length : int
        Frames per snippet (1 for RGB, L for flow).
    rng : numpy.random.Generator

    Returns
    -------
    ndarray of shape (n_segments,), int64
        Start frames (0-based), non-decreasing; 0 where the video is too short.
    """
    positions = n_frames - length + 1
    avg = positions // n_segments
    if avg > 0:
        return np.arange(n_segments, dtype=np.int64) * avg + rng.integers(0, avg, size=n_segments)
    if positions > n_segments:
        return np.sort(rng.integers(0, positions, size=n_segments)).astype(np.int64)
    return np.zeros(n_segments, dtype=np.int64)


def centre_offsets(n_frames: int, *, n_segments: int, length: int) -> npt.NDArray[np.int64]:
    """Snippet starts for testing: the centre of each of ``n_segments`` segments.

    Returns
    -------
    ndarray of shape (n_segments,), int64

    Examples
    --------
    >>> centre_offsets(24, n_segments=3, length=1).tolist()
    [4, 12, 20]
    >>> centre_offsets(23, n_segments=3, length=10).tolist()
    [2, 7, 11]
    """
    positions = max(1, n_frames - length + 1)
    tick = positions / n_segments
    return np.array([int(tick / 2.0 + tick * s) for s in range(n_segments)], dtype=np.int64)


def snippet_indices(offset: int, *, length: int, n_frames: int) -> npt.NDArray[np.int64]:
    """Frame indices ``offset .. offset + length - 1``, clamped to the last frame.

    Examples
    --------
    >>> snippet_indices(3, length=4, n_frames=5).tolist()
    [3, 4, 4, 4]
    """
    idx = np.arange(offset, offset + length, dtype=np.int64)
    return np.minimum(idx, max(0, n_frames - 1))


#: What a sampler hands to the dataset: (video position, snippet starts (S,),
#: crop position as fractions (y, x) in [0, 1], horizontal flip).
SampleKey = tuple[int, tuple[int, ...], tuple[float, float], bool]


class TSNBatchSampler:
    """Batches of :data:`SampleKey` for a :class:`SnippetDataset`.

    All randomness (video order, snippet starts, crop positions, flips) is
    drawn here, in the main process, from ``numpy.random.default_rng([seed,
    3, epoch])``: an epoch's batches are a pure function of ``(seed, epoch)``,
    whatever the number of loader workers, and resuming at an epoch repeats
    them exactly.

    Parameters
    ----------
    n_frames : sequence of int
        Frames of every video for the stream.
    n_segments : int
    length : int
        Snippet length (1 for RGB, L for flow).
    batch_size : int
        Videos per batch.
    train : bool
        Random order, random snippet in each segment, random crop and flip;
        otherwise list order, centre snippets, centre crop.
    seed : int, default 0
    flip : bool, default False
        Random horizontal flips in training.
    """

    def __init__(
        self,
        n_frames: Sequence[int],
        *,
        n_segments: int,
        length: int,
        batch_size: int,
        train: bool,
        seed: int = 0,
        flip: bool = False,
    ) -> None:
        if batch_size < 1 or n_segments < 1 or length < 1:
            raise UsageError(
                f"batch size, segments and snippet length must be >= 1, got {batch_size}, "
                f"{n_segments}, {length}"
            )
        self.n_frames = [int(n) for n in n_frames]
        self.n_segments = n_segments
        self.length = length
        self.batch_size = batch_size
        self.train = train
        self.seed = seed
        self.flip = flip
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Select the epoch whose batches ``__iter__`` yields."""
        self.epoch = epoch

    def state_dict(self) -> dict[str, int]:
        """Everything needed to repeat the current epoch."""
        return {"seed": self.seed, "epoch": self.epoch}

    def load_state_dict(self, state: dict[str, int]) -> None:
        self.seed = int(state["seed"])
        self.epoch = int(state["epoch"])

    def keys(self) -> list[SampleKey]:
        """The epoch's sample keys in order (all batches concatenated)."""
        n = len(self.n_frames)
        if not self.train:
            return [
                (
                    i,
                    tuple(
                        int(o)
                        for o in centre_offsets(
                            self.n_frames[i], n_segments=self.n_segments, length=self.length
                        )
                    ),
                    (0.5, 0.5),
                    False,
                )
                for i in range(n)
            ]
        rng = np.random.default_rng([self.seed, 3, self.epoch])
        order = rng.permutation(n)
        out: list[SampleKey] = []
        for i in order:
            offs = random_offsets(
                self.n_frames[int(i)], n_segments=self.n_segments, length=self.length, rng=rng
            )
            cy, cx = (float(v) for v in rng.random(2))
            flip = bool(rng.random() < 0.5) if self.flip else False
            out.append((int(i), tuple(int(o) for o in offs), (cy, cx), flip))
        return out

    def __iter__(self) -> Any:
        keys = self.keys()
        for start in range(0, len(keys), self.batch_size):
            yield keys[start : start + self.batch_size]

    def __len__(self) -> int:
        return -(-len(self.n_frames) // self.batch_size)


class SnippetDataset:
    """Reads the snippets of a :data:`SampleKey` as one float32 array.

    Parameters
    ----------
    videos : sequence of VideoRecord
    stream : {"rgb", "flow"}
    length : int, default 1
        Flow frames per snippet (L); RGB snippets are always one frame.
    resize : int or (int, int), optional
        Resize every frame to ``resize x resize`` pixels, or to ``(height,
        width)``, first (frames of that size are left alone). None reads
        frames as they are, so frames of different sizes cannot be batched.
    crop : int, optional
        Crop ``crop x crop`` pixels at the key's crop position (random in
        training, centre in testing); None keeps the whole frame.

    Notes
    -----
    ``dataset[key]`` returns ``(x, label)`` where ``x`` has shape
    ``(n_segments, channels, height, width)``, float32: channels are R, G, B
    normalised with ImageNet statistics for RGB, and ``2 L`` interleaved flow
    frames ``x_1, y_1, ..., x_L, y_L`` scaled to about ``[-2.2, 2.2]`` for flow.
    A horizontal flip of flow also inverts the x components.
    """

    def __init__(
        self,
        videos: Sequence[VideoRecord],
        *,
        stream: Stream,
        length: int = 1,
        resize: Size | None = None,
        crop: int | None = None,
    ) -> None:
        if stream not in ("rgb", "flow"):
            raise UsageError(f"unknown stream {stream!r}, expected 'rgb' or 'flow'")
        self.videos = list(videos)
        self.stream: Stream = stream
        self.length = 1 if stream == "rgb" else length
        self.resize: tuple[int, int] | None = (
            None if resize is None else (resize, resize) if isinstance(resize, int) else resize
        )
        self.crop = crop

    def __len__(self) -> int:
        return len(self.videos)

    @property
    def channels(self) -> int:
        """Input channels: 3 for RGB, ``2 L`` for flow."""
        return 3 if self.stream == "rgb" else 2 * self.length

    def _read(self, path: str, colour: bool) -> npt.NDArray[np.uint8]:
        import cv2

        img = cv2.imread(path, cv2.IMREAD_COLOR if colour else cv2.IMREAD_GRAYSCALE)
        if img is None:
            raise DataError(f"{path}: missing or unreadable image")
        if self.resize is not None and img.shape[:2] != self.resize:
            h, w = self.resize
            img = cv2.resize(img, (w, h), interpolation=cv2.INTER_LINEAR)
        if colour:
            img = img[..., ::-1]  # BGR -> RGB
        return np.asarray(img, dtype=np.uint8)

    def _crop_flip(
        self, x: npt.NDArray[np.float32], pos: tuple[float, float], flip: bool
    ) -> npt.NDArray[np.float32]:
        h, w = x.shape[-2:]
        if self.crop is not None:
            c = self.crop
            if c > h or c > w:
                raise UsageError(f"crop {c} is larger than the frames ({h}x{w}); use --resize")
            y0 = min(int(pos[0] * (h - c + 1)), h - c)
            x0 = min(int(pos[1] * (w - c + 1)), w - c)
            x = x[..., y0 : y0 + c, x0 : x0 + c]
        if flip:
            x = x[..., ::-1]
            if self.stream == "flow":
                x = x.copy()
                x[:, 0::2] = -x[:, 0::2]  # x components change sign
        return np.ascontiguousarray(x)

    def snippet(self, video: VideoRecord, offset: int) -> npt.NDArray[np.float32]:
        """One snippet as an array of shape (channels, height, width), float32, normalised."""
        n = video.n_frames(self.stream)
        idx = snippet_indices(offset, length=self.length, n_frames=n)
        if self.stream == "rgb":
            img = self._read(video.rgb[int(idx[0])], True).astype(np.float32) / 255.0
            mean = np.asarray(RGB_MEAN, dtype=np.float32)
            std = np.asarray(RGB_STD, dtype=np.float32)
            return np.ascontiguousarray(((img - mean) / std).transpose(2, 0, 1))
        planes = []
        for t in idx:
            planes.append(self._read(video.flow_x[int(t)], False))
            planes.append(self._read(video.flow_y[int(t)], False))
        arr = np.stack(planes).astype(np.float32) / 255.0
        return (arr - np.float32(0.5)) / np.float32(FLOW_STD)

    def __getitem__(self, key: SampleKey) -> tuple[npt.NDArray[np.float32], int]:
        i, offsets, pos, flip = key
        video = self.videos[i]
        x = np.stack([self.snippet(video, o) for o in offsets])
        return self._crop_flip(x, pos, flip), video.label
