"""Search indexes over chunks: BM25, dense vectors (FAISS), and their fusion."""
