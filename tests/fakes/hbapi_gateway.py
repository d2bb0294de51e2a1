"""Accounts, connector credentials, Gateway wallets and the Gateway routes of the fake hummingbot-api.

Secrets go in and never come out: credentials are kept in ``api.accounts`` for the test to read,
wallet private keys are not kept at all, and no answer repeats either. (The real Gateway's
"cannot read this key" error quotes the key's first five characters; the fake's does not.)

Gateway is reached through the API like the real one reaches it: each route first pings it and
answers ``503 {"detail": "Gateway service is not available"}`` while ``api.gateway_up`` is
false. Connectors, chains and networks are the ones Gateway 2.x ships with; swap quotes come from
``api.prices`` (``"BASE-QUOTE" -> price in quote``) through the router connectors. An address for
an Ethereum key is a stable stand-in, not the key's real address (no secp256k1 here); a Solana
address is the real one (the public half of the 64-byte secret key).
"""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal
from typing import TYPE_CHECKING

from pydantic import BaseModel

from tests.fakes.hbapi_http import ApiError, Params, Reply, Req, Route, internal_error

if TYPE_CHECKING:
    from tests.fakes.hbapi import FakeHummingbotApi

SAFE_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

#: The key fields each connector's Hummingbot config asks for (tests may add to ``api.connector_keys``).
CONNECTOR_KEYS: dict[str, tuple[str, ...]] = {
    "binance": ("binance_api_key", "binance_api_secret"),
    "binance_perpetual": ("binance_perpetual_api_key", "binance_perpetual_api_secret"),
    "bybit": ("bybit_api_key", "bybit_secret_key"),
    "bybit_perpetual": ("bybit_perpetual_api_key", "bybit_perpetual_secret_key"),
    "kucoin": ("kucoin_api_key", "kucoin_secret_key", "kucoin_passphrase"),
    "okx": ("okx_api_key", "okx_secret_key", "okx_passphrase"),
    "gate_io": ("gate_io_api_key", "gate_io_secret_key"),
    "hyperliquid_perpetual": (
        "hyperliquid_perpetual_mode",
        "use_vault",
        "hyperliquid_perpetual_address",
        "hyperliquid_perpetual_secret_key",
    ),
}

#: Key fields that are not secrets, as ``/connectors/{name}/config-map`` types them (the rest: SecretStr).
FIELD_TYPES: dict[str, dict[str, object]] = {
    "hyperliquid_perpetual_mode": {
        "type": "Literal",
        "required": False,
        "allowed_values": ["arb_wallet", "api_wallet"],
    },
    "use_vault": {"type": "bool", "required": False},
}

_SOLANA = ["devnet", "mainnet-beta"]
_EVM = ["arbitrum", "avalanche", "base", "bsc", "celo", "mainnet", "optimism", "polygon", "sepolia"]
#: Gateway's connectors: name -> (chain, trading types, networks).
GATEWAY_CONNECTORS: dict[str, tuple[str, list[str], list[str]]] = {
    "jupiter": ("solana", ["router"], _SOLANA),
    "meteora": ("solana", ["clmm"], _SOLANA),
    "raydium": ("solana", ["amm", "clmm"], _SOLANA),
    "uniswap": ("ethereum", ["amm", "clmm", "router"], [n for n in _EVM if n != "sepolia"]),
    "0x": ("ethereum", ["router"], [n for n in _EVM if n not in ("sepolia", "celo")]),
    "pancakeswap": ("ethereum", ["amm", "clmm", "router"], ["arbitrum", "base", "bsc", "mainnet"]),
    "pancakeswap-sol": ("solana", ["clmm"], _SOLANA),
    "orca": ("solana", ["clmm"], _SOLANA),
}


class GatewayWalletCredential(BaseModel):
    chain: str
    private_key: str
    set_default: bool = True


class SetDefaultWalletRequest(BaseModel):
    chain: str
    address: str


