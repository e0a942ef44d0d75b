(function () {
  "use strict";
  var runPage = document.getElementById("run-page");
  var taskPage = document.getElementById("task-page");
  var tbody = document.querySelector("#task-table tbody");
  var rows = Array.prototype.slice.call(tbody.rows);
  var shown = document.getElementById("shown");
  var groupSel = document.getElementById("group-filter");
  var toolSel = document.getElementById("tool-filter");
  var search = document.getElementById("search");
  var buttons = Array.prototype.slice.call(document.querySelectorAll(".outcome-filter button"));
  var headers = Array.prototype.slice.call(document.querySelectorAll("#task-table th[data-sort]"));
  var more = document.getElementById("more");
  var page = parseInt(document.getElementById("task-table").dataset.page, 10);
  var state = { filter: "all", group: "", tool: "", q: "", sort: "index", dir: "asc", limit: page };
  var runHash = "";
  var fullImages = null;

  function apply() {
    var q = state.q.toLowerCase(), matched = 0, count = 0;
    Array.prototype.forEach.call(tbody.rows, function (row) {  // DOM order: the first rows of the sorted table
      var d = row.dataset;
      var match = (state.filter === "all" || d.outcome === state.filter) &&
        (!state.group || d.group === state.group) &&
        (!state.tool || d.tools.indexOf(" " + state.tool + " ") >= 0) &&
        (!q || d.text.indexOf(q) >= 0);
      if (match) matched++;
      row.hidden = !(match && matched <= state.limit);
      if (!row.hidden) count++;
    });
    shown.textContent = count;
    document.getElementById("matched").textContent = matched;
    more.hidden = matched <= state.limit;
    more.textContent = "show all " + matched;
    buttons.forEach(function (b) { b.classList.toggle("on", b.dataset.filter === state.filter); });
    groupSel.value = state.group; toolSel.value = state.tool;
    if (search.value !== state.q) search.value = state.q;
    document.body.dataset.visibleRows = String(count);
  }

  function sortRows() {
    var header = headers.filter(function (h) { return h.dataset.sort === state.sort; })[0];
    var numeric = header && header.dataset.type === "num";
    var key = state.sort, sign = state.dir === "desc" ? -1 : 1;
    var sorted = rows.slice().sort(function (a, b) {
      var x = a.dataset[key], y = b.dataset[key];
      var c = numeric ? parseFloat(x) - parseFloat(y) : x.localeCompare(y, undefined, { numeric: true });
      return sign * (c || (parseInt(a.dataset.index, 10) - parseInt(b.dataset.index, 10)));
    });
    sorted.forEach(function (row) { tbody.appendChild(row); });
    headers.forEach(function (h) {
      h.classList.toggle("asc", h.dataset.sort === state.sort && state.dir === "asc");
      h.classList.toggle("desc", h.dataset.sort === state.sort && state.dir === "desc");
    });
  }

  function stateHash() {
    var p = new URLSearchParams();
    if (state.filter !== "all") p.set("filter", state.filter);
    if (state.group) p.set("group", state.group);
    if (state.tool) p.set("tool", state.tool);
    if (state.q) p.set("q", state.q);
    if (state.sort !== "index" || state.dir !== "asc") { p.set("sort", state.sort); p.set("dir", state.dir); }
    return p.toString();
  }

  function update(sorted, keepLimit) {
    if (!keepLimit) state.limit = page;
    if (sorted) sortRows();
    apply();
    runHash = stateHash();
    history.replaceState(null, "", runHash ? "#" + runHash : location.pathname + location.search);
  }

  function showTask(anchor) {
    var tpl = document.getElementById("tpl-" + anchor);
    if (!tpl) return false;
    taskPage.innerHTML = tpl.textContent;
    runPage.hidden = true; taskPage.hidden = false;
    document.body.dataset.page = "task";
    window.scrollTo(0, 0);
    return true;
  }

  function fromHash() {
    var p = new URLSearchParams(location.hash.replace(/^#/, ""));
    if (p.get("task") && showTask(p.get("task"))) return;
    state.filter = p.get("filter") || "all";
    state.group = p.get("group") || ""; state.tool = p.get("tool") || ""; state.q = p.get("q") || "";
    state.sort = p.get("sort") || "index"; state.dir = p.get("dir") === "desc" ? "desc" : "asc";
    taskPage.hidden = true; runPage.hidden = false; taskPage.replaceChildren();
    document.body.dataset.page = "run";
    sortRows(); apply();
    runHash = stateHash();
  }

  buttons.forEach(function (b) {
    b.addEventListener("click", function () { state.filter = b.dataset.filter; update(false); });
  });
  more.addEventListener("click", function () { state.limit = Infinity; update(false, true); });
  groupSel.addEventListener("change", function () { state.group = groupSel.value; update(false); });
  toolSel.addEventListener("change", function () { state.tool = toolSel.value; update(false); });
  search.addEventListener("input", function () { state.q = search.value; update(false); });
  headers.forEach(function (h) {
    h.addEventListener("click", function () {
      state.dir = state.sort === h.dataset.sort && state.dir === "asc" ? "desc" : "asc";
      state.sort = h.dataset.sort; update(true);
    });
  });
  tbody.addEventListener("click", function (event) {
    var row = event.target.closest("tr");
    if (!row || event.target.closest("a")) return;
    location.hash = "task=" + row.dataset.task;
  });
  taskPage.addEventListener("click", function (event) {
    if (!event.target.closest("a.back")) return;
    event.preventDefault();
    location.hash = runHash;
  });
  window.addEventListener("hashchange", fromHash);

  var box = document.getElementById("lightbox");
  document.addEventListener("click", function (event) {
    var img = event.target.closest("img.zoom");
    if (!img) return;
    var src = img.dataset.srcFull;
    if (!src) {
      if (fullImages === null) fullImages = JSON.parse(document.getElementById("full-images").textContent);
      src = fullImages[img.dataset.full];
    }
    if (!src) return;
    box.querySelector("img").src = src;
    box.hidden = false;
  });
  box.addEventListener("click", function () { box.hidden = true; box.querySelector("img").removeAttribute("src"); });
  document.addEventListener("keydown", function (event) { if (event.key === "Escape") box.hidden = true; });

  fromHash();
  window.viewReadyMs = performance.now();
  document.body.dataset.ready = "1";
})();
