"""Backtest: run a bot or backtest file, or the page's controls, by Hummingbot's rules; and a small sweep.

The same calls as ``uptrade backtest`` and ``uptrade optimize``
(:mod:`uptrade.dashboard.components.backtest_views`). A run happens when Run is pressed; its
result stays in the session, so other widgets redraw it without computing again, and runs are
cached by their config's JSON. The sidebar's market (symbol, timeframe, range) is the controls'
market, and a file's unless its own is chosen.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st
import yaml

from uptrade.dashboard import context
from uptrade.dashboard.components import backtest_views as bv
from uptrade.dashboard.components.charts import line_figure
from uptrade.research.config import BacktestConfig
from uptrade.research.report import csv_path
from uptrade.research.report_format import fmt_value

RUN = "backtest_result"
SWEEP = "backtest_sweep_result"
NO_DIMENSION = "(none)"


@st.cache_data(show_spinner=False, max_entries=8, ttl=600)
def _run(url: str, config_json: str) -> bv.BacktestRun:
    """The backtest of a config (its JSON) on the store at ``url``."""
    return bv.run_config(context.store(), BacktestConfig.model_validate_json(config_json))


@st.cache_data(show_spinner=False, max_entries=8, ttl=600)
def _sweep(url: str, config_json: str, specs: tuple[str, ...], objective: str, min_trades: int) -> bv.SweepRun:
    """The grid search of a config (its JSON) over ``specs`` on the store at ``url``."""
    cfg = BacktestConfig.model_validate_json(config_json)
    return bv.run_sweep(context.store(), cfg, list(specs), objective, min_trades)


def _file_config(sel: context.Selection) -> BacktestConfig:
    """A bot or backtest file's config: one of a folder's, or an uploaded one; on the sidebar's market if asked."""
    from uptrade.execution.bots import load_backtest_config
    from uptrade.research.strategies import default_dirs

    folder = st.text_input("Folder of bot and backtest files", value=str(default_dirs()[0]), key="backtest_folder")
    with context.guard():
        files = bv.config_files(Path(folder))
    labels = {str(p.relative_to(Path(folder).expanduser())): p for p in files}
    a, b = st.columns(2)
    uploaded = b.file_uploader("or upload one", type=["yml", "yaml"], key="backtest_upload")
    choice = None
    if labels:
        first = list(labels).index("sniper_btc_1h.yml") if "sniper_btc_1h.yml" in labels else 0
        choice = a.selectbox("File", list(labels), index=first, key="backtest_file", disabled=uploaded is not None)
    own = st.checkbox(
        "Run on the sidebar's market (symbol, timeframe, range) instead of the file's",
        value=True,
        key="backtest_use_sidebar",
    )
    with context.guard():
        if uploaded is not None:
            cfg = bv.load_uploaded(uploaded.name, uploaded.getvalue())
        elif choice is not None:
            cfg = load_backtest_config(labels[choice])
        else:
            st.info(f"No bot or backtest files in {folder}: choose another folder or upload one.")
            st.stop()
        if own:
            cfg = bv.on_market(cfg, sel.symbol, sel.timeframe, sel.start, sel.end)
        return bv.single_market(cfg)


