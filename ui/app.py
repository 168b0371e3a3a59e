"""ragloom chat: ask your documents questions and see where every answer came from.

Run with ``ragloom ui [--index DIR]`` (or ``streamlit run ui/app.py``). Presentation only: every
action is a call on the public ``rag`` API.

Hooks for embedding apps and tests (read, never patched):
  * ``st.session_state["ragloom_generator"]``: a ``Generator`` to answer with instead of the model
    controls' choice (set it before the first run);
  * ``st.session_state["ragloom_index"]`` or ``$RAGLOOM_UI_INDEX``: the index folder; with neither,
    the bundled sample corpus is indexed into ``$RAGLOOM_CACHE/sample-index``;
  * the usual ``RAGLOOM_*`` settings (``RAGLOOM_MODEL``, ``RAGLOOM_BACKEND``, ``RAGLOOM_THREADS``, ...)
    choose the model controls' defaults.
"""

from __future__ import annotations

import streamlit as st

st.set_page_config(page_title="ragloom chat", page_icon=":material/forum:", layout="wide")

from ui import chat, controls, documents, index_panel  # noqa: E402  (after set_page_config, which must be first)
from ui.errors import readable  # noqa: E402
from ui.resources import generator_for, warm_generator  # noqa: E402

# The input first: it is usable while the index opens and models load below.
question = st.chat_input("Ask a question about your documents…", key="chat_question")

st.title("ragloom chat")
with st.sidebar:
    st.header("ragloom")
    documents_tab, model_tab = st.tabs(["Documents", "Model"])
    with model_tab:  # before the index opens: the controls never wait for indexing
        controls.keep_control_values()
        spec = controls.render_model_choice()
        settings = controls.render_answer_settings()
        problem = controls.validation_message(settings)
        if problem:
            st.error(problem)

rag = index_panel.open_current()  # a first start indexes the sample documents here, under a spinner
index_path = index_panel.current_index_path()
with documents_tab:
    index_panel.render(rag)
    if rag is not None:
        documents.render(rag, index_path)

generator = st.session_state.get(controls.HOST_GENERATOR_KEY)
warmup = None
try:
    if generator is None and spec is not None:
        generator = generator_for(spec)
    if generator is not None:
        prime = None
        if rag is not None and problem is None and spec is not None and spec.backend == "llamacpp":
            options, answering = settings.options(), rag.with_generator(generator)
            prime = lambda: answering.answerer.prime(options)  # noqa: E731
        warmup = warm_generator(generator, spec.label() if spec is not None else f"host:{id(generator)}", prime)
except Exception as exc:
    problem = problem or readable(exc, "set up the language model")

caption = "sample documents" if index_panel.is_sample(index_path) else index_path
st.caption(f"Index: {caption} · model: {generator.name if generator is not None else 'none'}")
toolbar = st.container()  # filled last, so the downloads include the answer given in this run
chat.render_history()
if question:
    chat.answer_turn(question, rag, generator, warmup, None if problem else settings.options(), problem)
with toolbar:
    chat.render_toolbar(index_path)
