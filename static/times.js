// Every <time datetime> in the viewer's own time zone, on every page and again
// inside a panel fetched live (room.js calls warroomLocalTimes(panel)).
(function () {
  "use strict";
  function localTime(iso) {
    var d = new Date(iso);
    return isNaN(d) ? iso : d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
  }
  function localize(root) {
    Array.prototype.forEach.call((root || document).querySelectorAll("time[datetime]"), function (t) {
      if (!t.title) { t.title = t.dateTime; }   // the exact UTC value stays one hover away
      t.textContent = localTime(t.dateTime);
    });
  }
  window.warroomLocalTime = localTime;
  window.warroomLocalTimes = localize;
  localize(document);
})();
