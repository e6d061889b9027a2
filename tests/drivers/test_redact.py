"""Masking by key name: URLs, headers, mappings and free text never show a secret."""

from __future__ import annotations

import string

from hypothesis import assume, given
from hypothesis import strategies as st

from procmod.core.redaction import (
    MASK,
    URL_MASK,
    is_secret_key,
    redact_headers,
    redact_mapping,
    redact_url,
    scrub_text,
)


def test_secret_key_names_are_recognised_in_any_spelling() -> None:
    for name in ("ApiKey", "api_key", "API-KEY", "api_token", "password", "Password", "token", "Authorization",
                 "x-xsrf-token", "X-XSRF-Token", "root_password", "license_key", "Cookie"):
        assert is_secret_key(name), name
    for name in ("ApiUser", "UserName", "ClientIp", "Command", "email", "where", "api.version", "user", "domain"):
        assert not is_secret_key(name), name


def test_redact_url_masks_namecheap_api_key_and_keeps_the_rest_as_sent() -> None:
    url = ("https://api.namecheap.com/xml.response?ApiUser=bob&ApiKey=s3cr3tkey&UserName=bob"
           "&ClientIp=192.0.2.1&Command=namecheap.users.getBalances")
    assert redact_url(url) == (
        f"https://api.namecheap.com/xml.response?ApiUser=bob&ApiKey={URL_MASK}&UserName=bob"
        "&ClientIp=192.0.2.1&Command=namecheap.users.getBalances"
    )


def test_redact_url_masks_account_password_and_userinfo() -> None:
    assert "hunter22" not in redact_url("https://whm:2087/json-api/createacct?username=a&password=hunter22")
    assert redact_url("https://root:hunter22@whm:2087/json-api/version") == f"https://root:{URL_MASK}@whm:2087/json-api/version"
    assert redact_url("http://h/vm/v3/task?where=(id+EQ+5)") == "http://h/vm/v3/task?where=(id+EQ+5)"


def test_redact_headers_masks_authorization_and_xsrf_token() -> None:
    headers = {"Authorization": "whm root:TOKEN", "x-xsrf-token": "abc", "Accept": "application/json"}
    assert redact_headers(headers) == {"Authorization": MASK, "x-xsrf-token": MASK, "Accept": "application/json"}


def test_redact_mapping_is_deep() -> None:
    body = {"email": "a@b.c", "password": "pw", "nested": [{"api_token": "t", "name": "x"}], "token": ""}
    assert redact_mapping(body) == {"email": "a@b.c", "password": MASK,
                                    "nested": [{"api_token": MASK, "name": "x"}], "token": ""}


def test_scrub_text_removes_plain_and_url_encoded_values() -> None:
    text = "failed for key a b+c/d and a%20b%2Bc%2Fd"
    assert scrub_text(text, ["a b+c/d"]) == f"failed for key {MASK} and {MASK}"
    assert scrub_text("id 1 ok", ["1"]) == "id 1 ok"  # too short to be worth masking


secret_values = st.text(alphabet=string.ascii_letters + string.digits + "-_.~!$", min_size=6, max_size=40)
secret_names = st.sampled_from(["ApiKey", "api_token", "password", "token", "x-xsrf-token", "Password"])


@given(value=secret_values, name=secret_names, other=st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=8))
def test_no_secret_query_value_survives_redaction(value: str, name: str, other: str) -> None:
    assume(value not in f"https://panel.example/api?user={other}&{name}=&x=1")
    url = f"https://panel.example/api?user={other}&{name}={value}&x=1"
    redacted = redact_url(url)
    assert value not in redacted
    assert f"user={other}" in redacted


@given(value=secret_values, name=secret_names)
def test_no_secret_header_survives_redaction(value: str, name: str) -> None:
    assert value not in repr(redact_headers({name: value, "Accept": "*/*"}))
