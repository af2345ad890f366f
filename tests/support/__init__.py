"""Test support shared by every test folder; the fixtures live in :mod:`tests.support.plugin` (see tests/README.md)."""
