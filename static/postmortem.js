// Closing a room asks for the lessons first: the first press of the room's
// "Close room" button (the board's own form, left untouched) brings up the
// post-mortem panel's lessons editor instead; a second press closes anyway.
(function () {
  "use strict";
  var asked = false;
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
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
    editor.scrollIntoView({ behavior: "smooth", block: "center" });
    text.focus();
  }, true);
})();
