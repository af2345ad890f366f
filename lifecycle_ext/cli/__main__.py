"""``python -m lifecycle_ext.cli``: the ``lifecycle`` command."""

import sys

from . import main

sys.exit(main())