class SwapQuoteRequest(BaseModel):
    connector: str
    network: str
    trading_pair: str
    side: str
    amount: Decimal
    slippage_pct: Decimal | None = 1.0  # type: ignore[assignment]  # the real default is this float


class SwapQuoteResponse(BaseModel):
    base: str
    quote: str
    price: Decimal
    amount: Decimal
    amount_in: Decimal | None = None
    amount_out: Decimal | None = None
    expected_amount: Decimal | None = None
    slippage_pct: Decimal
    gas_estimate: Decimal | None = None


def _safe(name: str, label: str) -> None:
    if not name or not SAFE_NAME.fullmatch(name):
        raise ApiError(400, f"Invalid {label}: '{name}'. Only letters, numbers, underscores and hyphens are allowed.")


# --------------------------------------------------------------------------- accounts


def list_accounts(api: FakeHummingbotApi, req: Req) -> Reply:
    return 200, list(api.accounts)


def list_credentials(api: FakeHummingbotApi, req: Req) -> Reply:
    account = req.params["account_name"]
    _safe(account, "account name")
    if account not in api.accounts:
        raise ApiError(404, f"Directory 'credentials/{account}/connectors' not found")
    return 200, list(api.accounts[account])


def list_connectors(api: FakeHummingbotApi, req: Req) -> Reply:
    """``GET /connectors/``: the exchange connectors (Gateway DEXs, named with a '/', excluded)."""
    return 200, sorted(api.connector_keys)


def config_map(api: FakeHummingbotApi, req: Req) -> Reply:
    """``GET /connectors/{name}/config-map``: each key field's type and whether it is required.

    The real route reads Hummingbot's config keys of the connector, and for an unknown one the
    lookup raises where nothing handles it: a plain-text 500, as here.
    """
    connector = req.params["connector_name"]
    if connector not in api.connector_keys:
        return internal_error()
    return 200, {
        k: dict(FIELD_TYPES.get(k, {"type": "SecretStr", "required": True})) for k in api.connector_keys[connector]
    }


def add_account(api: FakeHummingbotApi, req: Req) -> Reply:
    p = Params(req)
    account = p.query("account_name", str)
    p.check()
    _safe(account, "account name")
    if account in api.accounts:
        raise ApiError(400, "Account already exists.")
    api.accounts[account] = {}
    return 201, {"message": "Account added successfully."}


def delete_account(api: FakeHummingbotApi, req: Req) -> Reply:
    p = Params(req)
    account = p.query("account_name", str)
    p.check()
    _safe(account, "account name")
    if account == "master_account":
        raise ApiError(400, "Cannot delete master account.")
    if api.accounts.pop(account, None) is None:
        raise ApiError(404, f"Folder '{account}' not found in 'credentials'")
    return 200, {"message": "Account deleted successfully."}


def add_credential(api: FakeHummingbotApi, req: Req) -> Reply:
    p = Params(req)
    keys = p.body(dict)
    p.check()
    account, connector = req.params["account_name"], req.params["connector_name"]
    try:
        _safe(account, "account name")
        _safe(connector, "connector name")
        if account not in api.accounts:
            raise ValueError(f"Failed to authenticate for {account}")
        if connector not in api.connector_keys:
            raise KeyError(connector)
        unknown = [k for k in keys if k not in api.connector_keys[connector]]
        if unknown:
            raise ValueError(f"Object has no attribute '{unknown[0]}'")
    except (ApiError, ValueError, KeyError) as exc:
        raise ApiError(400, str(exc)) from None
    api.accounts[account][connector] = {k: str(v) for k, v in keys.items()}
    return 201, {"message": "Connector credentials added successfully."}


def delete_credential(api: FakeHummingbotApi, req: Req) -> Reply:
    account, connector = req.params["account_name"], req.params["connector_name"]
    _safe(account, "account name")
    _safe(connector, "connector name")
    api.accounts.get(account, {}).pop(connector, None)
    return 200, {"message": "Credential deleted successfully."}


# --------------------------------------------------------------------------- gateway


