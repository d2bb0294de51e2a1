"""Controller code and controller configs of the fake hummingbot-api (``/controllers/...``).

Code and configs are stored as the real API stores them on disk: code verbatim (no import
check on upload), configs as YAML (so a config reads back with its keys sorted and ``id`` set to
the config name).

``config/template`` and ``config/validate`` import the controller module in the real API; the
fake only reads the uploaded source: it finds the config class (a class whose base name ends in
``ControllerConfigBase``) and its own annotated fields. It does not see fields inherited from
Hummingbot's base classes (except that ``controller_name`` is required unless the class gives it
a default), does not run validators, and checks types only for ``int``/``float``/``str``/
``bool``/``Decimal`` fields. Code that does not compile answers 500 ``Internal Server Error`` as
the real import does (a ``SyntaxError`` is not among the errors it catches). The lookup is the
real one: the module's classes by name, so a module that imports
``DirectionalTradingControllerConfigBase`` by name and names its own class after it (``U`` > ``D``)
gets the base class, whose validation then refuses every field of its own (extra fields are
forbidden), as in the real API.
"""

from __future__ import annotations

import ast
import copy
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from tests.fakes.hbapi_http import ApiError, Params, Reply, Req, Route, ServerError

if TYPE_CHECKING:
    from tests.fakes.hbapi import FakeHummingbotApi


class ControllerType(str, Enum):  # noqa: UP042 - formats as 'ControllerType.X' like the real enum
    DIRECTIONAL_TRADING = "directional_trading"
    MARKET_MAKING = "market_making"
    GENERIC = "generic"


class Controller(BaseModel):
    content: str
    type: ControllerType | None = None


_SIMPLE = {"int": int, "float": float, "str": str, "bool": bool, "Decimal": Decimal}
_TYPE_TEXT = {
    "int": "<class 'int'>",
    "float": "<class 'float'>",
    "str": "<class 'str'>",
    "bool": "<class 'bool'>",
    "Decimal": "<class 'decimal.Decimal'>",
}
_UNDEFINED = "PydanticUndefined"


def _kind(api: FakeHummingbotApi, req: Req) -> tuple[str, str]:
    p = Params(req)
    kind = p.path("controller_type", ControllerType)
    p.check()
    return kind.value, req.params["controller_name"]


def list_controllers(api: FakeHummingbotApi, req: Req) -> Reply:
    return 200, {t.value: sorted(n for (k, n) in api.controllers if k == t.value) for t in ControllerType}


def get_controller(api: FakeHummingbotApi, req: Req) -> Reply:
    kind, name = _kind(api, req)
    if (kind, name) not in api.controllers:
        raise ApiError(404, f"Controller '{name}' not found in '{kind}'")
    return 200, {"name": name, "type": kind, "content": api.controllers[(kind, name)]}


def put_controller(api: FakeHummingbotApi, req: Req) -> Reply:
    p = Params(req)
    kind = p.path("controller_type", ControllerType)
    body = p.body(Controller)
    p.check()
    name = req.params["controller_name"]
    if body.type is not None and body.type != kind:
        raise ApiError(400, f"Controller type mismatch: URL has '{kind}', body has '{body.type}'")
    api.controllers[(kind.value, name)] = body.content
    return 201, {"message": f"Controller '{name}' saved successfully in '{kind.value}'"}


def delete_controller(api: FakeHummingbotApi, req: Req) -> Reply:
    kind, name = _kind(api, req)
    if api.controllers.pop((kind, name), None) is None:
        raise ApiError(404, f"Controller '{name}' not found in '{kind}'")
    return 200, {"message": f"Controller '{name}' deleted successfully from '{kind}'"}


