"""Model controls in the sidebar: decoding, retrieval, task, few-shot examples, backend and model.

Every widget has a key, so its value lives in ``st.session_state`` and persists for the session.
Values are validated by the core (``SamplingParams``, the ``Answerer``); a bad one shows a message.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import streamlit as st

from rag import BUNDLED_MODELS, DEFAULT_MODEL, ConfigError, Settings, load_settings
from ui.answer_settings import (
    EXAMPLE_COLUMNS,
    SHOT_MODES,
    UI_TASKS,
    AnswerSettings,
    bundled_example_rows,
    examples_from_rows,
)
from ui.resources import GeneratorSpec

HOST_GENERATOR_KEY = "ragloom_generator"  # a Generator put here by an embedding app or a test is used as-is
MODEL_SOURCES = ("Bundled model", "Local file or folder", "OpenAI-compatible server")
LOCAL_BACKENDS = ("llamacpp", "transformers")


def keep_control_values() -> None:
    """Re-own every control's value, so one hidden for a run (another model source, another task) keeps it.

    Streamlit drops the state of widgets not drawn in a run; writing a value back before the widget is
    drawn makes it session state that persists. Data editors are left out: their state cannot be set.
    """
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith("ctl_")]:
        if not key.startswith("ctl_examples_"):
            st.session_state[key] = st.session_state[key]


def render_answer_settings() -> AnswerSettings:
    """Decoding, retrieval, task and examples; the returned settings may still be invalid (checked on use)."""
    with st.expander("Decoding", expanded=True):
        greedy = st.toggle("Greedy (always the most likely token)", value=True, key="ctl_greedy",
                           help="Off: sample with temperature, top-k and top-p.")
        temperature = st.slider("Temperature", 0.0, 2.0, 0.7, 0.05, key="ctl_temperature", disabled=greedy,
                                help="Must be above 0 when sampling; higher is more varied.")
        top_k = st.slider("Top-k (0 = off)", 0, 200, 40, 1, key="ctl_top_k", disabled=greedy)
        top_p = st.slider("Top-p", 0.0, 1.0, 0.95, 0.01, key="ctl_top_p", disabled=greedy,
                          help="Nucleus sampling mass, in (0, 1].")
        max_new_tokens = st.number_input("Max new tokens", 1, 4096, 256, 16, key="ctl_max_new_tokens")
        seed_text = st.text_input("Seed (empty = random)", "", key="ctl_seed", disabled=greedy,
                                  help="A fixed seed reproduces a sampled answer with the same model.")
    with st.expander("Retrieval and task", expanded=False):
        k = st.slider("Sources to retrieve (k)", 1, 20, 2, 1, key="ctl_k")
        min_score = st.slider("Minimum cosine score", 0.0, 1.0, 0.0, 0.01, key="ctl_min_score")
        task = st.selectbox("Task", UI_TASKS, key="ctl_task")
        language = ""
        if task == "translate":
            language = st.text_input("Target language", "German", key="ctl_language")
        shots = st.radio("Examples", SHOT_MODES, index=2, horizontal=True, key="ctl_shots")
        rows = _examples_editor(task, disabled=shots == "zero-shot")
    seed: int | None = None
    if seed_text.strip():
        try:
            seed = int(seed_text)
        except ValueError:
            st.error(f"The seed must be a whole number (got {seed_text!r}).")
    return AnswerSettings(greedy=greedy, temperature=float(temperature), top_k=int(top_k), top_p=float(top_p),
                          max_new_tokens=int(max_new_tokens), seed=seed, k=int(k), min_score=float(min_score),
                          task=task, target_language=language, shots=shots, examples=examples_from_rows(rows))


def _examples_editor(task: str, disabled: bool) -> list[dict]:
    # One editor per task, defaulting to that task's bundled examples; edits persist under its key.
    default = pd.DataFrame(bundled_example_rows(task), columns=list(EXAMPLE_COLUMNS))
    edited = st.data_editor(default, key=f"ctl_examples_{task}", num_rows="dynamic", disabled=disabled,
                            width="stretch", hide_index=True)
    return edited.to_dict("records")


def render_model_choice() -> GeneratorSpec | None:
    """Backend and model; ``None`` when the host application supplied the generator."""
    if st.session_state.get(HOST_GENERATOR_KEY) is not None:
        st.caption(f"Model supplied by the host application: `{st.session_state[HOST_GENERATOR_KEY].name}`")
        return None
    settings = load_settings()
    source = st.radio("Model source", MODEL_SOURCES, key="ctl_model_source", index=_default_source(settings))
    threads = settings.threads
    if source == MODEL_SOURCES[0]:
        names = list(BUNDLED_MODELS)
        default = settings.model if settings.model in BUNDLED_MODELS else DEFAULT_MODEL
        model = st.selectbox("Bundled model", names, index=names.index(default), key="ctl_bundled_model",
                             format_func=lambda n: f"{n} ({BUNDLED_MODELS[n].size / 1e9:.2f} GB)")
        backend = st.selectbox("Backend", LOCAL_BACKENDS, key="ctl_backend_bundled",
                               index=_backend_index(settings.backend))
        return GeneratorSpec(backend, model, threads=threads, context_window=settings.context_window)
    if source == MODEL_SOURCES[1]:
        path = st.text_input("GGUF file or Hugging Face model folder", settings.model or "", key="ctl_model_path",
                             placeholder="/models/my-model.gguf").strip()
        backend = st.selectbox("Backend", LOCAL_BACKENDS, key="ctl_backend_local",
                               index=_backend_index(settings.backend))
        if path and not Path(path).expanduser().exists():
            st.warning(f"`{path}` does not exist on this machine.")
        return GeneratorSpec(backend, path or None, threads=threads, context_window=settings.context_window)
    base_url = st.text_input("Server URL", settings.base_url or "http://127.0.0.1:8080/v1", key="ctl_base_url").strip()
    model = st.text_input("Model name on the server", settings.model or "default", key="ctl_server_model").strip()
    key_env = st.text_input("API key environment variable", settings.api_key_env, key="ctl_api_key_env").strip()
    # The key itself is never read, shown or stored here: the backend takes it from the environment.
    found = bool(key_env) and bool(os.environ.get(key_env))
    st.caption(f"API key: {'found in' if found else 'not set in'} `${key_env or '?'}`"
               + ("" if found else " (fine for local servers without keys)"))
    return GeneratorSpec("openai", model or "default", base_url=base_url, api_key_env=key_env or "OPENAI_API_KEY",
                         context_window=settings.context_window)


def _default_source(settings: Settings) -> int:
    """The configured model's kind: a server, a local path (``RAGLOOM_MODEL=/x.gguf``) or a bundled name."""
    if settings.backend == "openai":
        return 2
    return 1 if settings.model and settings.model not in BUNDLED_MODELS else 0


def _backend_index(backend: str) -> int:
    return LOCAL_BACKENDS.index(backend) if backend in LOCAL_BACKENDS else 0


def validation_message(settings: AnswerSettings) -> str | None:
    """The first invalid value as a sentence, or ``None`` when every control is usable."""
    try:
        settings.options()
    except ConfigError as exc:
        return f"Check the model controls: {exc}"
    return None
