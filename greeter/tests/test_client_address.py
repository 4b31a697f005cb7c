"""REMOTE_ADDR is the client's: from a trusted proxy, the last X-Forwarded-For
address; from anyone else, the peer itself (project/client_address.py)."""

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from project.client_address import ClientAddressMiddleware


def client_address(settings, trusted, peer, forwarded=None):
    settings.FORWARDED_ALLOW_IPS = trusted
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    request = RequestFactory(headers=headers).get("/", REMOTE_ADDR=peer)
    middleware = ClientAddressMiddleware(lambda request: HttpResponse(request.META["REMOTE_ADDR"]))
    response = middleware(request)
    assert isinstance(response, HttpResponse)
    return response.content.decode()


@pytest.mark.parametrize(
    ("trusted", "peer"),
    [(["172.19.0.2/32"], "172.19.0.2"), (["172.19.0.0/16"], "::ffff:172.19.0.2"),
     (["2001:db8::/64"], "2001:db8::7"), (["*"], "10.1.1.1")],
)  # fmt: skip
def test_behind_a_trusted_proxy_the_client_is_the_address_it_saw(settings, trusted, peer):
    forged_then_seen = "203.0.113.9, 2001:db8:1::5"  # a client's own header, then the proxy's
    assert client_address(settings, trusted, peer, forged_then_seen) == "2001:db8:1::5"


def test_an_untrusted_peers_forwarded_header_changes_nothing(settings):
    assert client_address(settings, ["172.19.0.2/32"], "172.19.0.3", "203.0.113.9") == "172.19.0.3"


def test_an_ipv4_peer_on_the_dual_stack_socket_is_written_as_ipv4(settings):
    assert client_address(settings, ["127.0.0.1/32"], "::ffff:198.51.100.4") == "198.51.100.4"


def test_a_proxys_header_that_is_no_address_leaves_the_peer(settings):
    assert client_address(settings, ["*"], "172.19.0.2", "unknown") == "172.19.0.2"
