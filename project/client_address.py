"""REMOTE_ADDR as the client's address, not the proxy's.

gunicorn hands Django the address of whoever connected: behind a proxy, the
proxy's, for every visitor, so anything keyed on the client (login throttling,
rate limits, audit logs) would see one visitor. From a proxy FORWARDED_ALLOW_IPS
trusts, the client is the last address of X-Forwarded-For, the one that proxy
saw; from anyone else the header is ignored, so a client can't forge it. An
IPv4 peer of gunicorn's dual-stack socket (`::ffff:a.b.c.d`) is written as
a.b.c.d. request.META is gunicorn's environ: its access line shows the same.
"""

import ipaddress
from collections.abc import Callable
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@lru_cache(maxsize=1024)  # the same few peers, over and over: parsed once each
def ip(text: str) -> Address | None:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    return getattr(address, "ipv4_mapped", None) or address


class ClientAddressMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        trusted = settings.FORWARDED_ALLOW_IPS
        self.trust_every_peer = "*" in trusted
        self.proxies = [ipaddress.ip_network(item) for item in trusted if item != "*"]

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        meta = request.META
        peer = ip(meta.get("REMOTE_ADDR", ""))
        if peer is not None:
            forwarded = meta.get("HTTP_X_FORWARDED_FOR", "").rpartition(",")[2]
            if forwarded and (self.trust_every_peer or any(peer in net for net in self.proxies)):
                peer = ip(forwarded) or peer
            meta["REMOTE_ADDR"] = str(peer)
        return self.get_response(request)
