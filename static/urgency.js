// How urgent a mention is, and why: an exact mirror of
// warroom/listening/urgency.py (the module docstring has the rule), so the
// board can re-sort as mentions wait without asking the server.
// tests/listening/test_urgency.py runs this file under Node against the
// Python function on the same inputs: change both or neither.
(function (root) {
  "use strict";
  var NEGATIVE = 0.5, REACH_PER_DECADE = 0.1, REACH_REASON = 1000, WAITING_REASON = 0.5, ANSWERED = -1e9;
  // m: {id, received_at, sentiment_label, followers}; receivedMs: Date.parse(received_at), parsed once.
  function urgency(m, receivedMs, answered, firstResponseMinutes, nowMs) {
    if (answered) { return { score: ANSWERED + m.id, reasons: [{ code: "answered", weight: 0.0 }] }; }
    var limit = firstResponseMinutes || 60;
    var waited = (nowMs - receivedMs) / 60000;
    var waiting = waited / limit;
    var score = waiting;
    var reasons = [];
    if (m.sentiment_label === "negative") {
      score += NEGATIVE;
      reasons.push({ code: "negative", weight: NEGATIVE });
    }
    var fans = m.followers || 0;
    var reach = Math.log10(fans + 1) * REACH_PER_DECADE;
    score += reach;
    if (fans >= REACH_REASON) { reasons.push({ code: "reach", weight: reach, followers: fans }); }
    if (waiting >= 1) {
      reasons.push({ code: "breaching", weight: waiting, minutes: waited });
    } else if (waiting >= WAITING_REASON) {
      reasons.push({ code: "waiting", weight: waiting, minutes: waited });
    }
    reasons.sort(function (a, b) { return b.weight - a.weight; });   // stable, as Python's sort
    return { score: score, reasons: reasons };
  }
  root.warroomUrgency = urgency;
  if (typeof module !== "undefined" && module.exports) { module.exports = urgency; }
})(typeof window !== "undefined" ? window : this);
