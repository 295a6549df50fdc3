"""One theme: every colour is written once, in ipt_network/views/theme.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ipt_network.views import theme
from ipt_network.views.figures import CONFLICT_STYLES, OKABE_ITO, trends_figure
from ipt_network.views.figures._style import _base_layout

ROOT = Path(__file__).resolve().parents[1]
ASSETS = ROOT / "dashboards" / "assets"
#: A colour written as hex (#abc, #aabbcc, #aabbccdd) or as rgb()/rgba()/hsl().
_COLOUR = re.compile(
    r"#(?:[0-9a-fA-F]{8}|[0-9a-fA-F]{6}|[0-9a-fA-F]{3})\b|\b(?:rgba?|hsla?)\(\s*\d"
)


def _colour_literals(text: str) -> list[str]:
    return [m.group() for m in _COLOUR.finditer(text)]


def test_no_colour_is_written_outside_the_theme() -> None:
    """Scan the source: only theme.py spells a colour, in the package and the dashboard."""
    found = []
    for folder in ("ipt_network", "dashboards"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix not in {".py", ".css", ".js"} or path.name == "theme.py":
                continue
            text = path.read_text(encoding="utf-8")
            found += [f"{path.relative_to(ROOT)}: {c}" for c in _colour_literals(text)]
    assert found == []


def test_the_scan_sees_colours() -> None:
    """The scan above is not blind: the theme itself is full of colours."""
    text = (ROOT / "ipt_network" / "views" / "theme.py").read_text(encoding="utf-8")
    assert len(_colour_literals(text)) >= len(OKABE_ITO) + len(theme.TINTS)
    assert _colour_literals("a { color: #abc; b: rgba(1, 2, 3, 0.5) }") == ["#abc", "rgba(1"]


def _declared(css: str) -> dict[str, str]:
    return dict(re.findall(r"--([\w-]+):\s*([^;]+);", css))


def test_the_css_variables_are_the_theme() -> None:
    css = theme.css_variables()
    assert css.startswith(":root {") and css.rstrip().endswith("}")
    assert _declared(css) == theme.CSS_VARIABLES
    assert _declared(css)["muted"] == theme.MUTED
    assert _declared(css)["font"] == theme.FONT


def test_every_variable_the_stylesheets_use_is_declared() -> None:
    for path in ASSETS.glob("*.css"):
        text = path.read_text(encoding="utf-8")
        used = set(re.findall(r"var\(--([\w-]+)\)", text))
        assert used, path
        assert used <= set(theme.CSS_VARIABLES) | set(_declared(text)), path
        # a stylesheet never redeclares a colour of the theme
        assert not set(_declared(text)) & set(theme.CSS_VARIABLES), path


def test_the_app_writes_the_theme_into_every_page() -> None:
    import dash

    from dashboards.app import create_app
    from ipt_network.io.store import Store

    store = Store.create("sqlite://")
    try:
        app = create_app(store)
        page = app.index_string
    finally:
        store.close()
    assert isinstance(app, dash.Dash)
    assert f"<style>{theme.css_variables()}</style>" in page
    # before the stylesheets that use it
    assert page.index(theme.css_variables()) < page.index("{%css%}")


@pytest.mark.parametrize("text", ["ink", "muted"])
@pytest.mark.parametrize(
    "background",
    [theme.PAGE, theme.PAPER, *theme.WASH, *(v for k, v in theme.TINTS.items() if "wash" in k)],
)
def test_text_colours_pass_wcag_aa(text: str, background: str) -> None:
    assert theme.contrast(theme.CSS_VARIABLES[text], background) >= 4.5


def test_the_flag_colour_passes_wcag_aa() -> None:
    for background in (theme.PAGE, theme.PAPER):
        assert theme.contrast(theme.TINTS["warn-ink"], background) >= 4.5


def test_the_old_greys_fail_and_the_chosen_one_passes() -> None:
    """The drift #7B8794 (figures) against #6B7785 (stylesheet) ends on a grey that passes."""
    assert theme.contrast("#7B8794", theme.PAGE) < 4.5
    assert theme.contrast("#6B7785", theme.PAGE) < 4.5
    assert theme.contrast(theme.MUTED, theme.PAGE) >= 4.5


def test_the_figures_draw_with_the_theme() -> None:
    layout = _base_layout("t", font_size=12)
    assert layout["font"] == {"family": theme.FONT, "color": theme.INK, "size": 12}
    assert layout["paper_bgcolor"] == theme.PAPER
    assert OKABE_ITO is theme.OKABE_ITO
    assert {s.colour for s in CONFLICT_STYLES} <= set(theme.OKABE_ITO.values())
    import pandas as pd

    rows = pd.DataFrame(
        {"session": [1], "n_people": [5], "n_inner": [1], "conflict_sum": [4], "density": [0.2]}
    )
    fig = trends_figure(rows)
    assert fig["layout"]["yaxis"]["gridcolor"] == theme.GRID


def test_the_report_prints_with_the_theme() -> None:
    from ipt_network.views import report

    assert f"color: {theme.PRINT['text']}" in report._CSS
    assert theme.PRINT_FONT in report._CSS
    assert "$" not in report._CSS + report._CLINICIAN_CSS  # every placeholder filled


def test_rgba() -> None:
    assert theme.rgba("#FFFFFF", 0.5) == "rgba(255, 255, 255, 0.5)"
    assert theme.rgba(theme.MUTED, 0.4) == theme.TIE