def _controls_config(sel: context.Selection) -> BacktestConfig:
    """The config of the page's controls on the sidebar's market (defaults: the demo's strategy)."""
    from uptrade.indicators.registry import get_indicator
    from uptrade.research.run import demo_config
    from uptrade.signals.adapters import ADAPTERS, parse_source
    from uptrade.signals.combine import MODES

    demo = demo_config(sel.symbol, sel.timeframe)
    left, right = st.columns(2)
    with left:
        st.markdown("**Signals**")
        chosen = st.multiselect("Sources", list(ADAPTERS), default=list(demo.signals.sources), key="backtest_sources")
        texts = {}
        for source in chosen:
            defaults = get_indicator(parse_source(source).indicator).params
            given = demo.signals.sources.get(source, {})
            texts[source] = st.text_input(
                f"{source} parameters",
                value=", ".join(f"{k}={v}" for k, v in given.items()),
                key=f"backtest_params_{source}",
                help="name=value pairs, comma separated; the others keep their defaults: "
                + ", ".join(f"{k}={v}" for k, v in defaults.items()),
            )
        mode = st.selectbox("Combine", MODES, index=MODES.index(demo.signals.combine.mode), key="backtest_combine")
        combine: dict[str, Any] = {"mode": mode}
        weights = ""
        if mode == "confirm" and chosen:
            combine["primary"] = st.selectbox("Primary signal", chosen, key="backtest_primary")
            combine["confirm_window"] = st.number_input(
                "Confirm window (bars)", min_value=1, value=3, step=1, key="backtest_confirm_window"
            )
        if mode == "weighted":
            combine["threshold"] = st.number_input(
                "Threshold", min_value=0.01, max_value=1.0, value=0.5, step=0.05, key="backtest_threshold"
            )
            weights = st.text_input("Weights (source=weight; empty: 1 each)", key="backtest_weights")
    with right:
        st.markdown("**Executor**")
        ex = demo.executor
        c1, c2 = st.columns(2)
        amount = c1.number_input(
            "Total amount (quote)", min_value=1.0, value=ex.total_amount_quote, step=100.0, key="backtest_amount"
        )
        per_side = c2.number_input(
            "Executors per side", min_value=1, value=ex.max_executors_per_side, step=1, key="backtest_per_side"
        )
        stop = c1.number_input("Stop loss (%; 0: off)", 0.0, 99.0, 100 * (ex.stop_loss or 0), 0.5, key="backtest_sl")
        take = c2.number_input(
            "Take profit (%; 0: off)", 0.0, 99.0, 100 * (ex.take_profit or 0), 0.5, key="backtest_tp"
        )
        limit = c1.number_input(
            "Time limit (hours; 0: off)", 0.0, None, (ex.time_limit or 0) / 3600, 1.0, key="backtest_tl"
        )
        cooldown = c2.number_input("Cooldown (hours)", 0.0, None, ex.cooldown_time / 3600, 0.5, key="backtest_cooldown")
        leverage = c1.number_input("Leverage", min_value=1, value=ex.leverage, step=1, key="backtest_leverage")
        cost = c2.number_input(
            "Trade cost (%)", 0.0, 10.0, 100 * ex.trade_cost, 0.01, format="%.4f", key="backtest_trade_cost"
        )
        trailing = st.checkbox("Trailing stop", value=False, key="backtest_trailing")
        trail = None
        if trailing:
            t1, t2 = st.columns(2)
            activation = t1.number_input("Activation (%)", 0.0, 99.0, 2.0, 0.5, key="backtest_activation")
            delta = t2.number_input("Trailing delta (%)", 0.0, 99.0, 0.5, 0.1, key="backtest_delta")
            trail = {"activation_price": bv.fraction(activation), "trailing_delta": bv.fraction(delta)}
    executor = {
        "total_amount_quote": amount,
        "max_executors_per_side": int(per_side),
        "cooldown_time": bv.seconds(cooldown) or 0,
        "leverage": int(leverage),
        "stop_loss": bv.fraction(stop),
        "take_profit": bv.fraction(take),
        "time_limit": bv.seconds(limit),
        "trade_cost": round(cost / 100, 12),
        "trailing_stop": trail,
    }
    with context.guard():
        if mode == "weighted":
            combine["weights"] = bv.parse_weights(weights)
        return bv.controls_config(
            symbol=sel.symbol,
            timeframe=sel.timeframe,
            start=sel.start,
            end=sel.end,
            sources=texts,
            combine=combine,
            executor=executor,
        )


def _show_run(run: bv.BacktestRun) -> None:
    """The run's headline, charts, statistics, monthly returns, executors and report."""
    st.subheader(run.title)
    for column, (label, value) in zip(st.columns(len(bv.HEADLINE)), bv.headline(run.stats), strict=True):
        column.metric(label, value)
    st.caption(
        f"{run.bars:,} bars; combined signal: {run.longs:,} long, {run.shorts:,} short; "
        f"buy and hold: {fmt_value('benchmark_return', run.stats.get('benchmark_return'))}"
    )
    if run.stats.get("ruined"):
        st.warning(f"Ruined at {fmt_value('ruined_at', run.stats.get('ruined_at'))}: the account was liquidated.")
    tabs = st.tabs(["Equity", "Price and executors", "Statistics", "Monthly returns", "Executors", "Report"])
    with tabs[0]:
        lines = {"equity": run.equity, "buy and hold": run.benchmark}
        st.plotly_chart(line_figure(lines, title="Equity", y_title="quote"), width="stretch", key="backtest_equity")
        dd = line_figure({"drawdown": bv.drawdown(run.equity)}, title="Drawdown", fill=True)
        dd.update_yaxes(tickformat=".0%")
        st.plotly_chart(dd, width="stretch", key="backtest_drawdown")
    with tabs[1]:
        st.plotly_chart(run.figure, width="stretch", key="backtest_price")
    with tabs[2]:
        st.dataframe(bv.stats_frame(run.stats), hide_index=True, width="stretch")
        with st.expander("Hummingbot's summary"):
            st.dataframe(bv.summary_frame(run.hummingbot), hide_index=True, width="stretch")
    with tabs[3]:
        st.plotly_chart(run.monthly, width="stretch", key="backtest_monthly")
    with tabs[4]:
        st.dataframe(run.executors, hide_index=True, width="stretch")
    with tabs[5]:
        st.caption("The report `uptrade backtest --report` writes; its executors table is the CSV beside it.")
        csv_name = csv_path(run.report_name).name
        a, b = st.columns(2)
        a.download_button(
            "HTML report", run.report_html, file_name=run.report_name, mime="text/html",
            key="backtest_report", on_click="ignore", icon=":material/download:",
        )  # fmt: skip
        b.download_button(
            "Executors (CSV)", run.executors_csv, file_name=csv_name, mime="text/csv",
            key="backtest_executors_csv", on_click="ignore", icon=":material/download:",
        )  # fmt: skip


