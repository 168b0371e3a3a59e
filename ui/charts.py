"""Pictures under an answer: the sources' cosine scores as bars, and the embedding-space scatter."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from rag import Answer, source_title
from ui.projection import ROLES
from ui.sources import cosine_of

_COLOURS = ("#d62728", "#ff7f0e", "#1f77b4", "#c7c7c7")  # query, cited, retrieved, other


def score_bars(answer: Answer, key: str) -> None:
    """One bar per numbered source, cited ones highlighted; the refusal threshold is not drawn (it is a note)."""
    if not answer.sources:
        st.caption("No sources were retrieved.")
        return
    cited = {c.number for c in answer.citations}
    data = pd.DataFrame([{"source": f"[{n}]", "title": source_title(s), "cosine": round(cosine_of(s), 4),
                          "cited": "cited" if n in cited else "not cited"}
                         for n, s in enumerate(answer.sources, start=1)])
    chart = (alt.Chart(data).mark_bar()
             .encode(x=alt.X("source:N", sort=None, title="source"),
                     y=alt.Y("cosine:Q", title="cosine similarity", scale=alt.Scale(domain=[0, 1])),
                     color=alt.Color("cited:N", scale=alt.Scale(domain=["cited", "not cited"],
                                                                range=[_COLOURS[1], _COLOURS[2]])),
                     tooltip=["source", "title", "cosine", "cited"])
             .properties(height=220))
    st.altair_chart(chart, width="stretch", key=f"{key}_scores")


def embedding_scatter(points: list[dict[str, Any]], key: str) -> None:
    if len(points) < 2:
        st.caption("Not enough chunks in the index to draw the embedding space.")
        return
    data = pd.DataFrame(points)
    present = [role for role in ROLES if role in set(data["role"])]
    colours = [_COLOURS[ROLES.index(role)] for role in present]
    chart = (alt.Chart(data).mark_circle()
             .encode(x=alt.X("x:Q", title="PC 1"), y=alt.Y("y:Q", title="PC 2"),
                     color=alt.Color("role:N", scale=alt.Scale(domain=present, range=colours),
                                     legend=alt.Legend(title=None, orient="bottom")),
                     size=alt.condition(alt.datum.role == "other chunk", alt.value(30), alt.value(140)),
                     order=alt.Order("order:Q"),
                     tooltip=["role", "label", "cosine", "text"])
             .transform_calculate(order="datum.role == 'other chunk' ? 0 : 1")
             .properties(height=340))
    st.altair_chart(chart, width="stretch", key=f"{key}_space")
    st.caption("PCA of the query, its sources and a sample of other chunks (hover for text and cosine).")
