"""Prompt augmentation: task templates, few-shot examples, data framing and context budgeting."""

from rag.prompts.builder import ContextOverflowError, Prompt, build_prompt
from rag.prompts.examples import BUNDLED, Example, bundled_examples, coerce_examples
from rag.prompts.extract import ExtractError, parse_entities
from rag.prompts.framing import format_source, neutralise
from rag.prompts.tasks import TASKS, TaskSpec, get_task

__all__ = [
    "BUNDLED",
    "TASKS",
    "ContextOverflowError",
    "Example",
    "ExtractError",
    "Prompt",
    "TaskSpec",
    "build_prompt",
    "bundled_examples",
    "coerce_examples",
    "format_source",
    "get_task",
    "neutralise",
    "parse_entities",
]
