/* The agent console: renders what the API returns (always as text, never as HTML), keeps the
   queue live through server-sent events, and sends every change with the session's CSRF token. */
(() => {
  "use strict";

  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const me = document.body.dataset.user;
  const page = document.body.dataset.page;
  const baseTitle = document.title;
  const announcer = document.getElementById("announce");

  const announce = (text) => {
    announcer.textContent = "";
    window.setTimeout(() => { announcer.textContent = text; }, 50);
  };

  class ApiError extends Error {
    constructor(message, status, code) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  async function api(method, path, body) {
    const response = await fetch(path, {
      method,
      credentials: "same-origin",
      headers: { "Accept": "application/json", "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status === 401) {
      window.location.assign("/console/login?next=" + encodeURIComponent(window.location.pathname));
      throw new ApiError("signed out", 401, "signed_out");
    }
    const data = await response.json().catch(() => null);
    if (!response.ok) {
      const error = (data && data.error) || {};
      throw new ApiError(error.message || response.statusText, response.status, error.code);
    }
    return data;
  }

  /* Elements are built with textContent only: customer text can never become markup. */
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "dataset") {
        for (const [name, data] of Object.entries(value)) if (data !== undefined) node.dataset[name] = data;
      }
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  const label = (value) => String(value || "").replaceAll("_", " ");
  const when = (iso) => new Date(iso).toLocaleString([], { dateStyle: "short", timeStyle: "short" });

  /* --- SLA countdowns: every [data-due] cell counts down each second, red once breached. */
  function remaining(iso) {
    const ms = Date.parse(iso) - Date.now();
    const abs = Math.abs(ms);
    const h = Math.floor(abs / 3600000);
    const m = Math.floor((abs % 3600000) / 60000);
    const s = Math.floor((abs % 60000) / 1000);
    const text = h > 0 ? `${h}h ${String(m).padStart(2, "0")}m` : `${m}m ${String(s).padStart(2, "0")}s`;
    return ms >= 0 ? `in ${text}` : `${text} late`;
  }

  function tick() {
    for (const cell of document.querySelectorAll("[data-due]")) {
      cell.textContent = cell.dataset.answered ? "answered" : remaining(cell.dataset.due);
      const breached = Date.parse(cell.dataset.breach || cell.dataset.due) <= Date.now();
      cell.classList.toggle("breached", breached && !cell.dataset.answered);
      const row = cell.closest("tr");
      if (row) row.classList.toggle("breached", breached && !cell.dataset.answered);
    }
  }
  window.setInterval(tick, 1000);

  const dueCell = (ticket) => el("td", {
    dataset: { due: ticket.due_at, breach: ticket.breach_at, answered: ticket.first_response_at ? "1" : undefined },
  });

  /* --- Notifications: a title counter and a short tone for new work. */
  let unseen = 0;
  let audio = null;
  document.addEventListener("click", () => {
    if (!audio && window.AudioContext) audio = new AudioContext();  // browsers allow sound after a gesture
  }, { once: true });

  function notify(text) {
    unseen += 1;
    document.title = `(${unseen}) ${baseTitle}`;
    announce(text);
    if (!audio) return;
    const tone = audio.createOscillator();
    const gain = audio.createGain();
    tone.frequency.value = 880;
    gain.gain.value = 0.08;
    tone.connect(gain).connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + 0.15);
  }
  window.addEventListener("focus", () => { unseen = 0; document.title = baseTitle; });

  /* --- The live feed (server-sent events, fanned out by Redis across hubs). */
  function debounce(fn, ms) {
    let timer = null;
    return () => { window.clearTimeout(timer); timer = window.setTimeout(fn, ms); };
  }

  function live(handlers) {
    const state = document.getElementById("live-state");
    const source = new EventSource("/console/events");
    source.addEventListener("open", () => { if (state) state.textContent = "Live"; });
    source.addEventListener("error", () => { if (state) state.textContent = "Reconnecting to live updates…"; });
    source.addEventListener("signed_out", () => window.location.assign("/console/login"));
    for (const [type, handler] of Object.entries(handlers)) {
      source.addEventListener(type, (event) => handler(JSON.parse(event.data)));
    }
    return source;
  }

  /* --- Presence: online for live chat while this box is ticked and a console is open. */
  function presence() {
    const box = document.getElementById("presence");
    if (!box) return;
    const key = `imageko.console.online.${me}`;
    const send = () => api("PUT", "/api/v1/agents/me/presence", { available: box.checked }).catch(() => {});
    box.checked = window.localStorage.getItem(key) === "1";
    box.addEventListener("change", () => {
      window.localStorage.setItem(key, box.checked ? "1" : "0");
      send();
    });
    if (box.checked) send();
    window.setInterval(() => { if (box.checked) send(); }, 60000);  // within the 2-minute presence window
  }

  /* --- The queue. */
  function queuePage() {
    const form = document.getElementById("filters");
    const body = document.getElementById("tickets");
    const mine = document.getElementById("me-queues");
    const myQueues = mine.dataset.queues ? mine.dataset.queues.split(",") : [];
    const stored = JSON.parse(window.sessionStorage.getItem("imageko.console.filters") || "{}");
    for (const [name, value] of Object.entries(stored)) {
      const field = form.elements[name];
      if (!field) continue;
      if (field.type === "checkbox") field.checked = value === "true";
      else field.value = value;
    }

    function query() {
      const params = new URLSearchParams();
      const data = new FormData(form);
      const queue = data.get("queue");
      const queues = queue === "*" ? [] : queue ? [queue] : myQueues;
      for (const q of queues) params.append("queue", q);
      for (const name of ["tier", "priority", "channel", "lang", "status", "mine"]) {
        if (data.get(name)) params.set(name, data.get(name));
      }
      window.sessionStorage.setItem("imageko.console.filters", JSON.stringify(Object.fromEntries(data)));
      return params;
    }

    async function load() {
      let tickets;
      try {
        tickets = await api("GET", `/api/v1/tickets?${query()}`);
      } catch (error) {
        body.replaceChildren(el("tr", {}, el("td", { colspan: 9, class: "error" }, error.message)));
        return;
      }
      if (!tickets.length) {
        body.replaceChildren(el("tr", {}, el("td", { colspan: 9, class: "muted" }, "Nothing waiting. Nice.")));
        return;
      }
      body.replaceChildren(...tickets.map((t) => el("tr", { dataset: { number: t.number } },
        el("td", {}, el("span", { class: `badge priority-${t.priority}` }, t.priority)),
        el("th", { scope: "row" }, el("a", { href: `/console/tickets/${t.number}` }, t.number)),
        el("td", { class: "summary" }, t.summary || label(t.topic),
          t.tags.includes("upset_customer") ? el("span", { class: "badge upset", title: "Angry, repeated contact or a deadline" }, "upset") : false),
        el("td", {}, `${t.queue} · ${t.tier}`),
        el("td", {}, t.channel),
        el("td", {}, t.lang),
        el("td", {}, label(t.status)),
        el("td", {}, t.assignee || "—"),
        dueCell(t),
      )));
      tick();
    }

    form.addEventListener("change", load);
    const reload = debounce(load, 150);
    live({
      ticket: (event) => {
        if ((event.kind === "created" || event.kind === "reopened") && myQueues.includes(event.queue)) {
          notify(`New ticket ${event.number} in ${event.queue}`);
        }
        reload();
      },
    });
    load();
  }

  /* --- One conversation. */
  function ticketPage() {
    const root = document.querySelector(".ticket");
    const number = root.dataset.number;
    const myQueues = root.dataset.queues ? root.dataset.queues.split(",") : [];
    const myTier = Number(root.dataset.tier);
    const url = `/api/v1/tickets/${number}`;
    const flash = document.getElementById("flash");
    const reply = document.getElementById("reply");
    const typing = document.getElementById("typing");
    let current = null;
    let typingTimer = null;

    const say = (text, kind) => {
      flash.textContent = text;
      flash.className = `flash ${kind || ""}`;
    };

    /* `html`: what the desk said, its Markdown made safe HTML by the server (markup.to_html);
       what a customer wrote, and notes, come as text only. */
    function entry(kind, who, text, at, html) {
      let body = el("p", { class: "text" }, text);
      if (html) {
        body = el("div", { class: "text markdown" });
        body.style.whiteSpace = "normal";  // the HTML carries its own breaks, not pre-wrap's
        body.innerHTML = html;
      }
      return el("li", { class: `turn ${kind}` },
        el("div", { class: "meta" }, el("span", { class: "who" }, who), " ", el("time", { datetime: at }, when(at))),
        body);
    }

    function transcript(detail) {
      const lines = detail.transcript.map((m) => {
        if (m.direction === "inbound") return { at: m.created_at, node: entry("customer", "Customer", m.text, m.created_at), m };
        const who = m.sender === "agent" ? "Agent" : m.sender === "system" ? "System" : "Bot";
        const node = entry(m.sender, who, m.text, m.created_at, m.html);
        if (m.status === "failed") node.append(el("p", { class: "error" }, "Not delivered — the channel refused it."));
        return { at: m.created_at, node };
      });
      for (const e of detail.events.filter((e) => e.action === "note")) {
        lines.push({ at: e.at, node: entry("note", `Internal note · ${e.actor}`, e.data.text, e.at) });
      }
      lines.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
      return lines.map((line) => line.node);
    }

    const card = (pairs) => pairs.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v === null || v === undefined || v === "" ? "—" : String(v))]);

    function render(detail) {
      const t = detail.ticket;
      current = t;
      const active = ["new", "open", "pending_customer"].includes(t.status);
      const mineNow = t.assignee === me;
      const canWork = myQueues.includes(t.queue) && myTier >= t.tier;
      document.getElementById("ticket-status").textContent = label(t.status);
      document.getElementById("ticket-summary").textContent = t.summary;
      document.getElementById("owner").textContent = t.assignee
        ? (mineNow ? "You own this ticket." : `Taken by ${t.assignee}.`)
        : (active ? `Waiting in ${t.queue}, tier ${t.tier}.` : "Nobody owns it.");
      document.getElementById("transcript").replaceChildren(...transcript(detail));
      document.getElementById("claim").disabled = !(t.status === "new" && !t.assignee && canWork);
      document.getElementById("resolve").disabled = !(active && mineNow);
      document.getElementById("reopen").disabled = t.status !== "resolved";
      for (const id of ["reply-form", "transfer-form", "escalate-form"]) {
        const open = id === "reply-form" ? active && mineNow : active && (!t.assignee || mineNow);
        for (const field of document.getElementById(id).elements) field.disabled = !open;
      }
      for (const field of document.getElementById("note-form").elements) field.disabled = !active;
      const c = detail.customer;
      document.getElementById("customer").replaceChildren(...card(c
        ? [["Name", c.name], ["Account", c.account_id], ["Email", c.email], ["Plan", t.plan], ["Language", t.lang], ["Channel", t.channel]]
        : [["Account", "not identified"], ["Plan", t.plan], ["Language", t.lang], ["Channel", t.channel]]));
      document.getElementById("past").replaceChildren(...(detail.past_tickets.length
        ? detail.past_tickets.map((p) => el("li", {}, el("a", { href: `/console/tickets/${p.number}` }, p.number), ` ${label(p.topic)} · ${label(p.status)} · ${when(p.created_at)}`))
        : [el("li", { class: "muted" }, "None")]));
      const r = t.routing || {};
      const why = r.confidence === undefined ? "" : `intent confidence ${Number(r.confidence).toFixed(2)}`;
      document.getElementById("routing").replaceChildren(...card([
        ["Topic", label(t.topic)], ["Queue", t.queue], ["Tier", t.tier], ["Priority", t.priority],
        ["SLA rule", t.sla_rule], ["Why", [label(r.action), why, t.tags.join(", ")].filter(Boolean).join(" · ")],
        // Each priority raise with the words that caused it (bot/triage/raises.py).
        ...(r.raises || []).map((raise) => ["Priority raised", raise.explanation]),
        // What the customer said about themselves without proof: shown, never trusted.
        ...Object.entries(r.claimed || {}).map(([key, value]) => [`Claims ${label(key)} (unverified)`, String(value)]),
      ]));
      const due = document.getElementById("ticket-status");
      due.classList.toggle("breached", Boolean(t.breached_at));
    }

    async function load() {
      try {
        render(await api("GET", url));
      } catch (error) {
        say(error.message, "error");
      }
    }

    function insert(text) {
      const start = reply.selectionStart ?? reply.value.length;
      const before = reply.value.slice(0, start);
      const after = reply.value.slice(reply.selectionEnd ?? start);
      const gap = before && !before.endsWith("\n") ? "\n" : "";
      reply.value = `${before}${gap}${text}${after}`;
      reply.focus();
    }

    async function assist() {
      const publicUrl = root.dataset.publicUrl || window.location.origin;
      try {
        const articles = await api("GET", `${url}/suggestions`);
        document.getElementById("suggestions").replaceChildren(...(articles.length ? articles.map((a) => {
          const link = new URL(a.url, publicUrl).href;
          return el("li", { class: "suggestion" },
            el("a", { href: link, target: "_blank", rel: "noopener" }, a.title),
            el("p", { class: "snippet" }, a.snippet.slice(0, 200)),
            el("button", { type: "button", onclick: () => insert(`${a.title}: ${link}`) }, `Insert “${a.title}”`));
        }) : [el("li", { class: "muted" }, "No article fits this conversation.")]));
      } catch (error) {
        say(error.message, "error");
      }
    }

    async function cannedResponses(lang) {
      const select = document.getElementById("canned");
      const items = await api("GET", `/api/v1/canned?lang=${encodeURIComponent(lang)}`);
      select.replaceChildren(el("option", { value: "" }, "Choose…"),
        ...items.map((c, i) => el("option", { value: String(i) }, c.title)));
      select.addEventListener("change", () => {
        if (select.value === "") return;
        insert(items[Number(select.value)].text);
        select.value = "";
      });
    }

    async function act(path, body, done) {
      try {
        await api("POST", `${url}/${path}`, body);
        say(done, "ok");
      } catch (error) {
        if (error.code === "already_claimed") {
          await load();
          say(`Someone was faster: ${current && current.assignee ? `taken by ${current.assignee}` : "already taken"}.`, "error");
          return;
        }
        say(error.message, "error");
      }
      await load();
    }

    document.getElementById("claim").addEventListener("click", () => act("claim", undefined, "Claimed: it's yours."));
    document.getElementById("resolve").addEventListener("click", () => act("resolve", undefined, "Resolved: the bot answers this customer again."));
    document.getElementById("reopen").addEventListener("click", () => act("reopen", undefined, "Reopened."));
    document.getElementById("reply-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const text = reply.value.trim();
      if (!text) return;
      await act("reply", { text }, "Reply sent.");
      if (flash.classList.contains("ok")) reply.value = "";
    });
    document.getElementById("note-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const note = document.getElementById("note");
      await act("notes", { text: note.value }, "Note added.");
      if (flash.classList.contains("ok")) note.value = "";
    });
    document.getElementById("transfer-form").addEventListener("submit", (event) => {
      event.preventDefault();
      act("transfer", { queue: document.getElementById("transfer-queue").value }, "Transferred.");
    });
    document.getElementById("escalate-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const reason = document.getElementById("escalate-reason");
      act("escalate", { reason: reason.value }, "Escalated to the next tier.").then(() => { reason.value = ""; });
    });
    reply.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) document.getElementById("reply-form").requestSubmit();
    });

    const reload = debounce(load, 100);
    live({
      ticket: (event) => { if (event.number === number) reload(); },
      message: (event) => {
        if (event.number !== number) return;
        if (event.kind === "customer") {
          typing.hidden = true;
          notify(`The customer wrote on ${number}`);
          assist();  // what they just said may call for another article
        }
        reload();
      },
      typing: (event) => {
        if (event.number !== number) return;
        typing.hidden = false;
        window.clearTimeout(typingTimer);
        typingTimer = window.setTimeout(() => { typing.hidden = true; }, 4000);
      },
    });
    load().then(() => {
      assist();
      if (current) cannedResponses(current.lang);
    });
  }

  /* --- The supervisor view. */
  function supervisorPage() {
    const flash = document.getElementById("flash");
    let agents = [];

    function reassign(ticket) {
      const eligible = agents.filter((a) => a.queues.includes(ticket.queue) && a.tier >= ticket.tier && a.id !== ticket.assignee);
      const select = el("select", { "aria-label": `Reassign ${ticket.number} to` },
        ...eligible.map((a) => el("option", { value: a.id }, `${a.name}${a.online ? " (online)" : ""} · ${a.open_tickets} open`)));
      const button = el("button", {
        type: "button",
        onclick: async () => {
          try {
            await api("POST", `/api/v1/tickets/${ticket.number}/assign`, { agent: select.value });
            flash.textContent = `${ticket.number} assigned to ${select.value}.`;
          } catch (error) {
            flash.textContent = error.message;
          }
          load();
        },
      }, "Reassign");
      return el("td", {}, select, " ", button);
    }

    const rows = (tickets) => tickets.length
      ? tickets.map((t) => el("tr", {},
        el("th", { scope: "row" }, el("a", { href: `/console/tickets/${t.number}` }, t.number), " ", el("span", { class: "summary" }, t.summary)),
        el("td", {}, `${t.queue} · ${t.tier}`),
        el("td", {}, t.assignee || "—"),
        dueCell(t),
        reassign(t)))
      : [el("tr", {}, el("td", { colspan: 5, class: "muted" }, "None"))];

    async function load() {
      const view = await api("GET", "/api/v1/supervisor");
      agents = view.agents;
      document.getElementById("agents").replaceChildren(...agents.map((a) => el("tr", {},
        el("th", { scope: "row" }, a.name),
        el("td", {}, `${a.queues.join(", ")} · ${a.tier}`),
        el("td", { class: a.online ? "online" : "away" }, a.online ? "online" : "away"),
        el("td", {}, a.open_tickets))));
      document.getElementById("breached").replaceChildren(...rows(view.breached));
      document.getElementById("at-risk").replaceChildren(...rows(view.at_risk));
      tick();
    }

    live({ ticket: debounce(load, 200) });
    window.setInterval(load, 30000);  // presence changes are not ticket events
    load().catch((error) => { flash.textContent = error.message; });
  }

  presence();
  if (page === "queue") queuePage();
  else if (page === "ticket") ticketPage();
  else if (page === "supervisor") supervisorPage();
})();
