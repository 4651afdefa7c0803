// The help centre's search box: suggestions as you type, from the same retriever as the
// no-script results page (GET /help/<lang>/search.json?q=). The search box (a textbox with
// aria-autocomplete=list) controls a listbox: arrow keys move through the suggestions
// (aria-activedescendant), Enter opens one, Escape closes them, and a live status says how
// many there are. Every text is set with textContent: nothing the server sends is read as HTML.
(function () {
  "use strict";
  var form = document.querySelector("form.search[data-lang]");
  if (!form) return;
  var input = form.querySelector("input[type=search]");
  var list = document.getElementById(input.getAttribute("aria-controls"));
  var status = document.getElementById("q-status");
  var lang = form.dataset.lang;
  var DELAY_MS = 200; // wait for a pause in typing: one request per word, not per key
  var timer = null;
  var pending = null;
  var active = -1;

  function options() {
    return list.querySelectorAll("[role=option]");
  }

  function close() {
    list.hidden = true;
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function highlight(index) {
    var all = options();
    if (!all.length) return;
    active = (index + all.length) % all.length;
    all.forEach(function (option, i) {
      option.setAttribute("aria-selected", i === active ? "true" : "false");
    });
    input.setAttribute("aria-activedescendant", all[active].id);
    all[active].scrollIntoView({ block: "nearest" });
  }

  function option(result, i) {
    var item = document.createElement("li");
    item.id = "q-option-" + i;
    item.setAttribute("role", "option");
    item.setAttribute("aria-selected", "false");
    var link = document.createElement("a");
    link.href = result.url;
    link.tabIndex = -1; // the input keeps the focus; the option is chosen with the keys
    var title = document.createElement("span");
    title.className = "title";
    title.textContent = result.title;
    link.appendChild(title);
    if (result.where) {
      var where = document.createElement("span");
      where.className = "in";
      where.textContent = result.where;
      link.appendChild(where);
    }
    item.appendChild(link);
    return item;
  }

  function show(results) {
    list.replaceChildren();
    active = -1;
    if (!results.length) {
      var empty = document.createElement("li");
      empty.className = "empty";
      empty.textContent = form.dataset.none;
      list.appendChild(empty);
    }
    results.forEach(function (result, i) {
      list.appendChild(option(result, i));
    });
    list.hidden = false;
    status.textContent = results.length ? results.length + " " + form.dataset.articles : form.dataset.none;
  }

  function lookUp() {
    var q = input.value.trim();
    if (pending) pending.abort(); // an older, slower answer must not replace a newer one
    if (q.length < 2) {
      close();
      return;
    }
    pending = new AbortController();
    status.textContent = form.dataset.searching;
    fetch("/help/" + encodeURIComponent(lang) + "/search.json?q=" + encodeURIComponent(q), {
      signal: pending.signal,
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (body) {
        show(body.results || []);
      })
      .catch(function (error) {
        if (error.name !== "AbortError") close(); // the results page still works
      });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(lookUp, DELAY_MS);
  });

  input.addEventListener("keydown", function (event) {
    if (list.hidden) return;
    if (event.key === "ArrowDown") {
      event.preventDefault();
      highlight(active + 1);
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      highlight(active - 1);
    } else if (event.key === "Escape") {
      close();
    } else if (event.key === "Enter" && active >= 0) {
      event.preventDefault();
      window.location.assign(options()[active].querySelector("a").href);
    }
  });

  document.addEventListener("click", function (event) {
    if (!form.contains(event.target)) close();
  });
})();
