"""Evaluation as a library: retrieval (BEIR-format qrels) and question answering."""

from rag.evaluation.beir import BeirDataset, load_beir
from rag.evaluation.retrieval import evaluate, ndcg_at, recall_at, run_beir, score_rankings

__all__ = ["BeirDataset", "evaluate", "load_beir", "ndcg_at", "recall_at", "run_beir", "score_rankings"]
