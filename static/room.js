// Live feed of one war room. On every (re)connect it joins the room's channel
// first, then asks the API for events after the last id it has, so a board
// that was away never misses one; events are de-duplicated by id.
(function () {
  "use strict";
  var roomEl = document.getElementById("room");
  if (!roomEl) { return; }
  var roomId = Number(roomEl.dataset.roomId);
  var eventsUrl = roomEl.dataset.eventsUrl;
  var feed = document.getElementById("feed");
  var state = document.getElementById("live-state");
  var seen = new Set();
  var lastId = 0;

  var localTime = window.warroomLocalTime || function (iso) { return iso; };

  function summary(e) {
    var d = e.data || {};
    if (d.title) { return d.title; }
    if (d.text) { return d.text; }
    if (d.note) { return d.note; }
    if (d.why) { return d.why; }
    if (d.detail && d.detail.note) { return d.detail.note; }
    return "";
  }

  function render(e) {
    if (e.room === null && !seen.has(e.id)) {
      // installation-wide (e.g. oncall.changed): not on this room's timeline,
      // but panels that show it refresh
      seen.add(e.id);
      document.dispatchEvent(new CustomEvent("warroom:event", { detail: e }));
      return;
    }
    if (seen.has(e.id) || e.room !== roomId) { return; }
    seen.add(e.id);
    if (e.id > lastId) { lastId = e.id; }
    var li;
    if (e.kind === "mentions.received") { li = placeBatch(e); }
    else { li = feed.insertBefore(row(e), above(e.id)); }
    // the one row added or changed: the timeline's filters look at it alone
    document.dispatchEvent(new CustomEvent("warroom:row", { detail: li }));
    document.dispatchEvent(new CustomEvent("warroom:event", { detail: e }));
  }

  function row(e) {
    var li = document.createElement("li");
    li.dataset.eventId = e.id;
    li.className = "fresh kind-" + e.kind.replace(/\./g, "-");
    var t = document.createElement("time");
    t.dateTime = e.ts;
    t.textContent = localTime(e.ts);
    var k = document.createElement("span");
    k.className = "kind";
    k.textContent = e.kind;
    var a = document.createElement("span");
    a.className = "actor";
    a.textContent = e.actor || "";
    var s = document.createElement("span");
    s.className = "summary";
    s.textContent = summary(e);   // textContent: user text never becomes HTML
    li.append(t, " ", k, " ", a, " ", s);
    return li;
  }

  // The row an event of this id goes above: newest first, in id order even
  // when catch-up and live events interleave. Events arrive newest, so the
  // walk stops at the first row or so (no re-render of the feed per event).
  function above(id) {
    for (var li = feed.firstElementChild; li; li = li.nextElementSibling) {
      if (Number(li.dataset.eventId) < id) { return li; }
    }
    return null;
  }

  // Ingest batches, as the post-mortem folds them (postmortem.render.fold_batches):
  // consecutive mentions.received events are one row, "N mentions received
  // (from sources ...)", updated in place as batches keep arriving. A group
  // row's data-event-id is its newest batch's id, data-first-id its oldest.
  var batches = new WeakMap();
  function describe(li) {
    var g = batches.get(li);
    var s = li.querySelector(".summary");
    s.textContent = g.count + " mention" + (g.count === 1 ? "" : "s") + " received" +
      (g.sources.size ? " (from " + Array.from(g.sources).sort().join(", ") + ")" : "") +
      (g.batches > 1 ? " in " + g.batches + " batches" : "");
    li.dataset.batches = g.batches;
    li.dataset.count = g.count;
  }
  function placeBatch(e) {
    var d = e.data || {};
    var older = above(e.id);
    var newer = older ? older.previousElementSibling : feed.lastElementChild;
    var li = older && batches.has(older) ? older : (newer && batches.has(newer) ? newer : null);
    if (!li) {
      li = row(e);
      li.classList.add("batch");
      li.dataset.firstId = e.id;
      batches.set(li, { count: 0, batches: 0, sources: new Set() });
      feed.insertBefore(li, older);
    }
    var g = batches.get(li);
    g.count += Number(d.count) || 0;
    g.batches += 1;
    (d.sources || []).forEach(function (src) { g.sources.add(src); });
    if (e.id > Number(li.dataset.eventId)) {
      // the newest batch names the row's time; the first stays in its title
      li.dataset.eventId = e.id;
      var t = li.querySelector("time");
      t.dateTime = e.ts;
      t.textContent = localTime(e.ts);
    }
    if (e.id < Number(li.dataset.firstId)) { li.dataset.firstId = e.id; }
    describe(li);
    return li;
  }

  // The server-rendered rows (oldest events of the room): seen, and their
  // batches folded the same way as live ones.
  Array.prototype.slice.call(feed.querySelectorAll("li[data-event-id]")).reverse().forEach(function (li) {
    var id = Number(li.dataset.eventId);
    seen.add(id);
    if (id > lastId) { lastId = id; }
    var kind = li.querySelector(".kind");
    if (kind && kind.textContent === "mentions.received") {
      var sources = [];
      try { sources = JSON.parse(li.dataset.sources || "[]"); } catch (err) { /* an older row: no sources */ }
      var ts = li.querySelector("time").dateTime;
      var actor = li.querySelector(".actor");
      feed.removeChild(li);
      placeBatch({ id: id, ts: ts, kind: "mentions.received", actor: actor ? actor.textContent : null,
                   data: { count: Number(li.dataset.count) || 0, sources: sources } });
    }
  });

  function catchUp() {
    return fetch(eventsUrl + "?after=" + lastId, { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
      .then(function (body) {
        body.events.forEach(render);
        if (body.more) { return catchUp(); }
      });
  }

  // Short reconnection back-off: after a server restart boards are back
  // within a few seconds (the default grows to 5 s between tries).
  var socket = io("/board", {
    transports: ["websocket", "polling"], reconnectionDelay: 500, reconnectionDelayMax: 2000
  });
  window.warroomSocket = socket;
  socket.on("connect", function () {
    socket.emit("join", { room: roomId }, function (ack) {
      if (ack && ack.ok) {
        catchUp().then(function () {
          state.textContent = "live via " + socket.io.engine.transport.name;
          state.className = "live-state on";
          document.dispatchEvent(new CustomEvent("warroom:live"));
        }).catch(function (err) { state.textContent = "catch-up failed: " + err.message; });
      } else {
        state.textContent = "refused: " + (ack && ack.error);
        state.className = "live-state off";
      }
    });
  });
  socket.on("disconnect", function () {
    state.textContent = "reconnecting…";
    state.className = "live-state off";
  });
  socket.on("connect_error", function (err) {
    state.textContent = "cannot connect: " + err.message;
    state.className = "live-state off";
  });
  socket.on("event", render);
  // several events committed while the server was sending come as one list, in id order
  socket.on("events", function (list) { list.forEach(render); });

  // Panels (roster, escalation, ...) are server-rendered fragments. A panel
  // element with data-panel-url and data-refresh-on="roster. escalation."
  // is fetched again (at most every 300 ms) when an event of those kinds arrives.
  var pending = new Map();
  function refreshPanel(el) {
    if (pending.has(el)) { return; }
    pending.set(el, setTimeout(function () {
      pending.delete(el);
      fetch(el.dataset.panelUrl, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (html !== null) {
            el.innerHTML = html;   // our own Jinja-escaped template output
            if (window.warroomLocalTimes) { window.warroomLocalTimes(el); }
            document.dispatchEvent(new CustomEvent("warroom:panel", { detail: el }));
          }
        });
    }, 300));
  }
  document.addEventListener("warroom:event", function (ev) {
    var kind = ev.detail.kind;
    Array.prototype.forEach.call(document.querySelectorAll("[data-panel-url][data-refresh-on]"), function (el) {
      var prefixes = el.dataset.refreshOn.split(/\s+/);
      if (prefixes.some(function (p) { return p && kind.indexOf(p) === 0; })) { refreshPanel(el); }
    });
  });
})();
