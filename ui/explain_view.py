"""The "Explain" tab under an answer: which sources, and which of their words, the answer drew on.

Computed on demand (a button): the attention pass re-reads the prompt and answer with a local model,
seconds on CPU, so it never runs for answers nobody looks at. Shows a bar per source and a heat-map
over each source's text; for attention also one layer's head at a time. The explanation is kept in
the session beside the answer it belongs to, so reruns redraw it without recomputing.

Source text is untrusted: every piece of it is HTML-escaped before it goes into the page, and the
only markup is ours (spans with a background colour).
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import streamlit as st

from rag import Answer, Explanation, source_title
from ui.errors import readable

_METHODS = {"auto": "Attention if available", "attention": "Attention (model)", "grounding": "Attribution (model-free)"}
_MIN_HEAT = 0.04  # lighter than this is left unmarked: a page of faint orange hides the hot words


def _stored(answer: Answer, key: str) -> Explanation | None:
    # Keyed by turn, but checked against the answer itself: a cleared conversation reuses turn numbers.
    stored = st.session_state.get(f"ex-{key}")
    return stored["explanation"] if stored and stored["answer"] is answer else None


def render_explain(answer: Answer, key: str) -> None:
    """The Explain tab of one answer (``key``: the turn's widget prefix)."""
    if answer.refused or not answer.sources:
        st.caption("Nothing to explain: this answer was made from no sources.")
        return
    method = st.radio("Method", list(_METHODS), format_func=_METHODS.get, horizontal=True, key=f"ex-{key}-method")
    if st.button("Explain", key=f"ex-{key}-run", icon=":material/visibility:"):
        with st.spinner("Re-reading the answer to see what it drew on…"):
            try:
                explanation = answer.explain(method)
            except Exception as exc:
                st.error(readable(exc, "explain this answer"))
                return
        st.session_state[f"ex-{key}"] = {"answer": answer, "explanation": explanation}
    explanation = _stored(answer, key)
    if explanation is None:
        st.caption("Shows which sources, and which of their words, the answer drew on: the attention of a local "
                   "model re-reading the prompt and answer (a few seconds), or a model-free attribution.")
        return
    render_explanation(explanation, answer, key)


def render_explanation(explanation: Explanation, answer: Answer, key: str) -> None:
    st.caption(f"{explanation.label} · {explanation.seconds:.1f} s")
    sources = explanation.sources
    if explanation.heads is not None:
        view = st.radio("View", ["Average", "One head"], horizontal=True, key=f"ex-{key}-view",
                        help="Average: the layers and heads named above. One head: any single head of any layer.")
        if view == "One head":
            layer_col, head_col = st.columns(2)
            layer = layer_col.selectbox("Layer", range(explanation.heads.layers), index=explanation.heads.layers - 1,
                                        key=f"ex-{key}-layer")
            head = head_col.selectbox("Head", range(explanation.heads.heads), key=f"ex-{key}-head")
            sources = explanation.head_view(int(layer), int(head))
    titles = [source_title(answer.sources[s.number - 1]) for s in sources]
    st.html(explanation_html(sources, titles))
    for note in explanation.notes:
        st.caption(f"Note: {note}")


def explanation_html(sources: Sequence, titles: Sequence[str]) -> str:
    """Bars, then each source's text with its heat-map; every source-derived string escaped."""
    bars = "".join(
        f'<div class="ragloom-explain-bar" style="display:flex;align-items:center;gap:0.5em;margin:2px 0">'
        f'<span style="width:2.5em">[{s.number}]</span>'
        f'<span style="flex:0 0 40%;background:#eee;height:0.9em;border-radius:3px">'
        f'<span style="display:block;height:100%;width:{100 * s.weight:.1f}%;background:#ff8c00;border-radius:3px">'
        f'</span></span><span style="width:3em">{s.weight:.2f}</span>'
        f'<span style="opacity:0.7;overflow:hidden;white-space:nowrap">{html.escape(title)}</span></div>'
        for s, title in zip(sources, titles, strict=True))
    maps = "".join(
        f'<div class="ragloom-explain-source" style="margin-top:0.8em"><b>[{s.number}] {html.escape(title)}</b>'
        f'<div class="ragloom-heatmap" style="white-space:pre-wrap;line-height:1.6;font-size:0.92em">'
        f"{heat_spans(s.text, s.spans)}</div></div>"
        for s, title in zip(sources, titles, strict=True))
    return f'<div class="ragloom-explain">{bars}{maps}</div>'


def heat_spans(text: str, spans: Sequence[tuple[int, int, float]]) -> str:
    """``text`` escaped, with each span of visible heat wrapped in a coloured ``<span>`` (its heat in the title)."""
    pieces, last = [], 0
    for start, end, heat in sorted(spans):
        start = max(start, last)
        if end <= start:
            continue
        pieces.append(html.escape(text[last:start]))
        chunk = html.escape(text[start:end])
        if heat >= _MIN_HEAT:
            chunk = (f'<span class="ragloom-heat" title="{heat:.2f}" '
                     f'style="background:rgba(255,140,0,{0.1 + 0.8 * heat:.2f});border-radius:2px">{chunk}</span>')
        pieces.append(chunk)
        last = end
    pieces.append(html.escape(text[last:]))
    return "".join(pieces)
