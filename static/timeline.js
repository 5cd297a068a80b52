// The timeline's filters: by kind (the event's family, "facts" for
// facts.updated) and by person. The choices are the families and actors seen
// so far, kept up to date as events arrive: room.js inserts or updates one
// row and names it ("warroom:row"), and only that row is looked at; the
// whole feed is walked only when a filter changes.
(function () {
  "use strict";
  var feed = document.getElementById("feed");
  var kindSel = document.getElementById("feed-kind");
  var actorSel = document.getElementById("feed-actor");
  if (!feed || !kindSel || !actorSel) { return; }

  function family(li) {
    var k = li.querySelector(".kind");
    return k ? k.textContent.split(".")[0] : "";
  }
  function actor(li) {
    var a = li.querySelector(".actor");
    return a ? a.textContent.trim() : "";
  }
  function addOption(sel, value) {
    if (!value) { return; }
    for (var i = 0; i < sel.options.length; i++) { if (sel.options[i].value === value) { return; } }
    var o = document.createElement("option");
    o.value = value;
    o.textContent = value;
    sel.appendChild(o);
  }
  function one(li) {
    var k = kindSel.value, a = actorSel.value;
    addOption(kindSel, family(li));
    addOption(actorSel, actor(li));
    li.hidden = Boolean((k && family(li) !== k) || (a && actor(li) !== a));
  }
  function apply() { Array.prototype.forEach.call(feed.children, one); }
  kindSel.addEventListener("change", apply);
  actorSel.addEventListener("change", apply);
  document.addEventListener("warroom:row", function (ev) { if (ev.detail) { one(ev.detail); } });
  apply();
})();
