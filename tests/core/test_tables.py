"""The fold's handler table and the gate check-type table are each built in one place, not by import side effects."""

from __future__ import annotations

import subprocess
import sys

from lifecycle_ext.core import doc_fields, drift_check, gate_checks, metric_checks
from lifecycle_ext.core.gates import CHECK_TYPES
from lifecycle_ext.core.state import HANDLERS

BUILT_IN = {"metric", "compare", "provenance", "lineage", "approvals", "soak", "integrity", "schema", "drift"}
BUILT_IN |= {"documentation", "erasure"}


def test_check_types_table_holds_every_built_in_type_from_its_module() -> None:
    assert BUILT_IN <= set(CHECK_TYPES)
    for name in BUILT_IN:
        ct = CHECK_TYPES[name]
        assert ct.name == name
        assert ct.evaluate.__module__ in {m.__name__ for m in (metric_checks, gate_checks, drift_check, doc_fields)}


def test_tables_are_complete_in_a_fresh_interpreter_importing_only_their_module() -> None:
    code = (
        "from lifecycle_ext.core.state import HANDLERS; from lifecycle_ext.core.gates import CHECK_TYPES; "
        "print(len(HANDLERS), ' '.join(sorted(CHECK_TYPES)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert int(out[0]) == len(HANDLERS) and set(out[1:]) == BUILT_IN


def test_check_modules_do_not_import_the_table() -> None:
    for mod in (metric_checks, gate_checks, drift_check, doc_fields):
        assert "register_check" not in vars(mod) and "CHECK_TYPES" not in vars(mod)
