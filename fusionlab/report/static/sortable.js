/* Sortable tables for the fusionlab report: click (or press Enter on) a column
   header to sort by it; click again to reverse. Numeric columns sort by their
   data-sort value and start with the largest; text columns start A to Z.
   Empty cells always go last; equal values keep their original order. */
(function () {
  "use strict";

  function key(row, col, numeric) {
    var cell = row.cells[col];
    var raw = cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent;
    if (numeric) {
      var v = raw === "" ? NaN : parseFloat(raw);
      return isNaN(v) ? null : v;
    }
    raw = raw.trim().toLowerCase();
    return raw === "" ? null : raw;
  }

  function sortBy(table, th, col) {
    var numeric = th.getAttribute("data-type") === "number";
    var current = th.getAttribute("aria-sort");
    var dir;
    if (current === "ascending") { dir = "descending"; }
    else if (current === "descending") { dir = "ascending"; }
    else { dir = numeric ? "descending" : "ascending"; }
    var heads = table.tHead.rows[0].cells;
    for (var i = 0; i < heads.length; i++) { heads[i].removeAttribute("aria-sort"); }
    th.setAttribute("aria-sort", dir);
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows).map(function (r, i) {
      if (!r.hasAttribute("data-order")) { r.setAttribute("data-order", String(i)); }
      return { row: r, key: key(r, col, numeric), order: parseInt(r.getAttribute("data-order"), 10) };
    });
    var sign = dir === "ascending" ? 1 : -1;
    rows.sort(function (a, b) {
      if (a.key === null || b.key === null) {
        if (a.key === b.key) { return a.order - b.order; }
        return a.key === null ? 1 : -1;
      }
      var c = numeric ? a.key - b.key : (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
      return c !== 0 ? sign * c : a.order - b.order;
    });
    rows.forEach(function (r) { body.appendChild(r.row); });
  }

  var tables = document.querySelectorAll("table.sortable");
  Array.prototype.forEach.call(tables, function (table) {
    if (!table.tHead || !table.tBodies.length) { return; }
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, col) {
      var button = th.querySelector("button");
      if (!button) { return; }
      button.addEventListener("click", function () { sortBy(table, th, col); });
    });
  });
})();
