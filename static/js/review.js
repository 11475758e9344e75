// The review screen: j / k (or the down and up arrows) move between criteria, outside fields.
(function () {
  "use strict";

  function typing(target) {
    if (!target || !target.tagName) return false;
    var tag = target.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  function currentIndex(items) {
    var active = items.indexOf(document.activeElement);
    if (active !== -1) return active;
    // Otherwise the last criterion whose top has scrolled past the top of the window.
    var index = -1;
    for (var i = 0; i < items.length; i++) {
      if (items[i].getBoundingClientRect().top <= 1) index = i;
    }
    return index;
  }

  function go(items, index) {
    var item = items[Math.max(0, Math.min(items.length - 1, index))];
    item.focus({ preventScroll: true });
    item.scrollIntoView({ block: "start" });
    if (window.history && window.history.replaceState) {
      window.history.replaceState(null, "", "#" + item.id);
    }
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || typing(event.target)) return;
    var step = { j: 1, ArrowDown: 1, k: -1, ArrowUp: -1 }[event.key];
    if (!step) return;
    var items = Array.prototype.slice.call(document.querySelectorAll(".review-criterion"));
    if (!items.length) return;
    event.preventDefault();
    var index = currentIndex(items);
    go(items, index === -1 ? 0 : index + step);
  });
})();
