"""Source code and config files: the text as one document, with its ``language``."""

from __future__ import annotations

from collections.abc import Iterator

from connectors.formats.base import FileInfo, FormatError, decode_text
from rag.core.types import Document, Skipped

LANGUAGES = {
    ".py": "python", ".pyi": "python", ".js": "javascript", ".mjs": "javascript", ".cjs": "javascript",
    ".jsx": "javascript", ".ts": "typescript", ".tsx": "typescript", ".java": "java", ".kt": "kotlin",
    ".scala": "scala", ".go": "go", ".rs": "rust", ".c": "c", ".h": "c", ".cc": "cpp", ".cpp": "cpp",
    ".cxx": "cpp", ".hpp": "cpp", ".hh": "cpp", ".cs": "csharp", ".rb": "ruby", ".php": "php",
    ".swift": "swift", ".m": "objective-c", ".r": "r", ".jl": "julia", ".lua": "lua", ".pl": "perl",
    ".sh": "shell", ".bash": "shell", ".zsh": "shell", ".ps1": "powershell", ".sql": "sql",
    ".yaml": "yaml", ".yml": "yaml", ".toml": "toml", ".ini": "ini", ".cfg": "ini", ".xml": "xml",
    ".css": "css", ".scss": "scss", ".proto": "protobuf", ".graphql": "graphql", ".tf": "terraform",
}
# files known by name rather than suffix
NAMES = {"Makefile": "make", "Dockerfile": "dockerfile", "CMakeLists.txt": "cmake", "Jenkinsfile": "groovy"}
SUFFIXES = tuple(LANGUAGES)


def read(info: FileInfo, data: bytes) -> Iterator[Document | Skipped]:
    text = decode_text(data)
    if not text.strip():
        raise FormatError("no text (only whitespace)")
    language = NAMES.get(info.path.name) or LANGUAGES.get(info.path.suffix.lower(), "text")
    yield info.document(text, "code", title=info.path.name, language=language)
