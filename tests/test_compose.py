"""docker-compose.yml and the Dockerfile hold what a user of them relies on.

``docker-compose config`` (Debian's docker-compose, which the test command installs)
checks and resolves the compose file without a Docker engine; its resolved output is
what the assertions read. The Dockerfile cannot be built here, so its checks are the ones
that need no engine: every file it copies exists and it runs as a user that is not root.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

# Each test starts processes of its own (redis-server, gunicorn, the run command).
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"


def compose(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run docker-compose on the project's file with only the given environment."""
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.fail("no docker-compose: the test command installs Debian's docker-compose")
    # A clean environment: the caller's REDIS_URL or SECRET_KEY must not leak in. The
    # metrics token is set unless a test says otherwise ("": unset).
    env = {"METRICS_TOKEN": "a-metrics-token", **env}
    return subprocess.run(
        [binary, "--project-directory", str(ROOT), "-f", str(COMPOSE), *args],
        env={"PATH": "/usr/bin:/bin", "HOME": "/tmp", **{k: v for k, v in env.items() if v}},
        capture_output=True,
        text=True,
        timeout=30,
    )


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    """Return the resolved compose file, with SECRET_KEY set as a user would."""
    quiet = compose("config", "-q", SECRET_KEY="a-long-random-value")
    assert quiet.returncode == 0, quiet.stderr
    resolved = compose("config", SECRET_KEY="a-long-random-value")
    assert resolved.returncode == 0, resolved.stderr
    return dict(yaml.safe_load(resolved.stdout))


def test_compose_without_secret_key_fails_with_a_clear_message() -> None:
    result = compose("config", "-q")
    assert result.returncode != 0
    assert "set SECRET_KEY" in result.stderr


def test_compose_without_a_metrics_token_fails_with_a_clear_message() -> None:
    result = compose("config", "-q", SECRET_KEY="x", METRICS_TOKEN="")
    assert result.returncode != 0
    assert "set METRICS_TOKEN" in result.stderr


def test_compose_passes_the_metrics_token_on(config: dict[str, Any]) -> None:
    assert config["services"]["web"]["environment"]["METRICS_TOKEN"] == "a-metrics-token"


def test_redis_keeps_its_data_and_reports_its_health(config: dict[str, Any]) -> None:
    redis = config["services"]["redis"]
    command = redis["command"]
    command = command if isinstance(command, list) else command.split()
    assert command[command.index("--appendonly") + 1] == "yes"
    assert command[command.index("--appendfsync") + 1] == "everysec"
    volume, target = redis["volumes"][0].split(":")[:2]
    assert volume in config["volumes"] and target == "/data"  # a named volume, kept
    assert "redis-cli" in redis["healthcheck"]["test"]
    assert "ping" in redis["healthcheck"]["test"]


def test_appendfsync_can_be_overridden() -> None:
    result = compose("config", SECRET_KEY="x", REDIS_APPENDFSYNC="always")
    assert result.returncode == 0, result.stderr
    command = yaml.safe_load(result.stdout)["services"]["redis"]["command"]
    assert command[command.index("--appendfsync") + 1] == "always"


def test_redis_has_a_memory_bound_without_eviction(config: dict[str, Any]) -> None:
    command = config["services"]["redis"]["command"]
    assert command[command.index("--maxmemory") + 1] == "1gb"
    assert command[command.index("--maxmemory-policy") + 1] == "noeviction"
    result = compose("config", SECRET_KEY="x", REDIS_MAXMEMORY="3gb")
    assert result.returncode == 0, result.stderr
    command = yaml.safe_load(result.stdout)["services"]["redis"]["command"]
    assert command[command.index("--maxmemory") + 1] == "3gb"


def test_web_waits_for_redis_and_reports_readiness(config: dict[str, Any]) -> None:
    web = config["services"]["web"]
    assert web["depends_on"]["redis"]["condition"] == "service_healthy"
    assert "/readyz" in " ".join(web["healthcheck"]["test"])
    env = web["environment"]
    assert env["SECRET_KEY"] == "a-long-random-value"
    assert env["REDIS_URL"] == "redis://redis:6379/0"
    assert web["build"]["context"] == str(ROOT)


def test_a_stopping_workers_waiting_connections_go_to_another_worker(
    config: dict[str, Any],
) -> None:
    """Each worker has its own socket (reuse_port): the kernel must hand its queue on."""
    assert str(config["services"]["web"]["sysctls"]["net.ipv4.tcp_migrate_req"]) == "1"


def test_web_can_use_a_managed_redis_or_a_cluster() -> None:
    result = compose(
        "config", SECRET_KEY="x", REDIS_URL="rediss://:pw@redis.example.net:6380/0",
        REDIS_CLUSTER="1",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    env = yaml.safe_load(result.stdout)["services"]["web"]["environment"]
    assert env["REDIS_URL"] == "rediss://:pw@redis.example.net:6380/0"
    assert env["REDIS_CLUSTER"] == "1"


def dockerfile_instructions() -> list[tuple[str, str]]:
    """Return the Dockerfile's (instruction, arguments), continuation lines joined."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def test_dockerfile_copies_files_that_exist_and_dockerignore_keeps() -> None:
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    kept = {line[1:].rstrip("/") for line in ignored if line.startswith("!")}
    copies = [args for op, args in dockerfile_instructions() if op == "COPY"]
    assert copies
    for args in copies:
        if args.startswith("--from="):
            continue  # from the build stage, not from the context
        *sources, _destination = args.split()
        for source in sources:
            assert (ROOT / source).exists(), f"the Dockerfile copies {source}, which is missing"
            assert source.rstrip("/") in kept, f".dockerignore leaves {source} out"


def test_dockerfile_runs_gunicorn_as_a_user_that_is_not_root() -> None:
    instructions = dockerfile_instructions()
    final_stage = instructions[max(i for i, (op, _) in enumerate(instructions) if op == "FROM") :]
    assert final_stage[0][1].startswith("python:3.11-slim")
    users = [args for op, args in final_stage if op == "USER"]
    assert users and users[-1] not in {"root", "0"}
    assert "useradd" in " ".join(args for op, args in final_stage if op == "RUN")
    command = next(args for op, args in reversed(final_stage) if op == "CMD")
    assert "gunicorn" in command and "gunicorn.conf.py" in command
    healthcheck = next(args for op, args in final_stage if op == "HEALTHCHECK")
    assert "/readyz" in healthcheck and "curl" not in healthcheck
    assert any(op == "ENV" and "BIND=0.0.0.0:8000" in args for op, args in final_stage)
    # Not the dev extras: the image installs the package's own dependencies only.
    assert "[dev]" not in DOCKERFILE.read_text() and "[test]" not in DOCKERFILE.read_text()


def test_the_webhooks_worker_runs_beside_web_from_the_same_image(config: dict[str, Any]) -> None:
    worker, web = config["services"]["worker"], config["services"]["web"]
    assert worker["image"] == web["image"]
    assert worker["command"] == ["flask", "--app", "widget", "webhooks", "work"]
    assert worker["environment"]["REDIS_URL"] == web["environment"]["REDIS_URL"]
    assert worker["depends_on"]["redis"]["condition"] == "service_healthy"
