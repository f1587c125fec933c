"""Client identification by IP address, for rate limits."""

import ipaddress
from collections.abc import Sequence

from starlette.types import Scope

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def client_address(scope: Scope, trusted_proxies: Sequence[Network]) -> str:
    """Return the client's IP address: the TCP peer, unless the peer is a trusted proxy.

    Behind trusted proxies the address is the rightmost X-Forwarded-For entry that is not
    itself a trusted proxy. Entries further left are client-supplied and could be forged.
    """
    peer = scope["client"][0] if scope.get("client") else "unknown"
    if not trusted_proxies or not _is_trusted(peer, trusted_proxies):
        return peer

    forwarded = _forwarded_for(scope)
    for address in reversed(forwarded):
        if not _is_trusted(address, trusted_proxies):
            return address
    return forwarded[0] if forwarded else peer


def _forwarded_for(scope: Scope) -> list[str]:
    addresses: list[str] = []
    for name, value in scope["headers"]:
        if name == b"x-forwarded-for":
            addresses.extend(part.strip() for part in value.decode("latin-1").split(","))
    return [address for address in addresses if address]


def _is_trusted(address: str, trusted_proxies: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted_proxies)
