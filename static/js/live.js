// The 7x24 live page: every few seconds, ask the read API for stories newer than the newest
// shown and put them on top, without reloading. A reader who has scrolled down is not moved:
// a bar says how many new ones wait ("N 条新消息") and shows them when pressed.
(function () {
  "use strict";
  var list = document.getElementById("live-list");
  if (!list || !window.fetch) return;
  var bar = document.getElementById("live-new");
  var status = document.getElementById("live-status");
  var api = list.getAttribute("data-api");
  var newest = list.getAttribute("data-newest");
  var important = list.getAttribute("data-important") === "1";
  var INTERVAL = 5000;
  var pending = [];
  var clock = new Intl.DateTimeFormat("zh-CN", {timeZone: "Asia/Shanghai", month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit", hour12: false});

  function known(id) {
    return list.querySelector('[data-id="' + id + '"]') !== null ||
      pending.some(function (item) { return item.getAttribute("data-id") === String(id); });
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function item(story) {
    var li = element("li", "live-item is-new" + (story.important ? " is-important" : ""));
    li.setAttribute("data-id", story.id);
    var time = element("time", "", clock.format(new Date(story.published_at)));
    time.setAttribute("datetime", story.published_at);
    var body = element("div", "live-body");
    var link = element("a", "live-title");
    link.href = story.url;
    if (story.important) link.appendChild(element("span", "live-flag", "重要"));
    link.appendChild(document.createTextNode(story.title));
    var meta = element("p", "live-meta");
    if (story.source) meta.appendChild(element("span", "", story.source.name));
    (story.stocks || []).forEach(function (stock) {
      var chip = element("a", "chip chip-stock", stock.name || stock.symbol);
      chip.href = "/stocks/" + encodeURIComponent(stock.symbol) + "/";
      meta.appendChild(chip);
    });
    body.appendChild(link);
    body.appendChild(meta);
    li.appendChild(time);
    li.appendChild(body);
    return li;
  }

  function show(items) {
    var empty = list.querySelector(".live-empty");
    if (empty && items.length) empty.remove();
    for (var i = items.length - 1; i >= 0; i--) list.insertBefore(items[i], list.firstChild);
  }

  function updateBar() {
    if (pending.length) {
      bar.textContent = pending.length + " 条新消息";
      bar.hidden = false;
    } else {
      bar.hidden = true;
    }
  }

  bar.addEventListener("click", function () {
    show(pending);
    pending = [];
    updateBar();
    window.scrollTo({top: 0, behavior: "smooth"});
  });

  function poll() {
    if (document.hidden) return schedule();
    var url = api + "?fields=id,url,title,published_at,source,stocks,important&limit=50" +
      (newest ? "&since=" + encodeURIComponent(newest) : "") + (important ? "&important=true" : "");
    fetch(url, {headers: {Accept: "application/json"}}).then(function (response) {
      if (!response.ok) throw new Error(response.status);
      return response.json();
    }).then(function (page) {
      var fresh = page.results.filter(function (story) { return !known(story.id); });
      if (fresh.length) {
        newest = fresh[0].published_at > (newest || "") ? fresh[0].published_at : newest;
        var items = fresh.map(item);
        if (window.scrollY > 120 || pending.length) {
          pending = items.concat(pending);
          updateBar();
        } else {
          show(items);
        }
        status.textContent = fresh.length + " 条新消息";
      }
    }).catch(function () { /* offline or rate-limited: try again at the next tick */ }).then(schedule);
  }

  var timer = null;
  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(poll, INTERVAL);
  }
  window.addEventListener("scroll", function () {
    if (window.scrollY <= 120 && pending.length) {
      show(pending);
      pending = [];
      updateBar();
    }
  }, {passive: true});
  schedule();
})();
