"""``uptrade gateway chains|connectors|add-wallet|quote``: Hummingbot Gateway (DEXs) through hummingbot-api."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from uptrade.cli.common import cli_errors, console, fail, hbapi

gateway_app = typer.Typer(
    help="Gateway (DEX connectors) through hummingbot-api: chains, connectors, wallets, swap quotes.",
    no_args_is_help=True,
)


def _text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return "-" if value is None else str(value)


@gateway_app.command("chains")
@cli_errors
def chains() -> None:
    """The chains Gateway serves and their networks."""
    from rich.table import Table

    with hbapi() as api:
        rows = api.gateway_chains()
    table = Table(title="Gateway chains")
    table.add_column("chain")
    table.add_column("networks")
    for row in rows:
        table.add_row(_text(row.get("chain")), _text(row.get("networks")))
    console().print(table)


@gateway_app.command("connectors")
@cli_errors
def connectors() -> None:
    """The DEX connectors Gateway serves: trading types, chain, networks (bot files name them `dex/type`)."""
    from rich.table import Table

    with hbapi() as api:
        rows = api.gateway_connectors()
    table = Table(title="Gateway connectors")
    for col in ("connector", "trading types", "chain", "networks"):
        table.add_column(col)
    for row in rows:
        table.add_row(
            _text(row.get("name")),
            _text(row.get("trading_types")),
            _text(row.get("chain")),
            _text(row.get("networks")),
        )
    console().print(table)


@gateway_app.command("add-wallet")
@cli_errors
def add_wallet(
    chain: Annotated[str, typer.Option("--chain", help="Chain of the wallet (ethereum, solana, ...).")],
    no_default: Annotated[
        bool, typer.Option("--no-default", help="Do not make it the chain's default wallet.")
    ] = False,
) -> None:
    """Give Gateway a wallet: its private key is read hidden from a prompt, or from stdin (never an argument)."""
    from pydantic import SecretStr

    if sys.stdin.isatty():
        key = typer.prompt(f"private key of the {chain} wallet", hide_input=True)
    else:
        key = sys.stdin.readline().strip()
    if not key:
        raise fail("no private key given (type it at the prompt, or pipe it on stdin)")
    with hbapi() as api:
        answer = api.add_wallet(chain, SecretStr(key), set_default=not no_default)
    address = answer.get("address") or answer.get("data", {}).get("address") if isinstance(answer, dict) else None
    console().print(f"wallet added to Gateway on {chain}: {address or 'address not reported'}", highlight=False)


@gateway_app.command("quote")
@cli_errors
def quote(
    connector: Annotated[str, typer.Argument(help="DEX router connector (e.g. jupiter/router, uniswap/router).")],
    network: Annotated[str, typer.Argument(help="chain-network, e.g. ethereum-mainnet, solana-mainnet-beta.")],
    pair: Annotated[str, typer.Argument(help="BASE-QUOTE, e.g. SOL-USDC.")],
    side: Annotated[str, typer.Argument(help="BUY or SELL.", case_sensitive=False)],
    amount: Annotated[float, typer.Argument(help="Base amount to buy or sell.", min=0.0)],
    slippage: Annotated[float, typer.Option("--slippage", min=0.0, max=100.0, help="Max slippage, %.")] = 1.0,
) -> None:
    """What a swap would give now (price, amounts in and out, gas); nothing is traded."""
    dex, _, kind = connector.partition("/")
    if kind not in ("", "router"):
        raise fail(f"CONNECTOR {connector!r}: quotes go through a DEX's router (e.g. {dex}/router or {dex})")
    side = side.upper()
    if side not in ("BUY", "SELL"):
        raise fail(f"SIDE must be BUY or SELL, got {side!r}")
    if "-" not in pair:
        raise fail(f"PAIR must be BASE-QUOTE (e.g. SOL-USDC), got {pair!r}")
    if amount <= 0:
        raise fail("AMOUNT must be positive")
    with hbapi() as api:
        q = api.swap_quote(dex, network, pair, side, amount, slippage)
    out = console()
    out.print(
        f"{side} {q.amount:g} {q.base} on {connector} ({network}): price {q.price:,.8g} {q.quote}", highlight=False
    )
    if q.amount_in is not None and q.amount_out is not None:
        pay, get = (q.quote, q.base) if side == "BUY" else (q.base, q.quote)
        out.print(f"  in {q.amount_in:,.8g} {pay}, out {q.amount_out:,.8g} {get}", highlight=False)
    if q.gas_estimate is not None:
        out.print(f"  gas estimate {q.gas_estimate:g}", highlight=False)
