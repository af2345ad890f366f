"""Read-side view models the services return: plain data with text and HTML reprs (no logic, no service calls).

``records`` (Version, Lineage, VerifyReport, GcReport, RegistryInfo), ``gates`` (gate reports, policy, requests,
deployment records, explanations), ``diffs`` (Diff, SchemaImpact), ``audit`` (audit trail, asset listing),
``provenance`` (reproduce reports, track summaries), ``monitoring`` (monitor results, drift history, health,
reviews), ``metric_history``; ``html`` and ``lineage_layout`` are the shared HTML/SVG helpers.
"""
