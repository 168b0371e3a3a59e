"""LangChain's tutorial RAG chain ("Build a Retrieval Augmented Generation (RAG) App", part 1), offline.

As in the tutorial: documents split by ``RecursiveCharacterTextSplitter(chunk_size=1000,
chunk_overlap=200)``, embedded into a ``FAISS`` vector store with ``HuggingFaceEmbeddings``, a
retriever with k=4, the tutorial's prompt (``rlm/rag-prompt``, written out here because the hub is
not reachable: "... Use three sentences maximum and keep the answer concise."), the context joined
with blank lines, ``ChatLlamaCpp`` and a string output parser, composed with LCEL.

The models are ragloom's: the same bundled all-MiniLM-L6-v2 folder and the same bundled GGUF, with
ragloom's greedy settings (temperature 0, top-k 1, top-p 1, no repetition penalty, 256 new tokens,
a 4096-token window, the same threads). The tutorial chain has no conversation memory: a follow-up
is asked as it stands.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

RAG_PROMPT = (
    "You are an assistant for question-answering tasks. Use the following pieces of retrieved context to "
    "answer the question. If you don't know the answer, just say that you don't know. Use three sentences "
    "maximum and keep the answer concise.\nQuestion: {question} \nContext: {context} \nAnswer:"
)


class TutorialChain:
    def __init__(self, documents: Path, embedder_path: str, model_path: str, *, threads: int = 2,
                 context_window: int = 4096, max_new_tokens: int = 256) -> None:
        from langchain_community.chat_models import ChatLlamaCpp
        from langchain_community.document_loaders import TextLoader
        from langchain_community.vectorstores import FAISS
        from langchain_core.output_parsers import StrOutputParser
        from langchain_core.prompts import ChatPromptTemplate
        from langchain_core.runnables import RunnablePassthrough
        from langchain_huggingface import HuggingFaceEmbeddings
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        files = sorted(documents.glob("*.md")) if documents.is_dir() else [documents]
        docs = [d for path in files for d in TextLoader(str(path), encoding="utf-8").load()]
        splits = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200,
                                                add_start_index=True).split_documents(docs)
        embeddings = HuggingFaceEmbeddings(model_name=embedder_path, model_kwargs={"device": "cpu"})
        self.vectorstore = FAISS.from_documents(splits, embeddings)
        self.chunks = len(splits)
        retriever = self.vectorstore.as_retriever(search_kwargs={"k": 4})
        self.llm = ChatLlamaCpp(model_path=model_path, n_ctx=context_window, n_threads=threads, n_batch=512,
                                temperature=0.0, top_k=1, top_p=1.0, repeat_penalty=1.0, max_tokens=max_new_tokens,
                                use_mmap=False, verbose=False)
        prompt = ChatPromptTemplate.from_messages([("human", RAG_PROMPT)])

        def format_docs(found: list[Any]) -> str:
            return "\n\n".join(doc.page_content for doc in found)

        self.chain = ({"context": retriever | format_docs, "question": RunnablePassthrough()}
                      | prompt | self.llm | StrOutputParser())

    def warm_up(self) -> None:
        """Load the model (the first call does) so load time is not part of an answer's time."""
        self.llm.invoke("Hi")

    def stream(self, question: str) -> Iterator[str]:
        return self.chain.stream(question)
