"""Model libraries that load without drawing progress bars.

transformers draws a "Loading weights" bar for every model it loads and its GGUF reader a
"Converting and de-quantizing" bar of its own; huggingface_hub draws download bars. A program
that loads models says so in a line of its own instead, on a terminal only. The switches are the
libraries' own: environment variables that they read when imported (tqdm has no other switch),
and their functions when they already are. No logger is configured.
"""

from __future__ import annotations

import os
import sys

QUIET_ENVIRONMENT = {"HF_HUB_DISABLE_PROGRESS_BARS": "1", "TQDM_DISABLE": "1"}
"""Variables that turn the bars off; a value the environment already gives is kept."""


def quiet_model_libraries() -> None:
    """Turn off the model libraries' progress bars in this process and the processes it starts."""
    for name, value in QUIET_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    if "huggingface_hub" in sys.modules:
        from huggingface_hub.utils import disable_progress_bars

        disable_progress_bars()
    if "transformers" in sys.modules:
        from transformers.utils import logging

        logging.disable_progress_bar()
