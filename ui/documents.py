"""Adding and removing documents: uploads and URLs ingested with a progress bar, the report, the list, delete.

Ingestion goes one source at a time through ``RAG.ingest`` (incremental ``add`` sync), so the bar
moves per file and one bad source does not stop the others.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import fields
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from rag import RAG, IngestReport, supported_suffixes
from ui.errors import readable
from ui.resources import write_lock
from ui.uploads import is_upload, save_upload

_REPORT_KEY = "last_ingest_report"
_ROUND_KEY = "upload_round"  # bumping it gives the uploader a new key, which empties it after an ingest
_COUNTS = ("added", "updated", "unchanged", "skipped", "failed", "deleted")


def render(rag: RAG, index_path: str) -> None:
    st.subheader("Add documents")
    round_ = st.session_state.setdefault(_ROUND_KEY, 0)
    files = st.file_uploader("Upload files", accept_multiple_files=True, key=f"doc_uploads_{round_}",
                             type=[s.lstrip(".") for s in supported_suffixes()],
                             help="Saved inside the index folder (uploads/), then indexed.")
    urls_text = st.text_area("Web pages (one URL per line)", key=f"doc_urls_{round_}", height=68,
                             placeholder="https://example.org/page")
    if st.button("Ingest", key="doc_ingest", type="primary", disabled=not (files or urls_text.strip())):
        urls = [line.strip() for line in urls_text.splitlines() if line.strip()]
        st.session_state[_REPORT_KEY] = ingest(rag, index_path, list(files or []), urls)
        st.session_state[_ROUND_KEY] = round_ + 1
        st.rerun()
    if report := st.session_state.get(_REPORT_KEY):
        show_report(report)
    render_document_list(rag, index_path)


def ingest(rag: RAG, index_path: str, files: list[Any], urls: list[str]) -> IngestReport:
    """Save the uploads, then ingest every upload and URL in turn, updating a progress bar."""
    total = IngestReport()
    sources: list[tuple[str, str]] = []
    for upload in files:
        try:
            sources.append((upload.name, str(save_upload(index_path, upload.name, upload.getvalue()))))
        except Exception as exc:
            _fail(total, upload.name, readable(exc, f"save the upload {upload.name!r}"))
    sources += [(url, url) for url in urls]
    bar = st.progress(0.0, text="Starting…")
    with write_lock(index_path):
        for i, (label, source) in enumerate(sources):
            bar.progress(i / len(sources), text=f"Ingesting {label} ({i + 1}/{len(sources)})")
            try:
                report = rag.ingest([source], sync="add")
            except Exception as exc:
                _fail(total, label, readable(exc, f"ingest {label}"))
                continue
            _add(total, report)
    bar.progress(1.0, text=f"Done: {len(sources)} source(s)")
    return total


def _add(total: IngestReport, report: IngestReport) -> None:
    for f in fields(IngestReport):
        value = getattr(report, f.name)
        setattr(total, f.name, getattr(total, f.name) + value)


def _fail(total: IngestReport, source: str, reason: str) -> None:
    total.failed += 1
    total.errors.append({"source": source, "reason": reason})


def show_report(report: IngestReport) -> None:
    st.caption("Last ingest")
    columns = st.columns(3)
    for i, name in enumerate(_COUNTS):
        columns[i % 3].metric(name.capitalize(), getattr(report, name))
    st.caption(report.summary())
    for error in report.errors:
        st.warning(f"{error['source']}: {error['reason']}")


def document_groups(rag: RAG) -> dict[str, list[Any]]:
    """Documents grouped by their source (a PDF's pages, a CSV's rows are one file)."""
    groups: dict[str, list[Any]] = defaultdict(list)
    for record in rag.documents():
        groups[str(record.metadata.get("source") or record.source_id)].append(record)
    return dict(groups)


def render_document_list(rag: RAG, index_path: str) -> None:
    st.subheader("Documents")
    try:
        groups = document_groups(rag)
    except Exception as exc:
        st.error(readable(exc, "list the documents"))
        return
    if message := st.session_state.pop("doc_delete_error", None):
        st.error(message)
    if not groups:
        st.caption("No documents yet.")
        return
    rows = [{"title": _title(records), "source": source, "parts": len(records),
             "chunks": sum(r.chunk_count for r in records), "ingested": max(r.ingested_at for r in records)[:19]}
            for source, records in groups.items()]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", height=min(38 + 35 * len(rows), 300))
    chosen = st.multiselect("Delete documents", list(groups), key="doc_delete_choice",
                            format_func=lambda s: f"{_title(groups[s])} ({Path(s).name or s})")
    if st.button("Delete selected", key="doc_delete", disabled=not chosen):
        delete(rag, index_path, {source: groups[source] for source in chosen})
        st.rerun()


def delete(rag: RAG, index_path: str, groups: dict[str, list[Any]]) -> None:
    """Remove every part of each chosen source; an uploaded file is removed from the uploads folder too."""
    removed = 0
    with write_lock(index_path):
        for source, records in groups.items():
            try:
                for record in records:
                    removed += rag.delete(record.source_id)
                if is_upload(index_path, source):
                    Path(source).unlink(missing_ok=True)
            except Exception as exc:
                st.session_state["doc_delete_error"] = readable(exc, f"delete {source}")
    st.toast(f"Deleted {len(groups)} document(s), {removed} chunks.")


def _title(records: list[Any]) -> str:
    meta = records[0].metadata
    return str(meta.get("title") or Path(str(meta.get("source") or records[0].source_id)).name)
