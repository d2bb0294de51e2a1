"""Indicator parameter models: one definition read by the registry, YAML configs, the grid and the CLI.

A bad parameter fails where it enters (config load, grid parse, ``-p`` flag) with the file, the
field and the allowed range, before any candle is read; library messages never name CLI flags,
the CLI adds its own.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from uptrade import errors
from uptrade.cli import app
from uptrade.errors import ConfigError, ParameterError, UpTradeError
from uptrade.indicators import sniper, vzo
from uptrade.indicators.params import IndicatorParams, SniperParams, VZOParams
from uptrade.indicators.registry import INDICATORS, get_indicator, parse_params
from uptrade.research.config import BacktestConfig
from uptrade.research.space import ParamSpace

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "sniper_btc_1h.yml"
runner = CliRunner()


def config_file(tmp_path: Path, **top: object) -> Path:
    raw = yaml.safe_load(EXAMPLE.read_text())
    raw.update(top)
    path = tmp_path / "cfg.yml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_the_registry_reads_the_models() -> None:
    for info in INDICATORS.values():
        assert issubclass(info.model, IndicatorParams)
        assert info.params == info.model().model_dump()
    assert SniperParams.defaults() == sniper.DEFAULTS
    assert VZOParams.defaults() == vzo.DEFAULTS
    assert list(get_indicator("ma").params) == ["window", "ma_type", "phase", "power"]


def test_json_schema_carries_names_defaults_and_ranges() -> None:
    """What an MCP tool or a dashboard widget will show, with no second definition."""
    props = SniperParams.model_json_schema()["properties"]
    assert props["length"]["minimum"] == 1
    assert props["length"]["default"] == 28
    assert props["pcnt_above"]["minimum"] == 0.0
    assert props["pcnt_above"]["maximum"] == 100.0
    assert props["dmi_len"]["minimum"] == 2
    assert all(p.get("description") for p in props.values())
    assert SniperParams.model_json_schema().get("additionalProperties") is False


@pytest.mark.parametrize(
    ("sources", "message"),
    [
        ({"sniper:major": {"lenght": 28}}, "signals.sources.sniper:major.lenght: sniper has no such parameter"),
        ({"sniper:major": {"length": 0}}, "signals.sources.sniper:major.length: must be an integer >= 1, got 0"),
        ({"vzo:minor": {"pcnt_above": 120}}, "vzo:minor.pcnt_above: must be a finite number in [0.0, 100.0]"),
        ({"ma:cross": {"window": 3, "ma_type": "alexander"}}, "ma:cross.window: must be >= 4 for Alexander"),
        ({"sniper": {"ma_type": "nosuch"}}, "signals.sources.sniper.ma_type: unknown type 'nosuch'"),
    ],
)
def test_a_bad_indicator_parameter_fails_at_load(tmp_path: Path, sources: dict, message: str) -> None:
    path = config_file(tmp_path, signals={"sources": sources})
    with pytest.raises(ConfigError) as err:
        BacktestConfig.from_yaml(path)
    assert str(err.value).startswith(f"{path}: "), err.value
    assert message in str(err.value)


def test_timeframe_is_checked_at_load(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"cfg\.yml: timeframe: unsupported timeframe '7x'"):
        BacktestConfig.from_yaml(config_file(tmp_path, timeframe="7x"))
    assert BacktestConfig.from_yaml(config_file(tmp_path, timeframe="1H")).timeframe == "1h"


def test_loaded_sources_keep_only_the_given_names_typed() -> None:
    cfg = BacktestConfig.model_validate(
        {"symbol": "BTC-USDT", "signals": {"sources": {"sniper:minor": {"length": 14.0, "phase": 1}}}}
    )
    got = cfg.signals.sources["sniper:minor"]
    assert got == {"length": 14, "phase": 1.0}
    assert type(got["length"]) is int
    assert type(got["phase"]) is float


def test_name_value_pairs_are_typed_by_the_model() -> None:
    info = get_indicator("sniper")
    assert parse_params(info, ["length=14", "ma_type=EMA", "adx_thresh=25"]) == {
        "length": 14,
        "ma_type": "EMA",
        "adx_thresh": 25.0,
    }
    assert parse_params(info, ["length=5.0"]) == {"length": 5}
    for pairs, message in (
        (["length=2.5"], "length: expected an integer, got '2.5'"),
        (["length=0"], "length: must be an integer >= 1, got 0"),
        (["nope=1"], "nope: SniperProX has no such parameter"),
        (["length"], "'length': expected name=value"),
    ):
        with pytest.raises(ParameterError) as err:
            parse_params(info, pairs)
        assert str(err.value).startswith(message), err.value
        assert err.value.param == "param"
        assert "--" not in str(err.value)


def test_grid_values_are_typed_by_the_model_not_through_text() -> None:
    cfg = BacktestConfig.from_yaml(EXAMPLE)
    space = ParamSpace.parse("sniper:minor.length=20,28,vzo.ma_type=EMA,jma", cfg)
    assert space.dims[0].values == (20, 28)
    assert all(type(v) is int for v in space.dims[0].values)
    assert space.dims[1].values == ("EMA", "jma")
    with pytest.raises(ConfigError) as err:
        ParamSpace.parse("sniper:minor.length=0:4:2", cfg)
    assert "length: must be an integer >= 1, got 0" in str(err.value)
    assert err.value.param == "grid"
    assert "--" not in str(err.value)


def test_the_cli_names_its_own_flags(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'u.db'}"
    out = runner.invoke(app, ["--db", url, "optimize", "-c", str(EXAMPLE), "-g", "bogus=1"], env={"COLUMNS": "250"})
    assert out.exit_code == 1
    assert "error: --grid bogus: no such parameter" in out.output
    out = runner.invoke(
        app, ["--db", url, "indicators", "run", "-s", "BTC-USDT", "-t", "1h", "-i", "ma", "-p", "window=x"]
    )
    assert out.exit_code == 1
    assert "error: --param window: expected an integer, got 'x'" in out.output


def test_every_deliberate_error_is_an_uptrade_error() -> None:
    classes = [c for _, c in inspect.getmembers(errors, inspect.isclass) if issubclass(c, Exception)]
    assert len(classes) >= 12
    assert all(issubclass(c, UpTradeError) for c in classes), classes