def _ping(api: FakeHummingbotApi) -> None:
    if not api.gateway_up:
        raise ApiError(503, "Gateway service is not available")


def _b58decode(text: str) -> bytes:
    n = 0
    for ch in text:
        n = n * 58 + _B58.index(ch)
    body = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    return b"\0" * (len(text) - len(text.lstrip("1"))) + body


def _b58encode(data: bytes) -> str:
    n, out = int.from_bytes(data, "big"), ""
    while n:
        n, r = divmod(n, 58)
        out = _B58[r] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


def wallet_address(chain: str, private_key: str) -> str | None:
    """The address a key opens on ``chain``, or None when it is not a key of that chain."""
    if chain == "ethereum":
        hexkey = private_key.removeprefix("0x")
        if not re.fullmatch(r"[0-9a-fA-F]{64}", hexkey):
            return None
        return "0x" + hashlib.sha256(bytes.fromhex(hexkey)).hexdigest()[:40]
    if not private_key or any(ch not in _B58 for ch in private_key):
        return None
    raw = _b58decode(private_key)
    return _b58encode(raw[32:]) if len(raw) == 64 else None


def gateway_status(api: FakeHummingbotApi, req: Req) -> Reply:
    if not api.gateway_up:
        return 200, {"running": False, "container_id": None, "image": None, "created_at": None, "port": None}
    return 200, {
        "running": True,
        "container_id": hashlib.sha256(b"gateway").hexdigest(),
        "image": "hummingbot/gateway:latest",
        "created_at": "2026-01-01T00:00:00.000000000Z",
        "port": 15888,
    }


def gateway_connectors(api: FakeHummingbotApi, req: Req) -> Reply:
    _ping(api)
    rows = [
        {"name": name, "trading_types": list(types), "chain": chain, "networks": list(nets)}
        for name, (chain, types, nets) in GATEWAY_CONNECTORS.items()
    ]
    return 200, {"connectors": rows}


def gateway_chains(api: FakeHummingbotApi, req: Req) -> Reply:
    _ping(api)
    return 200, {
        "chains": [{"chain": "ethereum", "networks": list(_EVM)}, {"chain": "solana", "networks": list(_SOLANA)}]
    }


def list_wallets(api: FakeHummingbotApi, req: Req) -> Reply:
    _ping(api)
    return 200, [
        {"chain": chain, "walletAddresses": list(addrs), "default_address": api.default_wallets.get(chain, "")}
        for chain, addrs in api.wallets.items()
    ]


def add_wallet(api: FakeHummingbotApi, req: Req) -> Reply:
    p = Params(req)
    cred = p.body(GatewayWalletCredential)
    p.check()
    _ping(api)
    if cred.chain not in ("ethereum", "solana"):
        raise ApiError(400, f"Gateway error: Unrecognized chain name: {cred.chain}")
    address = wallet_address(cred.chain, cred.private_key)
    if address is None:
        raise ApiError(400, "Gateway error: Unable to retrieve wallet address for provided private key")
    addrs = api.wallets.setdefault(cred.chain, [])
    if address not in addrs:
        addrs.append(address)
    if cred.set_default:
        api.default_wallets[cred.chain] = address
    return 201, {"address": address}


def set_default_wallet(api: FakeHummingbotApi, req: Req) -> Reply:
    p = Params(req)
    body = p.body(SetDefaultWalletRequest)
    p.check()
    _ping(api)
    if body.address not in api.wallets.get(body.chain, []):
        raise ApiError(400, f"Failed to set default wallet: Wallet {body.address} not found for chain {body.chain}")
    api.default_wallets[body.chain] = body.address
    message = f"Set {body.address} as default wallet for {body.chain}"
    return 200, {"success": True, "message": message, "chain": body.chain, "address": body.address}


