"""Storage options: ``KEY=VALUE`` parsing, ``$LIFECYCLE_STORAGE_OPTIONS``, checks against the filesystem, masking."""

from __future__ import annotations

import json

import pytest

import lifecycle_ext
from lifecycle_ext.cli.commands import build_parser, storage_options
from lifecycle_ext.core.errors import UsageInputError
from lifecycle_ext.registry.compose import storage_for
from lifecycle_ext.storage.options import ENV, check_options, describe, from_env, from_pairs, mask, merged

SECRET = "hunter2-s3cr3t"


def test_pairs_nest_on_dots_and_parse_json_values():
    opts = from_pairs(
        [
            "key=AK",
            "client_kwargs.endpoint_url=http://127.0.0.1:9000",
            "client_kwargs.region_name=eu-west-1",
            "config_kwargs.retries.max_attempts=3",
            "anon=false",
            "use_ssl=true",
            's3_additional_kwargs={"ACL": "private"}',
            "default_block_size=5242880",
        ]
    )
    assert opts == {
        "key": "AK",
        "client_kwargs": {"endpoint_url": "http://127.0.0.1:9000", "region_name": "eu-west-1"},
        "config_kwargs": {"retries": {"max_attempts": 3}},
        "anon": False,
        "use_ssl": True,
        "s3_additional_kwargs": {"ACL": "private"},
        "default_block_size": 5242880,
    }


def test_secret_values_stay_strings_even_when_they_look_like_json():
    opts = from_pairs(["secret=12345", "token=true", "password=null", "key=0017"])
    assert opts == {"secret": "12345", "token": "true", "password": "null", "key": "0017"}


def test_endpoint_url_shortcut_sets_client_kwargs_and_wins():
    opts = from_pairs(
        ["client_kwargs.endpoint_url=http://old", "client_kwargs.region_name=x"], endpoint_url="http://new"
    )
    assert opts == {"client_kwargs": {"endpoint_url": "http://new", "region_name": "x"}}
    assert from_pairs([], endpoint_url=None) == {}


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        ([SECRET], "expects KEY=VALUE"),
        ([f"={SECRET}"], "no KEY before '='"),
        ([f"client_kwargs..x={SECRET}"], "empty name between dots"),
        ([f"key={SECRET}", f"key.inner={SECRET}"], "'key' is already set to a value, it cannot nest"),
        ([f"client_kwargs.a={SECRET}", f"client_kwargs={SECRET}"], "already holds nested options"),
    ],
)
def test_bad_pairs_are_clear_and_never_echo_the_value(pairs, message):
    with pytest.raises(UsageInputError, match=message) as err:
        from_pairs(pairs)
    assert SECRET not in str(err.value)


def test_env_variable_is_a_json_object_and_a_bad_one_names_the_variable():
    assert from_env({}) == {} and from_env({ENV: "  "}) == {}
    good = {"key": "k", "client_kwargs": {"endpoint_url": "http://x"}}
    assert from_env({ENV: json.dumps(good)}) == good
    with pytest.raises(UsageInputError, match=r"\$LIFECYCLE_STORAGE_OPTIONS is not valid JSON.*line 1 column") as err:
        from_env({ENV: '{"secret": "' + SECRET})
    assert SECRET not in str(err.value)
    with pytest.raises(UsageInputError, match=r"LIFECYCLE_STORAGE_OPTIONS must be a JSON object.*list"):
        from_env({ENV: json.dumps([SECRET])})


def test_mask_and_describe_hide_every_credential_at_any_depth():
    opts = {
        "key": "AK",
        "secret": SECRET,
        "token": SECRET,
        "client_kwargs": {"endpoint_url": "http://e", "aws_secret_access_key": SECRET, "region_name": "r"},
        "config_kwargs": {"proxies": {"password": SECRET}},
    }
    masked = mask(opts)
    assert SECRET not in json.dumps(masked) and "AK" not in json.dumps(masked)
    assert masked["client_kwargs"]["endpoint_url"] == "http://e" and masked["key"] == "***"
    text = describe(opts)
    assert SECRET not in text
    assert "key=***" in text and "client_kwargs.endpoint_url=http://e" in text and "client_kwargs.region_name=r" in text
    assert opts["secret"] == SECRET  # the options themselves are untouched


