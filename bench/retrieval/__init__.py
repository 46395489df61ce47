"""Building blocks of the retrieval-quality benchmark (``bench/retrieval_eval.py``)."""
