// newsroom — counts one read of the story this page shows (articles/reading/beacon.py), however
// the page was served (page cache, nginx, the browser's cache). Sent once the page is shown: a
// page prerendered or opened in a background tab counts when the reader turns to it.
(function () {
  "use strict";
  var script = document.currentScript;
  var beacon = script && script.getAttribute("data-beacon");
  if (!beacon || !navigator.sendBeacon) return;

  function send() {
    navigator.sendBeacon(beacon);
  }

  if (document.visibilityState === "visible") {
    send();
  } else {
    document.addEventListener("visibilitychange", function shown() {
      if (document.visibilityState !== "visible") return;
      document.removeEventListener("visibilitychange", shown);
      send();
    });
  }
})();