def _config_class(api: FakeHummingbotApi, kind: str, name: str) -> ast.ClassDef | None:
    """The controller's config class, parsed from its source (code that does not compile -> 500)."""
    code = api.controllers.get((kind, name))
    if code is None:
        return None
    try:
        tree = ast.parse(code)
    except SyntaxError as exc:
        raise ServerError(str(exc)) from None
    # the real lookup: the module's classes by name (inspect.getmembers), the first that subclasses
    # ControllerConfigBase other than itself; an imported Hummingbot base class is such a member too
    candidates: dict[str, ast.ClassDef] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and any(ast.unparse(b).endswith("ControllerConfigBase") for b in node.bases):
            candidates[node.name] = node
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("hummingbot."):
            for alias in node.names:
                if alias.name in BASE_CONFIG_FIELDS:
                    candidates[alias.asname or alias.name] = _base_class(alias.name)
    return candidates[min(candidates)] if candidates else None


#: Fields of Hummingbot's config base classes (hummingbot 20260922), which forbid any other.
_COMMON = [
    "connector_name",
    "controller_name",
    "controller_type",
    "cooldown_time",
    "id",
    "initial_positions",
    "leverage",
    "manual_kill_switch",
    "position_mode",
    "stop_loss",
    "take_profit",
    "take_profit_order_type",
    "time_limit",
    "total_amount_quote",
    "trading_pair",
    "trailing_stop",
]
BASE_CONFIG_FIELDS = {
    "DirectionalTradingControllerConfigBase": [*_COMMON, "max_executors_per_side"],
    "MarketMakingControllerConfigBase": [
        *_COMMON,
        *[
            "buy_amounts_pct",
            "buy_spreads",
            "executor_refresh_time",
            "position_rebalance_threshold_pct",
            "sell_amounts_pct",
            "sell_spreads",
            "skip_rebalance",
        ],
    ],
}


def _base_class(name: str) -> ast.ClassDef:
    """An imported base config class as the lookup sees it: its own fields only, extra fields forbidden."""
    body = [ast.parse(f"{field}: Any = None").body[0] for field in BASE_CONFIG_FIELDS[name]]
    node = ast.ClassDef(name=name, bases=[], keywords=[], body=body, decorator_list=[], type_params=[])
    node.forbid_extra = True  # type: ignore[attr-defined]
    return node


def _default(value: ast.expr | None) -> Any:  # noqa: PLR0911 - one return per form of default
    """The field's default as the template shows it (``PydanticUndefined`` when required)."""
    if value is None:
        return _UNDEFINED
    if isinstance(value, ast.Call) and ast.unparse(value.func).split(".")[-1] == "Field":
        kw = {k.arg: k.value for k in value.keywords}
        if "default" in kw:
            return _default(kw["default"])
        if value.args and not (isinstance(value.args[0], ast.Constant) and value.args[0].value is Ellipsis):
            return _default(value.args[0])
        return _UNDEFINED
    if isinstance(value, ast.Call) and ast.unparse(value.func).split(".")[-1] == "Decimal" and value.args:
        try:
            return str(Decimal(str(ast.literal_eval(value.args[0]))))
        except (ValueError, ArithmeticError):
            return ast.unparse(value)
    try:
        lit = ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return ast.unparse(value)
    return lit if isinstance(lit, (int, float, str, bool, list, dict, type(None))) else str(lit)


def _fields(cls: ast.ClassDef) -> dict[str, tuple[ast.expr, Any]]:
    out = {}
    for node in cls.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            out[node.target.id] = (node.annotation, _default(node.value))
    return out


def _load(api: FakeHummingbotApi, req: Req) -> ast.ClassDef:
    kind, name = _kind(api, req)
    cls = _config_class(api, kind, name)
    if cls is None:
        raise ApiError(404, f"Controller configuration class for '{name}' not found")
    return cls


def config_template(api: FakeHummingbotApi, req: Req) -> Reply:
    template = {}
    for field, (ann, default) in _fields(_load(api, req)).items():
        text = ast.unparse(ann)
        template[field] = {"default": default, "type": _TYPE_TEXT.get(text, text), "required": False}
    return 200, template