def remove_wallet(api: FakeHummingbotApi, req: Req) -> Reply:
    _ping(api)
    chain, address = req.params["chain"], req.params["address"]
    if address not in api.wallets.get(chain, []):
        raise ApiError(400, f"Gateway error: Wallet {address} not found for chain {chain}")
    api.wallets[chain].remove(address)
    if api.default_wallets.get(chain) == address:
        del api.default_wallets[chain]
    return 200, {"success": True, "message": f"Successfully removed {chain} wallet"}


def _gateway_quote(
    api: FakeHummingbotApi, connector: str, network: str, base: str, quote: str, amount: float, side: str
) -> dict:
    """Gateway's ``/connectors/{connector}/router/quote-swap`` (an error document when it refuses)."""
    spec = GATEWAY_CONNECTORS.get(connector)
    if spec is None or "router" not in spec[1]:
        return {"error": f"Route GET:/connectors/{connector}/router/quote-swap not found", "status": 404}
    if network not in spec[2]:
        return {"error": f"Network {network} is not supported by {connector}", "status": 400}
    if side not in ("BUY", "SELL"):
        return {"error": "body/side must be equal to one of the allowed values", "status": 400}
    price = api.prices.get(f"{base}-{quote}")
    if price is None and api.prices.get(f"{quote}-{base}"):
        price = 1 / api.prices[f"{quote}-{base}"]
    if price is None:
        return {"error": f"Token not found: {base}-{quote}", "status": 404}
    if side == "SELL":  # spend `amount` base, receive quote
        amount_in, amount_out = amount, amount * price
    else:  # receive `amount` base, spend quote
        amount_in, amount_out = amount * price, amount
    return {"amountIn": amount_in, "amountOut": amount_out, "price": price, "priceImpactPct": 0.0}


def swap_quote(api: FakeHummingbotApi, req: Req) -> Reply:
    p = Params(req)
    body = p.body(SwapQuoteRequest)
    p.check()
    _ping(api)
    parts = body.network.split("-", 1)
    if len(parts) != 2:
        raise ApiError(400, f"Invalid network_id format. Expected 'chain-network', got '{body.network}'")
    try:
        base, quote = body.trading_pair.split("-")
    except ValueError as exc:
        raise ApiError(400, str(exc)) from None
    result = _gateway_quote(api, body.connector, parts[1], base, quote, float(body.amount), body.side.upper())
    amount_in = Decimal(str(result["amountIn"])) if result.get("amountIn") else None
    amount_out = Decimal(str(result["amountOut"])) if result.get("amountOut") else None
    answer = SwapQuoteResponse(
        base=base,
        quote=quote,
        price=Decimal(str(result.get("price", 0))),
        amount=body.amount,
        amount_in=amount_in,
        amount_out=amount_out,
        expected_amount=amount_out,
        slippage_pct=body.slippage_pct or Decimal("1.0"),
        gas_estimate=None,
    )
    return 200, answer.model_dump(mode="json")


ROUTES = [
    Route("GET", "/connectors/", list_connectors),
    Route("GET", "/connectors/{connector_name}/config-map", config_map),
    Route("GET", "/gateway/status", gateway_status),
    Route("GET", "/gateway/connectors", gateway_connectors),
    Route("GET", "/gateway/chains", gateway_chains),
    Route("GET", "/accounts/", list_accounts),
    Route("GET", "/accounts/{account_name}/credentials", list_credentials),
    Route("POST", "/accounts/add-account", add_account),
    Route("POST", "/accounts/delete-account", delete_account),
    Route("POST", "/accounts/delete-credential/{account_name}/{connector_name}", delete_credential),
    Route("POST", "/accounts/add-credential/{account_name}/{connector_name}", add_credential, has_body=True),
    Route("GET", "/accounts/gateway/wallets", list_wallets),
    Route("POST", "/accounts/gateway/add-wallet", add_wallet, has_body=True),
    Route("POST", "/accounts/gateway/wallet/set-default", set_default_wallet, has_body=True),
    Route("DELETE", "/accounts/gateway/{chain}/{address}", remove_wallet),
    Route("POST", "/gateway/swap/quote", swap_quote, has_body=True),
]
