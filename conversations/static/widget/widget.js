/*
 * Leasing chat widget. Dependency-free; embed with
 *   <script src="https://API/widget/widget.js" data-widget-key="wk_..." data-api-base="https://API" async></script>
 *
 * It keeps a browser id in localStorage, resumes the browser's open conversation, talks over the
 * WebSocket (/api/ws/chat/:id?token=...) and falls back to the REST routes when the socket is
 * down. Every message carries a client_message_id, so a retried send is stored once. Session
 * events (started, minimized, ended) go to /api/amplitude-data, each once per event_id.
 */
(function () {
  "use strict";

  var script = document.currentScript || document.querySelector("script[data-widget-key]");
  if (!script || window.__leasingChatLoaded) return;
  window.__leasingChatLoaded = true;

  var KEY = script.getAttribute("data-widget-key");
  var API = (script.getAttribute("data-api-base") || new URL(script.src).origin).replace(/\/+$/, "");
  var STORE = "leasing-chat:" + KEY + ":";
  var POLL_MS = 3000;
  var ECHO_TIMEOUT_MS = 8000;

  var state = {
    config: null,
    conversation: null,
    messages: {},
    order: [],
    lastId: null,
    ws: null,
    wsOpen: false,
    retry: 0,
    pollTimer: null,
    pending: {},
    session: null,
    isOpen: false,
    ui: null,
  };

  // --- storage and ids ---------------------------------------------------------------------
  function load(name) {
    try { return window.localStorage.getItem(STORE + name); } catch (e) { return null; }
  }
  function save(name, value) {
    try { window.localStorage.setItem(STORE + name, value); } catch (e) { /* private mode */ }
  }
  function randomId() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID().replace(/-/g, "");
    var bytes = new Uint8Array(16);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function browserId() {
    var id = load("browser");
    if (!id) { id = randomId(); save("browser", id); }
    return id;
  }

  // --- REST ----------------------------------------------------------------------------------
  function api(method, path, body) {
    var url = API + path + (path.indexOf("?") >= 0 ? "&" : "?") + "widget_key=" + encodeURIComponent(KEY);
    var headers = { "Content-Type": "application/json" };
    if (state.conversation) headers["X-Conversation-Token"] = state.conversation.token;
    return fetch(url, { method: method, headers: headers, body: body ? JSON.stringify(body) : undefined })
      .then(function (response) { return response.json(); })
      .then(function (envelope) {
        if (!envelope.success) throw new Error((envelope.error && envelope.error.message) || "Request failed");
        return envelope.data;
      });
  }

  // --- analytics -----------------------------------------------------------------------------
  var SESSION_ID = randomId();

  function track(type, properties) {
    if (!state.conversation) return;
    var body = {
      conversation_id: state.conversation.id,
      device_id: browserId(),
      session_id: SESSION_ID,
      events: [{ event_id: randomId(), event_type: type, time: new Date().toISOString(), properties: properties || {} }],
    };
    // keepalive lets the last event of a page (widget_session_ended) outlive the page.
    fetch(API + "/api/amplitude-data?widget_key=" + encodeURIComponent(KEY), {
      method: "POST",
      keepalive: true,
      headers: { "Content-Type": "application/json", "X-Conversation-Token": state.conversation.token },
      body: JSON.stringify(body),
    }).catch(function () { /* analytics never disturbs the chat */ });
  }

  // --- business hours ------------------------------------------------------------------------
  function isOpenNow(hours, timeZone) {
    if (!hours || !Object.keys(hours).length) return true;
    var parts = {};
    new Intl.DateTimeFormat("en-US", { timeZone: timeZone, weekday: "long", hour: "2-digit", minute: "2-digit", hourCycle: "h23" })
      .formatToParts(new Date())
      .forEach(function (p) { parts[p.type] = p.value; });
    var now = parts.hour + ":" + parts.minute;
    var spans = hours[(parts.weekday || "").toLowerCase()] || [];
    return spans.some(function (s) { return s.open <= now && now < s.close; });
  }

  // --- rendering -----------------------------------------------------------------------------
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text != null) node.textContent = text;
    return node;
  }

  function css(color, left) {
    var side = left ? "left" : "right";
    return [
      ":host{all:initial}",
      "*{box-sizing:border-box;font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif}",
      ".launcher{position:fixed;bottom:20px;" + side + ":20px;width:60px;height:60px;border-radius:50%;border:0;background:" + color + ";color:#fff;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25);z-index:2147483000;display:flex;align-items:center;justify-content:center}",
      ".panel{position:fixed;bottom:92px;" + side + ":20px;width:360px;max-width:calc(100vw - 40px);height:520px;max-height:calc(100vh - 120px);background:#fff;border-radius:14px;box-shadow:0 10px 30px rgba(0,0,0,.25);display:none;flex-direction:column;overflow:hidden;z-index:2147483000}",
      ".panel.open{display:flex}",
      ".head{background:" + color + ";color:#fff;padding:12px 14px;display:flex;align-items:center;gap:10px}",
      ".head img{width:32px;height:32px;border-radius:50%;background:#fff}",
      ".head .title{font-weight:600;flex:1}",
      ".head button{background:transparent;border:0;color:#fff;font-size:20px;cursor:pointer}",
      ".note{background:#fef3c7;color:#92400e;font-size:12px;padding:6px 12px}",
      ".log{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:8px;background:#f9fafb}",
      ".msg{max-width:80%;padding:8px 11px;border-radius:12px;font-size:14px;line-height:1.4;white-space:pre-wrap;word-wrap:break-word}",
      ".msg.prospect{align-self:flex-end;background:" + color + ";color:#fff;border-bottom-right-radius:4px}",
      ".msg.bot,.msg.manager,.msg.welcome{align-self:flex-start;background:#fff;color:#111827;border:1px solid #e5e7eb;border-bottom-left-radius:4px}",
      ".msg.manager{border-color:" + color + "}",
      ".msg.system{align-self:center;background:transparent;color:#6b7280;font-size:12px}",
      ".msg.pending{opacity:.6}",
      ".who{display:block;font-size:11px;color:#6b7280;margin-bottom:2px}",
      ".typing{font-size:12px;color:#6b7280;padding:0 14px 6px;min-height:18px;background:#f9fafb}",
      ".compose{display:flex;border-top:1px solid #e5e7eb}",
      ".compose textarea{flex:1;border:0;padding:12px;font-size:14px;resize:none;height:48px;outline:none}",
      ".compose button{border:0;background:" + color + ";color:#fff;padding:0 16px;font-weight:600;cursor:pointer}",
    ].join("\n");
  }

  function render() {
    var cfg = state.config;
    var host = el("div", { id: "leasing-chat-widget" });
    document.body.appendChild(host);
    var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
    var left = cfg.chatbot_position === "bottom-left";
    root.appendChild(el("style", {}, css(cfg.chatbot_theme_color || "#2563EB", left)));

    var launcher = el("button", { class: "launcher", "aria-label": "Open chat", "data-testid": "launcher", type: "button" });
    // An inline icon: emoji fonts are missing on some systems.
    launcher.innerHTML =
      '<svg width="28" height="28" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" ' +
      'stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M21 15a2 2 0 0 1-2 2H7l-4 4V5' +
      'a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2z"/></svg>';
    var panel = el("div", { class: "panel", role: "dialog", "aria-label": "Chat with " + cfg.property_name, "data-testid": "panel" });
    var head = el("div", { class: "head" });
    if (cfg.chatbot_avatar_url) head.appendChild(el("img", { src: cfg.chatbot_avatar_url, alt: "" }));
    head.appendChild(el("div", { class: "title" }, cfg.property_name));
    var close = el("button", { "aria-label": "Close chat", type: "button" }, "\u00D7");
    head.appendChild(close);
    panel.appendChild(head);
    if (!isOpenNow(cfg.chatbot_business_hours, cfg.time_zone)) {
      panel.appendChild(el("div", { class: "note", "data-testid": "offline" }, "Our office is closed right now. The assistant can still help, and the team will follow up."));
    }
    var log = el("div", { class: "log", "data-testid": "log", "aria-live": "polite" });
    if (cfg.chatbot_welcome_message) log.appendChild(el("div", { class: "msg welcome" }, cfg.chatbot_welcome_message));
    panel.appendChild(log);
    var typing = el("div", { class: "typing", "data-testid": "typing" });
    panel.appendChild(typing);
    var compose = el("form", { class: "compose" });
    var input = el("textarea", { placeholder: "Type a message\u2026", "aria-label": "Message", "data-testid": "input", maxlength: "4000" });
    var send = el("button", { type: "submit", "data-testid": "send" }, "Send");
    compose.appendChild(input);
    compose.appendChild(send);
    panel.appendChild(compose);
    root.appendChild(panel);
    root.appendChild(launcher);

    launcher.addEventListener("click", function () { toggle(!state.isOpen); });
    close.addEventListener("click", function () { toggle(false); });
    compose.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = input.value.trim();
      if (!text) return;
      input.value = "";
      sendMessage(text);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        compose.dispatchEvent(new Event("submit", { cancelable: true }));
      }
    });
    var typingSent = 0;
    input.addEventListener("input", function () {
      if (state.wsOpen && Date.now() - typingSent > 2000) {
        typingSent = Date.now();
        state.ws.send(JSON.stringify({ type: "typing", is_typing: true }));
      }
    });
    state.ui = { panel: panel, log: log, typing: typing, input: input };
  }

  function toggle(open) {
    if (state.isOpen && !open) track("widget_minimized");
    state.isOpen = open;
    state.ui.panel.classList.toggle("open", open);
    if (open) {
      if (!state.conversation) startSession();
      setTimeout(function () { state.ui.input.focus(); }, 0);
    }
  }

  function bubble(message) {
    var node = el("div", { class: "msg " + message.sender, "data-sender": message.sender, "data-seq": message.seq || "" });
    if (message.sender === "manager") node.appendChild(el("span", { class: "who" }, message.sender_name || "Leasing team"));
    node.appendChild(document.createTextNode(message.text));
    return node;
  }

  function addMessage(message) {
    var pendingNode = message.client_message_id && state.pending[message.client_message_id];
    if (pendingNode) {
      delete state.pending[message.client_message_id];
      pendingNode.node.remove();
      clearTimeout(pendingNode.timer);
    }
    if (state.messages[message.id]) {
      state.messages[message.id].node.replaceWith((state.messages[message.id].node = bubble(message)));
      return;
    }
    var node = bubble(message);
    state.messages[message.id] = { message: message, node: node };
    var after = null;
    state.order.forEach(function (id) {
      if ((state.messages[id].message.seq || 0) < (message.seq || 0)) after = id;
    });
    if (after === null && state.order.length && state.messages[state.order[0]].message.seq > message.seq) {
      state.ui.log.insertBefore(node, state.messages[state.order[0]].node);
      state.order.unshift(message.id);
    } else if (after !== null && after !== state.order[state.order.length - 1]) {
      var index = state.order.indexOf(after);
      state.ui.log.insertBefore(node, state.messages[state.order[index + 1]].node);
      state.order.splice(index + 1, 0, message.id);
    } else {
      state.ui.log.appendChild(node);
      state.order.push(message.id);
    }
    var last = state.messages[state.order[state.order.length - 1]].message;
    state.lastId = last.id;
    if (message.sender !== "prospect") state.ui.typing.textContent = "";
    state.ui.log.scrollTop = state.ui.log.scrollHeight;
  }

  function removeMessage(id) {
    var entry = state.messages[id];
    if (!entry) return;
    entry.node.remove();
    delete state.messages[id];
    state.order = state.order.filter(function (other) { return other !== id; });
  }

  // --- session, socket, fallback -------------------------------------------------------------
  function startSession() {
    if (state.session) return state.session;
    state.session = api("POST", "/api/users/browser/" + browserId() + "/session", { page_url: window.location.href.slice(0, 1000) })
      .then(function (session) {
        state.conversation = session.conversation;
        save("conversation", session.conversation.id);
        track("chat_session_started", { resumed: !!session.resumed });
        session.messages.forEach(addMessage);
        connect(session.websocket_url.replace(/^https?:\/\/[^/]+/, API.replace(/^http/, "ws")));
      })
      .catch(function (error) {
        state.session = null;
        systemNote("The chat is unavailable right now (" + error.message + ").");
      });
    return state.session;
  }

  function systemNote(text) {
    state.ui.log.appendChild(el("div", { class: "msg system" }, text));
  }

  function connect(url) {
    var query = "?token=" + encodeURIComponent(state.conversation.token) + (state.lastId ? "&last_message_id=" + state.lastId : "");
    var ws;
    try { ws = new WebSocket(url + query); } catch (e) { startPolling(); return; }
    state.ws = ws;
    ws.onopen = function () {
      state.wsOpen = true;
      state.retry = 0;
      stopPolling();
    };
    ws.onmessage = function (event) {
      var frame = JSON.parse(event.data);
      if (frame.type === "message" || frame.type === "message_updated") addMessage(frame.message);
      else if (frame.type === "message_deleted") removeMessage(frame.message.id);
      else if (frame.type === "typing" && frame.is_typing) {
        state.ui.typing.textContent = frame.sender === "manager" ? "The leasing team is typing\u2026" : "Typing\u2026";
        setTimeout(function () { state.ui.typing.textContent = ""; }, 4000);
      } else if (frame.type === "error" && frame.code === "RECORD_NOT_FOUND") {
        state.conversation = null;
        state.session = null;
      }
    };
    ws.onclose = function () {
      state.wsOpen = false;
      state.ws = null;
      if (!state.conversation) return;
      startPolling();
      var delay = Math.min(30000, 1000 * Math.pow(2, state.retry++));
      setTimeout(function () { if (state.conversation) connect(url); }, delay);
    };
  }

  function startPolling() {
    if (state.pollTimer) return;
    state.pollTimer = setInterval(function () {
      if (!state.conversation) return;
      var after = state.lastId ? "?after=" + state.lastId : "";
      api("GET", "/api/widget/conversations/" + state.conversation.id + "/messages" + after)
        .then(function (messages) { messages.forEach(addMessage); })
        .catch(function () { /* next tick retries */ });
    }, POLL_MS);
  }

  function stopPolling() {
    clearInterval(state.pollTimer);
    state.pollTimer = null;
  }

  function sendRest(text, clientId) {
    return api("POST", "/api/widget/conversations/" + state.conversation.id + "/messages", { text: text, client_message_id: clientId })
      .then(function (turn) {
        addMessage(turn.message);
        if (turn.reply) addMessage(turn.reply);
      })
      .catch(function (error) { systemNote("Not sent: " + error.message); });
  }

  function sendMessage(text) {
    var clientId = randomId();
    var node = bubble({ sender: "prospect", text: text });
    node.classList.add("pending");
    state.ui.log.appendChild(node);
    state.ui.log.scrollTop = state.ui.log.scrollHeight;
    var entry = { node: node, timer: null };
    state.pending[clientId] = entry;
    var ready = state.conversation ? Promise.resolve() : startSession();
    ready.then(function () {
      if (state.wsOpen) {
        state.ws.send(JSON.stringify({ type: "message", text: text, client_message_id: clientId }));
        // No echo in time: send again over REST; the client id keeps it from being stored twice.
        entry.timer = setTimeout(function () { if (state.pending[clientId]) sendRest(text, clientId); }, ECHO_TIMEOUT_MS);
      } else {
        sendRest(text, clientId);
      }
    });
  }

  // --- start ---------------------------------------------------------------------------------
  function init() {
    api("GET", "/api/widget/config")
      .then(function (config) {
        if (!config.chatbot_is_active) return;
        state.config = config;
        render();
        window.setInterval(function () {
          if (state.conversation) api("PUT", "/api/users/browser/" + browserId() + "/last-seen").catch(function () {});
        }, 60000);
        window.addEventListener("pagehide", function () { track("widget_session_ended"); });
        if (load("conversation") || config.chatbot_auto_open) startSession();
        if (config.chatbot_auto_open) toggle(true);
      })
      .catch(function () { /* no widget on this page */ });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
