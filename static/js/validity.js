// Upload forms of documents that expire: once the issue date is given, the expiry is filled
// in with the document's usual validity (the last valid day: issue date + N months - 1 day),
// unless the member typed an expiry of their own. The server computes the same default when
// the field is left empty, so nothing depends on this script.
(function () {
  "use strict";
  if (window.allianceValidity) return;
  window.allianceValidity = true;

  function monthsFor(form) {
    var select = form.querySelector("select[name=requirement]");
    if (select) {
      var map = document.getElementById("validity-months");
      return map ? JSON.parse(map.textContent)[select.value] || null : null;
    }
    var expires = form.querySelector("input[name=expires_on]");
    return parseInt(expires.dataset.validityMonths || "", 10) || null;
  }

  function lastValidDay(issued, months) {
    var date = new Date(issued + "T00:00:00Z");
    var day = date.getUTCDate();
    date.setUTCDate(1);
    date.setUTCMonth(date.getUTCMonth() + months);
    var monthEnd = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 0));
    date.setUTCDate(Math.min(day, monthEnd.getUTCDate()));
    date.setUTCDate(date.getUTCDate() - 1);
    return date.toISOString().slice(0, 10);
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[name=issued_on], select[name=requirement]")) return;
    var form = input.form;
    var issued = form && form.querySelector("input[name=issued_on]");
    var expires = form && form.querySelector("input[name=expires_on]");
    if (!issued || !expires || !issued.value) return;
    if (expires.value && expires.value !== expires.dataset.prefilled) return; // the member's own
    var months = monthsFor(form);
    if (!months) return;
    expires.value = expires.dataset.prefilled = lastValidDay(issued.value, months);
  });
})();
