"""One lock that every loader of a model through transformers holds while it loads.

transformers imports its model classes on first use, and two threads doing so at once can see
a half-initialised module (an ImportError for a name that exists). A server loads its models
in the background while its first requests may load the ones they need, so the loaders take
turns; a loader that finds its model already loaded does not wait.
"""

from __future__ import annotations

import threading

MODEL_LOADING = threading.RLock()
