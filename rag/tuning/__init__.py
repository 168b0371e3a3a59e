"""Fine-tuning the embedder on your own data (``ragloom tune embedder``).

``pairs`` reads training pairs (JSON Lines, a BEIR split, an exported evaluation set) and
``feedback_pairs`` the feedback stored in an index; ``mining`` finds hard negatives with the current
model, ``trainer`` runs MultipleNegativesRankingLoss with a validation hold-out and early stopping,
``output`` writes the folder and its ONNX int8 file.
"""

from rag.tuning.feedback_pairs import pairs_from_feedback
from rag.tuning.pairs import TrainingData, TrainingPair, pairs_from_beir, pairs_from_eval_set, read_pairs
from rag.tuning.run import tune_embedder
from rag.tuning.trainer import MIN_PAIRS, TuneSettings

__all__ = ["MIN_PAIRS", "TrainingData", "TrainingPair", "TuneSettings", "pairs_from_beir", "pairs_from_eval_set",
           "pairs_from_feedback", "read_pairs", "tune_embedder"]
