"""Lightweight PyTorch trainers that write fusionlab score files.

The package trains a spatial (one RGB frame) and a temporal (a stack of L
optical-flow frames) stream with TSN segment sampling, and writes the
per-video, per-segment class scores of every evaluated epoch through
:func:`fusionlab.scores.save`. Modules:

``trainers.synthetic``
    A synthetic video data set (appearance seen by RGB, motion seen by flow),
    written in the on-disk layout of preprocessed HMDB51 / UCF101.
``trainers.opticalflow``
    Optical flow from frames with OpenCV (TV-L1 or Farneback) and the TSN
    JPEG quantisation of flow.
``trainers.data``
    Readers for frame/flow folders and the official split lists; TSN sampling.
``trainers.models``, ``trainers.engine``, ``trainers.train``
    Networks, the model-agnostic training loop, and the ``python -m
    trainers.train`` command.

``import trainers`` imports neither torch nor OpenCV; the modules that need
them import them.
"""

from __future__ import annotations

__all__: list[str] = []
