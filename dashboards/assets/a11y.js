/*
 * ipt-network: repairs to the markup of Dash 4's core components (dcc) that
 * axe-core reports under WCAG 2.1 A and AA. The dcc components accept no
 * aria-* props, so the repairs are made in the page, and made again whenever
 * React re-renders (a MutationObserver). Each repair only changes an attribute
 * that differs from the wanted value, so it never triggers itself forever.
 *
 * 1. Checklist, RadioItems and the Dropdown's option list render
 *    role="listbox" > <label role="option"> > native <input>: a control
 *    inside another control (axe: nested-interactive) and a listbox with no
 *    name (aria-input-field-name). The native checkbox or radio inside its
 *    <label> is already the accessible control, so the listbox and option
 *    roles (and aria-selected) are removed; the popup of a Dropdown, a Radix
 *    dialog, is then announced as one (aria-haspopup="dialog").
 * 2. Dropdown puts a focusable <input aria-hidden="true"> before its button,
 *    for Safari's Tab key (axe: aria-hidden-focus). The button itself becomes
 *    the Tab stop and the hidden input leaves the Tab order.
 * 3. A Slider's thumb (role="slider") and a Dropdown's button have no name of
 *    their own (aria-input-field-name). An element with data-a11y-for="<id>"
 *    and an id of its own names the component with that id
 *    (dashboards.components.control_label builds one).
 *
 * Loaded by Dash from the assets folder as a file, so the page's
 * Content-Security-Policy (script-src 'self') allows it.
 */
(function () {
  "use strict";

  function setAttr(element, name, value) {
    if (element.getAttribute(name) !== value) {
      element.setAttribute(name, value);
    }
  }

  function dropAttr(element, name) {
    if (element.hasAttribute(name)) {
      element.removeAttribute(name);
    }
  }

  function repairOptionLists(root) {
    root.querySelectorAll(".dash-options-list[role]").forEach(function (list) {
      dropAttr(list, "role");
    });
    root.querySelectorAll(".dash-options-list-option").forEach(function (option) {
      dropAttr(option, "role");
      dropAttr(option, "aria-selected");
    });
  }

  function repairDropdowns(root) {
    root.querySelectorAll(".dash-dropdown-wrapper").forEach(function (wrapper) {
      var proxy = wrapper.querySelector(":scope > .dash-dropdown-focus-target");
      var button = wrapper.querySelector(":scope > button.dash-dropdown");
      if (!proxy || !button) {
        return;
      }
      setAttr(proxy, "tabindex", "-1");
      setAttr(button, "tabindex", "0");
      setAttr(button, "aria-haspopup", "dialog");
    });
  }

  function repairNames(root) {
    root.querySelectorAll("[data-a11y-for]").forEach(function (label) {
      var control = document.getElementById(label.getAttribute("data-a11y-for"));
      if (!control || !label.id) {
        return;
      }
      if (control.matches("button.dash-dropdown")) {
        var rest = (control.getAttribute("aria-labelledby") || "")
          .split(/\s+/)
          .filter(function (token) {
            return token && token !== label.id;
          });
        setAttr(control, "aria-labelledby", [label.id].concat(rest).join(" "));
        return;
      }
      control.querySelectorAll("[role='slider']").forEach(function (thumb) {
        setAttr(thumb, "aria-labelledby", label.id);
      });
    });
  }

  function repair() {
    repairOptionLists(document);
    repairDropdowns(document);
    repairNames(document);
  }

  function start() {
    repair();
    new MutationObserver(repair).observe(document.body, {
      subtree: true,
      childList: true,
      attributes: true,
      attributeFilter: ["role", "aria-selected", "tabindex", "aria-haspopup", "aria-labelledby"],
    });
  }

  if (document.body) {
    start();
  } else {
    document.addEventListener("DOMContentLoaded", start);
  }
})();
