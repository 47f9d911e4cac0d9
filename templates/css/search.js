/* The search box of search.html: progressive enhancement. Without this script (or without the
   index) the page is the full list of indicators by category; with it, typing narrows the list.
   The index is a script (search-index.js), not fetched: fetch() is refused on file://. */
(function () {
  "use strict";
  var data = window.ENVPLAN_SEARCH_INDEX;
  var box = document.getElementById("search-box");
  var status = document.getElementById("search-status");
  if (!data || !box || !status) return;
  // The same folding as platform.fold: NFKC, lower case, katakana as hiragana.
  function fold(s) {
    return s.normalize("NFKC").toLowerCase().replace(/[\u30a1-\u30f6]/g, function (c) {
      return String.fromCharCode(c.charCodeAt(0) - 0x60);
    });
  }
  var text = {};
  data.indicators.forEach(function (i) { text[i.id] = i.text; });
  var form = document.createElement("form");
  form.className = "search-form";
  form.setAttribute("role", "search");
  form.addEventListener("submit", function (e) { e.preventDefault(); });
  var label = document.createElement("label");
  label.htmlFor = "search-input";
  label.textContent = "指標を探す（指標名・分野・所管課・目標の文言など。スペースで区切ると、すべての語を含む指標）";
  var input = document.createElement("input");
  input.type = "search";
  input.id = "search-input";
  input.autocomplete = "off";
  form.appendChild(label);
  form.appendChild(input);
  box.appendChild(form);
  var items = Array.prototype.slice.call(document.querySelectorAll("#search-list li[data-indicator]"));
  var sections = Array.prototype.slice.call(document.querySelectorAll("#search-list .search-category"));
  function run() {
    var words = fold(input.value).split(/\s+/).filter(function (w) { return w; });
    var shown = 0;
    items.forEach(function (li) {
      var t = text[li.getAttribute("data-indicator")] || "";
      var hit = words.every(function (w) { return t.indexOf(w) >= 0; });
      li.hidden = !hit;
      if (hit) shown += 1;
    });
    sections.forEach(function (s) { s.hidden = !s.querySelector("li:not([hidden])"); });
    status.textContent = words.length ? (shown ? shown + "件の指標が見つかりました。" : "見つかりませんでした。語を減らすか、別の語で探してください。") : "";
  }
  input.addEventListener("input", run);
})();