def _sweep_section(cfg: BacktestConfig) -> None:
    """A grid over one or two parameters (``uptrade optimize``), its heatmap and its best points."""
    from uptrade.research.optimize import OBJECTIVES

    st.subheader("Sweep")
    choices = bv.sweep_choices(cfg)
    a, b, c, d = st.columns([2, 3, 2, 3])
    first = a.selectbox("Vary", choices, key="backtest_sweep_name1")
    values1 = b.text_input(
        "values",
        bv.suggested_values(cfg, first),
        key=f"backtest_sweep_values1_{first}",
        help="a list or start:stop:step",
    )
    others = [NO_DIMENSION, *(n for n in choices if n != first)]
    second = c.selectbox("and", others, index=min(1, len(others) - 1), key="backtest_sweep_name2")
    values2 = ""
    if second != NO_DIMENSION:
        values2 = d.text_input("values", bv.suggested_values(cfg, second), key=f"backtest_sweep_values2_{second}")
    e, f, g = st.columns([2, 2, 3])
    objective = e.selectbox("Objective", list(OBJECTIVES), key="backtest_sweep_objective")
    min_trades = f.number_input("Min trades", min_value=0, value=10, step=1, key="backtest_sweep_min_trades")
    g.caption(f"At most {bv.MAX_SWEEP_POINTS} points here; points with fewer trades or a ruined account rank last.")
    if st.button("Run sweep", key="backtest_sweep_run"):
        with context.guard(), st.spinner("Sweeping..."):
            dims = [(first, values1)] + ([(second, values2)] if second != NO_DIMENSION else [])
            specs = tuple(bv.grid_specs(dims))
            st.session_state[SWEEP] = _sweep(
                context.database_url(), cfg.model_dump_json(), specs, objective, int(min_trades)
            )
    sweep: bv.SweepRun | None = st.session_state.get(SWEEP)
    if sweep is None:
        return
    if sweep.config_json != cfg.model_dump_json():
        st.info("The settings changed since this sweep: press Run sweep to update it.")
    for note in sweep.notes:
        st.caption(f"note: {note}")
    for i, fig in enumerate(sweep.figures):
        st.plotly_chart(fig, width="stretch", key=f"backtest_sweep_figure_{i}")
    if sweep.best is not None:
        st.markdown("best: " + ", ".join(f"`{k}={v}`" for k, v in sweep.best.items()))
    st.dataframe(bv.best_points(sweep.table, sweep.names, sweep.column), hide_index=True, width="stretch")


st.title("Backtest")
sel = context.require_selection()
st.caption(
    "Hummingbot V2's rules on the stored candles, as `uptrade backtest`; the sweep is `uptrade optimize`'s grid."
)
source = st.radio("Strategy from", ["bot file", "controls"], horizontal=True, key="backtest_mode")
config = _file_config(sel) if source == "bot file" else _controls_config(sel)
with st.expander("Config"):
    st.code(yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False), language="yaml")

if st.button("Run backtest", type="primary", key="backtest_run", icon=":material/play_arrow:"):
    with context.guard(), st.spinner("Backtesting..."):
        st.session_state[RUN] = _run(context.database_url(), config.model_dump_json())
result: bv.BacktestRun | None = st.session_state.get(RUN)
if result is None:
    st.info("Press Run backtest to backtest this config on the stored candles.")
else:
    if result.config_json != config.model_dump_json():
        st.info("The settings changed since this result: press Run backtest to update it.")
    _show_run(result)

st.divider()
_sweep_section(config)
