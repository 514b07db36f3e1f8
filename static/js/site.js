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

  // On a phone the section bar scrolls sideways: bring the current section into view
  // (the archive's tab sits past the right edge, only its underline showing under the fade).
  var current = document.querySelector(".sections a[aria-current=page]");
  if (current) {
    var bar = current.closest("ul");
    // The bar fades out over its last 15% (site.css): stop before that.
    var overshoot = current.getBoundingClientRect().right
      - (bar.getBoundingClientRect().left + bar.clientWidth * 0.85);
    if (overshoot > 0) bar.scrollLeft += overshoot + 8;
  }

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
