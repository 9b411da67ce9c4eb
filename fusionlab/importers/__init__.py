"""Import other tools' score files into format version 1.

``fusionlab import --from SOURCE INPUT -o OUT.npz --stream S`` (or
:func:`import_scores` from Python) reads one of these and writes a score file
through :func:`fusionlab.scores.save`, so that the written file is validated
exactly like any other:

``tsn``
    ``--save_scores`` files of TSN (``yjxiong/temporal-segment-networks``
    ``tools/eval_net.py``) and tsn-pytorch (``test_models.py``): an ``.npz``
    whose ``scores`` member is an object array with one ``(scores, label)`` row
    per video and whose ``labels`` member holds the labels. Each video's array
    has shape ``(segments, crops, classes)`` (TSN: 25 frames x 10 crops;
    tsn-pytorch: ``(test_segments, 1, classes)`` with crops already averaged),
    ``(segments, classes)`` or ``(classes,)``. **Crops are averaged** (the
    arithmetic mean of the stored values, as TSN's ``eval_scores.py`` does by
    default); segments are kept as the segment axis. The scores are the raw
    ``fc-action`` outputs, i.e. logits. A plain numeric ``scores`` array of shape
    ``(N, S, crops, C)``, ``(N, S, C)`` or ``(N, C)`` is accepted as well.

    **Names.** Some tools' test scripts also save the video of every row: a
    member ``names``, ``video_names``, ``video_ids`` or ``ids``
    (:data:`TSN_NAME_MEMBERS`; at most one of them), an array of ``N`` strings
    (str, UTF-8 bytes, or an object array of either). Those names are then
    the ids (through :func:`normalize_video_id`; two names giving one id are an
    error), and a ``--split-list``, which is optional, is matched to them *by
    name*: both must hold the same videos (a difference is reported with the
    count on each side and the first odd ids), and where both give a label
    they must agree for every video. Row order then does not matter.

    **No names.** Original TSN and tsn-pytorch save none, and then
    ``--split-list`` (the test list given to the tool) is required and the
    rows are matched to it *by position*: tsn-pytorch writes rows in the
    *sorted* order of the list's first column (the default,
    ``row_order="sorted"``); Caffe TSN writes them in list order
    (``row_order="list"``). The file's labels are cross-checked row by row,
    which catches a wrong order but not two videos of one class swapped, so
    ``fusionlab import`` says on its summary line that rows were matched by
    position (``meta["row_match"]`` is ``"position"``).
``mmaction2``
    ``tools/test.py --dump results.pkl`` of MMAction2 1.x: a pickle of a list of
    per-sample dicts with ``pred_score`` (or 1.0rc's ``pred_scores`` ->
    ``item``) and ``gt_label`` (or ``gt_labels`` -> ``item``), which are torch
    tensors; and ``--out results.pkl`` of MMAction2 0.x: a pickled list of
    score arrays. A score of shape ``(C,)`` is one segment; ``(S, C)`` (from
    ``average_clips=None``) keeps S clips as segments. Rows are in the order
    of the annotation file, which ``--split-list`` must give (``path label`` or
    ``frame_dir total_frames label`` lines); its labels are checked against
    ``gt_label``. When every sample dict names its video (``filename`` or
    ``frame_dir``), rows are matched to the list by name instead, as for TSN
    files with names (the split list is then optional). ``average_clips='prob'``
    dumps hold probabilities, ``'score'`` logits: leave ``kind`` unset to infer it.
    **Per-view dumps** (``model.cls_head.average_clips=None``): ``pred_score``
    of shape ``(num_clips * num_crops, C)``, or flattened to ``(num_clips *
    num_crops * C,)``, stacked crop-major (``FormatShape``); with ``--views
    CLIPSxCROPS`` (or a ``num_clips`` in every sample) they become
    ``meta["views"]``, clip-major, ThreeCrop's left/centre/right reordered to
    centre, left, right (:mod:`~fusionlab.importers.views`).
``slowfast``, ``videomae``, ``pyskl``, ``ctrgcn``
    PySlowFast ``TEST.SAVE_RESULTS_PATH`` pickles, VideoMAE ``final_test``
    rank files (``{rank}.txt``), pyskl ``--out result.pkl`` with its annotation
    file, and CTR-GCN / 2s-AGCN ``epoch1_test_score.pkl`` with ``val_label.pkl``
    or the NTU ``.npz``; each module's docstring shows the upstream command.
``twostream``
    Video-level pickles of two-stream repositories (e.g.
    ``jeffreyyihuang/two-stream-action-recognition``
    ``record/spatial/spatial_video_preds.pickle``): a dict from video name
    (``"ApplyEyeMakeup_g01_c01"``) to a class-score vector ``(C,)`` or
    ``(S, C)``. Labels come from ``--split-list`` (UCF101
    ``testlist01.txt``: ``ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01.avi``) and
    ``--class-index`` (``classInd.txt``: ``1 ApplyEyeMakeup``); without a split
    list, from the class name in a UCF101-style name (``<Class>_gNN_cNN``)
    when a class index is given (the ids are then the pickle's names, without
    UCF101's ``v_``, and do not align with other tools' ids: pass the split
    list). Note that these tools sum per-frame logits, which is a logit scaled
    by the number of frames.
``csv``
    One row per video, or per video and segment. Columns (names matched
    case-insensitively; exactly one video-id column, at most one of the others):

    - video id: ``video_id``, ``video``, ``video_name``, ``id``, ``name``,
      ``vid``, ``filename``, ``path``;
    - label (optional): ``label``, ``gt_label``, ``target``, ``class_id``,
      ``true_label``, ``y``; an integer (``-1`` or empty = unknown) or a
      class name;
    - segment (optional): ``segment``, ``segment_id``, ``seg``, ``clip``,
      ``clip_id``, ``view``; the segment *number*, which is the video's slot
      on the segment axis (so segment 2 of one video lines up with segment 2
      of every other video). Numbering starts at 0 or 1: the smallest number
      in the file is taken as the first segment (a file whose numbers start
      anywhere else is refused), recorded as ``meta["segment_base"]``. The
      number of segments is the largest segment index + 1 over the file;
      a video's missing segments are False in ``segment_mask`` (and hold 0).
      A (video, segment) pair given twice is an error;
    - every other column is a class score, in class order; its header is the
      class name. Headers ``0``, ``1``, ... or ``score_0``, ``class_1``, ...
      (``score``/``class``/``prob``/``logit`` and a 0-based class number in
      ASCII digits) mean "class number" rather than a name. With ``--class-index`` the score
      columns are matched to the index by name and reordered.

    The file must be UTF-8 (a BOM is allowed), comma-separated (tab-separated
    when the name ends in ``.tsv``).

Video ids
---------
Every name, from every importer and from split lists alike, is normalised by
:func:`normalize_video_id`, so the same video gets the same id from every tool:

- the last path component (``/`` or ``\\``) without a video-file extension, so
  that ``ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01.avi``,
  ``/data/ucf101/frames/v_ApplyEyeMakeup_g01_c01`` and
  ``v_ApplyEyeMakeup_g01_c01.mp4`` all become ``v_ApplyEyeMakeup_g01_c01``;
- **class folder rule**: when that component holds no letter (``100``,
  ``00042``), it names no video on its own and the folder above it is kept,
  joined by ``/``: ``brush_hair/100.avi`` and ``/data/hmdb51/brush_hair/100``
  both become ``brush_hair/100`` (score files accept ``/`` in ids);
- **punctuation rule**: whitespace and the ASCII punctuation characters
  ``! " # $ % & ' ( ) * + , : ; < = > ? @ [ ] ^ ` { | } ~`` (all but ``_ - .``
  and the path separators) become ``_``, one character for one, so
  ``Boom_Snap_Clap!_clap_u_nm_np1_fr_goo_0`` and
  ``Boom_Snap_Clap__clap_u_nm_np1_fr_goo_0`` are one id. Case is kept.

Two names in one file (split-list lines, TSN names, pickle keys, MMAction2 file
names) that give the same id are an error naming both; CSV rows of one id are
that video's segments.
When names from the input are matched against a split list, a name that is not
found exactly is looked up case-insensitively and with a ``v_`` prefix added
(two-stream tools drop UCF101's ``v_`` and spell ``HandStandPushups`` as
``HandstandPushups``), and an id with a class folder (``frames/12345``) is
matched to a list id without one (``12345``) or the reverse, where that is
unambiguous (two different folders never match); the split list's id is
written. So the same video imported from two tools with the same split list
gets the same id. Rows are matched to a split list by name wherever the input
names its videos (two-stream pickles, CSV, TSN files with a names member,
MMAction2 dumps with file names), and by position only where it does not.

Split lists and class indexes
-----------------------------
A split list has one video per line: ``path`` (label from the first folder of
the path through ``--class-index``, UCF101 testlists), ``path label`` (UCF101
trainlists, MMAction2 video lists) or ``path num_frames label`` (TSN and
MMAction2 rawframe lists). Numeric labels are 0-based unless ``label_base=1``
(``--label-base 1``, UCF101 trainlists). A class index has either
``number name`` lines (``classInd.txt``; numbering from 0 or 1, detected) or one
name per line (MMAction2 / Kinetics label maps). Numbers everywhere (labels,
class and segment numbers) are ASCII digits ``0-9`` with an optional sign;
other Unicode digits (``²``, ``٣``) are not numbers.

Pickles
-------
``tsn``, ``mmaction2``, ``twostream``, ``slowfast``, ``pyskl`` and ``ctrgcn``
inputs are pickles (TSN's npz holds a pickled object array; pyskl's annotation
file and 2s-AGCN's label file may be pickles too). Loading a pickle can run
arbitrary code, so these are refused unless ``allow_pickle=True``
(``--allow-pickle``), and even then they are read by a restricted unpickler
(:mod:`fusionlab.importers._unpickle`) that admits only NumPy arrays, dtypes
and scalars, plain containers, and PyTorch CPU tensors, which it decodes itself
without importing torch. Anything else stops the import with an error naming
the refused global. ``np.load(..., allow_pickle=True)`` and ``pickle.load`` are
never used.

Every input file must be at most ``max_bytes`` bytes (default 2 GiB,
``--max-bytes``), and so must the score array a CSV with sparse segment
numbers expands to. The output must be a file path: ``-`` (standard output)
is refused, as is an existing path that is not a regular file. Every error is
a :class:`~fusionlab.errors.ScoreFileError` or
:class:`~fusionlab.errors.UsageError` with a one-line, printable message, and
nothing is written when the import fails.

Modules
-------
:mod:`~fusionlab.importers.ids` (:func:`normalize_video_id`),
:mod:`~fusionlab.importers.lists` (split lists, class indexes, name matching),
:mod:`~fusionlab.importers.raw` (:class:`RawScores`, :func:`infer_kind`, array decoding),
one reader per source (:mod:`~fusionlab.importers.tsn`,
:mod:`~fusionlab.importers.mmaction2`, :mod:`~fusionlab.importers.twostream`,
:mod:`~fusionlab.importers.csv`, :mod:`~fusionlab.importers.slowfast`,
:mod:`~fusionlab.importers.videomae`, :mod:`~fusionlab.importers.pyskl`,
:mod:`~fusionlab.importers.ctrgcn`), :mod:`~fusionlab.importers.views`
(``--views``, clip-major layout), :mod:`~fusionlab.importers.convert`
(:func:`import_scores`) and the restricted unpickler
:mod:`fusionlab.importers._unpickle`. The command line is
:mod:`fusionlab.commands.import_`.
"""

