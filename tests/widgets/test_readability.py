"""Readable everywhere: chips, marks and badges carry their own text colour with WCAG AA contrast (so they read
on a light page and in JupyterLab's dark theme), only glyphs Debian's chromium draws, the diff widget opens on
the tab holding the change, and the metric-history chart leaves room for its labels."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from lifecycle_ext.registry.views import diffs, gates, html
from lifecycle_ext.registry.views.metric_history import MetricHistory
from lifecycle_ext.widgets.diff import VersionDiffWidget, first_tab


def _lum(hex_colour: str) -> float:
    def f(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b)


def contrast(a: str, b: str) -> float:
    la, lb = _lum(a), _lum(b)
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


def _pairs(markup: str) -> list[tuple[str, str]]:
    """(text colour, background) of every inline-styled span."""
    out = []
    for style in re.findall(r'style="([^"]+)"', markup):
        bg = re.search(r"background:(#[0-9a-f]{6})", style)
        fg = re.search(r"(?<![-\w])color:(#[0-9a-f]{6})", style)
        if bg:
            assert fg, f"a tinted span without its own text colour reads badly in the dark theme: {style}"
            out.append((fg.group(1), bg.group(1)))
    return out


@pytest.mark.parametrize("status", ["pass", "fail", "pending", "other"])
def test_check_marks_are_chips_with_contrast_and_drawable_glyphs(status):
    markup = html.mark(status)
    assert "&#8987;" not in markup  # an hourglass: a missing-glyph box in Debian's chromium
    [(fg, bg)] = _pairs(markup)
    assert contrast(fg, bg) >= 4.5


def test_diff_chips_and_explain_cells_carry_dark_ink_on_their_tint():
    spans = [diffs._span("x", c) for c in (diffs._ADD, diffs._DEL, diffs._CHG)]
    spans += list(gates.changed("old", "new"))
    spans.append(diffs._unified_html("--- a\n+++ b\n-old line\n+new line"))
    pairs = [p for s in spans for p in _pairs(s)]
    assert len(pairs) >= 7
    for fg, bg in pairs:
        assert contrast(fg, bg) >= 7, (fg, bg)


def test_stage_badges_have_aa_contrast_with_their_white_text():
    for stage, colour in html.STAGE_COLOURS.items():
        assert contrast("#ffffff", colour) >= 4.5, stage
    default = re.search(r"background:(#[0-9a-f]{6})", html.badge("qa")).group(1)
    assert contrast("#ffffff", default) >= 4.5


def test_diff_widget_opens_on_the_tab_with_the_change(reg):
    a = pd.DataFrame({"id": range(6), "label": ["x", "y"] * 3})
    b = pd.concat([a, pd.DataFrame({"id": [6], "label": ["x"]})], ignore_index=True)
    reg.save(a, "dataset:d", key="id", label="label")
    reg.save(b, "dataset:d", key="id", label="label")
    dataset_diff = reg.diff("dataset:d@1", "dataset:d@2")
    assert first_tab(dataset_diff) == "data changes"
    widget = VersionDiffWidget(diff=dataset_diff, registry=reg)
    assert widget.tabs.get_title(widget.tabs.selected_index) == "data changes"
    widget.close()

    reg.save({"classes": [{"name": "cat", "description": "a cat"}]}, "label_schema:animals")
    reg.save(
        {"classes": [{"name": "cat", "description": "a cat"}, {"name": "dog", "description": "a dog"}]},
        "label_schema:animals",
    )
    assert first_tab(reg.diff("label_schema:animals@1", "label_schema:animals@2")) == "data changes"

    reg.save({"w": [1]}, "model:m", params={"C": 1.0}, metrics={"acc": 0.8})
    reg.save({"w": [1]}, "model:m", params={"C": 1.0}, metrics={"acc": 0.9})
    assert first_tab(reg.diff("model:m@1", "model:m@2")) == "metrics"
    reg.save({"w": [2]}, "model:m", params={"C": 2.0}, metrics={"acc": 0.9})
    assert first_tab(reg.diff("model:m@2", "model:m@3")) == "params"


def test_metric_history_chart_leaves_room_for_its_labels():
    name = "a_rather_long_metric_name_for_the_legend"
    rows = [
        {
            "ref": f"model:m@{n}",
            "number": n,
            "created_at": "",
            "metrics": {name: v},
            "reached": [],
            "stage": None,
            "retired": False,
        }
        for n, v in ((1, 0.123456789), (2, 1234567.25))
    ]
    svg = MetricHistory(asset="model:m", metrics=[name], rows=rows, stages=["development", "production"]).svg()
    width = float(re.search(r'<svg[^>]* width="(\d+)"', svg).group(1))
    assert 'fill="currentColor"' in svg  # labels follow the page's text colour (dark theme)
    for x, anchor, text in re.findall(r'<text x="([\d.]+)"[^>]*?(?:text-anchor="(\w+)")?[^>]*>([^<]*)</text>', svg):
        extent = 6.2 * len(text)
        if anchor == "end":
            assert float(x) - extent >= 0, text
        elif anchor == "middle":
            assert float(x) - extent / 2 >= 0 and float(x) + extent / 2 <= width, text
        else:
            assert float(x) + extent <= width, text
