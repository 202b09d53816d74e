"""The built-in providers are found the way any other is: the mockbatch.providers entry points."""

from __future__ import annotations

from importlib.metadata import entry_points

from mockbatch import registry
from mockbatch.provider import Provider

BUILT_INS = {"anthropic", "check", "ivvy", "openai", "runtype", "trigger"}


def test_the_installed_distribution_registers_every_built_in() -> None:
    found = {e.name: e.value for e in entry_points(group="mockbatch.providers")}

    assert BUILT_INS <= set(found)
    assert all(found[name].startswith(f"mockbatch.apis.{name}:") for name in BUILT_INS)


def test_each_entry_point_is_a_provider_of_that_name() -> None:
    providers = registry.providers()

    assert BUILT_INS <= set(providers)
    for name in BUILT_INS:
        assert issubclass(providers[name], Provider)
        assert providers[name].name == name
