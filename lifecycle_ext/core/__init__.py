"""The pure domain: ids, refs, events, the state fold, policy, gates, diff typing, errors.

Imports nothing but the standard library.
"""
