// huiqi's pages: progressive enhancement only. Every form works without this script; with it,
// HTMX requests carry the CSRF token, and a few controls get keyboard-friendly behaviour.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  // Every HTMX request that changes state sends the token the server set in its cookie.
  document.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-CSRF-Token"] = csrfToken();
  });

  // After HTMX swaps in new content, move focus to it when the swap asked for it (data-focus).
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (!target) { return; }
    var focus = target.querySelector("[data-focus]");
    if (focus) { focus.focus(); }
  });

  // Buttons that print the page.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-print]");
    if (button) { event.preventDefault(); window.print(); }
  });
})();
