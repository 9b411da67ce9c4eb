"""Video ids: :func:`normalize_video_id`, applied to every name every importer reads."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from ._util import PathArg, fail, quoted

__all__ = ["fold", "last_component", "normalize_video_id", "normalized_ids", "strip_v"]

_VIDEO_EXTENSIONS = frozenset(
    ".avi .mp4 .mkv .webm .mov .mpg .mpeg .m4v .flv .wmv .3gp .ogv .ogg .gif .skeleton".split()
)
#: What normalize_video_id turns into "_": whitespace and ASCII punctuation but "_-./\\".
_ID_PUNCTUATION = re.compile(r"[\s!\"#$%&'()*+,:;<=>?@\[\]^`{|}~]")


def normalize_video_id(name: str) -> str:
    """The alignment id of a video, from a path, frame folder or name.

    Every importer applies this one function to every name it reads (split-list
    entries, names in score files, pickle keys, CSV cells), so the same video
    gets the same id from every tool.

    Parameters
    ----------
    name : str
        A video path, frame folder or name as another tool writes it.

    Returns
    -------
    str
        The id, built in four steps:

        1. Surrounding whitespace is removed, ``\\`` counts as ``/``, and empty,
           ``.`` and ``..`` path components are dropped.
        2. The last component loses one video extension among ``.avi .mp4 .mkv
           .webm .mov .mpg .mpeg .m4v .flv .wmv .3gp .ogv .ogg .gif`` (any case),
           or NTU RGB+D's ``.skeleton`` (2s-AGCN names ``S001C001P001R001A001.skeleton``
           the sample pyskl calls ``S001C001P001R001A001``).
        3. **Class folder rule**: when that last component holds no letter (no
           character for which ``str.isalpha`` is true: ``100``, ``00042``,
           ``3-1``) it does not name a video on its own, and the folder above it
           is kept: ``brush_hair/100.avi`` becomes ``brush_hair/100``. Otherwise
           only the last component is kept.
        4. **Punctuation rule**: every whitespace character and every ASCII
           punctuation character except ``_ - .`` (that is, any of
           ``! " # $ % & ' ( ) * + , : ; < = > ? @ [ ] ^ ` { | } ~``) becomes
           ``_``, one for one, so ``Boom_Snap_Clap!_clap`` and
           ``Boom_Snap_Clap__clap`` are one id. ``/`` is kept (step 3's joiner).

        Nothing else changes: case and a ``v_`` prefix are kept.

    Examples
    --------
    >>> normalize_video_id("ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01.avi")
    'v_ApplyEyeMakeup_g01_c01'
    >>> normalize_video_id("/data/ucf101/frames/v_ApplyEyeMakeup_g01_c01/")
    'v_ApplyEyeMakeup_g01_c01'
    >>> normalize_video_id("abseiling/0wR5jVB-WPk_000417_000427.mp4")
    '0wR5jVB-WPk_000417_000427'
    >>> normalize_video_id("/data/hmdb51/videos/brush_hair/100.avi")
    'brush_hair/100'
    >>> normalize_video_id("clap/Boom_Snap_Clap!_clap_u_nm_np1_fr_goo_0.avi")
    'Boom_Snap_Clap__clap_u_nm_np1_fr_goo_0'
    """
    parts = [p for p in name.strip().replace("\\", "/").split("/") if p not in ("", ".", "..")]
    if not parts:
        return ""
    last = parts[-1]
    stem, dot, ext = last.rpartition(".")
    if dot and stem and f".{ext.lower()}" in _VIDEO_EXTENSIONS:
        last = stem
    if len(parts) > 1 and not any(ch.isalpha() for ch in last):
        last = f"{parts[-2]}/{last}"
    return _ID_PUNCTUATION.sub("_", last)


def last_component(video_id: str) -> str:
    return video_id.rsplit("/", 1)[-1]


def fold(video_id: str) -> str:
    return video_id.casefold()


def strip_v(video_id: str) -> str:
    return video_id[2:] if video_id[:2].casefold() == "v_" else video_id


def normalized_ids(names: Sequence[str], path: PathArg, where: Callable[[int], str]) -> list[str]:
    """``normalize_video_id`` of every name; two names may not give one id.

    ``where(i)`` says where name ``i`` is in the file (for messages).
    """
    ids: list[str] = []
    first: dict[str, int] = {}
    for i, name in enumerate(names):
        vid = normalize_video_id(name)
        if not vid:
            fail(path, f"{where(i)}: empty video name {quoted(name)}")
        if vid in first:
            j = first[vid]
            if names[j] == name:
                fail(path, f"video name {quoted(name)} appears twice ({where(j)} and {where(i)})")
            fail(
                path,
                f"{where(j)} {quoted(names[j])} and {where(i)} {quoted(name)} are both video id "
                f"{quoted(vid)} (ids are normalised: folder and extension dropped, punctuation "
                "made '_'; see normalize_video_id)",
            )
        first[vid] = i
        ids.append(vid)
    return ids
