"""The deployment files agree with each other, and Compose itself accepts docker-compose.yml."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]


def _compose_cli() -> list[str]:
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    assert legacy, "no Compose CLI; `make test` installs Debian's docker-compose"
    return [legacy]


def test_compose_config_is_valid() -> None:
    proc = subprocess.run([*_compose_cli(), "-f", str(REPO / "docker-compose.yml"), "config"],
                          capture_output=True, text=True, timeout=60, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    resolved = yaml.safe_load(proc.stdout)
    assert set(resolved["services"]) == {"postgres", "reelquant_user_code", "webserver", "daemon"}


def test_compose_services() -> None:
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    services = compose["services"]
    pg = services["postgres"]
    assert pg["image"].startswith("postgres:16")
    assert "pg_isready" in " ".join(pg["healthcheck"]["test"])
    # The UI is published on loopback only.
    assert services["webserver"]["ports"] == ["127.0.0.1:3000:3000"]
    for name in ("reelquant_user_code", "webserver", "daemon"):
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "/var/run/docker.sock:/var/run/docker.sock" in services["daemon"]["volumes"]
    assert {"reelquant_data", "reelquant_inbox", "postgres_data"} <= set(compose["volumes"])
    assert "reelquant_inbox:/data/inbox" in services["reelquant_user_code"]["volumes"]


def test_workspace_points_at_the_code_server() -> None:
    workspace = yaml.safe_load((REPO / "workspace.yaml").read_text())
    grpc = workspace["load_from"][0]["grpc_server"]
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    command = compose["services"][grpc["host"]]["command"]
    assert str(grpc["port"]) == command[command.index("-p") + 1]
    assert "pipeline_defs.definitions" in command


def test_dagster_yaml_production_settings() -> None:
    config = yaml.safe_load((REPO / "dagster.yaml").read_text())
    assert config["run_launcher"]["class"] == "DockerRunLauncher"
    assert config["run_launcher"]["config"]["network"] == "reelquant"
    assert config["run_coordinator"]["class"] == "QueuedRunCoordinator"
    assert config["concurrency"]["pools"]["default_limit"] == 1
    assert config["run_retries"]["enabled"] is True
    requests = config["run_launcher"]["config"]["container_kwargs"]["device_requests"]
    assert requests[0]["capabilities"] == [["gpu"]]
    compose_env = yaml.safe_load((REPO / "docker-compose.yml").read_text())["x-dagster-env"]
    assert set(config["run_launcher"]["config"]["env_vars"]) <= set(compose_env)
    # Stored asset values outlive each run's container: they sit on the volume every run mounts.
    mounts = dict(v.split(":", 1) for v in config["run_launcher"]["config"]["container_kwargs"]["volumes"])
    base = config["local_artifact_storage"]["config"]["base_dir"]
    assert any(base == target or base.startswith(target.rstrip("/") + "/") for target in mounts.values()), base


def test_dockerfile_targets_and_user() -> None:
    text = (REPO / "Dockerfile").read_text()
    targets = re.findall(r"^FROM \S+ AS (\w+)", text, flags=re.M)
    assert {"cpu", "cuda"} <= set(targets)
    assert re.search(r"^USER reelquant$", text, flags=re.M)
    # Each image compiles vectorbt's simulation loops once, as the user its runs are, into a cache it owns.
    for target in re.split(r"^FROM ", text, flags=re.M)[2:]:
        user_at = target.index("USER reelquant")
        assert target.index("RUN python -m reelquant.backtest.kernel_cache") > user_at, target[:40]
    assert "NUMBA_CACHE_DIR=/opt/numba-cache" in text and "chown -R reelquant:reelquant" in text
    assert "requirements.lock" in text and (REPO / "requirements.lock").is_file()
    for lock in re.findall(r"^COPY (requirements[\w-]*\.lock)", text, flags=re.M):
        pinned = [line for line in (REPO / lock).read_text().splitlines() if line and not line.startswith("#")]
        assert pinned and all("==" in line for line in pinned), lock
    gpu = dict(line.split("==") for line in (REPO / "requirements-gpu.lock").read_text().splitlines()
               if "==" in line and not line.startswith("#"))
    # The CUDA image runs WhisperX on the torch it was built for, beside the whole project.
    assert gpu["whisperx"] and gpu["torch"].startswith("2.8.") and gpu["torchaudio"].startswith("2.8.")
    assert {"dagster", "lancedb", "vectorbt", "pocketsphinx", "sentence-transformers"} <= set(gpu)
