"""Every registered connector, and every mode of one, is covered: a contract adapter each, and
both hostile classes per adapter (so the quarantine, bounded-walk, disk-full and network-rule
tests run for every mode, not only for one mode of each platform)."""

from __future__ import annotations

from typing import Any, get_args

import pytest

from connectors.registry import BUILTIN, connector_class
from tests.contract.adapters import ContractAdapter, discover, hostile_harnesses, hostile_platforms

ADAPTERS = discover()


def modes(platform: str) -> set[str | None]:
    """The values of the connector's `mode` account key (None: it has no modes)."""
    model: Any = connector_class(platform).options_model
    field = (getattr(model, "model_fields", None) or {}).get("mode")
    return set(get_args(field.annotation)) if field is not None else {None}


def test_every_builtin_connector_mode_has_a_contract_adapter():
    covered = {(a.platform, getattr(a, "mode", None)) for a in ADAPTERS.values()}
    wanted = {(platform, mode) for platform in BUILTIN for mode in modes(platform)}
    assert wanted <= covered, f"no contract adapter for {sorted(wanted - covered, key=str)}"
    for adapter in ADAPTERS.values():
        assert isinstance(adapter(), ContractAdapter), f"{adapter.name} misses contract methods"


@pytest.mark.parametrize("name", sorted(ADAPTERS))
def test_every_adapter_has_its_own_hostile_harness_and_network_class(name):
    adapter = ADAPTERS[name]
    for attribute, run in (("harness", hostile_harnesses()), ("hostile", hostile_platforms())):
        cls = getattr(adapter, attribute)
        assert cls is not None, f"{name}: `{attribute} = None`, the hostile tests skip this mode"
        assert cls.platform == adapter.platform, f"{name}: {cls.__name__} is not {adapter.platform}"
        # the hostile fixtures run one class per adapter: a class shared with another mode
        # would test that mode twice and this one never
        assert run.get(name) is cls, f"{name}: {cls.__name__} is not run for this adapter"
