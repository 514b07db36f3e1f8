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

  // A publisher's image that no longer loads (moved, hot-link protected, reader off-line) is
  // hidden with everything that held only it, and with the line that only described it, so
  // that the story closes up as if it had never had the picture: no empty figure margins, no
  // caption or "注：" under nothing, no empty <p> or link left around it.
  var PICTURE_NOTE = /^[(（]?(注|图|图片|图源|图片来源|资料图)[：:]/;
  var NOTE_MAX = 80;  // a longer paragraph is prose, even if it starts with 注：
  var MEDIA = "img, picture, video, audio, iframe, object, embed, svg, canvas, table";

  function holdsNothingElse(parent, child) {
    for (var node = parent.firstChild; node; node = node.nextSibling) {
      if (node === child || node.nodeType === Node.COMMENT_NODE) continue;
      if (node.nodeType === Node.TEXT_NODE) {
        if (node.data.trim()) return false;
      } else if (node.nodeType === Node.ELEMENT_NODE) {
        if (node.tagName === "FIGCAPTION" || node.tagName === "BR") continue;
        if (node.textContent.trim() || node.matches(MEDIA) || node.querySelector(MEDIA)) return false;
      }
    }
    return true;
  }

  function hideBroken(img) {
    var body = img.closest(".story-body");
    var holder = img;
    while (holder.parentElement && holder.parentElement !== body
           && holdsNothingElse(holder.parentElement, holder)) {
      holder = holder.parentElement;
    }
    holder.classList.add("is-broken");
    var next = holder.nextElementSibling;
    if (next && next.tagName === "P" && !next.classList.contains("note")) {
      var text = next.textContent.trim();
      if (next.classList.contains("caption") || (PICTURE_NOTE.test(text) && text.length <= NOTE_MAX)) {
        next.classList.add("is-broken");
      }
    }
    hidePictureNotes(body);
  }

  // "(注：文内图片为…授权使用)" says nothing once no picture is shown.
  function hidePictureNotes(body) {
    if (!body || body.querySelector("img:not(.is-broken):not(.is-broken img)")) return;
    body.querySelectorAll("p.note").forEach(function (note) {
      if (/图/.test(note.textContent)) note.classList.add("is-broken");
    });
  }

  // A list's thumbnail that does not load is taken out with its place in the layout.
  function dropThumb(img) {
    var item = img.closest(".item");
    if (item) item.classList.remove("has-thumb");
    img.closest(".item-thumb").remove();
  }
  document.querySelectorAll(".item-thumb img").forEach(function (img) {
    if (img.complete && img.naturalWidth === 0 && img.currentSrc) dropThumb(img);
    else img.addEventListener("error", function () { dropThumb(img); }, { once: true });
  });

  document.querySelectorAll(".story-body").forEach(hidePictureNotes);
  document.querySelectorAll(".story-body img").forEach(function (img) {
    if (img.complete && img.naturalWidth === 0 && img.currentSrc) {
      hideBroken(img);
    } else {
      img.addEventListener("error", function () { hideBroken(img); }, { once: true });
    }
  });

  // On a phone the section bar scrolls sideways: bring the current section into view
  // (the archive's tab sits past the right edge, only its underline showing under the fade).
  // Only where it scrolls (site.css's phone width): measuring the bar on a desktop would
  // force a layout before the first paint for nothing.
  var current = document.querySelector(".sections a[aria-current=page]");
  if (current && window.matchMedia("(max-width: 600px)").matches) {
    requestAnimationFrame(function () {
      var bar = current.closest("ul");
      // The bar fades out over its last 15% (site.css): stop before that.
      var overshoot = current.getBoundingClientRect().right
        - (bar.getBoundingClientRect().left + bar.clientWidth * 0.85);
      if (overshoot > 0) bar.scrollLeft += overshoot + 8;
    });
  }

  // A story's tools: copy its address; its text size, remembered on this device.
  var status = document.querySelector(".tool-status");
  function say(text) {
    if (!status) return;
    status.textContent = text;
    setTimeout(function () { status.textContent = ""; }, 2500);
  }
  var copy = document.querySelector("[data-copy-link]");
  if (copy && navigator.clipboard) {
    copy.hidden = false;
    copy.addEventListener("click", function () {
      navigator.clipboard.writeText(copy.getAttribute("data-copy-link")).then(
        function () { say("链接已复制"); }, function () { say("无法复制，请手动复制地址栏中的链接"); });
    });
  }
  var FONT_KEY = "newsroom:font-step";
  var MIN_STEP = -1, MAX_STEP = 3;
  function storedStep() {
    try { return parseInt(localStorage.getItem(FONT_KEY), 10) || 0; } catch (e) { return 0; }
  }
  function applyStep(step) {
    if (step) document.documentElement.setAttribute("data-font", String(step));
    else document.documentElement.removeAttribute("data-font");
  }
  applyStep(storedStep());
  var fontTools = document.querySelector(".tool-font");
  if (fontTools) {
    fontTools.hidden = false;
    fontTools.addEventListener("click", function (event) {
      var button = event.target.closest("[data-font-step]");
      if (!button) return;
      var step = Math.max(MIN_STEP, Math.min(MAX_STEP, storedStep() + parseInt(button.getAttribute("data-font-step"), 10)));
      try { localStorage.setItem(FONT_KEY, String(step)); } catch (e) { /* private mode: this page only */ }
      applyStep(step);
      say(step === 0 ? "默认字号" : "字号 " + (step > 0 ? "+" : "") + step);
    });
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
