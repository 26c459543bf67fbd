"""The deployment files (Dockerfile, deploy/compose.yaml, deploy/Caddyfile, deploy/systemd/)
checked the way a reviewer and a container engine would, on a machine without one.

- The Dockerfile passes hadolint; its build-time ``collectstatic`` line is run as written (the
  production settings load with the build-only placeholders, none of which stays in the image's
  environment); the container's ``web`` command is started as the image starts it and answers
  its health check, serves the static files collected at build time, and refuses other hosts.
- The compose file is valid against the Compose Specification's JSON schema (vendored) and
  holds what a reviewer asks for: non-root services (or official images), no secret in the
  file, one image for web, worker and migrate, health checks, only the proxy publishes ports,
  the database and Redis on an internal network.
- The Caddyfile is validated and run by a real Caddy in front of a stand-in upstream: HTTPS,
  HTTP redirected, ``X-Forwarded-Proto: https`` and a request id of its own sent upstream,
  ``/metrics`` never forwarded whatever its spelling, a French 503 when no replica answers.
- The systemd units pass ``systemd-analyze verify`` and ``security`` (exposure at most 2.5).
- ``deploy/env.example`` names every variable the settings read.

They touch no database (the ``web`` command runs on a SQLite file of its own): they run in the
SQLite pass only. The PostgreSQL first-start script is checked in ``test_postgres_first_start.py``.
"""

import http.client
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import jsonschema
import pytest
import yaml

from maillage.core.tests.processes import wait_for
from maillage.core.tests.smtp import free_port

pytestmark = pytest.mark.engine_independent

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = DEPLOY / "compose.yaml"
CADDYFILE = DEPLOY / "Caddyfile"
SYSTEMD = DEPLOY / "systemd"
BIN = Path(sys.executable).parent  # hadolint and caddy come with the dev dependencies
SECRET_NAMES = ("SECRET_KEY", "FIELD_ENCRYPTION_KEY", "PASSWORD", "TOKEN", "BACKUP_KEY",
                "CLIENT_SECRET", "API_KEY")


# --- Dockerfile ----------------------------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n(\s*#[^\n]*\n)*", " ", DOCKERFILE.read_text())
    result = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            instruction, _, args = line.partition(" ")
            result.append((instruction.upper(), " ".join(args.split())))
    return result


def runtime_stage() -> list[tuple[str, str]]:
    instructions = dockerfile_instructions()
    last_from = max(i for i, (name, _) in enumerate(instructions) if name == "FROM")
    return instructions[last_from:]


def test_dockerfile_passes_hadolint():
    result = subprocess.run(  # noqa: S603
        [str(BIN / "hadolint"), "--no-color", "--format", "json", "--failure-threshold",
         "style", str(DOCKERFILE)],
        capture_output=True, text=True, timeout=60,
    )
    findings = json.loads(result.stdout or "[]")
    assert findings == [], findings
    assert result.returncode == 0, result.stderr
    # The one rule ignored (DL3008: apt package versions) is ignored on its line, with the reason.
    ignores = re.findall(r"# hadolint ignore=(\S+)", DOCKERFILE.read_text())
    assert ignores == ["DL3008"]


