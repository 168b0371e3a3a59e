"""Fine-tuning the embedder: a real (tiny) tune, its folder, the guard rails, reembed and the CLI errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rag.api import RAG
from rag.bundled_embedder import TUNE_FILE, bundled_model_path
from rag.core.errors import ConfigError, IndexMismatchError
from rag.core.types import Document
from rag.embeddings import create_embedder
from rag.tuning import MIN_PAIRS, TrainingData, TrainingPair, TuneSettings, pairs_from_eval_set, tune_embedder
from rag.tuning.output import check_output
from rag.tuning.trainer import make_batches, split_validation

PLACES = [("France", "Paris"), ("Japan", "Tokyo"), ("Kenya", "Nairobi"), ("Peru", "Lima"), ("Norway", "Oslo"),
          ("Egypt", "Cairo"), ("Chile", "Santiago"), ("Spain", "Madrid"), ("Italy", "Rome"), ("Cuba", "Havana"),
          ("Ghana", "Accra"), ("Iran", "Tehran"), ("Iraq", "Baghdad"), ("Laos", "Vientiane"), ("Mali", "Bamako"),
          ("Nepal", "Kathmandu"), ("Oman", "Muscat"), ("Qatar", "Doha"), ("Sudan", "Khartoum"), ("Togo", "Lome"),
          ("Chad", "N'Djamena"), ("Fiji", "Suva"), ("Greece", "Athens"), ("Haiti", "Port-au-Prince"),
          ("India", "New Delhi"), ("Jordan", "Amman"), ("Kuwait", "Kuwait City"), ("Latvia", "Riga"),
          ("Malta", "Valletta"), ("Niger", "Niamey")]
TINY = TuneSettings(epochs=1, batch_size=8, max_seq_length=48, evaluations_per_epoch=1)


def tiny_pairs() -> list[TrainingPair]:
    return [TrainingPair(f"Which city is the seat of government of {country}?",
                         f"{city} is the capital of {country}, where its parliament meets.")
            for country, city in PLACES]


def ragloom(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rag.cli.main", *args], capture_output=True, text=True,
                          timeout=600, cwd=cwd, env=dict(os.environ))


@pytest.fixture(scope="module")
def tuned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tune") / "capitals-minilm"
    record = tune_embedder(TrainingData(tiny_pairs(), None, "test"), out, settings=TINY)
    assert record["pairs"] == len(PLACES) and record["steps"] >= 1
    assert record["validation_queries"] == 3  # 10% of 30 queries, held out whole
    return out


def test_a_tiny_tune_writes_a_folder_that_loads_and_embeds(tuned: Path) -> None:
    info = json.loads((tuned / TUNE_FILE).read_text())
    assert info["name"].startswith("capitals-minilm-") and info["base"] == "all-MiniLM-L6-v2"
    assert (tuned / "model.safetensors").is_file() and (tuned / info["onnx"]["file"]).is_file()
    fast = create_embedder(str(tuned))  # auto: the ONNX file the tune shipped, not a cache export
    assert type(fast).__name__ == "OnnxEmbedder" and fast.name == info["name"]
    fast.warm_up()
    assert fast.model_file is not None and tuned.resolve() in fast.model_file.resolve().parents
    torch_model = create_embedder(str(tuned), backend="torch")
    texts = ["Oslo is the capital of Norway.", "Sourdough rises with wild yeast."]
    a, b = fast.embed_documents(texts), torch_model.embed_documents(texts)
    assert a.shape == (2, 384) and np.allclose(np.linalg.norm(a, axis=1), 1, atol=1e-3)
    assert (np.sum(a * b, axis=1) > 0.97).all()  # int8 ONNX and torch run the same tuned weights
    base = create_embedder(backend="torch").embed_documents(texts)
    assert info["history"] and info["steps"] >= 1  # it trained and was checked on the held-out queries
    # the best checkpoint is kept, and the base model is the first one: unchanged weights iff nothing beat it
    assert np.allclose(b, base, atol=1e-5) == (info["best_step"] == 0)
    assert torch_model.max_tokens == create_embedder(backend="torch").max_tokens  # trained at 48, reads 256


def test_too_few_pairs_are_refused_before_any_work(tmp_path: Path) -> None:
    few = TrainingData(tiny_pairs()[:MIN_PAIRS - 1], None, "test")
    with pytest.raises(ConfigError, match=f"needs at least {MIN_PAIRS}"):
        tune_embedder(few, tmp_path / "out", settings=TINY)
    assert not (tmp_path / "out").exists()


def test_the_bundled_model_and_foreign_folders_are_never_written(tmp_path: Path, tuned: Path) -> None:
    bundled = bundled_model_path()
    for target in (bundled, bundled / "sub", bundled.parent, bundled.parent.parent / "mine"):
        with pytest.raises(ConfigError):
            check_output(target, bundled, force=True)
    foreign = tmp_path / "notes"
    foreign.mkdir()
    (foreign / "todo.txt").write_text("keep me")
    with pytest.raises(ConfigError, match="not empty"):
        check_output(foreign, bundled, force=False)
    with pytest.raises(ConfigError, match="--force only replaces"):
        check_output(foreign, bundled, force=True)
    with pytest.raises(ConfigError, match="not empty"):
        check_output(tuned, bundled, force=False)
    check_output(tuned, bundled, force=True)  # an earlier tune output may be replaced
    check_output(tmp_path / "new", bundled, force=False)


def test_batches_never_hold_one_query_twice_and_validation_holds_out_whole_queries() -> None:
    import random

    pairs = [TrainingPair(f"q{n % 7}", f"p{n}", group=f"g{n % 7}") for n in range(40)]
    for batch in make_batches(pairs, 5, random.Random(1)):
        assert len({p.key for p in batch}) == len(batch)
    train, held = split_validation(pairs, 0.3, seed=3)
    assert {p.key for p in train}.isdisjoint({p.key for p in held}) and len(train) + len(held) == 40


@pytest.fixture()
def small_index(tmp_path: Path) -> Path:
    index = tmp_path / "index"
    with RAG(index) as rag:
        rag.ingest([Document(f"doc-{n}", f"{city} is the capital of {country}.") for n, (country, city)
                    in enumerate(PLACES[:6])], chunk=False)
    return index


def test_reembed_keeps_ids_and_sync_state_and_the_index_records_its_embedder(small_index: Path,
                                                                              tuned: Path) -> None:
    with RAG(small_index) as rag:
        before_chunks = {c.id: c.text for c in rag.index.get(list(rag.index.chunk_ids()))}
        before_docs = rag.index.document_hashes()
    done = ragloom("reembed", "--index", str(small_index), "--embedder", str(tuned))
    assert done.returncode == 0, done.stderr
    assert "re-embedded 6 chunks" in done.stdout
    with RAG(small_index) as rag:  # no --embedder: the index recorded the tuned folder
        assert rag.embedder.name.startswith("capitals-minilm-")
        assert {c.id: c.text for c in rag.index.get(list(rag.index.chunk_ids()))} == before_chunks
        assert rag.index.document_hashes() == before_docs
        assert rag.search("capital of Peru", k=1, mode="dense")[0].chunk.text.startswith("Lima")
        stored = rag.index.vectors_of([min(before_chunks)])[0]
        fresh = rag.embedder.embed_documents([before_chunks[min(before_chunks)]])[0]
        assert float(stored @ fresh) > 0.999
    with pytest.raises(IndexMismatchError, match="reembed"):
        RAG(small_index, embedder="all-MiniLM-L6-v2")
    again = ragloom("reembed", "--index", str(small_index), "--embedder", str(tuned))
    assert again.returncode == 0 and "nothing to do" in again.stdout


def test_reembed_killed_after_its_commit_is_finished_by_running_it_again(small_index: Path, tuned: Path) -> None:
    old_manifest = (small_index / "manifest.json").read_text()
    assert ragloom("reembed", "--index", str(small_index), "--embedder", str(tuned)).returncode == 0
    (small_index / "manifest.json").write_text(old_manifest)  # as if killed between commit and manifest
    finish = ragloom("reembed", "--index", str(small_index), "--embedder", str(tuned))
    assert finish.returncode == 0 and "finished an interrupted re-embed" in finish.stdout
    assert json.loads((small_index / "manifest.json").read_text())["embedder"]["name"].startswith("capitals-")
    check = ragloom("check", "--index", str(small_index))
    assert check.returncode == 0, check.stdout + check.stderr


def test_embedder_flag_and_mismatch_are_one_line_errors(small_index: Path, tuned: Path, tmp_path: Path) -> None:
    wrong = ragloom("search", "capital", "--index", str(small_index), "--embedder", str(tuned))
    assert wrong.returncode == 2 and wrong.stderr.startswith("ragloom: error: index")
    assert "reembed" in wrong.stderr and len(wrong.stderr.strip().splitlines()) == 1
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("Valletta is the capital of Malta.")
    new = tmp_path / "new-index"
    assert ragloom("ingest", str(docs), "--index", str(new), "--embedder", str(tuned)).returncode == 0
    info = ragloom("info", "--index", str(new), "--json")
    assert json.loads(info.stdout)["embedder"].startswith("capitals-minilm-")


def test_eval_set_pairs_come_from_the_index_and_skip_changed_chunks(small_index: Path, tmp_path: Path) -> None:
    import hashlib

    with RAG(small_index) as rag:
        chunks = rag.index.get(list(rag.index.chunk_ids()))
        lines = [{"question": "Where does Kenya's parliament sit?",
                  "relevant": [{"chunk_id": chunks[2].id, "text_sha256": hashlib.sha256(
                      chunks[2].text.encode()).hexdigest()}],
                  "not_relevant": [{"chunk_id": chunks[0].id}]},
                 {"question": "stale", "relevant": [{"chunk_id": chunks[1].id, "text_sha256": "0" * 64}]}]
        path = tmp_path / "set.jsonl"
        path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
        data = pairs_from_eval_set(path, rag.index.get)
    assert data.pairs == [TrainingPair("Where does Kenya's parliament sit?", chunks[2].text)]
    assert data.negatives == {"Where does Kenya's parliament sit?": [chunks[0].text]}  # beside the mined ones


def test_marked_negatives_are_trained_on_beside_the_mined_ones_and_sit_in_the_validation_pool() -> None:
    import random

    from rag.tuning.mining import Candidates
    from rag.tuning.trainer import Validator, _negative

    pair = TrainingPair("q", "the answer")
    candidates = Candidates({"q": ["mined 1", "marked", "mined 2"]}).with_marked({"q": ["marked"]})
    assert candidates.of(pair) == ["mined 1", "mined 2"] and candidates.marked_of(pair) == ["marked"]
    rng = random.Random(5)
    drawn = [_negative(pair, candidates, ["the answer", "other"], rng) for _ in range(200)]
    assert 60 < drawn.count("marked") < 140 and set(drawn) == {"marked", "mined 1", "mined 2"}
    assert _negative(TrainingPair("q", "the answer", "given"), candidates, [], rng) == "given"
    assert "marked" in Validator([pair], candidates).pool


@pytest.mark.parametrize(("args", "said"), [
    (["--pairs", "missing.jsonl", "--out", "o"], "no file at missing.jsonl"),
    (["--pairs", "bad.jsonl", "--out", "o"], "line 2 is not JSON"),
    (["--pairs", "few.jsonl", "--out", "o"], f"needs at least {MIN_PAIRS}"),
    (["--eval-set", "few.jsonl", "--out", "o"], "--eval-set needs --index"),
    (["--beir", "nowhere", "--out", "o"], "no BEIR folder"),
])
def test_tune_cli_errors_are_one_line(tmp_path: Path, args: list[str], said: str) -> None:
    (tmp_path / "bad.jsonl").write_text('{"query": "a", "positive": "b"}\n{oops\n')
    (tmp_path / "few.jsonl").write_text('{"query": "a", "positive": "b"}\n')
    result = ragloom("tune", "embedder", *args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("ragloom: error: ") and said in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not (tmp_path / "o").exists()
