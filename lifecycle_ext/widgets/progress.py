"""Progress bars in the notebook for long operations (large saves, verify, reproduce).

``enable_progress()`` attaches a listener to :mod:`lifecycle_ext.core.progress`; each operation gets its own
``IntProgress`` bar, displayed once the operation has run for ``SHOW_AFTER_SECONDS`` (quick operations show
nothing) and left showing its final state. The display carries a text and
HTML fallback that is updated when the operation finishes, so viewers without widget JavaScript (GitHub,
nbviewer, exported HTML) show "verify registry: 42/42 done" rather than the widget's Python repr. The port holds
only the factory function, never the bars.
"""

from __future__ import annotations

import time
from typing import Any

import ipywidgets as w

from ..core import progress

__all__ = ["enable_progress", "disable_progress", "NotebookBar"]


#: operations that finish sooner than this show no bar at all (a verify of a small registry is instant)
SHOW_AFTER_SECONDS = 0.5


class NotebookBar:
    def __init__(self, label: str, total: int, *, show: bool = True, delay: float | None = None) -> None:
        self.bar = w.IntProgress(
            value=0, min=0, max=max(total, 1), description=label[:20], style={"description_width": "initial"}
        )
        self.text = w.Label(f"0/{total}")
        self.box = w.HBox([self.bar, self.text])
        self.box.add_class("lifecycle-progress")
        self.label = label
        self._handle: Any = None
        self._show = show
        self._show_at = time.monotonic() + (SHOW_AFTER_SECONDS if delay is None else delay)
        self._maybe_show(0, total)

    def _maybe_show(self, done: int, total: int) -> None:
        if self._show and self._handle is None and time.monotonic() >= self._show_at:
            from IPython.display import display

            self._handle = display(self._bundle(done, total, done=False), raw=True, display_id=True)

    def _bundle(self, n: int, total: int, *, done: bool) -> dict[str, Any]:
        """The widget view plus a static fallback for viewers that cannot render widgets."""
        from ..registry.views.html import esc

        line = f"{self.label}: {n}/{total}{' done' if done else ''}"
        data = dict(self.box._repr_mimebundle_() or {})
        data["text/plain"] = line
        data["text/html"] = f'<div class="lifecycle-progress">{esc(line)}</div>'
        return data

    def update(self, done: int, total: int) -> None:
        self.bar.max = max(total, 1)
        self.bar.value = min(done, self.bar.max)
        self.text.value = f"{done}/{total}"
        self._maybe_show(done, total)

    def close(self) -> None:
        self.bar.bar_style = "success"
        if self._handle is not None:
            self._handle.update(self._bundle(self.bar.value, self.bar.max, done=True), raw=True)


def _factory(label: str, total: int) -> Any:
    return NotebookBar(label, total)


def enable_progress() -> None:
    """Show a progress bar in the notebook for each long operation from now on."""
    progress.attach(_factory)


def disable_progress() -> None:
    progress.detach(_factory)
