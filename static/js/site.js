// newsroom — small enhancements; every page works without this file.
(function () {
  "use strict";

  // "/" jumps to the search box, as on most news and code sites.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    var box = document.getElementById("search-q") || document.getElementById("site-search");
    if (!box) return;
    event.preventDefault();
    box.focus();
    box.select();
  });

  // A publisher's image that no longer loads (moved, hot-link protected) is hidden with its
  // figure rather than left as a broken icon.
  function hideBroken(img) {
    var figure = img.closest("figure");
    (figure || img).classList.add("is-broken");
  }

  document.querySelectorAll(".story-body img").forEach(function (img) {
    if (img.complete && img.naturalWidth === 0 && img.currentSrc) {
      hideBroken(img);
    } else {
      img.addEventListener("error", function () { hideBroken(img); }, { once: true });
    }
  });

  // An empty search is not worth a round trip.
  document.querySelectorAll("form[role=search]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      var input = form.querySelector("input[name=q]");
      if (input && !input.value.trim()) {
        event.preventDefault();
        input.focus();
      }
    });
  });
})();
