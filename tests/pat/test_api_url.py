"""The API URL's one normal form and "this machine" by address (issue 14, defect 12):
`GH_HOST=github.com:443` gave `https://github.com:443/api/v3`; spellings (`:443`, an
upper-case host, a trailing slash) made `--resume` refuse the run and `status` ignore
the journal; `http://127.1` was refused as "not this machine"."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccat.pat.api_url import (
    api_host,
    is_loopback,
    normal_api_url,
    resolve_api_url,
    same_api,
    validate_api_url,
)
from ccat.pat.errors import UsageError


@pytest.mark.parametrize(
    ("gh_host", "url"),
    [
        ("github.com:443", "https://api.github.com"),
        ("GitHub.COM", "https://api.github.com"),
        ("github.com.", "https://api.github.com"),
        ("github.com:8443", "https://github.com:8443/api/v3"),
        ("ghe.example.org:443", "https://ghe.example.org/api/v3"),
        ("GHE.Example.org", "https://ghe.example.org/api/v3"),
    ],
)
def test_gh_host_gives_the_api_in_its_normal_form(gh_host: str, url: str) -> None:
    assert resolve_api_url(None, {"GH_HOST": gh_host}) == url


@pytest.mark.parametrize(
    ("spelling", "normal"),
    [
        ("https://api.github.com:443", "https://api.github.com"),
        ("HTTPS://API.GitHub.com/", "https://api.github.com"),
        ("https://api.github.com.:443/", "https://api.github.com"),
        ("https://GHE.example.org:443/api/v3/", "https://ghe.example.org/api/v3"),
        ("https://ghe.example.org:8443/api/v3", "https://ghe.example.org:8443/api/v3"),
        ("http://127.1:8080", "http://127.0.0.1:8080"),
        ("http://2130706433:8080/", "http://127.0.0.1:8080"),
        ("http://0x7f.0.0.1:80", "http://127.0.0.1"),
        ("http://[0:0:0:0:0:0:0:1]:9000", "http://[::1]:9000"),
        ("http://[::ffff:127.0.0.1]:9000", "http://127.0.0.1:9000"),
        ("http://LocalHost.:9000", "http://localhost:9000"),
        ("https://ghe.example.org/API/v3", "https://ghe.example.org/API/v3"),  # paths keep case
    ],
)
def test_every_spelling_has_one_normal_form(spelling: str, normal: str) -> None:
    assert validate_api_url(spelling, "--api-url") == normal
    assert normal_api_url(normal) == normal
    assert same_api(spelling, normal)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("https://api.github.com", "https://ghe.example.org/api/v3"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8081"),
        ("http://127.0.0.1:8080", "http://localhost:8080"),  # a name is not an address
        ("https://ghe.example.org/api/v3", "http://ghe.example.org/api/v3"),
        ("https://ghe.example.org/api/v3", "https://ghe.example.org/API/v3"),
    ],
)
def test_different_apis_stay_different(first: str, second: str) -> None:
    assert not same_api(first, second)


def test_journal_urls_that_are_not_urls_compare_as_written() -> None:
    assert same_api("not a url/", "NOT A URL")
    assert not same_api("not a url", "https://api.github.com")


THIS_MACHINE = (
    *("127.0.0.1", "127.1", "127.255.255.254", "2130706433", "0x7f000001", "::1"),
    *("localhost", "LOCALHOST", "localhost.", "::ffff:127.0.0.1", "0:0:0:0:0:0:0:1"),
)
ELSEWHERE = (
    *("128.0.0.1", "0.0.0.0", "10.0.0.1", "::2", "localhost.example.com", "a.localhost"),
    *("1.2.3", "127.0.0.1.example.com", "ghe.example.org"),
)


@pytest.mark.parametrize("host", THIS_MACHINE)
def test_this_machine_is_recognised_by_its_address_in_any_spelling(host: str) -> None:
    assert is_loopback(host)
    shown = f"[{host}]" if ":" in host else host
    assert resolve_api_url(f"http://{shown}:4000", {}).startswith("http://")


@pytest.mark.parametrize("host", ELSEWHERE)
def test_other_hosts_are_not_this_machine(host: str) -> None:
    assert not is_loopback(host)


def test_the_host_is_named_with_its_port_when_not_the_default() -> None:
    assert api_host("https://api.github.com") == "api.github.com"
    assert api_host("https://ghe.example.org:8443/api/v3") == "ghe.example.org:8443"
    assert api_host("http://[::1]:9000") == "[::1]:9000"


_LABEL = st.sampled_from(["api", "github", "com", "GHE", "Example", "org", "127", "0", "1"])
_HOSTS = st.lists(_LABEL, min_size=1, max_size=4).map(".".join)


@settings(max_examples=500)
@given(
    scheme=st.sampled_from(["https", "HTTPS", "Https", "http"]),
    host=_HOSTS,
    dot=st.booleans(),
    port=st.sampled_from(["", ":443", ":80", ":8443", ":1"]),
    path=st.sampled_from(["", "/", "/api/v3", "/api/v3/", "/API/v3//"]),
)
def test_the_normal_form_is_a_fixed_point_and_every_spelling_matches_it(
    scheme: str, host: str, dot: bool, port: str, path: str
) -> None:
    url = f"{scheme}://{host}{'.' if dot else ''}{port}{path}"
    try:
        normal = validate_api_url(url, "--api-url", insecure_http=True)
    except UsageError:
        return  # e.g. 0.1.127.0.1: not a host; refused, which is all that is asked
    assert normal_api_url(normal) == normal  # normalising twice changes nothing
    assert same_api(url, normal)
    variant = f"{scheme.lower()}://{host.upper()}{port}{path.rstrip('/')}/"
    assert same_api(variant, url)  # case of the host and a trailing slash never matter
    authority = normal.split("/")[2]
    default = ":443" if normal.startswith("https://") else ":80"
    assert normal == normal.rstrip("/") and not authority.endswith(default)
