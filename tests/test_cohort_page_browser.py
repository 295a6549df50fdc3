"""The cohort page in a real headless Chromium (``pytest --headless``), on the sample store."""

from __future__ import annotations

from typing import Any, Final

from dashboards import ids

SCATTER: Final = f"#{ids.COHORT_SCATTER} .main-svg"
WAIT: Final = 20


def _boxes(duo: Any, group: str) -> list[Any]:
    return list(duo.find_elements(f"#{group} input"))


def test_a_filter_changes_the_count_and_the_figures(duo: Any) -> None:
    duo.open("/cohort", SCATTER)
    duo.wait_for_text_to_equal(f"#{ids.COHORT_COUNT}", "4 of 4 clients.", timeout=WAIT)
    assert len(duo.find_elements(f"#{ids.COHORT_SCATTER} .scatterlayer .point")) == 4
    grief = _boxes(duo, ids.COHORT_AREAS)[0]
    assert grief.is_selected()
    grief.click()
    duo.wait_for_text_to_equal(f"#{ids.COHORT_COUNT}", "3 of 4 clients.", timeout=WAIT)
    duo.wait_for_element(SCATTER, timeout=WAIT)
    assert len(duo.find_elements(f"#{ids.COHORT_SCATTER} .scatterlayer .point")) == 3
    legend = duo.find_element(f"#{ids.COHORT_SCATTER} .legend").text
    assert "Grief" not in legend and "Role dispute" in legend
    # the filter lives in the page, not in its address
    assert duo.driver.current_url.endswith("/cohort")
    assert duo.get_logs() == []


def test_no_box_ticked_shows_a_sentence_and_no_axes(duo: Any) -> None:
    duo.open("/cohort", SCATTER)
    for box in _boxes(duo, ids.COHORT_EPISODES):
        box.click()
    duo.wait_for_text_to_equal(f"#{ids.COHORT_COUNT}", "0 of 4 clients.", timeout=WAIT)
    duo.wait_for_text_to_equal(
        f"#{ids.COHORT_EMPTY}",
        "No client is shown: tick at least one box under Episode.",
        timeout=WAIT,
    )
    assert duo.find_elements(".main-svg") == []
    _boxes(duo, ids.COHORT_EPISODES)[0].click()  # single: grief-01 and transition-01
    duo.wait_for_text_to_equal(f"#{ids.COHORT_COUNT}", "2 of 4 clients.", timeout=WAIT)
    duo.wait_for_element(SCATTER, timeout=WAIT)
    assert duo.get_logs() == []


def test_the_client_list_links_to_the_cohort_page(duo: Any) -> None:
    duo.open("/", f"#{ids.CLIENT_TABLE} table")
    duo.find_element("a[href='/cohort']").click()
    duo.wait_for_element(SCATTER, timeout=WAIT)
    duo.wait_for_text_to_equal("h1", "Cohort", timeout=WAIT)
    assert duo.get_logs() == []
