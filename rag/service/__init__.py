"""ragloom as a service: an OpenAI-compatible and native REST API over one or more indexes.

``ragloom serve --index DIR`` runs it (``rag.cli.serve_command``). Modules, one job each:
``app`` (the FastAPI app), ``context`` (service state), ``collections`` (indexes as named collections),
``keys``/``auth``/``scope``/``ratelimit`` (who may see what, how often), ``generation_slots`` and
``answering`` (the model queue, streaming), ``jobs``/``job_store`` (resumable ingest jobs),
``openai_routes``/``native_routes``/``schemas``/``errors`` (the HTTP surface).
The service reaches the library only through what ``rag`` exports.
"""
