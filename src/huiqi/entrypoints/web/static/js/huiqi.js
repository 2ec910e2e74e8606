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
  // What a refresh of the calculator sends is remembered: see the swap below.
  var sent = null;
  document.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-CSRF-Token"] = csrfToken();
    var target = event.detail.target;
    if (target && target.id === "calc-body" && event.detail.formData) {
      sent = {};
      event.detail.formData.forEach(function (value, name) { sent[name] = value; });
    }
  });

  // The calculator's questions are redrawn from what was sent; an answer typed while the request
  // was on its way would be lost with the old inputs. Keep it: the typed text wins over the echo.
  var typed = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "calc-body") {
      typed = {};
      event.detail.target.querySelectorAll("input[name]:not([type]), input[type=text]").forEach(function (input) {
        typed[input.name] = input.value;
      });
    }
  });
  document.addEventListener("htmx:afterSwap", function () {
    if (!typed || !sent) { return; }
    var body = document.getElementById("calc-body");
    if (body) {
      body.querySelectorAll("input[name]:not([type]), input[type=text]").forEach(function (input) {
        var mine = typed[input.name];
        if (mine !== undefined && mine !== (sent[input.name] || "")) { input.value = mine; }
      });
    }
    typed = null;
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
