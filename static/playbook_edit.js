// Playbook editor: live validation with the server's validator (the same one
// `playbooks check` uses), and a button that bumps the version number.
(function () {
  "use strict";
  var root = document.getElementById("playbook-editor");
  if (!root) { return; }
  var area = document.getElementById("playbook-text");
  var list = document.getElementById("validation-errors");
  var state = document.getElementById("validation-state");
  var bump = document.getElementById("bump-version");
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var nextVersion = null;
  var timer = null;
  var seq = 0;

  function goToLine(line) {
    var lines = area.value.split("\n");
    var start = 0;
    for (var i = 0; i < line - 1 && i < lines.length; i++) { start += lines[i].length + 1; }
    area.focus();
    area.setSelectionRange(start, start + (lines[line - 1] || "").length);
  }

  function show(body) {
    list.textContent = "";
    nextVersion = body.next_version;
    body.errors.forEach(function (e) {
      var li = document.createElement("li");
      li.className = "error";
      var a = document.createElement("a");
      a.href = "#playbook-text";
      a.textContent = "line " + e.line;
      a.addEventListener("click", function (ev) { ev.preventDefault(); goToLine(e.line); });
      li.append(a, ": " + e.message);   // textContent only: messages quote user text
      list.appendChild(li);
    });
    showTemplates(body);
    if (body.valid) {
      var runs = "";
      if (body.checklist && body.checklist.length) { runs += " Checklist: " + body.checklist.length + " item" + (body.checklist.length === 1 ? "" : "s") + "."; }
      if (body.rhythm && body.rhythm.length) { runs += " Rhythm: " + body.rhythm.join("; ") + "."; }
      state.textContent = "Valid: " + body.id + " v" + body.version + ". " + (body.plan || "") + runs;
      state.className = "ok";
    } else {
      state.textContent = body.errors.length + " problem" + (body.errors.length === 1 ? "" : "s");
      state.className = "error";
    }
  }

  // The reply templates as the server parsed them, with their variables, and
  // what changed since the stored version (template errors are in the list above).
  var tlist = document.getElementById("template-summary");
  function showTemplates(body) {
    if (!tlist) { return; }
    tlist.textContent = "";
    (body.templates || []).forEach(function (t) {
      var li = document.createElement("li");
      li.dataset.template = t.name;
      li.textContent = t.name + ": " + (t.variables.length ? t.variables.map(function (v) { return "{" + v + "}"; }).join(" ") : "no variables");
      tlist.appendChild(li);
    });
    (body.template_changes || []).forEach(function (c) {
      var li = document.createElement("li");
      li.className = "muted template-change";
      li.textContent = c;
      tlist.appendChild(li);
    });
  }

  function validate() {
    var mine = ++seq;
    fetch(root.dataset.validateUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ text: area.value, expect_id: root.dataset.expectId || "" })
    }).then(function (r) {
      return r.json().then(function (body) { return { ok: r.ok, body: body }; });
    }).then(function (res) {
      if (mine !== seq) { return; }   // an older answer arriving late
      if (!res.ok) { state.textContent = res.body.error || "validation failed"; state.className = "error"; return; }
      show(res.body);
    }).catch(function (err) { state.textContent = "cannot validate: " + err.message; });
  }

  area.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(validate, 400);
  });
  list.addEventListener("click", function (ev) {
    var line = ev.target && ev.target.dataset && ev.target.dataset.line;
    if (line) { ev.preventDefault(); goToLine(Number(line)); }
  });
  bump.addEventListener("click", function () {
    var re = /^(\s*version\s*=\s*)(\d+)/m;
    var m = area.value.match(re);
    if (!m) { state.textContent = "no version line to bump"; return; }
    var to = Math.max(Number(m[2]) + 1, nextVersion || 0);
    area.value = area.value.replace(re, "$1" + to);
    validate();
  });
  validate();
})();
