"""Every registered connector is covered: a contract adapter and both hostile classes."""

from __future__ import annotations

from connectors.registry import BUILTIN
from tests.contract.adapters import ContractAdapter, discover, hostile_harnesses, hostile_platforms


def test_every_builtin_connector_has_a_contract_adapter_and_hostile_classes():
    adapters = discover()
    covered = {a.platform for a in adapters.values()}
    assert set(BUILTIN) <= covered, f"no contract adapter for {sorted(set(BUILTIN) - covered)}"
    harnesses = {cls.platform for cls in hostile_harnesses().values()}
    assert set(BUILTIN) <= harnesses, f"no tests/hostile harness for {set(BUILTIN) - harnesses}"
    hostiles = {cls.platform for cls in hostile_platforms().values()}
    assert set(BUILTIN) <= hostiles, f"no tests/hostile adapter for {set(BUILTIN) - hostiles}"
    for adapter in adapters.values():
        assert isinstance(adapter(), ContractAdapter), f"{adapter.name} misses contract methods"
