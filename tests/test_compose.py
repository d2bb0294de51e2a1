"""The compose stack (``docker/``) and the images, checked without a Docker engine.

The compose file is interpolated the way Compose does it (``${VAR}``, ``${VAR:-default}``,
``${VAR:?error}``, ``$$``) with the values of ``docker/.env.example``, then validated against the
Compose Specification's JSON schema: the copy that the ``check-jsonschema`` package (dev extra)
ships, so nothing is fetched at test time. The rest are the stack's own rules: dependency order
and conditions, health checks, loopback ports, volumes, one network, restart policies, pinned
tags, secrets only from the env file, UpTrade settings that exist, and ``uptrade`` commands that
the typer app really has.
"""

from __future__ import annotations

import copy
import json
import re
import shlex
import tomllib
from collections.abc import Iterator, Mapping
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import typer
import yaml
from sqlalchemy.engine import make_url

from uptrade.cli import app
from uptrade.data.updater import UpdaterConfig
from uptrade.settings import Settings, get_settings

ROOT = Path(__file__).resolve().parents[1]
DOCKER = ROOT / "docker"
COMPOSE = DOCKER / "docker-compose.yml"
ENV_EXAMPLE = DOCKER / ".env.example"

#: UpTrade services whose ``uptrade`` command arrives with a later issue: exactly these may be missing.
PENDING_COMMANDS: frozenset[str] = frozenset()

UPTRADE_SERVICES = frozenset({"db-init", "updater", "dashboard", "mcp"})
ONE_SHOT = frozenset({"db-init", "gateway-certs"})
SERVICES = UPTRADE_SERVICES | {
    "timescaledb",
    "hummingbot-postgres",
    "emqx",
    "gateway-certs",
    "hummingbot-api",
    "gateway",
    "hummingbot-mcp",
}
HEALTHCHECKED = frozenset({"timescaledb", "hummingbot-postgres", "emqx", "hummingbot-api", "gateway", "dashboard"})
SECRET_NAME = re.compile(r"PASSWORD|PASSPHRASE|SECRET|TOKEN|API_KEY")
PLACEHOLDERS = {"HBAPI_USERNAME": "operator"}  # a filled-in env file for the checks (secrets get a dummy)

_REF = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}"
    r"|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)


class MissingVariableError(ValueError):
    """A ``${VAR:?message}`` whose variable is unset (or empty, with the colon)."""


# ----------------------------------------------------------------------------- reading the files
def read_env_file(path: Path) -> dict[str, str]:
    """``NAME=value`` lines of an env file (comments and blank lines skipped)."""
    env: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, sep, value = line.partition("=")
            assert sep, f"{path.name}: not NAME=value: {line!r}"
            assert name.strip() not in env, f"{path.name}: {name} set twice"
            env[name.strip()] = value.strip()
    return env


def strings(node: Any) -> Iterator[str]:
    """Every string value in a parsed YAML document (keys are not interpolated by Compose)."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from strings(value)


def references(node: Any) -> list[tuple[str, str | None]]:
    """``(variable, operator)`` of every ``$VAR`` / ``${VAR...}`` in the document's values."""
    return [
        (m["braced"] or m["bare"], m["op"]) for text in strings(node) for m in _REF.finditer(text) if not m["escaped"]
    ]


def interpolate(node: Any, env: Mapping[str, str]) -> Any:
    """The document with its values interpolated as Compose does (raises on ``:?`` / ``?``)."""

    def one(m: re.Match[str]) -> str:
        if m["escaped"]:
            return "$"
        name, op, arg = m["braced"] or m["bare"], m["op"], m["arg"] or ""
        value = env.get(name)
        if op is None:
            return value or ""
        present = bool(value) if op.startswith(":") else value is not None
        if op.endswith("?"):
            if not present:
                raise MissingVariableError(f"{name}: {arg}")
            return value or ""
        if op.endswith("-"):
            return (value or "") if present else arg
        return arg if present else ""

    if isinstance(node, str):
        return _REF.sub(one, node)
    if isinstance(node, dict):
        return {key: interpolate(value, env) for key, value in node.items()}
    if isinstance(node, list):
        return [interpolate(value, env) for value in node]
    return node