def test_dockerfile_is_multi_stage_non_root_and_keeps_no_secret():
    instructions = dockerfile_instructions()
    stages = [args for name, args in instructions if name == "FROM"]
    assert len(stages) >= 3, stages  # uv, builder, runtime
    assert any(" AS builder" in stage for stage in stages)
    runtime = runtime_stage()
    assert runtime[0][1].endswith("AS runtime")
    # Dependencies exactly as the lock file pins them, without the dev group.
    runs = " ".join(args for name, args in instructions if name == "RUN")
    assert "uv sync --locked --no-dev --no-install-project" in runs
    # The runtime stage installs libraries only: no compiler, no build headers.
    runtime_runs = " ".join(args for name, args in runtime if name == "RUN")
    for tool in ("gcc", "build-essential", "-dev ", "make "):
        assert tool not in runtime_runs
    for library in ("libpango-1.0-0", "libharfbuzz-subset0", "fonts-dejavu-core",
                    "postgresql-client"):
        assert library in runtime_runs
    # The final user is a fixed, non-root uid.
    users = [args for name, args in runtime if name == "USER"]
    assert users == ["10001:10001"]
    assert ("EXPOSE", "8000") in runtime
    healthcheck = next(args for name, args in runtime if name == "HEALTHCHECK")
    assert '"/app/deploy/healthcheck.py", "/healthz"' in healthcheck
    assert ("ENTRYPOINT", '["/app/deploy/docker-entrypoint.sh"]') in runtime
    assert ("CMD", '["web"]') in runtime
    # No secret (even a placeholder) in the image's environment or build arguments.
    kept = " ".join(args for name, args in instructions if name in {"ENV", "ARG", "LABEL"})
    for name in (*SECRET_NAMES, "ALLOWED_HOSTS"):
        assert name not in kept, name
    assert "MAILLAGE_ENV=production" in kept


def test_dockerignore_keeps_secrets_and_local_state_out_of_the_build():
    lines = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    for pattern in (".git", ".venv", "var", "*.env", "deploy"):
        assert pattern in lines, pattern
    # deploy/ is excluded but for the two scripts the image runs; the env files stay out.
    assert [line for line in lines if line.startswith("!")] == [
        "!deploy/docker-entrypoint.sh", "!deploy/healthcheck.py"]
    copied = " ".join(args for name, args in dockerfile_instructions() if name == "COPY")
    assert "deploy/docker-entrypoint.sh deploy/healthcheck.py" in copied


def build_time_collectstatic_env() -> dict[str, str]:
    """The ``VAR=value`` assignments of the Dockerfile's ``collectstatic`` line, as written."""
    run = next(args for name, args in runtime_stage()
               if name == "RUN" and "collectstatic" in args)
    prefix = run.split("maillage collectstatic")[0]
    return dict(pair.split("=", 1) for pair in prefix.split())


@pytest.fixture(scope="module")
def collected_static(tmp_path_factory):
    """Runs the image's build-time ``collectstatic`` (its command and placeholder values) into a
    temporary STATIC_ROOT, as the runtime stage does."""
    root = tmp_path_factory.mktemp("image")
    env = {key: value for key, value in os.environ.items()
           if key not in {"DATABASE_URL", "DEBUG", "SECRET_KEY", "FIELD_ENCRYPTION_KEY"}}
    env.update(build_time_collectstatic_env())
    env.update({"MAILLAGE_ENV": "production", "MAILLAGE_VAR_DIR": str(root / "build-var"),
                "STATIC_ROOT": str(root / "static")})
    result = subprocess.run(  # noqa: S603
        [str(BIN / "maillage"), "collectstatic", "--noinput", "--verbosity", "0"],
        env=env, capture_output=True, text=True, timeout=300, cwd=root,
    )
    assert result.returncode == 0, result.stderr
    return root / "static"


def test_build_time_collectstatic_loads_production_settings_with_placeholders(collected_static):
    placeholders = build_time_collectstatic_env()
    assert set(placeholders) == {"MAILLAGE_VAR_DIR", "SECRET_KEY", "FIELD_ENCRYPTION_KEY",
                                 "ALLOWED_HOSTS"}
    # The production storage: a manifest of hashed names, and compressed copies.
    manifest = json.loads((collected_static / "staticfiles.json").read_text())["paths"]
    hashed = manifest["maillage/css/app.css"]
    assert re.fullmatch(r"maillage/css/app\.[0-9a-f]{12}\.css", hashed)
    assert (collected_static / hashed).is_file()
    assert (collected_static / f"{hashed}.gz").is_file()


