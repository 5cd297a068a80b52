// The live board: volume chart, mention queue, composer with the honesty
// lint, drafts, approvals, fact sheet and presence. room.js owns the socket
// (join, catch-up by event id, de-duplication) and re-dispatches every event
// as a "warroom:event" DOM event; this file turns those into the board's
// state. All user text goes through textContent, never innerHTML.
(function () {
  "use strict";
  var board = document.getElementById("board");
  var roomEl = document.getElementById("room");
  if (!board || !roomEl) { return; }
  var socket = window.warroomSocket;
  var roomId = Number(roomEl.dataset.roomId);
  var $ = function (id) { return document.getElementById(id); };

  var S = {
    me: null, rules: { first_response_minutes: 60 }, claims: {}, drafts: {}, answered: {},
    facts: [], mentions: new Map(), clusterSizes: {}, lastMention: 0, filter: "all", selected: null,
    composing: null, draftId: null, factIds: [], findings: [], volume: null, closed: false,
    range: "all", channel: "all", assignments: {}, people: []
  };

  // -- helpers ---------------------------------------------------------------
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }
  function button(label, cls, onClick) {
    var b = el("button", cls, label);
    b.type = "button";
    b.addEventListener("click", onClick);
    return b;
  }
  function command(name, payload) {
    return new Promise(function (resolve) {
      if (!socket || !socket.connected) { resolve({ error: "not connected" }); return; }
      socket.timeout(10000).emit(name, payload, function (err, ack) {
        resolve(err ? { error: "no answer from the server" } : (ack || { error: "no answer" }));
      });
    });
  }
  function getJSON(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) {
        var err = new Error("HTTP " + r.status);
        // seconds the server asked us to wait (a busy store says 1)
        var after = parseInt(r.headers.get("Retry-After"), 10);
        if (after >= 0) { err.retryAfter = after; }
        throw err;
      }
      return r.json();
    });
  }
  var timers = {};
  function debounce(key, ms, fn) {
    clearTimeout(timers[key]);
    timers[key] = setTimeout(fn, ms);
  }
  // At most once per ms, and never postponed by later calls: under a steady
  // storm a debounce restarted by every batch would never fire.
  function throttle(key, ms, fn) {
    if (timers[key]) { return; }
    timers[key] = setTimeout(function () { timers[key] = null; fn(); }, ms);
  }
  function minutesSince(iso) { return (Date.now() - new Date(iso).getTime()) / 60000; }
  function fmtMinutes(m) {
    if (m < 1) { return Math.max(0, Math.round(m * 60)) + "s"; }
    if (m < 90) { return Math.floor(m) + "m"; }
    return Math.floor(m / 60) + "h" + String(Math.floor(m % 60)).padStart(2, "0");
  }
  function status(msg, bad) {
    var s = $("composer-status");
    s.textContent = msg || "";
    s.className = bad ? "error" : "muted";
  }

  // -- state from the server -------------------------------------------------
  function loadBoard() {
    return getJSON(board.dataset.boardUrl).then(function (b) {
      S.me = b.me;
      S.rules = b.rules;
      S.claims = {};
      b.claims.forEach(function (c) { S.claims[c.mention_id] = c.user_name; });
      S.assignments = {};
      (b.assignments || []).forEach(function (a) { if (a.mention_id) { S.assignments[a.mention_id] = a.user; } });
      S.people = b.people || [];
      $("my-channels").textContent = (S.me.channels && S.me.channels.length)
        ? "your shift's channels first: " + S.me.channels.join(", ") : "";
      S.drafts = {};
      b.drafts.forEach(function (d) { S.drafts[d.id] = d; });
      S.answered = b.answered;
      S.closed = b.room.status === "closed";
      S.facts = b.facts;
      S.deliveries = {};
      (b.deliveries || []).forEach(function (d) { S.deliveries[d.response_id] = d; });
      replayNewerThan(b.last_event);
      renderDeliveries();
      $("fact-form").hidden = !S.me.is_lead || S.closed;
      showClosed();
      renderQueue(); renderDrafts(); renderFacts();
    });
  }
  // Big pages, and the queue drawn for the first page and the last only (in
  // between at most every 500 ms): a room of 100,000 mentions is 20 requests,
  // not 100 each followed by a sort of everything loaded so far.
  var MENTION_PAGE = 5000;
  function loadMentions(first) {
    first = first !== false;
    return getJSON(board.dataset.mentionsUrl + "?limit=" + MENTION_PAGE + "&after=" + S.lastMention).then(function (page) {
      page.mentions.forEach(function (m) {
        m.t = Date.parse(m.received_at);   // parsed once, not in every comparison of the sort
        S.mentions.set(m.id, m);
        if (m.cluster_id) { S.clusterSizes[m.cluster_id] = Math.max(S.clusterSizes[m.cluster_id] || 1, m.cluster_size || 1); }
        if (m.id > S.lastMention) { S.lastMention = m.id; }
      });
      if (first || !page.more) {
        clearTimeout(timers["queue-load"]); timers["queue-load"] = null;
        renderQueue();
        mark("warroom:queue-painted");   // the first page of the queue is on screen (rows or "No mentions yet")
      } else {
        throttle("queue-load", 500, renderQueue);
      }
      if (page.more) { return loadMentions(false); }
    });
  }
  // Performance marks for bench/board.py: first meaningful paint (the queue's
  // first page drawn) and interactive (all data loaded and the room joined).
  var marked = {};
  var ready = { data: false, live: false };
  function mark(name) {
    if (marked[name] || !window.performance || !performance.mark) { return; }
    marked[name] = true;
    performance.mark(name);
  }
  function maybeInteractive() { if (ready.data && ready.live) { mark("warroom:interactive"); } }
  document.addEventListener("warroom:live", function () { ready.live = true; maybeInteractive(); });
  function loadVolume() {
    var range = S.range === "all" ? "all" : String(S.range);
    return getJSON(board.dataset.volumeUrl + "?minutes=" + range).then(function (v) {
      S.volume = v;
      drawVolume();
    }).catch(function () { /* the chart is optional; the queue still works */ });
  }
  // A failed load (a busy server answers 503) is retried: after the server's
  // Retry-After when it sends one, else with back-off from 1 s up to 30 s. A
  // board must not stay empty until the socket reconnects, nor sit out 16 s
  // when the server said 1 (a lock passes quickly).
  var loadFailed = false;
  var reloading = null;
  function reloadAll(attempt) {
    // The page's own load and the socket's first connect both ask for a
    // reload: one in flight serves both (two would fetch every page twice).
    if (reloading) { return reloading; }
    attempt = attempt || 0;
    clearTimeout(timers.reload);
    reloading = Promise.all([loadBoard(), loadMentions(), loadVolume()]).then(function () {
      if (loadFailed) { loadFailed = false; status(""); }
      ready.data = true; maybeInteractive();
    }).catch(function (e) {
      loadFailed = true;
      var wait = Math.min(30000, e.retryAfter !== undefined ? Math.max(1000, 1000 * e.retryAfter)
                                                            : 1000 * Math.pow(2, attempt));
      status("could not load the board: " + e.message + "; trying again in " + wait / 1000 + " s", true);
      timers.reload = setTimeout(function () { reloadAll(attempt + 1); }, wait);
    }).then(function () { reloading = null; });
    return reloading;
  }

  // -- the volume chart (canvas, with axes, a range, hover and a text twin) --
  var CHART = { left: 34, bottom: 18, top: 14, h: 160 };
  function hhmm(iso) {
    var d = new Date(iso);
    return isNaN(d) ? iso : d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  }
  function spikeWords(m) {
    var exp = (m.expected === null || m.expected === undefined) ? null : Math.round(m.expected);
    return "spike: " + m.count + "/min" + (exp === null ? "" : " against about " + exp + " expected") +
      (m.score === null || m.score === undefined ? "" : " (detector score " + Number(m.score).toFixed(2) + ")");
  }
  function minuteWords(m) {
    return hhmm(m.minute) + ": " + m.count + " mention" + (m.count === 1 ? "" : "s") + ", " + m.negative +
      " negative" + (m.alarm ? "; " + spikeWords(m) : "");
  }
  function drawVolume() {
    var canvas = $("volume-chart");
    var mins = (S.volume && S.volume.minutes) || [];
    var w = canvas.clientWidth || 600;
    var h = CHART.h;
    var dpr = window.devicePixelRatio || 1;
    canvas.width = w * dpr;
    canvas.height = h * dpr;
    var ctx = canvas.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    ctx.font = "11px system-ui, sans-serif";
    if (!mins.length) {
      ctx.fillStyle = "#667085";
      ctx.fillText("no mentions yet", 8, h / 2);
      $("volume-summary").textContent = "";
      $("volume-text").replaceChildren(el("p", null, "No mentions yet."));
      return;
    }
    var max = Math.max.apply(null, mins.map(function (m) { return m.count; }).concat([1]));
    var plotW = w - CHART.left, plotH = h - CHART.bottom - CHART.top;
    var bw = plotW / mins.length;
    var y = function (v) { return h - CHART.bottom - plotH * v / max; };
    // axes: counts on the left, clock time underneath
    ctx.strokeStyle = "#cbd5e1"; ctx.fillStyle = "#475467"; ctx.lineWidth = 1;
    ctx.beginPath(); ctx.moveTo(CHART.left, CHART.top); ctx.lineTo(CHART.left, h - CHART.bottom);
    ctx.lineTo(w, h - CHART.bottom); ctx.stroke();
    ctx.textAlign = "right"; ctx.textBaseline = "middle";
    [0, Math.round(max / 2), max].forEach(function (v) {
      ctx.fillText(String(v), CHART.left - 4, y(v));
      ctx.strokeStyle = "#eef0f3"; ctx.beginPath(); ctx.moveTo(CHART.left + 1, y(v)); ctx.lineTo(w, y(v)); ctx.stroke();
    });
    ctx.textBaseline = "top";
    [0, Math.floor(mins.length / 2), mins.length - 1].forEach(function (i, n) {
      ctx.textAlign = n === 0 ? "left" : (n === 2 ? "right" : "center");
      ctx.fillText(hhmm(mins[i].minute), n === 2 ? w : CHART.left + i * bw + (n === 0 ? 0 : bw / 2), h - CHART.bottom + 3);
    });
    mins.forEach(function (m, i) {
      var x = CHART.left + i * bw;
      ctx.fillStyle = "#94a3b8";
      ctx.fillRect(x + (bw > 3 ? 1 : 0), y(m.count), Math.max(1, bw - (bw > 3 ? 2 : 0)), h - CHART.bottom - y(m.count));
      ctx.fillStyle = "#dc2626";
      ctx.fillRect(x + (bw > 3 ? 1 : 0), y(m.negative), Math.max(1, bw - (bw > 3 ? 2 : 0)), h - CHART.bottom - y(m.negative));
      if (m.alarm) {
        var cx = x + bw / 2, top = y(m.count) - 2;
        ctx.fillStyle = "#f59e0b";
        ctx.beginPath(); ctx.moveTo(cx, top); ctx.lineTo(cx - 5, top - 9); ctx.lineTo(cx + 5, top - 9);
        ctx.closePath(); ctx.fill();
      }
    });
    var last = mins[mins.length - 1];
    var peak = S.volume.peak;
    var spikes = mins.filter(function (m) { return m.alarm; });
    $("volume-summary").textContent = "last minute " + last.count + " (" +
      Math.round(100 * (last.negative_share || 0)) + "% negative)" +
      (peak ? " · room peak " + peak.count + "/min at " + hhmm(peak.minute) : "") +
      " · " + spikes.length + " spike minute" + (spikes.length === 1 ? "" : "s") + " shown";
    // The text alternative: the same numbers, for screen readers and for anyone.
    var box = $("volume-text");
    var total = mins.reduce(function (a, m) { return a + m.count; }, 0);
    var neg = mins.reduce(function (a, m) { return a + m.negative; }, 0);
    var p = el("p", null, mins.length + " minutes from " + hhmm(mins[0].minute) + " to " + hhmm(last.minute) + ": " +
      total + " mentions, " + neg + " negative; the busiest minute shown had " + max + "." +
      (peak ? " Room peak: " + peak.count + " per minute at " + hhmm(peak.minute) + "." : ""));
    var ul = el("ul");
    spikes.slice(-20).forEach(function (m) { ul.appendChild(el("li", null, minuteWords(m))); });
    box.replaceChildren(p);
    if (spikes.length) { box.append(el("p", null, "Spikes:"), ul); }
  }
  function chartTip(ev) {
    var canvas = $("volume-chart"), tip = $("volume-tip");
    var mins = (S.volume && S.volume.minutes) || [];
    var rect = canvas.getBoundingClientRect();
    var x = ev.clientX - rect.left - CHART.left;
    if (!mins.length || x < 0) { tip.hidden = true; return; }
    var i = Math.min(mins.length - 1, Math.floor(x / ((rect.width - CHART.left) / mins.length)));
    tip.textContent = minuteWords(mins[i]);
    tip.hidden = false;
    tip.style.left = Math.min(rect.width - 200, Math.max(0, ev.clientX - rect.left)) + "px";
  }
  $("volume-chart").addEventListener("mousemove", chartTip);
  $("volume-chart").addEventListener("mouseleave", function () { $("volume-tip").hidden = true; });
  Array.prototype.forEach.call(document.querySelectorAll("#volume .range"), function (b) {
    b.addEventListener("click", function () {
      S.range = b.dataset.range === "all" ? "all" : Number(b.dataset.range);
      Array.prototype.forEach.call(document.querySelectorAll("#volume .range"), function (o) {
        o.classList.toggle("on", o === b); o.setAttribute("aria-pressed", o === b ? "true" : "false");
      });
      loadVolume();
    });
  });
  window.addEventListener("resize", function () { debounce("draw", 150, drawVolume); });

  // -- the mention queue ---------------------------------------------------
  function clockOf(m) {
    var done = S.answered[m.id];
    var limit = S.rules.first_response_minutes || 60;
    if (done) {
      var took = (done.clock_seconds === null || done.clock_seconds === undefined) ? null : done.clock_seconds / 60;
      return { minutes: took, cls: "stopped", label: "answered" + (took === null ? "" : " in " + fmtMinutes(took)) };
    }
    var age = minutesSince(m.received_at);
    var cls = age >= limit ? "bad" : (age >= limit * 0.5 ? "warn" : "ok");
    return { minutes: age, cls: cls, label: fmtMinutes(age) + " / " + limit + "m" };
  }
  // The server's rule (listening/urgency.py), mirrored exactly by urgency.js
  // so the order follows the clock between loads.
  function urgencyOf(m, nowMs) {
    return window.warroomUrgency(m, m.t, !!S.answered[m.id], S.rules.first_response_minutes, nowMs);
  }
  function urgency(m, nowMs) { return urgencyOf(m, nowMs).score; }
  function reasonWords(r) {
    if (r.code === "negative") { return "negative"; }
    if (r.code === "reach") { return "reach: " + r.followers.toLocaleString("en") + " followers"; }
    if (r.code === "breaching") { return "clock ran out (" + fmtMinutes(r.minutes) + " waiting)"; }
    if (r.code === "waiting") { return "waiting " + fmtMinutes(r.minutes); }
    return r.code;
  }
  function whyText(m) {
    var reasons = urgencyOf(m, Date.now()).reasons.filter(function (r) { return r.code !== "answered"; });
    return reasons.length ? "why: " + reasons.map(reasonWords).join(" · ") : "";
  }
  function visible(m) {
    var f = S.filter;
    var owner = S.claims[m.id];
    if (S.channel !== "all" && m.source !== S.channel) { return false; }
    if (f === "assigned") { return S.me && S.assignments[m.id] === S.me.name; }
    if (f === "unclaimed") { return !owner && !S.answered[m.id]; }
    if (f === "mine") { return S.me && owner === S.me.name; }
    if (f === "negative") { return m.sentiment_label === "negative"; }
    if (f === "breaching") { return !S.answered[m.id] && clockOf(m).cls === "bad"; }
    if (f === "answered") { return !!S.answered[m.id]; }
    return true;
  }
  function ordered() {
    // Each mention's urgency computed once per ordering (not per comparison).
    var nowMs = Date.now();
    var keyed = [];
    // A volunteer on shift sees their roles' channels first (me.channels,
    // from the playbook), each tier in urgency order; answered ones stay last.
    var mine = {};
    ((S.me && S.me.channels) || []).forEach(function (c) { mine[c] = true; });
    S.mentions.forEach(function (m) {
      if (visible(m)) { keyed.push({ t: (mine[m.source] && !S.answered[m.id]) ? 1 : 0, u: urgency(m, nowMs), m: m }); }
    });
    keyed.sort(function (a, b) { return (b.t - a.t) || (b.u - a.u); });
    // A near-duplicate cluster (a campaign's copies) is one item: its most urgent member.
    // Its size is the newest known (clusterSize), not the member's own: a first
    // post loaded before its copies came still says cluster_size 1.
    var seen = {};
    return keyed.filter(function (k) {
      var c = k.m.cluster_id;
      if (!c || clusterSize(k.m) < 2) { return true; }
      if (seen[c]) { return false; }
      seen[c] = true;
      return true;
    }).map(function (k) { return k.m; });
  }
  // The newest listing of a cluster's members knows its size best.
  function clusterSize(m) { return Math.max(m.cluster_size || 1, S.clusterSizes[m.cluster_id] || 1); }
  var MAX_SHOWN = 200;
  // The channel filter offers each source present in the room, in name order
  // wherever it arrived (a source first seen live goes in its place, not last).
  function renderChannels() {
    var sel = $("channel-filter");
    var seen = {};
    S.mentions.forEach(function (m) { seen[m.source] = true; });
    var have = Array.prototype.map.call(sel.options, function (o) { return o.value; });
    Object.keys(seen).sort().forEach(function (src) {
      if (have.indexOf(src) >= 0) { return; }
      var o = el("option", null, src); o.value = src;
      var after = Array.prototype.find.call(sel.options, function (x) { return x.value !== "all" && x.value > src; });
      sel.insertBefore(o, after || null);
    });
  }
  function renderQueue() {
    renderChannels();
    // A search shows its results (newest first) in the queue's place until cleared.
    var list = S.search ? S.search.mentions.map(function (m) { return S.mentions.get(m.id) || m; }) : ordered();
    var ol = $("mention-list");
    var frag = document.createDocumentFragment();
    list.slice(0, MAX_SHOWN).forEach(function (m) { frag.appendChild(mentionItem(m)); });
    ol.replaceChildren(frag);
    $("queue-empty").hidden = list.length > 0;
    $("queue-count").textContent = S.search
      ? list.length + (S.search.more ? "+" : "") + " found for \u201c" + S.search.q + "\u201d"
      : list.length + (list.length > MAX_SHOWN ? " (most urgent " + MAX_SHOWN + " shown)" : "");
  }
  // A language sentiment cannot read says so, with no score: "unknown (pl)", not "neutral 0.00".
  function sentimentText(m) {
    if (m.sentiment_label === "unknown") { return "unknown" + (m.lang ? " (" + m.lang + ")" : ""); }
    return m.sentiment_label + " " + Number(m.sentiment).toFixed(2);
  }
  function runSearch(q) {
    q = q.trim();
    if (!q) { clearSearch(); return Promise.resolve(); }
    $("queue-search-error").textContent = "";
    return fetch(board.dataset.searchUrl + "?limit=200&q=" + encodeURIComponent(q), { credentials: "same-origin" })
      .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
      .then(function (res) {
        if (!res.ok) { $("queue-search-error").textContent = res.body.error || "search failed"; return; }
        res.body.mentions.forEach(function (m) { m.t = Date.parse(m.received_at); });
        S.search = { q: q, mentions: res.body.mentions, more: res.body.next_before !== null };
        $("queue-search-clear").hidden = false;
        renderQueue();
      }).catch(function () { $("queue-search-error").textContent = "search failed: no answer from the server"; });
  }
  function clearSearch() {
    S.search = null;
    $("queue-search").value = "";
    $("queue-search-error").textContent = "";
    $("queue-search-clear").hidden = true;
    renderQueue();
  }
  $("queue-search-form").addEventListener("submit", function (ev) { ev.preventDefault(); runSearch($("queue-search").value); });
  $("queue-search-clear").addEventListener("click", clearSearch);
  function mentionItem(m) {
    var li = el("li", "mention " + (m.sentiment_label || ""));
    li.dataset.mentionId = m.id;
    var owner = S.claims[m.id];
    if (owner) { li.classList.add("claimed"); li.dataset.claimedBy = owner; }
    if (S.answered[m.id]) { li.classList.add("published"); }
    if (S.selected === m.id) { li.classList.add("selected"); }
    var head = el("div", "mention-head");
    head.append(el("strong", "author", m.author || "[erased]"), " ",
      el("span", "badge channel", m.source + (m.account ? " · " + m.account : "")), " ",
      el("span", "badge sentiment " + m.sentiment_label, sentimentText(m)), " ");
    var clock = clockOf(m);
    var c = el("span", "clock " + clock.cls, clock.label);
    c.dataset.received = m.received_at;
    head.append(c, " ");
    var size = clusterSize(m);
    if (size > 1) {
      var b = el("span", "badge cluster", "×" + size + " copies");
      b.title = "a near-duplicate cluster: one reply can answer all";
      li.dataset.clusterId = m.cluster_id; li.dataset.clusterSize = size;
      head.append(b, " ");
    }
    if (S.answered[m.id]) {
      head.append(el("span", "badge state-published", "published"));
    } else if (owner) {
      head.append(el("span", "badge claim", "claimed by " + owner));
    }
    var assignee = S.assignments[m.id];
    if (assignee) { head.append(" ", el("span", "badge assignee", "assigned to " + assignee)); }
    li.append(head, el("p", "mention-text", m.text));
    var why = S.answered[m.id] ? "" : whyText(m);
    if (why) { li.append(el("p", "why muted", why)); }
    var ours = S.answered[m.id];
    if (ours && ours.text) {
      var reply = el("p", "published-reply");
      reply.append(el("span", "muted", "our reply" + (ours.author ? " by " + ours.author : "") + ": "),
        el("span", null, ours.text));
      li.append(reply);
    }
    var actions = el("div", "mention-actions");
    if (S.me && S.me.can_draft && !S.answered[m.id] && !S.closed) {
      if (!owner) {
        actions.append(button("Claim", "small claim-btn", function () { claim(m.id); }));
      } else if (owner === S.me.name || S.me.is_lead) {
        actions.append(button("Release", "small secondary release-btn", function () { release(m.id); }));
      }
      if (!owner || owner === S.me.name) {
        actions.append(button("Reply", "small reply-btn", function () { compose(m.id); }));
      }
    }
    if (S.me && S.me.is_lead && !S.answered[m.id] && !S.closed) { actions.append(assignControl(m.id, assignee)); }
    actions.append(button("Conversation", "small secondary convo-btn", function () { openConversation(m.id); }));
    if (m.url) {
      var a = el("a", "small", "open");
      a.href = m.url; a.target = "_blank"; a.rel = "noopener noreferrer";
      actions.append(a);
    }
    li.append(actions);
    li.addEventListener("click", function (ev) {
      if (ev.target.tagName !== "BUTTON" && ev.target.tagName !== "A") { select(m.id); }
    });
    return li;
  }
  // A lead gives a mention to a person (or takes it back).
  function assignControl(id, assignee) {
    var box = el("span", "assign");
    var sel = el("select", "assign-to");
    sel.setAttribute("aria-label", "assign to");
    var none = el("option", null, "assign to…"); none.value = ""; sel.appendChild(none);
    S.people.forEach(function (p) { var o = el("option", null, p); o.value = p; sel.appendChild(o); });
    sel.addEventListener("change", function () {
      if (!sel.value) { return; }
      command("mention.assign", { mention_id: id, user: sel.value }).then(function (ack) {
        if (ack.error) { status(ack.error, true); return; }
        S.assignments[id] = ack.assignment.user; renderQueue();
      });
    });
    box.append(sel);
    if (assignee) {
      box.append(button("Unassign", "small secondary unassign-btn", function () {
        command("mention.unassign", { mention_id: id }).then(function (ack) {
          if (ack.error) { status(ack.error, true); return; }
          delete S.assignments[id]; renderQueue();
        });
      }));
    }
    return box;
  }
  function tickClocks() {
    Array.prototype.forEach.call(document.querySelectorAll("#mention-list li.mention"), function (li) {
      var m = S.mentions.get(Number(li.dataset.mentionId));
      var span = li.querySelector(".clock");
      if (!m || !span) { return; }
      var clock = clockOf(m);
      span.textContent = clock.label;
      span.className = "clock " + clock.cls;
    });
  }
  setInterval(tickClocks, 5000);

  Array.prototype.forEach.call(document.querySelectorAll("#queue .filter"), function (b) {
    b.addEventListener("click", function () {
      S.filter = b.dataset.filter;
      Array.prototype.forEach.call(document.querySelectorAll("#queue .filter"), function (o) {
        o.classList.toggle("on", o === b);
      });
      renderQueue();
    });
  });
  $("channel-filter").addEventListener("change", function (ev) { S.channel = ev.target.value; renderQueue(); });

  function select(id) {
    S.selected = id;
    Array.prototype.forEach.call(document.querySelectorAll("#mention-list li.mention"), function (li) {
      var on = Number(li.dataset.mentionId) === id;
      li.classList.toggle("selected", on);
      if (on) { li.scrollIntoView({ block: "nearest" }); }
    });
  }
  function claim(id) {
    return command("mention.claim", { mention_id: id }).then(function (ack) {
      if (ack.error) { status(ack.error, true); return false; }
      S.claims[id] = S.me.name;
      renderQueue();
      return true;
    });
  }
  function release(id) {
    return command("mention.release", { mention_id: id }).then(function (ack) {
      if (ack.error) { status(ack.error, true); return; }
      delete S.claims[id];
      if (S.composing === id) { closeComposer(); }
      renderQueue();
    });
  }

  // -- the composer ----------------------------------------------------------
  function compose(mentionId, draft) {
    var m = S.mentions.get(mentionId);
    S.composing = mentionId;
    S.draftId = draft ? draft.id : null;
    S.factIds = draft ? draft.fact_ids.slice() : [];
    if (!draft) {
      Object.keys(S.drafts).forEach(function (k) {
        var d = S.drafts[k];
        if (d.mention_id === mentionId && d.author === S.me.name && d.status !== "published") {
          draft = d; S.draftId = d.id; S.factIds = d.fact_ids.slice();
        }
      });
    }
    $("composer").hidden = false;
    var q = $("composer-mention");
    q.replaceChildren();
    if (m) {
      q.append(el("strong", null, m.author || "[erased]"), " ", el("span", null, m.text));
      q.dataset.mentionId = m.id;
    } else {
      q.append(el("span", "muted", "a reply without a mention"));
      delete q.dataset.mentionId;
    }
    $("composer-text").value = draft ? draft.text : "";
    status(draft ? "editing draft #" + draft.id + " (" + draft.status + ")" : "");
    $("composer-text").focus();
    S.limit = null; showLimit();
    if (mentionId) {
      getJSON("/api/v1/mentions/" + mentionId + "/reply-limit").then(function (r) {
        if (S.composing === mentionId) { S.limit = r.limit ? { platform: r.platform, max: r.limit.max_length, unit: r.limit.unit, prefix: r.prefix || "" } : null; showLimit(); }
      });
    }
    lintNow();
  }
  // The platform's own rule as you type: graphemes where it counts them
  // (Bluesky), else code points (what the server's len() counts).
  var segmenter = window.Intl && Intl.Segmenter ? new Intl.Segmenter(undefined, { granularity: "grapheme" }) : null;
  function measure(text, unit) {
    if (unit === "graphemes" && segmenter) { var n = 0; for (var _ of segmenter.segment(text)) { n++; } return n; }
    return Array.from(text).length;
  }
  // The text as the connector sends it: platforms.connector.compose's rule
  // (the prefix, e.g. Mastodon's @handle, unless the text already has it).
  function finalText(text, prefix) {
    if (!prefix || text.toLowerCase().indexOf(prefix.trim().toLowerCase()) >= 0) { return text; }
    return prefix + text;
  }
  function showLimit() {
    var p = $("composer-limit");
    if (!S.limit) { p.hidden = true; p.textContent = ""; return; }
    var text = $("composer-text").value.trim();
    var sent = finalText(text, S.limit.prefix);
    var used = measure(sent, S.limit.unit);
    p.hidden = false;
    p.textContent = used + " / " + S.limit.max + " " + S.limit.unit + " on " + S.limit.platform +
      (sent !== text ? " (with " + S.limit.prefix.trim() + ")" : "") +
      (used > S.limit.max ? " — " + (used - S.limit.max) + " too many" : "");
    p.className = used > S.limit.max ? "error limit over" : "muted limit";
    p.dataset.used = used;
  }
  function closeComposer() {
    $("composer").hidden = true;
    S.composing = null; S.draftId = null; S.factIds = [];
  }
  var lintSeq = 0;
  function lintNow() {
    var text = $("composer-text").value;
    var seq = ++lintSeq;
    if (!text.trim()) { showFindings([]); return Promise.resolve([]); }
    return command("lint.check", { room: roomId, text: text, mention_id: S.composing }).then(function (ack) {
      if (seq !== lintSeq) { return S.findings; }
      if (ack.error) { status(ack.error, true); return []; }
      showFindings(ack.findings, text);
      return ack.findings;
    });
  }
  function showFindings(findings, text) {
    S.findings = findings;
    S.lintedText = text || "";
    var ul = $("lint-findings");
    ul.replaceChildren();
    var blocking = false;
    findings.forEach(function (f) {
      var li = el("li", "finding " + (f.blocking ? "blocking" : "advice"));
      li.dataset.rule = f.rule;
      li.append(el("span", "rule", f.rule), " ");
      if (text && f.end > f.start && f.end - f.start < text.length) {
        li.append(el("q", "span", text.slice(f.start, f.end)), " ");
      }
      li.append(el("span", "reason", f.reason));
      if (f.blocking) { blocking = true; li.append(" ", el("strong", null, "blocks")); }
      ul.appendChild(li);
    });
    $("override").hidden = !(blocking && S.me && S.me.is_lead);
    $("composer-submit").disabled = blocking && !(S.me && S.me.is_lead);
  }
  $("composer-text").addEventListener("input", function () { showLimit(); debounce("lint", 250, lintNow); });

  function saveDraft() {
    var payload = { room: roomId, text: $("composer-text").value, fact_ids: S.factIds };
    if (S.draftId) { payload.draft_id = S.draftId; } else if (S.composing) { payload.mention_id = S.composing; }
    var unchanged = S.draftId && S.drafts[S.draftId] && S.drafts[S.draftId].text === payload.text.trim() &&
      S.drafts[S.draftId].status === "draft";
    if (unchanged) { return Promise.resolve(S.drafts[S.draftId]); }
    return command("draft.save", payload).then(function (ack) {
      if (ack.error) { status(ack.error, true); return null; }
      S.draftId = ack.draft.id;
      S.drafts[ack.draft.id] = ack.draft;
      if (S.composing) { S.claims[S.composing] = S.me.name; }
      status("saved draft #" + ack.draft.id);
      renderDrafts();
      return ack.draft;
    });
  }
  function submitDraft() {
    return saveDraft().then(function (draft) {
      if (!draft) { return; }
      var payload = { draft_id: draft.id };
      var reason = $("override-reason").value.trim();
      if (reason && !$("override").hidden) { payload.override_reason = reason; }
      return command("draft.submit", payload).then(function (ack) {
        if (ack.error) { status(ack.error, true); lintNow(); return; }
        S.drafts[ack.draft.id] = ack.draft;
        status("submitted draft #" + ack.draft.id + " for approval");
        $("override-reason").value = "";
        closeComposer();
        renderDrafts();
      });
    });
  }
  $("composer-save").addEventListener("click", saveDraft);
  $("composer-submit").addEventListener("click", submitDraft);

  // -- drafts and approvals --------------------------------------------------
  function draftItem(d, mine) {
    var li = el("li", "draft state-" + d.status);
    li.dataset.draftId = d.id;
    var m = d.mention_id ? S.mentions.get(d.mention_id) : null;
    var head = el("div", "draft-head");
    head.append(el("span", "badge state-" + d.status, d.status), " ", el("strong", null, "#" + d.id),
      " by ", el("span", "author", d.author));
    if (d.status === "submitted" && d.submitted_at) {
      head.append(" · waiting " + fmtMinutes(minutesSince(d.submitted_at)));
    }
    if (d.override_by) { head.append(" · lint overridden by " + d.override_by); }
    li.append(head);
    if (m) { li.append(el("p", "muted replying", "to " + m.author + ": " + m.text)); }
    li.append(el("p", "draft-text", d.text));
    if (d.status === "rejected" && d.reject_reason) {
      li.append(el("p", "error", "rejected by " + d.decided_by + ": " + d.reject_reason));
    }
    var actions = el("div", "draft-actions");
    if (mine) {
      if (d.status === "approved") {
        actions.append(button("Publish", "publish-btn", function () { publish(d.id); }));
        if (m && clusterSize(m) > 1) {
          actions.append(button("Publish to all " + clusterSize(m), "publish-cluster-btn",
            function () { publishCluster(d.id); }));
        }
      }
      if (d.status === "draft" || d.status === "rejected" || d.status === "approved") {
        actions.append(button("Edit", "small secondary edit-btn", function () { compose(d.mention_id, d); }));
      }
    } else if (d.status === "submitted" && S.me && d.author === S.me.name) {
      actions.append(el("span", "muted", "yours: another approver decides"));
    } else if (d.status === "submitted" && S.me && !S.me.can_approve && S.rules.approval === "lead" &&
               !S.closed) {
      actions.append(el("span", "muted needs-lead", "a lead approves in this war room"));
    } else if (d.status === "submitted" && S.me && S.me.can_approve && !S.closed) {
      // The revision shown here goes with the decision: a draft changed since is refused.
      actions.append(button("Approve", "approve-btn", function () { decide("draft.approve", d); }));
      var reason = el("input", "reject-reason");
      reason.placeholder = "reason to reject";
      reason.maxLength = 500;
      actions.append(reason, button("Reject", "secondary reject-btn", function () {
        decide("draft.reject", d, reason.value);
      }));
    }
    li.append(actions);
    return li;
  }
  function renderDrafts() {
    if (!S.me) { return; }
    var mine = $("mydraft-list");
    var queue = $("approval-list");
    var mf = document.createDocumentFragment();
    var qf = document.createDocumentFragment();
    var nm = 0, nq = 0;
    Object.keys(S.drafts).map(Number).sort(function (a, b) { return a - b; }).forEach(function (id) {
      var d = S.drafts[id];
      if (d.status === "published") { return; }
      if (d.author === S.me.name) { mf.appendChild(draftItem(d, true)); nm++; }
      if (d.status === "submitted") { qf.appendChild(draftItem(d, false)); nq++; }
    });
    mine.replaceChildren(mf);
    queue.replaceChildren(qf);
    $("mydrafts-empty").hidden = nm > 0;
    $("approvals-empty").hidden = nq > 0;
  }
  function decide(name, d, reason) {
    var payload = { draft_id: d.id, revision: d.revision };
    if (reason !== undefined) { payload.reason = reason; }
    return command(name, payload).then(function (ack) {
      if (ack.error) {
        alertIn("approvals", ack.error);
        if (ack.field === "revision") { loadBoard(); }  // show what it says now
        return;
      }
      S.drafts[d.id] = ack.draft;
      renderDrafts();
    });
  }
  function publish(id) {
    return command("draft.publish", { draft_id: id }).then(function (ack) {
      if (ack.error) { alertIn("mydrafts", ack.error); return; }
      var r = ack.response;
      if (S.drafts[id]) { S.drafts[id].status = "published"; }
      if (r.mention_id) {
        S.answered[r.mention_id] = { published_at: r.published_at, clock_seconds: r.clock_seconds,
                                     text: r.text, author: r.author };
      }
      renderDrafts(); renderQueue();
    });
  }
  function publishCluster(id) {
    return command("draft.publish_cluster", { draft_id: id }).then(function (ack) {
      if (ack.error) { alertIn("mydrafts", ack.error); return; }
      if (S.drafts[id]) { S.drafts[id].status = "published"; }
      var r = ack.response;
      var answered = { published_at: r.published_at, text: r.text, author: r.author };
      S.mentions.forEach(function (m) { if (m.cluster_id === ack.cluster_id) { S.answered[m.id] = answered; } });
      if (ack.by_hand.length) {
        alertIn("mydrafts", "Published to " + (ack.copies + 1) + "; post by hand to " + ack.by_hand.length + ": " +
          ack.by_hand.map(function (h) { return h.author + " (" + h.source + (h.url ? " " + h.url : "") + ")"; }).join(", "));
      }
      renderDrafts(); renderQueue();
    });
  }
  // -- where published replies landed on their platforms ----------------------
  function renderDeliveries() {
    var list = $("delivery-list");
    var frag = document.createDocumentFragment();
    var ids = Object.keys(S.deliveries || {}).map(Number).sort(function (a, b) { return a - b; });
    ids.forEach(function (rid) {
      var d = S.deliveries[rid];
      var li = el("li", "delivery state-" + d.state);
      li.dataset.responseId = rid;
      li.append(el("span", null, "reply " + rid + " on " + (d.platform || "the platform") + ": "), el("strong", null, d.state.replace(/_/g, " ")));
      if (d.url && /^https?:\/\//.test(d.url)) {
        var a = el("a", "delivery-url", d.url);
        a.href = d.url; a.target = "_blank"; a.rel = "noopener noreferrer";
        li.append(" ", a);
      }
      if (d.error) { li.append(" ", el("small", "error", d.error)); }
      if (d.state === "failed" && S.me && S.me.is_lead && d.delivery_id) {
        li.append(" ", button("Posted by hand…", "secondary", function () {
          var url = window.prompt("URL of the reply you posted by hand");
          if (!url) { return; }
          command("delivery.mark_by_hand", { delivery_id: d.delivery_id, url: url }).then(function (ack) {
            if (ack.error) { alertIn("deliveries", ack.error); }
          });
        }));
      }
      frag.appendChild(li);
    });
    list.replaceChildren(frag);
    $("deliveries-empty").hidden = ids.length > 0;
  }
  function alertIn(sectionId, msg) {
    var sec = $(sectionId);
    var p = sec.querySelector("p.error.flash") || el("p", "error flash");
    p.textContent = msg;
    sec.appendChild(p);
    setTimeout(function () { p.remove(); }, 8000);
  }

  // -- the fact sheet --------------------------------------------------------
  function renderFacts() {
    var holding = $("fact-holding");
    var list = $("fact-list");
    holding.replaceChildren();
    var frag = document.createDocumentFragment();
    var n = 0;
    S.facts.forEach(function (f) {
      var box = el(f.kind === "holding" ? "div" : "li", "fact kind-" + f.kind);
      box.dataset.factId = f.id;
      if (f.kind === "holding") { box.append(el("strong", null, "Holding statement "), el("small", "muted", "v" + f.version)); }
      box.append(el("p", "fact-text", f.text));
      var actions = el("div", "fact-actions");
      if (S.me && S.me.can_draft && !S.closed) {
        actions.append(button("Insert", "small insert-btn", function () { insertFact(f); }));
      }
      if (S.me && S.me.is_lead && !S.closed) {
        actions.append(button("Edit", "small secondary", function () {
          $("fact-text").value = f.text; $("fact-kind").value = f.kind; $("fact-id").value = f.id;
          $("fact-text").focus();
        }));
        actions.append(button("Retire", "small secondary", function () {
          command("facts.update", { room: roomId, fact_id: f.id, text: "", retire: true }).then(factAnswer);
        }));
      }
      box.append(actions);
      if (f.kind === "holding") { holding.appendChild(box); } else { frag.appendChild(box); n++; }
    });
    list.replaceChildren(frag);
    $("facts-empty").hidden = S.facts.length > 0;
  }
  function insertFact(f) {
    if ($("composer").hidden) { compose(S.selected || null); }
    var ta = $("composer-text");
    var at = ta.selectionStart || ta.value.length;
    var sep = ta.value && !/\s$/.test(ta.value.slice(0, at)) ? " " : "";
    ta.value = ta.value.slice(0, at) + sep + f.text + ta.value.slice(at);
    if (S.factIds.indexOf(f.id) < 0) { S.factIds.push(f.id); }
    ta.focus();
    lintNow();
  }
  function factAnswer(ack) {
    if (ack.error) { alertIn("facts", ack.error); return; }
    $("fact-text").value = ""; $("fact-id").value = "";
    showCited(ack.fact, ack.cited);
    loadBoard();
  }
  function showCited(fact, cited) {
    var n = $("fact-notice");
    if (!cited || !cited.length) { n.hidden = true; return; }
    n.hidden = false;
    n.textContent = cited.length + " published repl" + (cited.length === 1 ? "y" : "ies") +
      " cited the old text of this fact (replies #" + cited.map(function (c) { return c.response_id; }).join(", #") +
      "): correct them.";
  }
  $("fact-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var payload = { room: roomId, text: $("fact-text").value, kind: $("fact-kind").value };
    if ($("fact-id").value) { payload.fact_id = Number($("fact-id").value); }
    command("facts.update", payload).then(factAnswer);
  });
  $("fact-cancel").addEventListener("click", function () { $("fact-text").value = ""; $("fact-id").value = ""; });

  // -- presence --------------------------------------------------------------
  function showPresence(viewers) {
    $("presence-list").textContent = viewers && viewers.length ? viewers.join(", ") : "just you";
  }
  function ping() {
    command("presence.ping", { room: roomId }).then(function (ack) { if (ack.viewers) { showPresence(ack.viewers); } });
  }
  setInterval(ping, 15000);
  window.addEventListener("pagehide", function () {
    if (socket && socket.connected) { socket.emit("presence.leave", { room: roomId }); }
  });

  // A closed room's record is final (rooms.require_open): nothing to claim,
  // reply to or change, and the board says so instead of failing silently.
  function showClosed() {
    var n = $("room-closed-note");
    if (n) { n.hidden = !S.closed; }
  }

  // -- one author's conversation: their mentions and our replies -------------
  var localTime = window.warroomLocalTime || function (iso) { return iso; };
  function openConversation(mentionId) {
    S.conversation = mentionId;
    if (window.warroomConsole) { window.warroomConsole.reveal("conversation"); }
    return loadConversation();
  }
  function loadConversation() {
    var id = S.conversation;
    if (!id) { return Promise.resolve(); }
    return getJSON("/api/v1/rooms/" + roomId + "/mentions/" + id + "/conversation").then(function (c) {
      if (S.conversation !== id) { return; }   // another one was opened meanwhile
      renderConversation(c);
    }).catch(function (e) { status("conversation: " + e.message, true); });
  }
  function renderConversation(c) {
    $("convo-who").textContent = c.author + " on " + c.source + " · " + c.mentions + " mention" +
      (c.mentions === 1 ? "" : "s") + ", " + c.replies + " repl" + (c.replies === 1 ? "y" : "ies") +
      (c.more ? " (the first " + c.mentions + " shown)" : "") + (c.erased ? " · erased: not linked to others" : "");
    var frag = document.createDocumentFragment();
    c.items.forEach(function (it) {
      var li = el("li", it.type === "mention" ? "convo-mention " + (it.sentiment_label || "")
                                              : "convo-reply state-" + it.status);
      li.dataset.mentionId = it.mention_id;
      if (it.draft_id) { li.dataset.draftId = it.draft_id; }
      var t = el("time", null, localTime(it.at));
      t.dateTime = it.at;
      var head = el("div", "convo-head");
      if (it.type === "mention") {
        head.append(t, " ", el("strong", "author", it.author));
        if (it.mention_id === c.mention_id) { head.append(" ", el("span", "badge", "this mention")); }
      } else {
        head.append(t, " ", el("strong", "author", "us (" + it.author + ")"), " ",
          el("span", "badge state-" + it.status, it.status));
      }
      li.append(head, el("p", "convo-text", it.text || (it.type === "mention" && it.author === "[erased]" ? "[erased]" : "")));
      frag.appendChild(li);
    });
    $("convo-list").replaceChildren(frag);
    $("convo-empty").hidden = true;
  }

  // -- live events -----------------------------------------------------------
  // Events that change what loadBoard's snapshot holds (claims, assignments,
  // answers, deliveries). The snapshot is as of its ``last_event``; one that
  // left the server before an event and arrived after it would undo that
  // event (a published mention shown open again), so the recent ones are
  // kept and those newer than the snapshot are applied over it again. Each
  // sets state rather than toggling it, so applying one twice is harmless.
  var DELIVERY_STATE = { "response.delivered": "posted", "response.delivery_failed": "failed",
                         "response.delivery_retrying": "pending", "response.posted_by_hand": "posted_by_hand" };
  var STATE_EVENTS = { "mention.claimed": 1, "mention.released": 1, "mention.assigned": 1,
                       "mention.unassigned": 1, "response.published": 1, "cluster.answered": 1 };
  Object.keys(DELIVERY_STATE).forEach(function (k) { STATE_EVENTS[k] = 1; });
  var RECENT_MAX = 500;
  var recent = [];
  function applyState(e) {
    var d = e.data || {};
    var k = e.kind;
    if (k === "mention.claimed") { S.claims[d.mention_id] = e.actor; }
    else if (k === "mention.released") { delete S.claims[d.mention_id]; }
    else if (k === "mention.assigned") { S.assignments[d.mention_id] = d.user; }
    else if (k === "mention.unassigned") { delete S.assignments[d.mention_id]; }
    else if (k === "response.published") {
      if (d.mention_id) {
        S.answered[d.mention_id] = S.answered[d.mention_id] ||
          { published_at: e.ts, clock_seconds: d.clock_seconds, text: d.text, author: d.author };
      }
      if (S.drafts[d.draft_id]) { S.drafts[d.draft_id].status = "published"; }
    } else if (k === "cluster.answered") {
      // the whole cluster is answered: every loaded member of it
      S.mentions.forEach(function (m) {
        if (m.cluster_id === d.cluster_id && !S.answered[m.id]) {
          S.answered[m.id] = { published_at: e.ts, text: d.text, author: e.actor };
        }
      });
    } else if (DELIVERY_STATE[k]) {
      S.deliveries = S.deliveries || {};
      S.deliveries[d.response_id] = { response_id: d.response_id, delivery_id: d.delivery_id, platform: d.platform,
                                      state: DELIVERY_STATE[k], url: d.url || null, error: d.error || null };
    }
  }
  function replayNewerThan(lastEvent) {
    recent.forEach(function (e) { if (e.id > lastEvent) { applyState(e); } });
  }
  document.addEventListener("warroom:event", function (ev) {
    var e = ev.detail;
    var d = e.data || {};
    var k = e.kind;
    if (S.conversation && (k === "mentions.received" || k.indexOf("draft.") === 0 || k === "response.published")) {
      debounce("conversation", 300, loadConversation);
    }
    if (k === "mentions.received") {
      debounce("mentions", 30, loadMentions);
      throttle("volume-live", 1000, loadVolume);
    } else if (k === "spike.detected" || k.indexOf("volume.") === 0) {
      debounce("volume", 200, loadVolume);
    } else if (STATE_EVENTS[k]) {
      applyState(e);
      recent.push(e);
      if (recent.length > RECENT_MAX) { recent.shift(); }
      if (DELIVERY_STATE[k]) { renderDeliveries(); }
      else { renderQueue(); renderDrafts(); }
    } else if (k.indexOf("draft.") === 0 || k === "lint.overridden") {
      debounce("board", 50, loadBoard);
    } else if (k === "facts.updated") {
      // Everyone sees which published replies cited the old text.
      if (d.cited_by && d.cited_by.length) {
        showCited(null, d.cited_by.map(function (id) { return { response_id: id }; }));
      }
      debounce("board", 50, loadBoard);
    } else if (k === "response.clock_breached") {
      tickClocks();
    } else if (k === "room.closed") {
      var badge = $("room-status");
      badge.textContent = "closed"; badge.className = "badge closed";
      S.closed = true;
      closeComposer(); showClosed(); renderQueue(); renderDrafts(); renderFacts();
      $("fact-form").hidden = true;
    }
  });
  if (socket) {
    socket.on("presence", function (p) { if (p.room === roomId) { showPresence(p.viewers); } });
    // After a server restart the socket reconnects; room.js re-joins and
    // replays missed events, and the board re-reads its state to be sure.
    // The first connect may come before this script has run (the socket is
    // room.js's, and connects while this file still downloads): the page's
    // own load below covers it, and only a reconnect re-reads the state.
    var connectedBefore = socket.connected;
    socket.on("connect", function () {
      if (connectedBefore) { reloadAll(); }
      connectedBefore = true;
      ping();
    });
    if (socket.connected) { ping(); }
  }

  // -- keyboard shortcuts: the hot path --------------------------------------
  function nextMention() {
    var list = ordered().filter(function (m) { return !S.answered[m.id] && (!S.claims[m.id] || S.claims[m.id] === S.me.name); });
    if (!list.length) { return; }
    var i = list.findIndex(function (m) { return m.id === S.selected; });
    select(list[(i + 1) % list.length].id);
  }
  document.addEventListener("keydown", function (ev) {
    var typing = /^(INPUT|TEXTAREA|SELECT)$/.test(ev.target.tagName);
    if (ev.target.id === "composer-text" && ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
      ev.preventDefault(); submitDraft(); return;
    }
    if (ev.key === "Escape" && typing) { ev.target.blur(); return; }
    if (typing || ev.ctrlKey || ev.metaKey || ev.altKey || !S.me || S.closed) { return; }
    if (ev.key === "n" || ev.key === "j") { ev.preventDefault(); nextMention(); }
    else if (ev.key === "c" && S.selected) { ev.preventDefault(); claim(S.selected); }
    else if (ev.key === "r" && S.selected) { ev.preventDefault(); compose(S.selected); }
  });

  window.warroomBoard = { state: S, command: command, reload: reloadAll, conversation: openConversation };
  reloadAll();  // always: a socket that connected before this script ran will not say so again
})();
