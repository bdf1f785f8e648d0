"""Registrar bundles: an account's records for a period as FGS 2.0 / E-ARK SIP or BagIt."""
