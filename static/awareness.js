// Live awareness on the board: an alert when the server says an event
// concerns me (I am paged, or put on a shift: the "alert" message reaches my
// own sockets only), an opt-in beep (Web Audio, no sound file), a browser
// notification (permission asked only when I press the button), and the
// banner of channels that are not configured or failing.
(function () {
  "use strict";
  var socket = window.warroomSocket;
  var region = document.getElementById("alerts");
  if (!socket || !region) { return; }
  var SOUND_KEY = "warroom.alertSound";
  var soundBtn = document.getElementById("alert-sound");
  var notifyBtn = document.getElementById("alert-notify");
  var received = [];
  window.warroomAwareness = { received: received, beeps: 0, notifications: 0, reloadHealth: null };

  function soundOn() {
    try { return window.localStorage.getItem(SOUND_KEY) === "on"; } catch (e) { return false; }
  }
  function showSound() {
    soundBtn.setAttribute("aria-pressed", soundOn() ? "true" : "false");
    soundBtn.textContent = soundOn() ? "Alert sound: on" : "Alert sound: off";
  }
  var audio = null;
  function beep() {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) { return false; }
    // Created on the toggle's click (a user gesture), so the browser lets it play later.
    audio = audio || new Ctx();
    var osc = audio.createOscillator();
    var gain = audio.createGain();
    osc.type = "square";
    osc.frequency.value = 880;
    gain.gain.setValueAtTime(0.08, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + 0.4);
    osc.connect(gain);
    gain.connect(audio.destination);
    osc.start();
    osc.stop(audio.currentTime + 0.4);
    window.warroomAwareness.beeps += 1;
    return true;
  }
  soundBtn.addEventListener("click", function () {
    try { window.localStorage.setItem(SOUND_KEY, soundOn() ? "off" : "on"); } catch (e) { /* private mode */ }
    showSound();
    if (soundOn()) { beep(); }   // a sample, and it unlocks audio for later alerts
  });
  showSound();

  function showNotify() {
    if (!("Notification" in window)) { notifyBtn.hidden = true; return; }
    var p = Notification.permission;
    notifyBtn.textContent = p === "granted" ? "Desktop alerts: on" :
      (p === "denied" ? "Desktop alerts: blocked in the browser" : "Turn on desktop alerts");
    notifyBtn.disabled = p !== "default";
  }
  notifyBtn.addEventListener("click", function () {
    // Only here, on a click: browsers ignore (or penalise) a permission prompt without a gesture.
    Notification.requestPermission().then(showNotify);
  });
  showNotify();

  function toast(a) {
    var div = document.createElement("div");
    div.className = "toast toast-" + a.kind;
    div.dataset.eventId = a.event;
    var strong = document.createElement("strong");
    strong.textContent = a.title;
    var p = document.createElement("p");
    p.textContent = a.body;
    div.append(strong, p);
    if (a.room !== Number((document.getElementById("room") || {}).dataset.roomId)) {
      var link = document.createElement("a");
      link.href = "/rooms/" + a.room;
      link.textContent = "Open the room";
      div.append(link, " ");
    }
    var close = document.createElement("button");
    close.type = "button";
    close.className = "small secondary";
    close.textContent = "Dismiss";
    close.addEventListener("click", function () { div.remove(); });
    div.append(close);
    region.prepend(div);
  }

  var seen = new Set();
  socket.on("alert", function (a) {
    if (seen.has(a.event)) { return; }   // one alert per event, even after a reconnect
    seen.add(a.event);
    received.push(a);
    toast(a);
    if (soundOn()) { beep(); }
    if ("Notification" in window && Notification.permission === "granted") {
      try {
        var n = new Notification(a.title, { body: a.body, tag: "warroom-" + a.event });
        n.onclick = function () { window.focus(); window.location.href = "/rooms/" + a.room; };
        window.warroomAwareness.notifications += 1;
      } catch (e) { /* some browsers only allow it from a service worker */ }
    }
  });

  // -- channels that are not configured or failing ----------------------------
  var banner = document.getElementById("channel-health");
  var healthUrl = banner && banner.dataset.healthUrl;
  function showHealth(body) {
    var list = banner.querySelector("ul");
    list.textContent = "";
    (body.problems || []).forEach(function (p) {
      var li = document.createElement("li");
      li.className = "problem-" + p.severity;
      li.dataset.channel = p.channel;
      var what = document.createElement("strong");
      what.textContent = p.message;
      li.append(what, " ", p.action);
      list.appendChild(li);
    });
    banner.hidden = !(body.problems || []).length;
  }
  var healthTimer = null;
  function loadHealth() {
    if (!healthUrl) { return; }
    fetch(healthUrl, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) { if (body) { showHealth(body); } })
      .catch(function () { /* the banner is advice; the board works without it */ });
  }
  // Deliveries and connectors report through events: re-read the health when one arrives.
  var HEALTH_KINDS = /^(page\.|delivery\.|connector\.|response\.deliver)/;
  document.addEventListener("warroom:event", function (ev) {
    if (!HEALTH_KINDS.test(ev.detail.kind)) { return; }
    if (healthTimer) { return; }
    healthTimer = setTimeout(function () { healthTimer = null; loadHealth(); }, 300);
  });
  socket.on("connect", loadHealth);
  setInterval(loadHealth, 60000);   // "not configured" can change only on a restart, failures age out
  loadHealth();

  window.warroomAwareness.reloadHealth = loadHealth;
})();