def test_options_are_checked_against_the_urls_filesystem():
    check_options("s3://b/p", {"key": "k", "secret": "s", "client_kwargs": {"endpoint_url": "http://e"}})
    check_options("s3://b/p", {"endpoint_url": "http://e", "skip_instance_cache": True})
    with pytest.raises(UsageInputError, match="unknown storage option 'endpoint' for s3:// URLs.*'endpoint_url'"):
        check_options("s3://b/p", {"endpoint": {"url": "http://e"}})
    with pytest.raises(UsageInputError, match="'secret' takes a value, not nested options.*client_kwargs") as err:
        check_options("s3://b/p", {"secret": {"inner": SECRET}})
    assert SECRET not in str(err.value)
    check_options(
        "s3://b/p", {"client_kwargs": {"region_name": "r", "verify": False}, "config_kwargs": {"retries": {}}}
    )
    with pytest.raises(UsageInputError, match="'client_kwargs.endpoint' for s3:// URLs.*'endpoint_url'"):
        check_options("s3://b/p", {"client_kwargs": {"endpoint": "http://e"}})
    with pytest.raises(UsageInputError, match="'config_kwargs.retry' for s3:// URLs.*'retries'"):
        check_options("s3://b/p", {"config_kwargs": {"retry": {"max_attempts": 3}}})
    with pytest.raises(UsageInputError, match="unknown storage option 'client_kwargs' for memory:// URLs"):
        check_options("memory://b/p", {"client_kwargs": {"x": 1}})


def test_local_folder_refuses_options_and_ignores_the_env_variable(tmp_path, monkeypatch):
    with pytest.raises(UsageInputError, match="apply to registry URLs.*not to the local folder") as err:
        lifecycle_ext.open_registry(tmp_path / "reg", key="k", secret=SECRET)
    assert "key, secret" in str(err.value) and SECRET not in str(err.value)
    assert not (tmp_path / "reg").exists()  # nothing created
    monkeypatch.setenv(ENV, json.dumps({"key": "k", "secret": SECRET}))
    reg = lifecycle_ext.open_registry(tmp_path / "reg2")  # a team-wide variable does not break local registries
    assert reg.info().events == 0


def test_open_registry_lays_explicit_options_over_the_env_variable_key_by_key(monkeypatch):
    monkeypatch.setenv(ENV, json.dumps({"key": "env-key", "secret": SECRET, "client_kwargs": {"region_name": "r1"}}))
    st = storage_for("s3://bucket/prefix")
    assert st.fs.key == "env-key" and st.fs.secret == SECRET and st.fs.client_kwargs == {"region_name": "r1"}
    st = storage_for("s3://bucket/prefix", key="explicit", client_kwargs={"endpoint_url": "http://e"})
    assert st.fs.key == "explicit" and st.fs.secret == SECRET  # explicit wins; the rest comes from the variable
    assert st.fs.client_kwargs == {"region_name": "r1", "endpoint_url": "http://e"}
    assert merged({"a": {"b": 1, "c": 2}, "d": 1}, {"a": {"b": 3}, "d": {"e": 1}}) == {
        "a": {"b": 3, "c": 2},
        "d": {"e": 1},
    }
    assert SECRET not in repr(storage_for("s3://bucket/prefix")) and "key=***" in repr(storage_for("s3://bucket/p"))
    with pytest.raises(
        UsageInputError, match=r"unknown storage option 'key' for memory:// URLs.*\(in \$LIFECYCLE_STORAGE"
    ):
        storage_for("memory://bucket/prefix")
    monkeypatch.setenv(ENV, "{not json")
    with pytest.raises(UsageInputError, match="LIFECYCLE_STORAGE_OPTIONS is not valid JSON"):
        lifecycle_ext.open_registry("s3://bucket/prefix")


def test_cli_options_before_and_after_the_subcommand_add_up():
    p = build_parser("lifecycle")
    ns = p.parse_args(
        [
            "--storage-option",
            "key=A",
            "-R",
            "s3://b/p",
            "versions",
            "model:m",
            "--storage-option",
            "client_kwargs.region_name=eu-west-1",
            "--endpoint-url",
            "http://127.0.0.1:1",
        ]
    )
    assert ns.command == "versions" and ns.registry == "s3://b/p"
    assert storage_options(ns) == {
        "key": "A",
        "client_kwargs": {"region_name": "eu-west-1", "endpoint_url": "http://127.0.0.1:1"},
    }
    ns = p.parse_args(["--endpoint-url", "http://e", "--storage-option", "secret=s", "info"])
    assert storage_options(ns) == {"secret": "s", "client_kwargs": {"endpoint_url": "http://e"}}
    assert storage_options(p.parse_args(["info"])) == {}


def test_cli_two_word_commands_still_work_after_storage_options():
    p = build_parser("lifecycle")
    ns = p.parse_args(["--storage-option", "key=policy", "--endpoint-url", "set", "policy", "show"])
    assert ns.command == "policy" and storage_options(ns)["key"] == "policy"


def test_cli_reports_bad_options_without_echoing_them(tmp_path, capsys):
    from lifecycle_ext.cli import main

    assert main(["-R", str(tmp_path / "r"), "info", "--storage-option", f"secret={SECRET}"]) == 2
    err = capsys.readouterr().err
    assert "not to the local folder" in err and SECRET not in err
    assert main(["-R", "s3://b/p", "--storage-option", SECRET, "info"]) == 2
    err = capsys.readouterr().err
    assert "expects KEY=VALUE" in err and SECRET not in err