def filled_env(example: Mapping[str, str]) -> dict[str, str]:
    """The example env file with its empty (required) values filled in, as an operator would."""
    return {
        name: value or PLACEHOLDERS.get(name, f"test{name.lower().replace('_', '')}") for name, value in example.items()
    }


def dockerfile(path: Path) -> list[tuple[str, str]]:
    """``(INSTRUCTION, arguments)`` of a Dockerfile, continuation lines joined, comments dropped."""
    joined: list[str] = []
    pending = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        joined.append(pending + line)
        pending = ""
    return [(x.split(None, 1)[0].upper(), x.split(None, 1)[1].strip()) for x in joined]


def env_of(instructions: list[tuple[str, str]]) -> dict[str, str]:
    """The ``ENV KEY=value ...`` pairs of a Dockerfile."""
    return dict(part.split("=", 1) for kind, args in instructions if kind == "ENV" for part in shlex.split(args))


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def example() -> dict[str, str]:
    return read_env_file(ENV_EXAMPLE)


@pytest.fixture(scope="module")
def compose(raw: dict[str, Any], example: dict[str, str]) -> dict[str, Any]:
    """The compose file as Compose sees it with a filled-in copy of .env.example."""
    return interpolate(raw, filled_env(example))


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


def environment(service: Mapping[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


def image_tag(image: str) -> tuple[str, str]:
    """``(repository, tag)``; an image without an explicit tag has tag ``""``."""
    name = image.split("@", 1)[0]
    repo, _, tag = name.rpartition(":") if ":" in name.rsplit("/", 1)[-1] else (name, "", "")
    return repo, tag


# ----------------------------------------------------------------------------- schema and interpolation
def test_compose_file_is_valid_against_the_compose_specification(compose: dict[str, Any]) -> None:
    schema_file = files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(compose)]
    assert not errors, errors
    # the schema does reject what Compose would: a misspelt key, a wrong type
    misspelt = copy.deepcopy(compose)
    misspelt["services"]["updater"]["restart_policy"] = "always"
    assert any("restart_policy" in e.message for e in validator.iter_errors(misspelt))
    wrong_type = copy.deepcopy(compose)
    wrong_type["services"]["timescaledb"]["healthcheck"]["retries"] = ["5"]
    assert any(list(e.absolute_path)[-1:] == ["retries"] for e in validator.iter_errors(wrong_type))


def test_env_example_names_exactly_the_variables_of_the_compose_file(
    raw: dict[str, Any], example: dict[str, str]
) -> None:
    used = {name for name, _ in references(raw)}
    assert used - example.keys() == set(), "used in docker-compose.yml, missing from .env.example"
    assert example.keys() - used == set(), "in .env.example, used nowhere in docker-compose.yml"


def test_required_values_stop_compose_when_left_empty(raw: dict[str, Any], example: dict[str, str]) -> None:
    """Every variable without a default is ``${VAR:?...}`` everywhere; unset, compose refuses to start."""
    ops: dict[str, set[str | None]] = {}
    for name, op in references(raw):
        ops.setdefault(name, set()).add(op)
    required = {name for name, found in ops.items() if found == {":?"}}
    optional = {name for name, found in ops.items() if found == {":-"}}
    assert required | optional == ops.keys(), {n: f for n, f in ops.items() if n not in required | optional}
    assert {n for n in example if SECRET_NAME.search(n)} - {"UPTRADE_POLYGON_API_KEY"} <= required
    for name in sorted(required):
        env = filled_env(example) | {name: ""}
        with pytest.raises(MissingVariableError, match=f"^{name}: set {name} in docker/.env$"):
            interpolate(raw, env)


def test_no_secret_value_is_written_in_the_compose_file(raw: dict[str, Any], example: dict[str, str]) -> None:
    for name, value in example.items():
        if SECRET_NAME.search(name):
            assert value == "", f".env.example must leave {name} empty"
    literal_urls = []
    for service_name, service in raw["services"].items():
        for key, value in environment(service).items():
            if SECRET_NAME.search(key):
                assert re.fullmatch(r"\$\{[A-Z0-9_]+:[?-][^}]*\}", value), f"{service_name}.{key} = {value!r}"
            if "://" in value and "@" in value:
                credentials = value.split("://", 1)[1].split("@", 1)[0]
                if ":" in credentials and not credentials.split(":", 1)[1].startswith("${"):
                    literal_urls.append(f"{service_name}.{key}")
    assert not literal_urls, f"passwords written into URLs: {literal_urls}"


# ----------------------------------------------------------------------------- services and images
def test_services_and_pinned_image_tags(services: dict[str, dict[str, Any]], example: dict[str, str]) -> None:
    assert set(services) == SERVICES
    for name, service in services.items():
        _, tag = image_tag(service["image"])
        assert tag, f"{name}: {service['image']} has no tag"
        assert tag != "latest", f"{name}: {service['image']}"
        assert re.search(r"\d", tag), f"{name}: {service['image']} is not a pinned version"
    version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    for name in UPTRADE_SERVICES:
        assert services[name]["image"] == f"uptrade:{version}", name
        assert services[name]["build"] == {"context": "..", "dockerfile": "Dockerfile"}, name
    # the MCP image is built from a pinned PyPI release: the tag repeats that version
    mcp_pin = re.search(r"hummingbot-mcp==([\w.]+)", (DOCKER / "hummingbot-mcp" / "Dockerfile").read_text())
    assert mcp_pin, "docker/hummingbot-mcp/Dockerfile pins no hummingbot-mcp version"
    assert services["hummingbot-mcp"]["image"] == f"uptrade/hummingbot-mcp:{mcp_pin[1]}"
    # and holds the MCP SDK below 2, whose removal of mcp.server.fastmcp breaks hummingbot-mcp 1.0.x
    assert re.search(r'"mcp\[cli\]==1\.\d+\.\d+"', (DOCKER / "hummingbot-mcp" / "Dockerfile").read_text())
    # bots run the Hummingbot release that Gateway comes from (they are released together)
    bot_repo, bot_tag = image_tag(example["UPTRADE_BOT_IMAGE"])
    assert bot_repo == "hummingbot/hummingbot"
    assert re.fullmatch(r"version-\d+\.\d+\.\d+", bot_tag)
    assert services["gateway"]["image"] == f"hummingbot/gateway:{bot_tag}"
    # and a user without the stack deploys the same image: the settings' default is that tag
    from uptrade.settings import Settings

    assert Settings.model_fields["bot_image"].default == example["UPTRADE_BOT_IMAGE"]
    assert services["gateway-certs"]["image"] == services["hummingbot-api"]["image"]


def test_dependency_order_and_conditions(services: dict[str, dict[str, Any]]) -> None:
    edges: dict[str, dict[str, str]] = {}
    for name, service in services.items():
        depends = service.get("depends_on", {})
        assert isinstance(depends, dict), f"{name}: depends_on without conditions"
        edges[name] = {target: spec["condition"] for target, spec in depends.items()}
        for target, condition in edges[name].items():
            assert target in services, f"{name} depends on an unknown service {target}"
            if condition == "service_healthy":
                assert "healthcheck" in services[target], f"{name} waits for {target}, which has no healthcheck"
            elif condition == "service_completed_successfully":
                assert target in ONE_SHOT, f"{name} waits for {target} to exit, but it runs on"
            else:
                pytest.fail(f"{name} -> {target}: {condition}")
    # TimescaleDB healthy -> hummingbot-api -> Gateway and hummingbot-mcp
    assert edges["hummingbot-api"]["timescaledb"] == "service_healthy"
    assert edges["gateway"]["hummingbot-api"] == "service_healthy"
    assert edges["hummingbot-mcp"]["hummingbot-api"] == "service_healthy"
    assert edges["gateway"]["gateway-certs"] == "service_completed_successfully"
    assert edges["hummingbot-api"]["gateway-certs"] == "service_completed_successfully"
    assert edges["db-init"] == {"timescaledb": "service_healthy"}
    for name in UPTRADE_SERVICES - {"db-init"}:
        assert edges[name]["db-init"] == "service_completed_successfully", name
    # the dashboard shows the store without hummingbot-api (and says it is down), so it does not wait
    assert edges["dashboard"] == {"db-init": "service_completed_successfully"}
    health = services["dashboard"]["healthcheck"]["test"]
    assert "http://127.0.0.1:8501/_stcore/health" in " ".join(health)  # Streamlit's own health route
    # a start order exists: no cycle
    order: list[str] = []
    while len(order) < len(edges):
        ready = sorted(n for n in edges if n not in order and set(edges[n]) <= set(order))
        assert ready, f"dependency cycle among {sorted(set(edges) - set(order))}"
        order += ready
    assert order.index("timescaledb") < order.index("hummingbot-api") < order.index("gateway")


def test_healthchecks(services: dict[str, dict[str, Any]]) -> None:
    assert {n for n, s in services.items() if "healthcheck" in s} == HEALTHCHECKED
    for name in HEALTHCHECKED:
        check = services[name]["healthcheck"]
        assert check["test"][0] == "CMD", name
        assert {"interval", "timeout", "retries", "start_period"} <= check.keys(), name
    # over TCP: the initialisation server of the postgres images listens on the socket only
    for name in ("timescaledb", "hummingbot-postgres"):
        test = services[name]["healthcheck"]["test"]
        assert test[1] == "pg_isready", name
        assert test[test.index("-h") + 1] == "127.0.0.1", name
        env = environment(services[name])
        assert test[test.index("-U") + 1] == env["POSTGRES_USER"]
        assert test[test.index("-d") + 1] == env["POSTGRES_DB"]


def test_ports_are_bound_to_loopback(services: dict[str, dict[str, Any]]) -> None:
    """Every port on 127.0.0.1, the dashboard's too: it can stop bots and has no login of its own."""
    published: dict[str, list[tuple[str, str, str]]] = {}
    for name, service in services.items():
        for port in service.get("ports", []):
            assert isinstance(port, str), f"{name}: {port!r}"
            assert port.count(":") == 2, f"{name}: {port!r} names no host address"
            address, host, container = port.split(":")
            published.setdefault(name, []).append((address, host, container))
    for name, ports in published.items():
        for address, _, _ in ports:
            assert address == "127.0.0.1", f"{name}: {address}"
    assert published["dashboard"] == [("127.0.0.1", "8501", "8501")]
    # the bots run in the host's network and reach the broker and Gateway there
    assert ("127.0.0.1", "1883", "1883") in published["emqx"]
    assert ("127.0.0.1", "15888", "15888") in published["gateway"]
    assert ("127.0.0.1", "8000", "8000") in published["hummingbot-api"]
    assert not {"hummingbot-postgres", "hummingbot-mcp", "updater", "db-init", "gateway-certs"} & published.keys()
    host_ports = [host for ports in published.values() for _, host, _ in ports]
    assert len(host_ports) == len(set(host_ports)), host_ports


def test_volumes_and_shared_certificates(
    compose: dict[str, Any], services: dict[str, dict[str, Any]], example: dict[str, str]
) -> None:
    declared = set(compose["volumes"])
    named: dict[str, set[str]] = {}
    binds: dict[str, dict[str, str]] = {}
    for name, service in services.items():
        for volume in service.get("volumes", []):
            if isinstance(volume, dict):
                assert volume["type"] == "bind", f"{name}: {volume}"
                assert volume["read_only"], f"{name}: {volume}"
                assert volume["bind"] == {"create_host_path": False}, f"{name}: {volume}"
                source, target = volume["source"], volume["target"]
            else:
                source, target = volume.split(":")[:2]
            if source.startswith(("/", ".")):
                binds.setdefault(name, {})[target] = volume if isinstance(volume, str) else source
            else:
                named.setdefault(source, set()).add(f"{name}:{target}")
    assert set(named) == declared, "every named volume declared, every declared one used"
    assert named["timescaledb-data"] == {"timescaledb:/var/lib/postgresql/data"}
    assert named["hummingbot-postgres-data"] == {"hummingbot-postgres:/var/lib/postgresql/data"}
    assert named["gateway-conf"] == {"gateway:/home/gateway/conf"}
    numba = env_of(dockerfile(ROOT / "Dockerfile"))["NUMBA_CACHE_DIR"]
    assert named["numba-cache"] == {f"{n}:{numba}" for n in UPTRADE_SERVICES}
    # the API starts bot containers through the socket, mounting host paths under BOTS_PATH/bots
    host_dir = example["HBAPI_HOST_DIR"]
    assert host_dir.startswith("/"), "HBAPI_HOST_DIR must be an absolute host path"
    api = binds["hummingbot-api"]
    assert api == {
        "/hummingbot-api/bots": f"{host_dir}/bots:/hummingbot-api/bots",
        "/var/run/docker.sock": "/var/run/docker.sock:/var/run/docker.sock",
    }
    assert environment(services["hummingbot-api"])["BOTS_PATH"] == host_dir
    assert binds["gateway-certs"] == {"/hummingbot-api/bots": api["/hummingbot-api/bots"]}
    # Gateway reads, read-only, the certificates the API and its bots use (bots/gateway-files/certs)
    assert binds["gateway"] == {"/home/gateway/certs": f"{host_dir}/bots/gateway-files/certs:/home/gateway/certs:ro"}
    gateway_env, api_env = environment(services["gateway"]), environment(services["hummingbot-api"])
    assert gateway_env["GATEWAY_PASSPHRASE"] == api_env["CONFIG_PASSWORD"]
    assert gateway_env["DEV"] == "false"
    assert binds["updater"] == {"/etc/uptrade/feeds.yml": "./feeds.yml"}
    assert environment(services["updater"])["UPTRADE_FEEDS_FILE"] == "/etc/uptrade/feeds.yml"
    assert set(binds) == {"hummingbot-api", "gateway-certs", "gateway", "updater"}


def test_one_network_and_restart_policies(compose: dict[str, Any], services: dict[str, dict[str, Any]]) -> None:
    assert compose["networks"] == {"uptrade-net": {"driver": "bridge"}}
    for name, service in services.items():
        if name == "gateway-certs":  # makes files, talks to nobody
            assert service["network_mode"] == "none"
            assert "networks" not in service
        else:
            assert list(service["networks"]) == ["uptrade-net"], name
        assert service["restart"] == ("no" if name in ONE_SHOT else "unless-stopped"), name
    assert services["emqx"]["networks"]["uptrade-net"]["aliases"] == [environment(services["emqx"])["EMQX_HOST"]]
    # hummingbot-api finds Gateway by this container name, and its certificate names `gateway`
    assert services["gateway"]["container_name"] == "gateway"


def test_urls_point_at_the_services_of_the_stack(services: dict[str, dict[str, Any]]) -> None:
    store = make_url(environment(services["updater"])["UPTRADE_DATABASE_URL"])
    tsdb = environment(services["timescaledb"])
    assert (store.host, store.port, store.username, store.database) == (
        "timescaledb",
        5432,
        tsdb["POSTGRES_USER"],
        tsdb["POSTGRES_DB"],
    )
    assert store.password == tsdb["POSTGRES_PASSWORD"]
    api_env = environment(services["hummingbot-api"])
    hb_db, hb_pg = make_url(api_env["DATABASE_URL"]), environment(services["hummingbot-postgres"])
    assert (hb_db.host, hb_db.username, hb_db.password, hb_db.database) == (
        "hummingbot-postgres",
        hb_pg["POSTGRES_USER"],
        hb_pg["POSTGRES_PASSWORD"],
        hb_pg["POSTGRES_DB"],
    )
    assert api_env["BROKER_HOST"] == "emqx"
    assert api_env["GATEWAY_URL"] == "https://gateway:15888"
    for name in UPTRADE_SERVICES:
        env = environment(services[name])
        assert env["UPTRADE_HBAPI_URL"] == "http://hummingbot-api:8000", name
        assert (env["UPTRADE_HBAPI_USERNAME"], env["UPTRADE_HBAPI_PASSWORD"]) == (
            api_env["USERNAME"],
            api_env["PASSWORD"],
        )
    mcp = environment(services["hummingbot-mcp"])
    assert mcp["HUMMINGBOT_API_URL"] == "http://hummingbot-api:8000"
    assert (mcp["HUMMINGBOT_USERNAME"], mcp["HUMMINGBOT_PASSWORD"]) == (api_env["USERNAME"], api_env["PASSWORD"])


# ----------------------------------------------------------------------------- UpTrade's settings and commands
def uptrade_names(raw: dict[str, Any], example: Mapping[str, str]) -> set[str]:
    """Every ``UPTRADE_*`` variable the stack sets: env file, services' environment, the image."""
    names = {n for n in example if n.startswith("UPTRADE_")}
    for service in raw["services"].values():
        names |= {n for n in environment(service) if n.startswith("UPTRADE_")}
    return names | {n for n in env_of(dockerfile(ROOT / "Dockerfile")) if n.startswith("UPTRADE_")}


def test_uptrade_settings_in_the_environment_exist(
    raw: dict[str, Any],
    example: dict[str, str],
    services: dict[str, dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    names = {n.removeprefix("UPTRADE_").lower() for n in uptrade_names(raw, example)}
    assert {"database_url", "hbapi_url", "hbapi_username", "hbapi_password", "bot_image", "feeds_file"} <= names
    unknown = names - set(Settings.model_fields)
    assert not unknown, f"no such setting in uptrade.settings.Settings: {sorted(unknown)}"
    # the values the updater gets are valid settings
    monkeypatch.chdir(tmp_path)  # no stray .env
    for key, value in environment(services["updater"]).items():
        monkeypatch.setenv(key, value)
    settings = get_settings()
    assert settings.resolved_database_url().startswith("postgresql://uptrade:")
    assert settings.allow_live is False
    assert settings.log_level == "INFO"
    assert settings.feeds_file == Path("/etc/uptrade/feeds.yml")
    assert settings.hbapi_url == "http://hummingbot-api:8000"
    assert settings.bot_image == example["UPTRADE_BOT_IMAGE"]
    assert settings.hbapi_username == PLACEHOLDERS["HBAPI_USERNAME"]
    assert settings.hbapi_password.get_secret_value() == filled_env(example)["HBAPI_PASSWORD"]
    assert settings.bots_sync_interval == float(example["UPTRADE_BOTS_SYNC_INTERVAL"]) > 0


def _resolve(argv: list[str]) -> None:
    """Parse ``uptrade ARGV`` as the app would (command path, options, values) without running it.

    A wrong command or option raises typer's (vendored click's) ``UsageError``.
    """
    command = typer.main.get_command(app)
    ctx = typer.Context(command, info_name="uptrade")
    name, rest = "uptrade", list(argv)
    while hasattr(command, "resolve_command"):  # a group: find the subcommand
        found, sub, rest = command.resolve_command(ctx, rest)
        assert found is not None
        assert sub is not None
        name, command = found, sub
        ctx = typer.Context(command, info_name=name, parent=ctx)
    command.make_context(name, rest, parent=ctx.parent)


def _usage_error(exc: BaseException) -> bool:
    return any(cls.__name__ == "UsageError" for cls in type(exc).__mro__)


def test_uptrade_services_run_real_commands(services: dict[str, dict[str, Any]]) -> None:
    missing: dict[str, str] = {}
    for name in sorted(UPTRADE_SERVICES):
        command = services[name]["command"]
        assert isinstance(command, list), name
        try:
            _resolve(command)
        except typer.TyperException as exc:
            missing[name] = str(exc) if _usage_error(exc) else f"not a usage error: {exc!r}"
    assert set(missing) == PENDING_COMMANDS, f"commands that do not parse: {missing}"
    for name in PENDING_COMMANDS:
        assert "No such command" in missing[name], missing[name]
    with pytest.raises(typer.TyperException) as bad:  # the parse checks options, not only the command path
        _resolve(["data", "update", "--no-such-flag"])
    assert _usage_error(bad.value)
    assert "--no-such-flag" in str(bad.value)


def test_feeds_example_is_a_valid_updater_config() -> None:
    config = UpdaterConfig.from_yaml(DOCKER / "feeds.example.yml")
    assert {f.source for f in config.feeds} == {"binance"}
    assert all(f.start for f in config.feeds)


# ----------------------------------------------------------------------------- the images
@pytest.mark.parametrize(
    "path", [ROOT / "Dockerfile", DOCKER / "hummingbot-mcp" / "Dockerfile"], ids=["uptrade", "mcp"]
)
def test_dockerfile_pins_its_base_and_runs_as_a_user(path: Path) -> None:
    steps = dockerfile(path)
    bases = [args for kind, args in steps if kind == "FROM"]
    assert bases == ["python:3.11.17-slim-trixie"], bases
    assert re.fullmatch(r"python:3\.11\.\d+-slim-\w+", bases[0]), "pin the patch release and the distribution"
    users = [args for kind, args in steps if kind == "USER"]
    assert users, "no USER: the image runs as root"
    assert users[-1] not in ("root", "0"), users
    last_user = max(i for i, (kind, _) in enumerate(steps) if kind == "USER")
    entry = max(i for i, (kind, _) in enumerate(steps) if kind == "ENTRYPOINT")
    assert last_user < entry, "the entrypoint runs as root"
    created = next(args for kind, args in steps if kind == "RUN" and "useradd" in args)
    assert re.search(rf"--uid \d+ --user-group {users[-1]}\b", created)


def test_uptrade_image() -> None:
    steps = dockerfile(ROOT / "Dockerfile")
    assert ("ENTRYPOINT", '["uptrade"]') in steps
    assert any(kind == "RUN" and re.search(r"\bpip install \.( |$)", args) for kind, args in steps)
    env = env_of(steps)
    cache = env["NUMBA_CACHE_DIR"]
    assert cache.startswith("/home/uptrade/"), "a directory the user owns"
    setup = next(args for kind, args in steps if kind == "RUN" and "useradd" in args)
    assert '"$NUMBA_CACHE_DIR"' in setup
    assert "chown -R uptrade:uptrade /home/uptrade" in setup
    copied = {args.split()[0] for kind, args in steps if kind == "COPY"}
    assert copied == {"pyproject.toml", "src"}
    ignore = [x for x in (ROOT / ".dockerignore").read_text().splitlines() if x and not x.startswith("#")]
    assert ignore[0] == "*", "everything is left out of the build context but what is named"
    assert {x[1:] for x in ignore if x.startswith("!")} == {"pyproject.toml", "README.md", "src/"}
