/* imageko chat widget: one <script> tag. Speaks Rasa's socket.io protocol to the hub.
   Every text is inserted with textContent, so HTML or <script> in a message shows as text.
   The one exception: a reply's metadata.html, the desk's Markdown made safe HTML by the server
   (channels.base.markup: raw HTML escaped, then cleaned by nh3 against an allow-list). */
(function () {
  "use strict";
  var script = document.currentScript;
  var base = (script && script.dataset.server) || window.location.origin;
  var STRINGS = {
    en: {open: "Chat with us", title: "imageko support", send: "Send", placeholder: "Type your message",
         close: "Close chat", typing: "typing…", queued: "Ticket {t}: a person will take over here.",
         closed: "Our team is away (live chat 09:00–18:00 GMT, Mon–Fri). Leave a message: we answer by ticket.",
         lang: "Language", offline: "Reconnecting…", attach: "Send a screenshot", tooBig: "Images up to 5 MB only."},
    es: {open: "Chatea con nosotros", title: "Soporte de imageko", send: "Enviar", placeholder: "Escribe tu mensaje",
         close: "Cerrar chat", typing: "escribiendo…", queued: "Ticket {t}: una persona continuará aquí.",
         closed: "Nuestro equipo no está ahora (chat 09:00–18:00 GMT, lun–vie). Deja tu mensaje: respondemos por ticket.",
         lang: "Idioma", offline: "Reconectando…", attach: "Enviar una captura", tooBig: "Solo imágenes de hasta 5 MB."},
    fr: {open: "Discuter avec nous", title: "Assistance imageko", send: "Envoyer", placeholder: "Écrivez votre message",
         close: "Fermer le chat", typing: "écrit…", queued: "Ticket {t} : une personne va prendre le relais ici.",
         closed: "Notre équipe est absente (chat 09:00–18:00 GMT, lun–ven). Laissez un message : réponse par ticket.",
         lang: "Langue", offline: "Reconnexion…", attach: "Envoyer une capture", tooBig: "Images de 5 Mo maximum."}
  };
  var lang = localStorage.getItem("imageko_chat_lang") || (script && script.dataset.lang) || "en";
  if (!STRINGS[lang]) { lang = "en"; }
  // The desk names the session and gives it a token (session_confirm); only the token's holder
  // may resume it, read its history or upload into it. Both stay in this browser's storage.
  var session = localStorage.getItem("imageko_chat_session");
  var token = localStorage.getItem("imageko_chat_token");
  function authorised(headers) {
    var all = headers || {};
    all.Authorization = "Bearer " + token;
    return all;
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }
  var link = el("link", {rel: "stylesheet", href: base + "/static/widget.css"});
  document.head.appendChild(link);
  var launcher = el("button", {"class": "ik-launcher", type: "button", "aria-expanded": "false", "aria-controls": "ik-panel"});
  var panel = el("section", {id: "ik-panel", "class": "ik-panel", role: "dialog", "aria-modal": "false", hidden: ""});
  var header = el("header", {"class": "ik-header"});
  var title = el("h2", {id: "ik-title"});
  panel.setAttribute("aria-labelledby", "ik-title");
  var langLabel = el("label", {"for": "ik-lang", "class": "ik-hidden"});
  var langSelect = el("select", {id: "ik-lang"});
  ["en", "es", "fr"].forEach(function (code) { langSelect.appendChild(el("option", {value: code}, code.toUpperCase())); });
  langSelect.value = lang;
  var closeButton = el("button", {type: "button", "class": "ik-close"}, "×");
  header.append(title, langLabel, langSelect, closeButton);
  var banner = el("p", {"class": "ik-banner", role: "status", hidden: ""});
  var away = el("p", {"class": "ik-banner ik-away", role: "note", hidden: ""});
  var state = el("p", {"class": "ik-state", role: "status", hidden: ""});
  var log = el("ol", {"class": "ik-log", role: "log", "aria-live": "polite"});
  var typing = el("p", {"class": "ik-typing", hidden: ""});
  var form = el("form", {"class": "ik-form"});
  var inputLabel = el("label", {"for": "ik-input", "class": "ik-hidden"});
  var input = el("input", {id: "ik-input", type: "text", autocomplete: "off", maxlength: "4000"});
  var sendButton = el("button", {type: "submit"});
  var fileLabel = el("label", {"class": "ik-attach", "for": "ik-file"}, "📎");
  var file = el("input", {id: "ik-file", type: "file", accept: "image/png,image/jpeg,image/gif,image/webp", "class": "ik-hidden"});
  form.append(fileLabel, file, inputLabel, input, sendButton);
  panel.append(header, away, banner, state, log, typing, form);
  document.body.append(launcher, panel);

  function t(key) { return STRINGS[lang][key]; }
  function labels() {
    launcher.textContent = t("open"); title.textContent = t("title"); sendButton.textContent = t("send");
    input.placeholder = t("placeholder"); inputLabel.textContent = t("placeholder");
    closeButton.setAttribute("aria-label", t("close")); langLabel.textContent = t("lang");
    typing.textContent = t("typing"); fileLabel.setAttribute("title", t("attach"));
    fileLabel.setAttribute("aria-label", t("attach"));
  }
  labels();

  function show(sender, text, buttons, image, html) {
    var item = el("li", {"class": "ik-msg ik-" + sender});
    if (image) { item.appendChild(el("img", {src: base + image, alt: "screenshot", "class": "ik-image"})); }
    else if (html && sender !== "customer") {
      var body = el("div", {"class": "ik-html"});
      body.style.whiteSpace = "normal";  // the HTML carries its own breaks, not pre-wrap's
      body.innerHTML = html;  // sanitised on the server; a customer's words never come this way
      // An article opens beside the chat, not instead of the page the customer is on.
      body.querySelectorAll("a").forEach(function (a) { a.target = "_blank"; });
      item.appendChild(body);
    }
    else if (text) { item.appendChild(el("p", {}, text)); }
    if (buttons && buttons.length) {
      var row = el("div", {"class": "ik-quick"});
      buttons.forEach(function (b) {
        var button = el("button", {type: "button"}, b.title);
        button.addEventListener("click", function () { send(b.payload, b.title); row.remove(); });
        row.appendChild(button);
      });
      item.appendChild(row);
    }
    log.appendChild(item);
    log.scrollTop = log.scrollHeight;
  }

  var socket = null;
  var confirmed = false;  // this connection's session_confirm came: messages may go out
  var pending = [];  // typed before that: sent once it came (and the history is shown)
  function connect() {
    socket = window.io(base, {transports: ["websocket", "polling"]});
    socket.on("connect", function () { banner.hidden = true; socket.emit("session_request", {session_id: session, token: token}); });
    socket.on("session_confirm", function (m) {
      var id = (m && m.session_id) || m;
      var resumed = id === session;
      session = id; token = m && m.token;
      localStorage.setItem("imageko_chat_session", session);
      localStorage.setItem("imageko_chat_token", token);
      confirmed = true;
      if (resumed) { history(flush); } else { flush(); }  // a new chat has no history yet
    });
    socket.on("bot_uttered", function (m) {
      var buttons = (m.quick_replies || []).map(function (q) { return {title: q.title, payload: q.payload}; });
      show((m.metadata && m.metadata.sender) || "bot", m.text || (m.attachment && m.attachment.payload && m.attachment.payload.src) || "", buttons, undefined, m.metadata && m.metadata.html);
    });
    socket.on("typing", function (m) { typing.hidden = !(m && m.on); });
    socket.on("handoff", function (m) { state.textContent = t("queued").replace("{t}", m.ticket); state.hidden = false; });
    socket.on("error", function (m) { show("system", (m && m.message) || "error"); });
    socket.on("disconnect", function () { confirmed = false; banner.textContent = t("offline"); banner.hidden = false; });
  }

  function history(then) {
    // After a reload or a reconnect: everything said meanwhile, from the stored conversation.
    fetch(base + "/api/v1/conversations/" + encodeURIComponent(session) + "/messages", {headers: authorised()})
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(function (messages) {
        log.textContent = "";
        messages.forEach(function (m) {
          var sender = m.direction === "inbound" ? "customer" : m.sender;
          show(sender, m.text, (m.payload && m.payload.buttons) || [], m.image, m.html);
        });
        pending.forEach(function (text) { show("customer", text); });  // on their way
      })
      .finally(then);
  }

  function hours() {
    fetch(base + "/api/v1/desk/status").then(function (r) { return r.json(); }).then(function (s) {
      if (!s.live_chat) { away.textContent = t("closed"); away.hidden = false; }
    }).catch(function () {});
  }

  function utter(text) {
    var data = {language: lang};
    if (script && script.dataset.identity) { data.identity = script.dataset.identity; }  // signed by the site
    socket.emit("user_uttered", {message: text, session_id: session, customData: data});
  }
  function flush() { pending.splice(0).forEach(utter); }

  function send(text, shown) {
    if (!text.trim() || !socket) { return false; }
    show("customer", shown || text);
    if (confirmed) { utter(text); } else { pending.push(text); }
    return true;
  }

  file.addEventListener("change", function () {
    var chosen = file.files && file.files[0];
    file.value = "";
    if (!chosen || !token) { return; }
    if (chosen.size > 5 * 1024 * 1024) { show("system", t("tooBig")); return; }
    fetch(base + "/api/v1/conversations/" + encodeURIComponent(session) + "/uploads", {
      method: "POST", body: chosen, headers: authorised({"Content-Type": "application/octet-stream"})
    }).then(function (r) { return r.json().then(function (body) { return {ok: r.ok, body: body}; }); })
      .then(function (res) {
        if (res.ok) { show("customer", "", [], res.body.url); }
        else { show("system", (res.body.error && res.body.error.message) || "upload failed"); }
      });
  });

  var typedAt = 0;  // tell the agent the customer is typing, at most every 2 s per message
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (send(input.value)) { input.value = ""; typedAt = 0; }
  });
  input.addEventListener("input", function () {
    if (!socket || !token || !input.value || Date.now() - typedAt < 2000) { return; }
    typedAt = Date.now();
    socket.emit("user_typing", {session_id: session});
  });
  function toggle(open) {
    panel.hidden = !open; launcher.setAttribute("aria-expanded", String(open));
    if (open) { if (!socket) { connect(); hours(); } input.focus(); } else { launcher.focus(); }
  }
  launcher.addEventListener("click", function () { toggle(panel.hidden); });
  closeButton.addEventListener("click", function () { toggle(false); });
  panel.addEventListener("keydown", function (event) { if (event.key === "Escape") { toggle(false); } });
  langSelect.addEventListener("change", function () { lang = langSelect.value; localStorage.setItem("imageko_chat_lang", lang); labels(); });
  if (localStorage.getItem("imageko_chat_open") === "1") { toggle(true); }
  window.addEventListener("beforeunload", function () { localStorage.setItem("imageko_chat_open", panel.hidden ? "0" : "1"); });
}());
