"""Pure numeric engines, used by the application layer: the dataset diff (``frame_diff`` walking stored chunks,
``frame_compare`` comparing cells), drift statistics (``drift``) and column profiles (``baseline``).

They know nothing of events, policies or surfaces; ``frame_diff`` reads chunks through ``storage.frame_access``.
"""
