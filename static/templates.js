// Reply templates in the composer: pick one of the room's templates (its
// playbook's and its team's), the server fills it for the mention being
// answered, and the text lands in the composer, where the board lints it
// like anything typed (the input event). Missing values stay visible as
// [name] for the writer to fill; a template is a start, not a stock answer.
(function () {
  "use strict";
  var box = document.getElementById("composer-templates");
  if (!box) { return; }
  var pick = document.getElementById("template-pick");
  var csrf = document.querySelector('meta[name="csrf-token"]');
  fetch(box.dataset.templatesUrl, { credentials: "same-origin" }).then(function (r) {
    return r.ok ? r.json() : { templates: [] };
  }).then(function (body) {
    body.templates.forEach(function (t) {
      var o = document.createElement("option");
      o.value = t.source + ":" + t.name;
      o.textContent = t.name + (t.source === "team" ? " (team)" : "") + (t.description ? " — " + t.description : "");
      pick.appendChild(o);
    });
    box.hidden = body.templates.length === 0;
  });
  document.getElementById("template-use").addEventListener("click", function () {
    var parts = pick.value.split(":");
    var q = document.getElementById("composer-mention");
    var payload = { source: parts[0], name: parts.slice(1).join(":") };
    if (q.dataset.mentionId) { payload.mention_id = Number(q.dataset.mentionId); }
    var note = document.getElementById("template-missing");
    fetch(box.dataset.fillUrl, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf ? csrf.content : "" },
      body: JSON.stringify(payload)
    }).then(function (r) { return r.json(); }).then(function (body) {
      if (body.error) { note.textContent = body.error; return; }
      var text = document.getElementById("composer-text");
      text.value = body.text;
      text.dispatchEvent(new Event("input", { bubbles: true }));
      note.textContent = body.missing.length ? "Fill in: " + body.missing.join(", ") : "";
      text.focus();
    });
  });
})();
