// The board as a console: the queue and composer stay the working area, the
// side panels (chart, facts, roster, escalation, playbook, timeline, ...) are
// tabs. Every section of the side column with data-tab becomes one; keys 1-9
// show the Nth, [ and ] the previous and next. The choice survives a reload
// (sessionStorage) so a lead's console does not jump back on refresh.
(function () {
  "use strict";
  var side = document.getElementById("board-side");
  var bar = document.getElementById("panel-tabs");
  if (!side || !bar) { return; }
  var panels = Array.prototype.filter.call(side.children, function (el) {
    return el.tagName === "SECTION" && el.dataset.tab;
  });
  if (!panels.length) { return; }
  var KEY = "warroom.tab." + (document.getElementById("room") || {}).dataset.roomId;
  var tabs = panels.map(function (panel, i) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "panel-tab";
    b.id = "tab-" + panel.id;
    b.setAttribute("role", "tab");
    b.setAttribute("aria-controls", panel.id);
    if (i < 9) { b.setAttribute("aria-keyshortcuts", String(i + 1)); }
    var n = document.createElement("kbd");
    n.textContent = i < 9 ? String(i + 1) : "";
    if (i < 9) { b.appendChild(n); b.appendChild(document.createTextNode(" ")); }
    b.appendChild(document.createTextNode(panel.dataset.tab));
    b.addEventListener("click", function () { show(i, true); });
    bar.appendChild(b);
    panel.setAttribute("role", "tabpanel");
    panel.setAttribute("aria-labelledby", b.id);
    return b;
  });
  var current = -1;

  function show(i, focus) {
    current = i;
    panels.forEach(function (p, j) { p.hidden = j !== i; });
    tabs.forEach(function (t, j) {
      t.setAttribute("aria-selected", j === i ? "true" : "false");
      t.tabIndex = j === i ? 0 : -1;
      t.classList.toggle("on", j === i);
    });
    if (focus) { tabs[i].focus(); }
    try { sessionStorage.setItem(KEY, panels[i].id); } catch (e) { /* private mode */ }
    // the chart measures its width when drawn: a hidden canvas had none
    window.dispatchEvent(new Event("resize"));
  }

  // Arrow keys move along the tab bar, as a tablist's do.
  bar.addEventListener("keydown", function (ev) {
    if (ev.key === "ArrowRight" || ev.key === "ArrowLeft") {
      ev.preventDefault();
      show((current + (ev.key === "ArrowRight" ? 1 : panels.length - 1)) % panels.length, true);
    }
  });
  document.addEventListener("keydown", function (ev) {
    if (/^(INPUT|TEXTAREA|SELECT)$/.test(ev.target.tagName) || ev.target.isContentEditable) { return; }
    if (ev.ctrlKey || ev.metaKey || ev.altKey) { return; }
    var n = "123456789".indexOf(ev.key);
    if (n >= 0 && n < panels.length) { ev.preventDefault(); show(n, false); }
    else if (ev.key === "]") { ev.preventDefault(); show((current + 1) % panels.length, false); }
    else if (ev.key === "[") { ev.preventDefault(); show((current + panels.length - 1) % panels.length, false); }
  });

  // Show the panel with this id (or holding it); false when there is none.
  function reveal(id) {
    var target = document.getElementById(id);
    var i = panels.findIndex(function (p) { return p === target || p.contains(target); });
    if (i >= 0) { show(i, false); }
    return i >= 0;
  }

  // A link or redirect to /rooms/N#roster (a sign-up clash, a post-mortem
  // saved) opens that panel's tab.
  window.addEventListener("hashchange", function () { reveal(location.hash.slice(1)); });
  var saved = null;
  try { saved = sessionStorage.getItem(KEY); } catch (e) { /* private mode */ }
  if (!(location.hash.length > 1 && reveal(location.hash.slice(1)))) {
    var start = panels.findIndex(function (p) { return p.id === saved; });
    show(start >= 0 ? start : 0, false);
  }
  window.warroomConsole = { show: show, reveal: reveal, panels: panels };
})();
