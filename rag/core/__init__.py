"""The leaf layer: value types, errors and protocols that every other part of ragloom may import.

It imports nothing else of ours, and importing it never imports the ``RAG`` facade, a model,
FAISS or an index backend (enforced by the import-linter contracts in ``pyproject.toml``).
"""
