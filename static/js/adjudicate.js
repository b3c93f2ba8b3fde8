// Adjudication queue: j/k move between disputes, a-h pick a source, 1-4 submit a label.
(function () {
  "use strict";
  var items = Array.prototype.slice.call(document.querySelectorAll("#adjudication-queue .dispute"));
  if (!items.length) return;
  var current = 0;
  function focus(index) {
    current = Math.max(0, Math.min(items.length - 1, index));
    items[current].focus();
    items[current].scrollIntoView({ block: "nearest" });
  }
  items.forEach(function (item, index) {
    item.addEventListener("focusin", function () { current = index; });
  });
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (target && (target.tagName === "TEXTAREA" || (target.tagName === "INPUT" && target.type === "text"))) return;
    var item = items[current];
    if (event.key === "j") { focus(current + 1); event.preventDefault(); return; }
    if (event.key === "k") { focus(current - 1); event.preventDefault(); return; }
    var radio = item.querySelector('input[type="radio"][data-key="' + event.key + '"]');
    if (radio) { radio.checked = true; event.preventDefault(); return; }
    var button = item.querySelector('button[data-key="' + event.key + '"]');
    if (button && !button.disabled) { event.preventDefault(); button.click(); }
  });
  focus(0);
})();
