"""Markdown chunks are packed from whole blocks: lists, code and tables stay with their lead-in."""

from __future__ import annotations

from rag.block_chunks import blocks, pack


def _words(text: str) -> int:
    return len(text.split())


def _split_lines(text: str) -> list[tuple[int, int]]:
    spans, position = [], 0
    for line in text.split("\n"):
        if line.strip():
            spans.append((position, position + len(line)))
        position += len(line) + 1
    return spans


SECTION = ("## Task prompts\n\nragloom comes with prompts for several tasks. You choose one with --task.\n\n"
           "- **qa**: answer the question from the numbered sources with citations.\n"
           "- **summarize**: summarise the sources faithfully and briefly.\n\n"
           "- **translate**: translate text into a target language.\n\n"
           "For example:\n\n```\nragloom ask \"Summarise sync\" --task summarize\n```\n")


def test_blocks_keep_lists_code_and_lead_ins_whole() -> None:
    texts = [SECTION[a:b] for a, b in blocks(SECTION)]
    assert texts[0].startswith("## Task prompts\n\nragloom comes")  # a heading never stands alone
    assert any(t.startswith("- **qa**") and "translate" in t for t in texts)  # a loose list is one block
    assert texts[-1].startswith("For example:\n\n```") and texts[-1].endswith("```")


def test_pack_balances_chunks_and_never_leaves_a_tiny_tail() -> None:
    spans = pack(SECTION, _words, 40, 0, _split_lines)
    texts = [SECTION[a:b] for a, b in spans]
    assert len(texts) == 2 and all(_words(t) <= 40 for t in texts)
    assert min(_words(t) for t in texts) >= 10  # not full, full, "For example:"
    assert "For example:\n\n```" in texts[-1]
    whole = pack(SECTION, _words, 200, 0, _split_lines)
    assert [SECTION[a:b] for a, b in whole] == [SECTION.strip()]


def test_a_block_longer_than_a_chunk_falls_back_to_the_splitter_and_spans_stay_exact() -> None:
    long_list = "Intro sentence for the list:\n" + "\n".join(f"- item number {i} with a few words" for i in range(30))
    spans = pack(long_list, _words, 50, 0, _split_lines)
    assert len(spans) > 3 and all(_words(long_list[a:b]) <= 50 for a, b in spans)
    assert all(0 <= a < b <= len(long_list) for a, b in spans)
    assert long_list[spans[0][0]:spans[0][1]].startswith("Intro sentence")


def test_neighbouring_chunks_share_the_last_sentence_when_it_fits_the_overlap() -> None:
    text = "First block sentence one. Shared last sentence.\n\n" + "Second block " * 10
    spans = pack(text, _words, 15, 4, _split_lines)
    assert text[spans[1][0]:spans[1][1]].startswith("Shared last sentence.")
