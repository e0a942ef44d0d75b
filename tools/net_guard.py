"""SSRF guard for tools that fetch URLs chosen by a model.

``vet_url`` allows only http/https URLs whose host resolves (every address of it) to public, globally
routable addresses, and returns those addresses. Loopback, private, link-local, site-local, multicast,
reserved, unspecified, carrier-grade NAT and cloud metadata endpoints are refused, also when written inside
an IPv6 address (IPv4-mapped, 6to4 2002::/16, Teredo, NAT64 64:ff9b::/96). Callers connect to the vetted
addresses only (a second DNS answer could point elsewhere: rebinding) and vet again on every redirect hop.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from toolagent.tools.base import ToolError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: cloud instance-metadata endpoints (AWS/GCP/Azure/OpenStack, AWS IPv6, Alibaba, Oracle)
METADATA_ADDRESSES = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254", "fd00:ec2::254", "100.100.100.200", "192.0.0.192", "169.254.170.2"))
METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata", "instance-data", "instance-data.ec2.internal"})
ALLOWED_SCHEMES = ("http", "https")


class UnsafeURL(ToolError):
    """The URL points somewhere a model-driven fetch must not go."""


def resolve_host(host: str, port: int) -> list[str]:
    """All addresses ``host`` resolves to (the seam tests patch to fake DNS)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def blocked_reason(address: str | IPAddress) -> str | None:
    """Why an address must not be fetched, or None when it is a public address."""
    ip = ipaddress.ip_address(str(address).split("%", 1)[0])  # drop an IPv6 zone id
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.is_site_local:
            return "a site-local address"
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            return blocked_reason(embedded)
    if ip in METADATA_ADDRESSES:
        return "a cloud metadata endpoint"
    for flag, words in (("is_loopback", "a loopback address"), ("is_unspecified", "an unspecified address"),
                        ("is_link_local", "a link-local address"), ("is_multicast", "a multicast address"),
                        ("is_private", "a private-network address"), ("is_reserved", "a reserved address")):
        if getattr(ip, flag):
            return words
    if not ip.is_global:
        return "not a public internet address"
    return None


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, 6to4, Teredo client, NAT64), if any."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


NAT64 = ipaddress.ip_network("64:ff9b::/96")


def check_url(url: str, *, allow_private: bool = False) -> str:
    """Validate ``url`` for fetching; returns the hostname. Raises UnsafeURL with a one-line reason."""
    return vet_url(url, allow_private=allow_private)[0]


def vet_url(url: str, *, allow_private: bool = False) -> tuple[str, list[str]]:
    """Validate ``url`` for fetching; returns (hostname, the vetted addresses to connect to: empty when
    private URLs are allowed and nothing was checked). Raises UnsafeURL with a one-line reason."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UnsafeURL(f"malformed URL {url!r}: {exc}") from None
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        raise UnsafeURL(f"only http and https URLs can be visited, not {parts.scheme or 'no scheme'!r}: {url}")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise UnsafeURL(f"URL has no host: {url}")
    if allow_private:
        return host, []
    if host in METADATA_HOSTS:
        raise UnsafeURL(f"refusing {url}: {host} is a cloud metadata host")
    try:
        addresses = [host] if _is_ip(host) else resolve_host(host, port or (443 if parts.scheme == "https" else 80))
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise ToolError(f"cannot resolve host {host!r}: {exc}") from None
    if not addresses:
        raise ToolError(f"cannot resolve host {host!r}: no addresses")
    for address in addresses:
        reason = blocked_reason(address)
        if reason:
            shown = host if host == address else f"{host} ({address})"
            raise UnsafeURL(f"refusing {url}: {shown} is {reason}; private URLs are disabled")
    return host, addresses


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True
