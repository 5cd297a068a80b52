// Post-mortem panel behaviour.
// 1. Closing a room asks for the lessons first: the first press of the room's
//    "Close room" button (the board's own form, left untouched) brings up the
//    lessons editor instead; a second press closes anyway.
// 2. The panel is re-fetched on postmortem.* and room.* events (room.js); text
//    being typed into the lessons editor survives that refresh.
(function () {
  "use strict";
  var asked = false;
  var typed = null;   // what the lead typed since the page (or the last save) loaded

  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (form.matches && form.matches("#postmortem form.pm-lessons")) { typed = null; return; }
    if (!form.action || !/\/rooms\/\d+\/close$/.test(new URL(form.action, location.href).pathname)) { return; }
    var editor = document.querySelector("#postmortem form.pm-lessons");
    if (!editor || asked) { return; }
    var text = editor.querySelector("textarea");
    var saved = Number(editor.dataset.lessonsVersion || "0");
    if (saved > 0 && text.value.trim() === text.defaultValue.trim()) { return; }
    ev.preventDefault();
    asked = true;
    var hint = editor.querySelector(".pm-close-hint");
    if (hint) { hint.hidden = false; }
    // the post-mortem is a tab of the console: bring it forward first
    if (window.warroomConsole) { window.warroomConsole.reveal("postmortem"); }
    editor.scrollIntoView({ behavior: "smooth", block: "center" });
    text.focus();
  }, true);

  document.addEventListener("input", function (ev) {
    if (ev.target.id === "pm-lessons-text") { typed = ev.target.value; }
  });

  document.addEventListener("warroom:panel", function (ev) {
    var panel = ev.detail;
    if (!panel || panel.id !== "postmortem" || typed === null) { return; }
    var text = panel.querySelector("#pm-lessons-text");
    if (!text || text.value === typed) { return; }
    text.value = typed;
    var note = panel.querySelector(".pm-newer");
    if (note) { note.hidden = false; }
  });
})();
