"""The exact messages sent to the model, and the prompt's size against the model's context window."""

from __future__ import annotations

import streamlit as st

from rag import Answer


def render_prompt(answer: Answer, context_window: int | None) -> None:
    if not answer.messages:
        st.caption("No prompt was sent: the question was answered without calling the model.")
        return
    if context_window:
        share = min(answer.prompt_tokens / context_window, 1.0)
        st.progress(share, text=f"Prompt: {answer.prompt_tokens} tokens of a {context_window}-token context window "
                                f"(+ {answer.completion_tokens} generated)")
    else:
        st.caption(f"Prompt: {answer.prompt_tokens} tokens (+ {answer.completion_tokens} generated)")
    for i, message in enumerate(answer.messages, start=1):
        st.markdown(f"**{i}. {message['role']}**")
        st.code(message["content"], language=None, wrap_lines=True)
