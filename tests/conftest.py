"""Every test folder gets the shared fixtures of tests/support/plugin.py (see tests/README.md)."""

from __future__ import annotations

import os

# fsync makes each save ~20 ms slower and proves nothing a test can observe; crash tests turn it back on.
os.environ.setdefault("LIFECYCLE_FSYNC", "0")

pytest_plugins = ["tests.support.plugin"]
