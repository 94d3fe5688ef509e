"""WWW-Authenticate parsing: the quoted-string and multi-challenge cases registries send."""

from __future__ import annotations

import pytest

from builder.registry.challenge import Challenge, parse_challenges, preferred


def test_docker_hub_bearer_challenge_keeps_commas_inside_the_scope() -> None:
    header = ('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
              'scope="repository:library/nginx:pull,push"')
    (c,) = parse_challenges([header])
    assert c.scheme == "bearer"
    assert c.realm == "https://auth.docker.io/token"
    assert c.service == "registry.docker.io"
    assert c.scope == "repository:library/nginx:pull,push"


def test_basic_challenge_from_htpasswd_distribution() -> None:
    (c,) = parse_challenges(['Basic realm="dockless-test"'])
    assert c == Challenge("basic", {"realm": "dockless-test"})


def test_several_challenges_in_one_header_and_across_headers() -> None:
    found = parse_challenges(['Basic realm="a, b", Bearer realm=https://x/token,error="insufficient_scope"',
                              'Negotiate'])
    assert [c.scheme for c in found] == ["basic", "bearer", "negotiate"]
    assert found[0].realm == "a, b"
    assert found[1].realm == "https://x/token" and found[1].error == "insufficient_scope"


@pytest.mark.parametrize("header, params", [
    ('Bearer realm="a\\"b"', {"realm": 'a"b'}),                  # escaped quote
    ('Bearer  REALM = "x" ,  Service=y', {"realm": "x", "service": "y"}),  # spaces, case
    ('Bearer realm="unterminated', {"realm": "unterminated"}),     # garbled but no crash
    ("Bearer", {}),
    ('Bearer realm="",scope=""', {"realm": "", "scope": ""}),
])
def test_odd_but_legal_or_garbled_forms(header: str, params: dict[str, str]) -> None:
    (c,) = parse_challenges([header])
    assert dict(c.params) == params


@pytest.mark.parametrize("garbage", ["", ",,,", '"', "=", "==x", ' , "a" = '])
def test_garbage_never_loops_or_raises(garbage: str) -> None:
    parse_challenges([garbage])


def test_bearer_is_preferred_over_basic() -> None:
    both = parse_challenges(['Basic realm="r", Bearer realm="https://t/token"'])
    assert preferred(both) is not None and preferred(both).scheme == "bearer"  # type: ignore[union-attr]
    assert preferred(parse_challenges(["Negotiate"])) is None
