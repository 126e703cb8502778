// The room screen follows its wall live: each server-sent event carries the live part anew,
// already rendered (and escaped) by the server. Without this script the page refreshes itself.
"use strict";
(function () {
  const live = document.getElementById("live");
  if (!live || !window.EventSource) return;
  const source = new EventSource(live.dataset.events);
  source.onmessage = function (event) {
    const data = JSON.parse(event.data);
    if (typeof data.html === "string") {
      live.innerHTML = data.html;
      document.body.dataset.updated = String(Date.now());
    }
  };
  // The address was renewed: this screen shows nothing any more.
  source.addEventListener("gone", function () {
    source.close();
    window.location.reload();
  });
})();
