"""hummingbot-api's config-class lookup finds each bundled controller's own config class.

hummingbot-api (``utils/file_system.py``, ``load_controller_config_class``) imports a controller
module and takes the first of its classes, by name (``inspect.getmembers``), that subclasses
Hummingbot's ``DirectionalTradingControllerConfigBase``, ``MarketMakingControllerConfigBase``
(each but itself) or ``ControllerConfigBase`` (but itself). Its ``config/validate`` and
``config/template`` routes use that class, so a module exposing an imported base class whose
name sorts first would be validated against the base (which forbids every field of ours). In
Hummingbot 20260922's environment, this test applies that rule to the bundle ``uptrade hb
bundle`` writes and validates the config ``uptrade hb config`` writes with the class it finds.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from tests.hbenv import hummingbot_python
from uptrade.cli import app

HB_PYTHON = hummingbot_python()
EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "bots"

pytestmark = pytest.mark.skipif(
    not HB_PYTHON.exists(), reason=f"no Hummingbot environment at {HB_PYTHON} (bash scripts/hummingbot_env.sh)"
)

#: hummingbot-api's rule, as its source states it, run inside Hummingbot's environment.
LOOKUP = """
import importlib, inspect, json, sys
from hummingbot.strategy_v2.controllers.controller_base import ControllerConfigBase
from hummingbot.strategy_v2.controllers import directional_trading_controller_base, market_making_controller_base
D = directional_trading_controller_base.DirectionalTradingControllerConfigBase
M = market_making_controller_base.MarketMakingControllerConfigBase

sys.path.insert(0, sys.argv[1])
configs = json.loads(sys.argv[2])
found = {}
for name, config in configs.items():
    module = importlib.import_module(f"controllers.directional_trading.{name}")
    cls = next(
        c for _, c in inspect.getmembers(module, inspect.isclass)
        if (issubclass(c, D) and c is not D) or (issubclass(c, M) and c is not M)
        or (issubclass(c, ControllerConfigBase) and c is not ControllerConfigBase)
    )
    cls(**config)  # what config/validate does
    found[name] = cls.__name__
print(json.dumps(found))
"""


def test_hummingbot_api_finds_each_controllers_own_config_class(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["hb", "bundle", "--out", str(tmp_path / "bundle")]).exit_code == 0
    configs = {}
    for example in sorted(EXAMPLES.glob("*.yml")):  # each on Binance spot, paper (any venue gives the same class)
        bot = yaml.safe_load(example.read_text())
        bot["mode"] = "paper"
        bot["market"] = {"connector": "binance", "trading_pair": "ETH-USDT", "timeframe": "1h"}
        bot["execution"] |= {"leverage": 1, "position_mode": "ONEWAY", "total_amount_quote": 500}
        path = tmp_path / example.name
        path.write_text(yaml.safe_dump(bot))
        out = tmp_path / f"{example.stem}.config.yml"
        result = runner.invoke(app, ["hb", "config", str(path), "--out", str(out)], env={"UPTRADE_ALLOW_LIVE": "false"})
        assert result.exit_code == 0, result.output
        config = yaml.safe_load(out.read_text())
        configs[config["controller_name"]] = config
    assert sorted(configs) == ["uptrade_combined", "uptrade_cycle", "uptrade_sniper", "uptrade_vzo"]

    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba")}
    done = subprocess.run(
        [str(HB_PYTHON), "-c", LOOKUP, str(tmp_path / "bundle"), json.dumps(configs)],
        capture_output=True, text=True, timeout=600, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout) == {
        "uptrade_combined": "UpTradeCombinedConfig",
        "uptrade_cycle": "UpTradeCycleConfig",
        "uptrade_sniper": "UpTradeSniperConfig",
        "uptrade_vzo": "UpTradeVZOConfig",
    }