def config_validate(api: FakeHummingbotApi, req: Req) -> Reply:
    p = Params(req)
    p.path("controller_type", ControllerType)
    config = p.body(dict)
    p.check()
    cls = _load(api, req)
    spec: dict[str, Any] = {"controller_name": (str, ...)}
    for field, (ann, default) in _fields(cls).items():
        tp = _SIMPLE.get(ast.unparse(ann), Any)
        spec[field] = (tp, ... if default == _UNDEFINED else default)
    extra = "forbid" if getattr(cls, "forbid_extra", False) else "allow"
    model = create_model(cls.name, __config__=ConfigDict(extra=extra), **spec)
    try:
        model(**config)
    except ValidationError as exc:
        raise ApiError(400, str(exc)) from None
    return 200, {"message": "Configuration is valid"}


def _yaml_round_trip(doc: dict[str, Any]) -> dict[str, Any]:
    return yaml.safe_load(yaml.dump(doc, default_flow_style=False)) or {}


def list_configs(api: FakeHummingbotApi, req: Req) -> Reply:
    return 200, [{**copy.deepcopy(c), "id": name} for name, c in sorted(api.configs.items())]


def get_config(api: FakeHummingbotApi, req: Req) -> Reply:
    name = req.params["config_name"]
    if name not in api.configs:
        raise ApiError(404, f"Configuration '{name}' not found")
    return 200, {**copy.deepcopy(api.configs[name]), "id": name}


def put_config(api: FakeHummingbotApi, req: Req) -> Reply:
    p = Params(req)
    config = p.body(dict)
    p.check()
    name = req.params["config_name"]
    api.configs[name] = _yaml_round_trip(config)
    return 201, {"message": f"Configuration '{name}' saved successfully"}


def delete_config(api: FakeHummingbotApi, req: Req) -> Reply:
    name = req.params["config_name"]
    if api.configs.pop(name, None) is None:
        raise ApiError(404, f"Configuration '{name}' not found")
    return 200, {"message": f"Configuration '{name}' deleted successfully"}


def bot_configs(api: FakeHummingbotApi, req: Req) -> Reply:
    bot = api.bots.get(req.params["bot_name"])
    if bot is None:
        raise ApiError(404, f"Bot '{req.params['bot_name']}' not found")
    return 200, [{**copy.deepcopy(c), "_config_name": name} for name, c in bot.configs.items()]


def update_bot_config(api: FakeHummingbotApi, req: Req) -> Reply:
    p = Params(req)
    update = p.body(dict)
    p.check()
    name, ctrl = req.params["bot_name"], req.params["controller_name"]
    bot = api.bots.get(name)
    if bot is None:
        raise ApiError(404, f"Bot '{name}' not found")
    if ctrl not in bot.configs:
        raise ApiError(404, f"Controller configuration '{ctrl}' not found for bot '{name}'")
    bot.configs[ctrl] = _yaml_round_trip({**bot.configs[ctrl], **update})
    return 200, {"message": f"Controller configuration for bot '{name}' updated successfully"}


ROUTES = [
    Route("GET", "/controllers/", list_controllers),
    Route("GET", "/controllers/configs/", list_configs),
    Route("GET", "/controllers/configs/{config_name}", get_config),
    Route("POST", "/controllers/configs/{config_name}", put_config, has_body=True),
    Route("DELETE", "/controllers/configs/{config_name}", delete_config),
    Route("GET", "/controllers/{controller_type}/{controller_name}", get_controller),
    Route("POST", "/controllers/{controller_type}/{controller_name}", put_controller, has_body=True),
    Route("DELETE", "/controllers/{controller_type}/{controller_name}", delete_controller),
    Route("GET", "/controllers/{controller_type}/{controller_name}/config/template", config_template),
    Route("POST", "/controllers/{controller_type}/{controller_name}/config/validate", config_validate, has_body=True),
    Route("GET", "/controllers/bots/{bot_name}/configs", bot_configs),
    Route("POST", "/controllers/bots/{bot_name}/{controller_name}/config", update_bot_config, has_body=True),
]
