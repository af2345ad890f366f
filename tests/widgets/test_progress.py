"""The progress port: silent and free without listeners; save, verify and reproduce report (done, total)."""

from __future__ import annotations

import io

import numpy as np

from lifecycle_ext.cli.progress import TextBar
from lifecycle_ext.core import progress


class Recorder:
    def __init__(self, events, label, total):
        self.events, self.label = events, label
        events.append(("start", label, total))

    def update(self, done, total):
        self.events.append(("update", self.label, done, total))

    def close(self):
        self.events.append(("close", self.label))


def test_no_listener_means_shared_noop():
    assert not progress.active()
    t = progress.task("x", 10)
    assert t is progress.task("y", 5)
    t.advance(3)
    t.close()


def test_large_save_and_verify_report_progress(reg):
    events: list = []
    arr = np.arange(3 << 20, dtype=np.float32)  # 12 MB: above the 8 MiB threshold
    with progress.listening(lambda label, total: Recorder(events, label, total)):
        reg.save(np.zeros(4), "model:small")  # under the threshold: no bar
        reg.save(arr, "dataset:big")
        reg.verify()
    labels = [e[1] for e in events if e[0] == "start"]
    assert labels == ["save dataset:big", "verify registry"]
    saves = [e for e in events if e[0] == "update" and e[1] == "save dataset:big"]
    assert saves[-1][2] == saves[-1][3] == arr.nbytes
    assert ("close", "save dataset:big") in events and ("close", "verify registry") in events
    assert not progress.active()


def test_broken_renderer_never_breaks_an_operation(reg):
    class Broken:
        def update(self, done, total):
            raise RuntimeError("boom")

        def close(self):
            raise RuntimeError("boom")

    with progress.listening(lambda label, total: Broken()):
        assert reg.verify().ok


def test_text_bar_draws_and_finishes_a_line():
    out = io.StringIO()
    bar = TextBar("verify registry", 4, stream=out, interval=0)
    for i in range(1, 5):
        bar.update(i, 4)
    bar.close()
    text = out.getvalue()
    assert "verify registry [" in text and "100% 4/4" in text and text.endswith("\n")


def test_notebook_bar_tracks_done_and_total():
    from lifecycle_ext.widgets.progress import NotebookBar

    b = NotebookBar("save x", 100, show=False)
    b.update(40, 100)
    assert (b.bar.value, b.bar.max, b.text.value) == (40, 100, "40/100")
    b.close()
    assert b.bar.bar_style == "success"


def test_notebook_bar_has_a_static_fallback_for_viewers_without_widgets():
    from lifecycle_ext.widgets.progress import NotebookBar

    b = NotebookBar("verify <x>", 3, show=False)
    b.update(3, 3)
    data = b._bundle(3, 3, done=True)
    assert data["text/plain"] == "verify <x>: 3/3 done"
    assert data["text/html"] == '<div class="lifecycle-progress">verify &lt;x&gt;: 3/3 done</div>'
    assert "application/vnd.jupyter.widget-view+json" in data


def test_quick_operations_show_no_bar_slow_ones_do():
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    from lifecycle_ext.widgets.progress import NotebookBar

    InteractiveShell.instance()
    with capture_output() as quick:
        b = NotebookBar("verify registry", 3, delay=60)
        b.update(3, 3)
        b.close()
    assert quick.outputs == []
    with capture_output() as slow:
        b = NotebookBar("save big", 3, delay=0)
        b.update(1, 3)
        b.close()
    texts = [o.data["text/plain"] for o in slow.outputs]
    assert texts == ["save big: 0/3", "save big: 1/3 done"]  # shown, then its static fallback finalised