def production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a container started from the image, as maillage.env fills it in
    (a throwaway SQLite database: the container's commands, not the database, are tested)."""
    from cryptography.fernet import Fernet

    # Not the test process's own settings (the browser journeys set DJANGO_ALLOW_ASYNC_UNSAFE
    # in it, which `check --deploy` rightly refuses).
    env = {key: value for key, value in os.environ.items()
           if key not in {"DATABASE_URL", "DEBUG", "REDIS_URL", "CACHE_URL",
                          "DJANGO_ALLOW_ASYNC_UNSAFE", "PROMETHEUS_MULTIPROC_DIR"}}
    env.update({
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "MAILLAGE_ENV": "production",
        "SECRET_KEY": "test-" + uuid.uuid4().hex + uuid.uuid4().hex,
        "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "ALLOWED_HOSTS": "maillage.test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "MAILLAGE_VAR_DIR": str(tmp_path / "var"),
        **extra,
    })
    return env


def http_get(port: int, path: str, headers: dict[str, str]) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    response.body = response.read()
    connection.close()
    return response


def test_container_web_command_serves_health_and_static_files(collected_static, tmp_path):
    """``docker-entrypoint.sh web`` as the image runs it (production settings, the static files
    collected at build time), on a free port instead of 8000."""
    port = free_port()
    env = production_env(tmp_path, STATIC_ROOT=str(collected_static), PORT=str(port))
    manifest = collected_static / "staticfiles.json"
    collected_at = manifest.stat().st_mtime_ns
    server = subprocess.Popen(  # noqa: S603
        ["/bin/sh", str(DEPLOY / "docker-entrypoint.sh"), "web", "--workers", "1"],
        env=env, cwd=tmp_path, start_new_session=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )

    def healthcheck(path: str, check_port: int = port):
        return subprocess.run(  # noqa: S603
            [sys.executable, str(DEPLOY / "healthcheck.py"), path],
            env={**env, "PORT": str(check_port)}, capture_output=True, text=True, timeout=30)

    try:
        ok = wait_for(lambda: (r := healthcheck("/healthz")).returncode == 0 and r, 60,
                      "the web command to answer /healthz")
        assert ok.stdout.strip() == "/healthz: HTTP 200"
        # Without the proxy's header, production redirects plain HTTP to HTTPS: this is why
        # the health check says X-Forwarded-Proto like the proxy does.
        plain = http_get(port, "/", {"Host": "maillage.test"})
        assert plain.status == 301
        assert plain.getheader("Location") == "https://maillage.test/"
        # Another host name is refused (ALLOWED_HOSTS).
        other = http_get(port, "/", {"Host": "evil.example", "X-Forwarded-Proto": "https"})
        assert other.status == 400
        # The static files collected at build time are served, under their hashed names.
        hashed = json.loads(manifest.read_text())["paths"]["maillage/css/app.css"]
        css = http_get(port, f"/static/{hashed}", {"Host": "maillage.test",
                                                   "X-Forwarded-Proto": "https"})
        assert css.status == 200
        assert css.body == (collected_static / hashed).read_bytes()
        assert "immutable" in css.getheader("Cache-Control", "")
        # The container did not collect them again (read-only file system, --sans-collectstatic).
        assert manifest.stat().st_mtime_ns == collected_at
        # A port where nothing answers: the health check fails, with the reason.
        down = healthcheck("/healthz", free_port())
        assert down.returncode == 1
        assert "Connection refused" in down.stdout
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        output = server.communicate(timeout=30)[0].decode(errors="replace")
    assert "Maillage servi sur http://0.0.0.0:" in output, output


def test_container_passes_other_commands_to_maillage(tmp_path):
    """Any other role is a ``maillage`` command: here ``check --deploy`` with the production
    settings the image runs with, as an operator would after filling in maillage.env."""
    env = production_env(tmp_path, STATIC_ROOT=str(tmp_path / "static"))
    result = subprocess.run(  # noqa: S603
        ["/bin/sh", str(DEPLOY / "docker-entrypoint.sh"), "check", "--deploy"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
    # Without a secret key the same command refuses to start, and says why.
    env["SECRET_KEY"] = ""
    refused = subprocess.run(  # noqa: S603
        ["/bin/sh", str(DEPLOY / "docker-entrypoint.sh"), "check", "--deploy"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert refused.returncode != 0
    assert "SECRET_KEY is required in production" in refused.stderr


# --- compose.yaml --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def test_compose_file_is_valid_against_the_compose_specification(compose):
    schema = json.loads((DEPLOY / "vendor" / "compose-spec.json").read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    errors = [f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
              for error in jsonschema.Draft7Validator(schema).iter_errors(compose)]
    assert errors == []
    # The validator does refuse what the engine would refuse.
    broken = {**compose, "services": {**compose["services"],
                                      "web": {**compose["services"]["web"], "restart": 3}}}
    assert list(jsonschema.Draft7Validator(schema).iter_errors(broken))


def test_compose_services_are_the_platform_described(compose):
    services = compose["services"]
    assert set(services) == {"postgres", "redis", "migrate", "web", "worker", "proxy"}
    # One image for the three Maillage services, each with its role.
    maillage = {name: services[name] for name in ("migrate", "web", "worker")}
    assert {service["image"] for service in maillage.values()} == {
        "${MAILLAGE_IMAGE:-maillage:latest}"}
    assert {name: service["command"] for name, service in maillage.items()} == {
        "migrate": ["migrate"], "web": ["web"], "worker": ["worker"]}
    # Every service runs unprivileged, or is a Docker official image (no namespace).
    for name, service in services.items():
        user = str(service.get("user", ""))
        official = "/" not in service["image"].split(":")[0]
        assert (user and user.split(":")[0] not in {"0", "root"}) or official, name
    for name, service in maillage.items():
        assert service["user"] == "10001:10001"
        assert service["read_only"] is True and service["cap_drop"] == ["ALL"], name
    # Base images pinned by a version tag, never "latest".
    for name in ("postgres", "redis", "proxy"):
        assert re.search(r":\d+\.\d+", services[name]["image"]), name
    # Migrations as the owner, once, before web and worker; only migrate reads the owner's URL.
    assert services["migrate"]["env_file"] == ["maillage.env", "maillage-owner.env"]
    assert services["migrate"]["restart"] == "no"
    for name in ("web", "worker"):
        assert services[name]["env_file"] == ["maillage.env"]
        assert services[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"}
    # Stopping lets the work in flight finish: gunicorn on SIGTERM, Huey on SIGINT.
    assert services["worker"]["stop_signal"] == "SIGINT"
    assert "stop_signal" not in services["web"]
    # Web scales: replicas, no fixed container name, no published port.
    assert services["web"]["deploy"]["replicas"] >= 2
    assert all("container_name" not in service for service in services.values())
    # Uploaded documents shared by web and worker; backups kept by the worker. The image creates
    # both directories for uid 10001: a new named volume takes that owner.
    created = next(args for name, args in runtime_stage() if name == "RUN" and "install -d" in args)
    assert "-o maillage -g maillage" in created
    assert "/var/lib/maillage/media" in created and "/var/lib/maillage/backups" in created
    assert "media:/var/lib/maillage/media" in services["web"]["volumes"]
    assert {"media:/var/lib/maillage/media", "backups:/var/lib/maillage/backups"} <= set(
        services["worker"]["volumes"])
    assert "postgres-data:/var/lib/postgresql/data" in services["postgres"]["volumes"]


def test_compose_publishes_only_the_proxy_and_isolates_the_data(compose):
    services = compose["services"]
    assert [name for name, service in services.items() if "ports" in service] == ["proxy"]
    assert services["proxy"]["ports"] == ["80:80", "443:443", "443:443/udp"]
    assert compose["networks"]["data"] == {"internal": True}
    assert services["postgres"]["networks"] == ["data"]
    assert services["redis"]["networks"] == ["data"]
    assert services["proxy"]["networks"] == ["edge"]
    assert "./Caddyfile:/etc/caddy/Caddyfile:ro" in services["proxy"]["volumes"]


def test_compose_health_checks(compose):
    services = compose["services"]
    for name in ("postgres", "redis", "web", "proxy"):
        assert services[name]["healthcheck"]["test"], name
    assert services["web"]["healthcheck"]["test"] == [
        "CMD", "python", "/app/deploy/healthcheck.py", "/readyz"]
    # The worker and the one-shot migration serve no HTTP: the image's check is switched off.
    assert services["worker"]["healthcheck"] == {"disable": True}
    assert services["migrate"]["healthcheck"] == {"disable": True}
    assert services["proxy"]["depends_on"]["web"] == {"condition": "service_healthy"}
    assert services["migrate"]["depends_on"]["postgres"] == {"condition": "service_healthy"}


def walk(value):
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)
    else:
        yield str(value)


def test_compose_file_holds_no_secret(compose):
    for service in compose["services"].values():
        environment = service.get("environment", {})
        names = environment if isinstance(environment, dict) else [
            item.split("=")[0] for item in environment]
        for name in names:
            assert not any(secret in name for secret in SECRET_NAMES), name
    text = COMPOSE.read_text()
    # No credentials in a URL, no password or key assignment.
    assert not re.search(r"://[^/\s:@]+:[^@\s]+@", text)
    for value in walk(compose):
        assert not re.search(r"(PASSWORD|SECRET|_KEY|TOKEN)\s*[=:]\s*\S", value), value
    # The env files it reads each have a committed example, and are themselves git-ignored.
    examples = {"maillage.env": "env.example", "maillage-owner.env": "owner.env.example",
                "postgres.env": "postgres.env.example", "proxy.env": "proxy.env.example"}
    env_files = {name for service in compose["services"].values()
                 for name in service.get("env_file", [])}
    assert env_files == set(examples)
    for example in examples.values():
        assert (DEPLOY / example).is_file(), example
    assert "/deploy/*.env" in (ROOT / ".gitignore").read_text().splitlines()


SETTINGS_ONLY_IN_TESTS = {"MAILLAGE_TESTING", "HUEY_IMMEDIATE"}
# Read elsewhere than settings.py: the entrypoint (DB_APP_ROLE), ``maillage serve``
# (WEB_CONCURRENCY), ``maillage worker`` (WORKER_METRICS_PORT), gunicorn's configuration
# (GUNICORN_TIMEOUT).
READ_ELSEWHERE = {"DB_APP_ROLE", "WEB_CONCURRENCY", "WORKER_METRICS_PORT", "GUNICORN_TIMEOUT"}


def test_env_example_lists_every_setting_from_the_environment():
    source = (ROOT / "maillage" / "settings.py").read_text()
    read = set(re.findall(r"[Ee]nv(?:\(\))?(?:\.\w+)?\(\s*\"([A-Z][A-Z0-9_]+)\"", source))
    assert {"SECRET_KEY", "DATABASE_URL", "CACHE_URL", "MAILLAGE_VAR_DIR", "PSC_ISSUER",
            "EMAIL_BACKEND"} <= read
    listed = set(re.findall(r"^#?([A-Z][A-Z0-9_]+)=", (DEPLOY / "env.example").read_text(),
                            re.MULTILINE))
    assert read - SETTINGS_ONLY_IN_TESTS - listed == set()
    # And nothing listed that nobody reads (a misspelt name would be silently ignored).
    assert listed - read - READ_ELSEWHERE == set()


def test_env_example_is_production_ready_once_filled():
    values = dict(re.findall(r"^([A-Z][A-Z0-9_]+)=(.*)$", (DEPLOY / "env.example").read_text(),
                             re.MULTILINE))
    assert values["MAILLAGE_ENV"] == "production"
    # Secrets are left empty (to fill in), never given a sample value that could stay.
    for name in ("SECRET_KEY", "FIELD_ENCRYPTION_KEY", "BACKUP_KEY", "METRICS_TOKEN",
                 "EMAIL_HOST_PASSWORD", "PSC_CLIENT_SECRET", "MSSANTE_PASSWORD"):
        assert values[name] == "", name
    # The application's database URL uses the application role, never the owner.
    assert values["DATABASE_URL"].startswith("postgres://maillage_app:")
    owner = dict(re.findall(r"^([A-Z_]+)=(.*)$",
                            (DEPLOY / "owner.env.example").read_text(), re.MULTILINE))
    assert owner["DATABASE_URL"].startswith("postgres://maillage_owner:")
    # The paths match the compose file's volumes.
    assert values["MEDIA_ROOT"] == "/var/lib/maillage/media"
    assert values["BACKUP_DIR"] == "/var/lib/maillage/backups"
    assert values["REDIS_URL"] != values["CACHE_URL"]


# --- Caddyfile ----------------------------------------------------------------------------------


def caddy_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path),
            "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "config"),
            **extra}


def test_caddyfile_is_valid_for_each_kind_of_certificate(tmp_path):
    for tls in ("exploitation@example.fr", "internal",
                "/etc/caddy/certs/fullchain.pem /etc/caddy/certs/privkey.pem"):
        result = subprocess.run(  # noqa: S603
            [str(BIN / "caddy"), "adapt", "--adapter", "caddyfile", "--config", str(CADDYFILE)],
            env=caddy_env(tmp_path, MAILLAGE_DOMAIN="maillage.example.fr", MAILLAGE_TLS=tls),
            capture_output=True, text=True, timeout=60,
        )
        assert result.returncode == 0, result.stderr
        assert '"level":"warn"' not in result.stderr, result.stderr
        config = json.loads(result.stdout)
        server = config["apps"]["http"]["servers"]["srv0"]
        assert server["listen"] == [":443"]
        assert server["routes"][0]["match"] == [{"host": ["maillage.example.fr"]}]


class Upstream(BaseHTTPRequestHandler):
    """A stand-in for the web replicas: records what the proxy sends."""

    seen: list[tuple[str, dict[str, str]]] = []

    def do_GET(self):  # noqa: N802 - http.server's name
        self.seen.append((self.path, {key.lower(): value for key, value in self.headers.items()}))
        body = b"amont"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_caddy_forwards_to_maillage_over_tls_and_never_exposes_metrics(tmp_path):
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    Upstream.seen = []
    # Polled every 50 ms for shutdown (0.5 s by default), which the test does halfway.
    threading.Thread(target=upstream.serve_forever, args=(0.05,), daemon=True).start()
    http_port, https_port = free_port(), free_port()
    storage = tmp_path / "caddy"
    config = tmp_path / "Caddyfile"
    access_log = tmp_path / "access.log"
    log_file = access_log.open("wb")
    # The production Caddyfile, imported as is, behind test-only global options (ports, storage,
    # no admin endpoint, no change to the system's trust store).
    config.write_text(
        "{\n\tadmin off\n\tpersist_config off\n\tskip_install_trust\n"
        f"\thttp_port {http_port}\n\thttps_port {https_port}\n"
        f"\tstorage file_system {storage}\n}}\n\nimport {CADDYFILE}\n"
    )
    env = caddy_env(tmp_path, MAILLAGE_DOMAIN="localhost", MAILLAGE_TLS="internal",
                    MAILLAGE_WEB_HOST="127.0.0.1",
                    MAILLAGE_WEB_PORT=str(upstream.server_address[1]))
    caddy = subprocess.Popen(  # noqa: S603
        [str(BIN / "caddy"), "run", "--adapter", "caddyfile", "--config", str(config)],
        env=env, stdout=log_file, stderr=subprocess.PIPE,
    )
    root_ca = storage / "pki" / "authorities" / "local" / "root.crt"

    def get(path: str, headers=None, port: int = https_port, secure: bool = True):
        if secure:
            context = ssl.create_default_context(cafile=str(root_ca))
            connection = http.client.HTTPSConnection("localhost", port, context=context,
                                                     timeout=10)
        else:
            connection = http.client.HTTPConnection("localhost", port, timeout=10)
        try:
            connection.request("GET", path, headers=headers or {})
            response = connection.getresponse()
            response.body = response.read()
            return response
        finally:
            connection.close()

    def ready():
        try:
            return root_ca.exists() and get("/").status == 200
        except (OSError, ssl.SSLError):
            return False

    try:
        wait_for(ready, 30, "Caddy to serve HTTPS")
        # Forwarded, with the scheme and a request id set by the proxy, whatever the client says.
        response = get("/beneficiaires/", {"X-Forwarded-Proto": "http",
                                           "X-Request-ID": "client-chosen",
                                           "Cookie": "sessionid=do-not-log-me",
                                           "Authorization": "Bearer do-not-log-me"})
        assert (response.status, response.body) == (200, b"amont")
        path, headers = next((p, h) for p, h in Upstream.seen if p == "/beneficiaires/")
        assert headers["x-forwarded-proto"] == "https"
        assert headers["host"] == f"localhost:{https_port}"
        assert headers["x-forwarded-for"] == "127.0.0.1"
        assert uuid.UUID(headers["x-request-id"]) and headers["x-request-id"] != "client-chosen"
        # /metrics is refused by the proxy itself, however it is spelt.
        for spelling in ("/metrics", "/metrics/", "/metrics?format=text", "/METRICS",
                         "/%6detrics", "//metrics", "/./metrics", "/static/../metrics",
                         "/metrics/x"):
            assert get(spelling).status == 404, spelling
        assert not [p for p, _ in Upstream.seen if "metrics" in p.lower()
                    or "%6d" in p.lower()]
        # Plain HTTP only redirects to HTTPS.
        redirect = get("/beneficiaires/", port=http_port, secure=False)
        assert redirect.status == 308
        location = redirect.getheader("Location")
        assert location.startswith("https://localhost") and location.endswith("/beneficiaires/")
        # No replica answers: a French 503, with Retry-After.
        upstream.shutdown()
        upstream.server_close()
        down = get("/")
        assert down.status == 503
        assert down.body.decode() == ("Service momentanément indisponible. "
                                      "Réessayez dans quelques instants.")
        assert down.getheader("Retry-After") == "30"
    finally:
        caddy.terminate()
        stderr = caddy.communicate(timeout=30)[1].decode(errors="replace")
        log_file.close()
        upstream.server_close()
    # The access log: one JSON line per request on stdout, with the request id the upstream got
    # (so the application's log lines can be joined to it), without the credentials.
    lines = [json.loads(line) for line in access_log.read_text().splitlines()
             if '"http.log.access' in line]
    entry = next(line for line in lines if line["request"]["uri"] == "/beneficiaires/"
                 and line["status"] == 200)
    assert entry["uuid"] == headers["x-request-id"]
    assert entry["request"]["client_ip"] == "127.0.0.1"
    assert "do-not-log-me" not in access_log.read_text()
    # Nothing was logged as an error but the refused connections of the last request.
    errors = [line for line in stderr.splitlines() if '"level":"error"' in line
              and "connection refused" not in line and "no upstreams available" not in line]
    assert errors == []


# --- systemd ------------------------------------------------------------------------------------

UNITS = ("maillage-web.service", "maillage-worker.service", "maillage-migrate.service")
HARDENING = {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes",
             "PrivateTmp": "yes", "ReadWritePaths": "/var/lib/maillage", "User": "maillage"}


def unit_entries(name: str) -> list[tuple[str, str, str]]:
    """(section, key, value) of a unit file; keys may repeat (ExecStart=, Environment=)."""
    section, entries = "", []
    for line in (SYSTEMD / name).read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
        else:
            key, _, value = line.partition("=")
            entries.append((section, key.strip(), value.strip()))
    return entries


def test_systemd_units_are_hardened_and_run_the_maillage_commands():
    assert sorted(path.name for path in SYSTEMD.iterdir()) == sorted(UNITS)
    commands = {}
    for name in UNITS:
        entries = unit_entries(name)
        service = {key: value for section, key, value in entries if section == "Service"}
        for key, value in HARDENING.items():
            assert service.get(key) == value, (name, key)
        assert service["CapabilityBoundingSet"] == ""
        env_files = [v for s, k, v in entries if k == "EnvironmentFile"]
        commands[name] = [v for s, k, v in entries if k == "ExecStart"]
        if name == "maillage-migrate.service":
            # The owner's URL only here, after (so overriding) the application's file.
            assert env_files == ["/etc/maillage/maillage.env", "/etc/maillage/owner.env"]
            assert service["Type"] == "oneshot"
        else:
            assert env_files == ["/etc/maillage/maillage.env"]
            unit = {key: value for section, key, value in entries if section == "Unit"}
            assert unit["Requires"] == "maillage-migrate.service"
            assert "maillage-migrate.service" in unit["After"].split()
            assert service["Restart"] == "on-failure"
    assert commands == {
        "maillage-web.service": [
            "/opt/maillage/.venv/bin/maillage serve --sans-worker --bind 127.0.0.1:8000"],
        "maillage-worker.service": ["/opt/maillage/.venv/bin/maillage worker"],
        "maillage-migrate.service": [
            "/opt/maillage/.venv/bin/maillage migrate --noinput",
            "/opt/maillage/.venv/bin/maillage db_app_role ${DB_APP_ROLE}"],
    }


@pytest.fixture
def systemd_root(tmp_path):
    """A throwaway root for ``systemd-analyze --root``: the system's own units, ours, and the
    executables they name (the installed venv does not exist on this machine)."""
    if not shutil.which("systemd-analyze") or not Path("/usr/lib/systemd/system").is_dir():
        pytest.skip("systemd-analyze is not installed (apt-get install systemd)")
    (tmp_path / "usr/lib/systemd").mkdir(parents=True)
    shutil.copytree("/usr/lib/systemd/system", tmp_path / "usr/lib/systemd/system",
                    symlinks=True)
    units = tmp_path / "etc/systemd/system"
    units.mkdir(parents=True)
    for name in UNITS:
        shutil.copy(SYSTEMD / name, units / name)
    executable = tmp_path / "opt/maillage/.venv/bin/maillage"
    executable.parent.mkdir(parents=True)
    executable.write_text("#!/bin/sh\n")
    executable.chmod(0o755)
    (tmp_path / "bin").mkdir()
    shutil.copy(shutil.which("kill") or "/bin/kill", tmp_path / "bin/kill")
    return tmp_path


def test_systemd_analyze_verify_and_security(systemd_root):
    verify = subprocess.run(  # noqa: S603
        ["systemd-analyze", "verify", f"--root={systemd_root}", *UNITS],  # noqa: S607
        capture_output=True, text=True, timeout=60,
    )
    assert (verify.returncode, verify.stdout, verify.stderr) == (0, "", "")
    # A misspelt directive is reported: the check above is not blind.
    broken = systemd_root / "etc/systemd/system/maillage-web.service"
    broken.write_text(broken.read_text().replace("ProtectHome=", "ProtectHom="))
    typo = subprocess.run(  # noqa: S603
        ["systemd-analyze", "verify", f"--root={systemd_root}", "maillage-web.service"],  # noqa: S607
        capture_output=True, text=True, timeout=60,
    )
    assert "Unknown key 'ProtectHom'" in typo.stderr
    shutil.copy(SYSTEMD / "maillage-web.service", broken)
    for name in UNITS:
        security = subprocess.run(  # noqa: S603
            ["systemd-analyze", "security", "--offline=yes", f"--root={systemd_root}",  # noqa: S607
             "--threshold=25", name],
            capture_output=True, text=True, timeout=60,
        )
        assert security.returncode == 0, security.stdout[-500:]
        exposure = re.search(r"Overall exposure level for \S+: (\d+\.\d)", security.stdout)
        assert float(exposure.group(1)) <= 2.5, (name, exposure.group(0))
