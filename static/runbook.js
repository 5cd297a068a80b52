// The checklist panel: ticks, skips and one-click actions go to the server as
// the checklist.mark command (the panel is re-rendered for everyone by the
// event it causes); countdowns to the next update tick every second.
(function () {
  "use strict";
  var panel = document.getElementById("checklist");
  if (!panel) { return; }
  var roomId = Number(panel.dataset.roomId);

  function fail(msg) {
    var p = panel.querySelector(".checklist-error");
    if (p) { p.textContent = msg; p.hidden = false; }
  }
  function mark(item, state, reason) {
    if (!window.warroomBoard) { fail("the board is not connected"); return; }
    window.warroomBoard.command("checklist.mark", { room: roomId, item: item, state: state, reason: reason || "" })
      .then(function (ack) { if (ack.error) { fail(ack.error); } });
  }
  // One-click actions: take the person to where the work is done.
  var ACTIONS = {
    "statement.post": function () { reveal("facts"); var k = document.getElementById("fact-kind"); if (k) { k.value = "holding"; } focus("fact-text"); },
    "facts.update": function () { reveal("facts"); focus("fact-text"); },
    "shift.open": function () { reveal("roster"); },
    "escalation.page": function () { reveal("escalation"); },
    "update.post": function () { reveal("updates"); }
  };
  function reveal(id) { if (window.warroomConsole) { window.warroomConsole.reveal(id); } }
  function focus(id) { var e = document.getElementById(id); if (e) { e.focus(); } }

  panel.addEventListener("change", function (ev) {
    var box = ev.target;
    if (box.classList && box.classList.contains("checklist-tick")) {
      mark(Number(box.dataset.item), box.checked ? "done" : "open");
    }
  });
  panel.addEventListener("click", function (ev) {
    var t = ev.target;
    if (!t.classList) { return; }
    if (t.classList.contains("checklist-skip")) {
      var why = window.prompt("Why is this item skipped?");
      if (why) { mark(Number(t.dataset.item), "skipped", why); }
    } else if (t.classList.contains("checklist-reopen")) {
      mark(Number(t.dataset.item), "open");
    } else if (t.classList.contains("checklist-action") && ACTIONS[t.dataset.command]) {
      ACTIONS[t.dataset.command]();
    }
  });

  function countdowns() {
    Array.prototype.forEach.call(panel.querySelectorAll(".rhythm-countdown[data-due]"), function (c) {
      var s = Math.round((new Date(c.dataset.due) - Date.now()) / 1000);
      var a = Math.abs(s), h = Math.floor(a / 3600), m = Math.floor(a % 3600 / 60), r = a % 60;
      var txt = (h ? h + ":" + String(m).padStart(2, "0") : m) + ":" + String(r).padStart(2, "0");
      c.textContent = s >= 0 ? "(in " + txt + ")" : "(" + txt + " overdue)";
      c.classList.toggle("error", s < 0);
    });
  }
  countdowns();
  setInterval(countdowns, 1000);
  // a re-rendered panel shows its countdowns at once, not a second later
  document.addEventListener("warroom:panel", function (ev) { if (ev.detail === panel) { countdowns(); } });
})();