from __future__ import annotations

from ._unpickle import PickleDataError, RefusedPickle, restricted_load
from ._util import DEFAULT_MAX_BYTES, RowOrder
from .convert import SOURCES, Source, import_scores, summary_line
from .csv import read_csv
from .ctrgcn import read_ctrgcn
from .ids import normalize_video_id
from .lists import SplitEntry, read_class_index, read_split_list
from .mmaction2 import read_mmaction2
from .pyskl import read_pyskl
from .raw import RawScores, infer_kind
from .slowfast import read_slowfast
from .tsn import TSN_NAME_MEMBERS, read_tsn
from .twostream import read_twostream
from .videomae import read_videomae
from .views import parse_views

__all__ = [
    "DEFAULT_MAX_BYTES",
    "SOURCES",
    "TSN_NAME_MEMBERS",
    "PickleDataError",
    "RawScores",
    "RefusedPickle",
    "RowOrder",
    "Source",
    "SplitEntry",
    "import_scores",
    "infer_kind",
    "normalize_video_id",
    "parse_views",
    "read_class_index",
    "read_csv",
    "read_ctrgcn",
    "read_mmaction2",
    "read_pyskl",
    "read_slowfast",
    "read_split_list",
    "read_tsn",
    "read_twostream",
    "read_videomae",
    "restricted_load",
    "summary_line",
]
