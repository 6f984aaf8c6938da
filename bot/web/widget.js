/*
 * Wayfinder web chat widget.
 *
 * A site embeds it with one tag:
 *
 *   <script src="https://GATEWAY/widget.js" data-gateway="https://GATEWAY" defer></script>
 *
 * data-gateway is optional (default: the origin the script came from); data-open="1" opens the
 * chat as soon as the page loads, except on a phone, where the open chat would cover the whole
 * page. The stylesheet is loaded from beside this script.
 *
 * Gateway contract (the server side lives in the gateway, not here):
 *   POST {gateway}/api/web/messages   {"text"}, {"payload", "text"} or {"location", "text"}
 *        ("location": {"latitude", "longitude"}, the browser's position, sent only after the
 *        learner agreed in the widget and in the browser; the assistant gets it as a Telegram pin)
 *        -> {"messages": [{"id", "text", "buttons": [{"title", "payload"}], "at"[, "files"]}],
 *            "forgotten": true when "forget me" ran}
 *        errors: 4xx/5xx {"error": "human-readable message"}
 *   GET  {gateway}/api/web/events?after=LAST_BOT_ID   (long poll, ~25 s)
 *        -> {"messages": [...]}   proactive messages: reminders, a navigator's replies
 *   GET  {gateway}/privacy?lang=LANGUAGE   the privacy notice (the panel links to it)
 *   A message's body also carries "language_hint", the browser's language (navigator.language);
 *   a reply may carry "language", the conversation's language after that turn.
 *   Every API call names its session in the X-Wayfinder-Session header, never in the URL: URLs
 *   are logged by proxies and kept in history, and the id opens the conversation.
 *
 * On a shared computer (a library's), the next person must not find the last one's chat: after
 * "forget me" the widget wipes what it stored and starts a new session, and "New chat" does the
 * same on request (after a confirmation).
 *
 * The widget's own words (labels, placeholder, screen-reader texts, error lines) are not in this
 * file: the gateway serves it with every language's (locales/<language>/widget.yml) in STRINGS.
 * It speaks the conversation's language once the gateway names it, else the browser's, else
 * English; a change of language mid-conversation relabels it at once.
 *
 * Plain ES2017 with no dependencies and no build step, so a library's web team can read what
 * they embed. Everything lives inside this closure; the only global is window.Wayfinder.
 */
(function () {
  "use strict";

  // A page that includes the tag twice (a CMS template plus a content block) gets one widget.
  if (window.Wayfinder) {
    return;
  }

  // {language: {key: text}}, put in place by the gateway when it serves this file.
  var STRINGS = /* @wayfinder-strings */ {};
  var SOURCE_LANGUAGE = "en";
  var LANGUAGE_KEY = "wayfinder.language";
  var SESSION_KEY = "wayfinder.session";
  var SESSION_HEADER = "X-Wayfinder-Session";
  var HISTORY_KEY = "wayfinder.history";
  var HISTORY_LIMIT = 200;
  var MAX_TEXT_LENGTH = 1000;
  // The gateway holds a poll for about 25 s; a poll still open well past that is a dead connection.
  var POLL_TIMEOUT_MS = 35000;
  // The bot answers in a few seconds; past this the user deserves an error and their text back.
  var SEND_TIMEOUT_MS = 30000;
  // A message whose gateway died mid-request (connection dropped, 502/503) is sent again, with
  // the same id and "retry": the assistant answers one it already handled with the same replies.
  var SEND_RETRIES = 3;
  var RETRY_START_MS = 1000; // then 2 s, 4 s: time for the load balancer to pick another gateway
  var BACKOFF_START_MS = 1000;
  var BACKOFF_MAX_MS = 30000;
  // A gateway (or proxy) that answers a poll at once with nothing must not become a busy loop.
  var MIN_POLL_INTERVAL_MS = 500;

  // currentScript is only set while this file first runs, so read everything from the tag now.
  var script =
    document.currentScript || document.querySelector('script[src*="widget.js"]');
  var scriptUrl = new URL(script ? script.src : "widget.js", window.location.href);
  var gateway = ((script && script.getAttribute("data-gateway")) || scriptUrl.origin).replace(
    /\/+$/,
    ""
  );
  var startOpen = /^(1|true|yes|open)$/i.test((script && script.getAttribute("data-open")) || "");

  /* ---------- storage ---------- */

  // localStorage throws in some privacy modes and sandboxed iframes. The chat must still work
  // there; it just forgets the conversation on reload.
  var storage = (function () {
    try {
      var probe = "wayfinder.probe";
      window.localStorage.setItem(probe, probe);
      window.localStorage.removeItem(probe);
      return window.localStorage;
    } catch (err) {
      var memory = {};
      return {
        getItem: function (key) {
          return Object.prototype.hasOwnProperty.call(memory, key) ? memory[key] : null;
        },
        setItem: function (key, value) {
          memory[key] = String(value);
        },
        removeItem: function (key) {
          delete memory[key];
        },
      };
    }
  })();

  function newSessionId() {
    // Unguessable: the session id is the only thing that ties a browser to its conversation.
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map
      .call(bytes, function (b) {
        return (b < 16 ? "0" : "") + b.toString(16);
      })
      .join("");
  }

  // The message's idempotency key: the same on every retry of it, new for each message.
  function newMessageId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    return newSessionId();
  }

  function loadSession() {
    var id = storage.getItem(SESSION_KEY);
    if (!id || !/^[A-Za-z0-9_-]{16,128}$/.test(id)) {
      id = newSessionId();
      storage.setItem(SESSION_KEY, id);
    }
    return id;
  }

  // History entries: {role: "user"|"bot", text, id?, buttons?, used?, at?}. The stored copy is
  // untrusted (anything on the same origin can write it), so keep only well-formed fields; it is
  // rendered as text either way.
  function cleanButtons(buttons) {
    if (!Array.isArray(buttons)) {
      return [];
    }
    return buttons
      .filter(function (b) {
        return b && typeof b.title === "string" && typeof b.payload === "string";
      })
      .map(function (b) {
        return { title: b.title, payload: b.payload };
      });
  }

  // The plan's download links (a reply to "send me my plan"): only the gateway's own plan routes,
  // since the stored copy is untrusted; the link's words come from this widget's strings.
  var FILE_URL = /^\/web\/plan\.(ics|html)\?token=[A-Za-z0-9_.-]+$/;

  function cleanFiles(files) {
    if (!Array.isArray(files)) {
      return [];
    }
    return files
      .filter(function (f) {
        var match = f && typeof f.url === "string" && f.url.match(FILE_URL);
        return Boolean(match) && match[1] === f.format;
      })
      .map(function (f) {
        return { format: f.format, url: f.url };
      });
  }

  function cleanEntry(raw) {
    if (!raw || (raw.role !== "user" && raw.role !== "bot")) {
      return null;
    }
    // Number(null) is 0, so a message without an id must not go through Number().
    var id = raw.id === null || raw.id === undefined || raw.id === "" ? NaN : Number(raw.id);
    return {
      role: raw.role,
      text: typeof raw.text === "string" ? raw.text : "",
      id: raw.role === "bot" && Number.isFinite(id) ? id : null,
      buttons: raw.role === "bot" ? cleanButtons(raw.buttons) : [],
      files: raw.role === "bot" ? cleanFiles(raw.files) : [],
      used: raw.used === true,
      at: typeof raw.at === "string" ? raw.at : null,
    };
  }

  function loadHistory() {
    try {
      var raw = JSON.parse(storage.getItem(HISTORY_KEY) || "[]");
      return Array.isArray(raw) ? raw.map(cleanEntry).filter(Boolean) : [];
    } catch (err) {
      return [];
    }
  }

  function saveHistory() {
    state.history = state.history.slice(-HISTORY_LIMIT);
    // Only the data: entries also carry their DOM node, which must not go into storage.
    var stored = state.history.map(function (entry) {
      return {
        role: entry.role,
        text: entry.text,
        id: entry.id,
        buttons: entry.buttons,
        files: entry.files,
        used: entry.used,
        at: entry.at,
      };
    });
    try {
      storage.setItem(HISTORY_KEY, JSON.stringify(stored));
    } catch (err) {
      // Storage full: keep chatting; only the reload-restore is lost.
    }
  }

  /* ---------- language ---------- */

  // The language STRINGS has for a tag ("es-MX" -> "es"), or null.
  function supportedLanguage(tag) {
    if (typeof tag !== "string") {
      return null;
    }
    var primary = tag.split(/[-_]/)[0].toLowerCase();
    return Object.prototype.hasOwnProperty.call(STRINGS, primary) ? primary : null;
  }

  // What the browser is set to, as a tag the gateway accepts (short, letters, digits and -).
  function browserTag() {
    var tag = window.navigator.language;
    return typeof tag === "string" && /^[A-Za-z0-9-]{2,35}$/.test(tag) ? tag : null;
  }

  function browserLanguage() {
    var tags = window.navigator.languages || [window.navigator.language];
    for (var i = 0; i < tags.length; i += 1) {
      var found = supportedLanguage(tags[i]);
      if (found) {
        return found;
      }
    }
    return null;
  }

  function startingLanguage() {
    return supportedLanguage(storage.getItem(LANGUAGE_KEY)) || browserLanguage() || SOURCE_LANGUAGE;
  }

  var state = {
    language: startingLanguage(),
    session: loadSession(),
    history: loadHistory(),
    conversation: 0, // bumped by startOver, so a reply to the old session is not shown in the new
    seen: {}, // bot message ids already shown, so a reply that arrives twice is shown once
    lastId: 0, // highest bot message id seen: the `after` of the next poll
    open: false,
    sending: false,
    pollGeneration: 0, // bumped on every open/close so a stale poll loop stops
    pollAbort: null,
  };
  state.history.forEach(function (entry) {
    if (entry.id !== null) {
      state.seen[entry.id] = true;
      state.lastId = Math.max(state.lastId, entry.id);
    }
  });

  /* ---------- DOM helpers ---------- */

  // One of the widget's texts in the current language (English where it lacks one), with its
  // {placeholders} filled in.
  function t(key, values) {
    var book = STRINGS[state.language] || STRINGS[SOURCE_LANGUAGE] || {};
    var text = typeof book[key] === "string" ? book[key] : "";
    return text.replace(/\{(\w+)\}/g, function (whole, name) {
      return values && Object.prototype.hasOwnProperty.call(values, name)
        ? String(values[name])
        : whole;
    });
  }

  // Gives an element one of the widget's texts, as its text or as `attribute`; the element keeps
  // the key, so that a change of language can relabel it.
  function label(node, key, attribute) {
    node.setAttribute("data-wf-label", key);
    if (attribute) {
      node.setAttribute("data-wf-label-attribute", attribute);
    }
    paint(node);
    return node;
  }

  function paint(node) {
    var text = t(node.getAttribute("data-wf-label"));
    var attribute = node.getAttribute("data-wf-label-attribute");
    if (attribute) {
      node.setAttribute(attribute, text);
    } else {
      node.textContent = text;
    }
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      node.setAttribute(name, attrs[name]);
    });
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  // Sentence punctuation right after a URL ("see https://x.org.") belongs to the sentence.
  var URL_PATTERN = /\bhttps?:\/\/[^\s<>"']+/gi;
  var TRAILING_PUNCTUATION = /[.,;:!?)\]}]+$/;

  function trimUrl(url) {
    var trail = url.match(TRAILING_PUNCTUATION);
    if (!trail) {
      return url;
    }
    var trimmed = url.slice(0, -trail[0].length);
    // Keep a closing parenthesis that the URL itself opened (Wikipedia-style links).
    var opens = (trimmed.match(/\(/g) || []).length;
    var closes = (trimmed.match(/\)/g) || []).length;
    var i = 0;
    while (opens > closes && trail[0][i] === ")") {
      trimmed += ")";
      closes += 1;
      i += 1;
    }
    return trimmed;
  }

  // Bot and directory text is never parsed as HTML: it goes in as text nodes, and only http(s)
  // URLs become links, built element by element. A message "<img src=x onerror=...>" therefore
  // shows those characters and nothing runs.
  function appendLinkified(parent, text) {
    var last = 0;
    var match;
    URL_PATTERN.lastIndex = 0;
    while ((match = URL_PATTERN.exec(text)) !== null) {
      var url = trimUrl(match[0]);
      var href = null;
      try {
        var parsed = new URL(url);
        if (parsed.protocol === "http:" || parsed.protocol === "https:") {
          href = parsed.href;
        }
      } catch (err) {
        href = null;
      }
      if (href === null) {
        continue;
      }
      parent.appendChild(document.createTextNode(text.slice(last, match.index)));
      var link = el("a", { class: "wf-link", rel: "noopener noreferrer", target: "_blank" }, url);
      link.href = href;
      parent.appendChild(link);
      last = match.index + url.length;
      URL_PATTERN.lastIndex = last;
    }
    parent.appendChild(document.createTextNode(text.slice(last)));
  }

  /* ---------- the widget's elements ---------- */

  var root = el("div", { class: "wf-root", "data-wayfinder": "" });
  // Hidden until the stylesheet arrives, so the host page never flashes an unstyled chat.
  root.style.display = "none";

  var launcher = el("button", {
    type: "button",
    class: "wf-launcher",
    "aria-expanded": "false",
    "aria-controls": "wf-panel",
  });
  launcher.appendChild(el("span", { class: "wf-launcher-icon", "aria-hidden": "true" }));
  launcher.appendChild(label(el("span", { class: "wf-launcher-text" }), "launcher"));

  var panel = el("div", {
    id: "wf-panel",
    class: "wf-panel",
    role: "dialog",
    "aria-describedby": "wf-intro",
  });
  label(panel, "panel_label", "aria-label");
  panel.hidden = true;

  var header = el("div", { class: "wf-header" });
  var titles = el("div", { class: "wf-titles" });
  titles.appendChild(label(el("h2", { class: "wf-title" }), "title"));
  titles.appendChild(label(el("p", { class: "wf-subtitle" }), "subtitle"));
  var closeButton = el("button", { type: "button", class: "wf-close" });
  label(closeButton, "close", "aria-label");
  closeButton.appendChild(el("span", { "aria-hidden": "true" }, "\u00d7"));
  header.appendChild(titles);
  header.appendChild(closeButton);

  var scroller = el("div", { class: "wf-scroll" });
  var intro = label(el("p", { id: "wf-intro", class: "wf-intro" }), "intro");
  var log = el("div", {
    id: "wf-log",
    class: "wf-log",
    role: "log",
    "aria-live": "polite",
  });
  label(log, "log_label", "aria-label");
  // Outside the log on purpose: screen readers should hear the replies, not every dot animation.
  var typing = el("div", { class: "wf-typing", role: "status" });
  label(typing, "typing", "aria-label");
  for (var d = 0; d < 3; d += 1) {
    typing.appendChild(el("span", { class: "wf-dot", "aria-hidden": "true" }));
  }
  typing.hidden = true;
  scroller.appendChild(intro);
  scroller.appendChild(log);
  scroller.appendChild(typing);

  var form = el("form", { class: "wf-form", autocomplete: "off" });
  var inputLabel = el("label", { for: "wf-input", class: "wf-visually-hidden" });
  label(inputLabel, "input_label");
  var input = el("input", {
    id: "wf-input",
    class: "wf-input",
    type: "text",
    maxlength: String(MAX_TEXT_LENGTH),
    enterkeyhint: "send",
  });
  label(input, "placeholder", "placeholder");
  var sendButton = label(el("button", { type: "submit", class: "wf-send" }), "send");
  form.appendChild(inputLabel);
  form.appendChild(input);
  form.appendChild(sendButton);

  // Always in view: what Wayfinder keeps (from the first message on), and a fresh start.
  var footer = el("div", { class: "wf-footer" });
  var privacyLink = el("a", {
    class: "wf-privacy",
    target: "_blank",
    rel: "noopener noreferrer",
  });
  privacyLink.appendChild(label(el("span"), "privacy"));
  privacyLink.appendChild(label(el("span", { class: "wf-visually-hidden" }), "new_tab"));
  var newChatButton = el("button", {
    type: "button",
    class: "wf-new",
    "aria-controls": "wf-confirm",
    "aria-expanded": "false",
  });
  label(newChatButton, "new_chat");
  // "Share my location": asks first, saying what is sent, then the browser asks too.
  var locateButton = el("button", {
    type: "button",
    class: "wf-locate",
    "aria-controls": "wf-locate-consent",
    "aria-expanded": "false",
  });
  label(locateButton, "share_location");
  footer.appendChild(privacyLink);
  footer.appendChild(locateButton);
  footer.appendChild(newChatButton);

  // Asked first: a mis-tap must not lose a conversation.
  var confirmBar = el("div", {
    id: "wf-confirm",
    class: "wf-confirm",
    role: "group",
    "aria-labelledby": "wf-confirm-text",
  });
  confirmBar.hidden = true;
  confirmBar.appendChild(
    label(el("p", { id: "wf-confirm-text", class: "wf-confirm-text" }), "confirm_text")
  );
  var confirmActions = el("div", { class: "wf-confirm-actions" });
  var confirmYes = label(el("button", { type: "button", class: "wf-confirm-yes" }), "confirm_yes");
  var confirmNo = label(el("button", { type: "button", class: "wf-confirm-no" }), "confirm_no");
  confirmActions.appendChild(confirmYes);
  confirmActions.appendChild(confirmNo);
  confirmBar.appendChild(confirmActions);

  panel.appendChild(header);
  panel.appendChild(scroller);
  var locateBar = el("div", {
    id: "wf-locate-consent",
    class: "wf-confirm",
    role: "group",
    "aria-labelledby": "wf-locate-text",
  });
  locateBar.hidden = true;
  locateBar.appendChild(
    label(el("p", { id: "wf-locate-text", class: "wf-confirm-text" }), "location_consent")
  );
  var locateActions = el("div", { class: "wf-confirm-actions" });
  var locateYes = label(el("button", { type: "button", class: "wf-confirm-yes" }), "location_yes");
  var locateNo = label(el("button", { type: "button", class: "wf-confirm-no" }), "location_no");
  locateActions.appendChild(locateYes);
  locateActions.appendChild(locateNo);
  locateBar.appendChild(locateActions);

  panel.appendChild(confirmBar);
  panel.appendChild(locateBar);
  panel.appendChild(form);
  panel.appendChild(footer);
  // Launcher first: the disclosure pattern (button, then what it controls) gives a sensible
  // reading and Tab order; CSS places the panel above it.
  root.appendChild(launcher);
  root.appendChild(panel);

  // Every text of the widget in `language`: on start, and when the conversation changes language.
  // The lang attribute tells screen readers how to pronounce it.
  function relabel() {
    root.setAttribute("lang", state.language);
    Array.prototype.forEach.call(root.querySelectorAll("[data-wf-label]"), paint);
    privacyLink.href = gateway + "/privacy?lang=" + encodeURIComponent(state.language);
  }

  // The language the gateway says the conversation is in now, kept for the next visit.
  function useLanguage(tag) {
    var language = supportedLanguage(tag);
    if (!language) {
      return;
    }
    storage.setItem(LANGUAGE_KEY, language);
    if (language !== state.language) {
      state.language = language;
      relabel();
    }
  }

  relabel();

  /* ---------- rendering ---------- */

  function scrollToEnd() {
    scroller.scrollTop = scroller.scrollHeight;
  }

  function setButtonsDisabled(group, disabled) {
    Array.prototype.forEach.call(group.querySelectorAll("button"), function (button) {
      button.disabled = disabled;
    });
  }

  function renderEntry(entry) {
    var item = el("div", { class: "wf-msg wf-msg-" + entry.role });
    // Colour and side tell sighted users who spoke; screen readers get it said.
    var speaker = el("span", { class: "wf-visually-hidden" });
    item.appendChild(label(speaker, entry.role === "user" ? "you" : "bot"));
    var body = el("div", { class: "wf-text" });
    if (entry.role === "bot") {
      appendLinkified(body, entry.text);
    } else {
      body.textContent = entry.text;
    }
    item.appendChild(body);

    if (entry.buttons && entry.buttons.length) {
      var group = el("div", { class: "wf-buttons", role: "group" });
      label(group, "choices", "aria-label");
      entry.buttons.forEach(function (button) {
        var node = el("button", { type: "button", class: "wf-choice" }, button.title);
        node.disabled = entry.used;
        node.addEventListener("click", function () {
          choose(entry, button, group);
        });
        group.appendChild(node);
      });
      item.appendChild(group);
    }
    if (entry.files && entry.files.length) {
      var files = el("div", { class: "wf-buttons wf-files", role: "group" });
      label(files, "plan_files", "aria-label");
      entry.files.forEach(function (file) {
        // The calendar file downloads; the printable page opens in a new tab, ready to print.
        var link = el("a", { class: "wf-choice wf-file", href: gateway + file.url });
        if (file.format === "ics") {
          link.setAttribute("download", "");
        } else {
          link.setAttribute("target", "_blank");
          link.setAttribute("rel", "noopener noreferrer");
        }
        link.appendChild(label(el("span"), "plan_file_" + file.format));
        if (file.format !== "ics") {
          link.appendChild(label(el("span", { class: "wf-visually-hidden" }), "new_tab"));
        }
        files.appendChild(link);
      });
      item.appendChild(files);
    }
    entry.node = item;
    log.appendChild(item);
    return item;
  }

  function addEntry(entry) {
    state.history.push(entry);
    renderEntry(entry);
    saveHistory();
    scrollToEnd();
    return entry;
  }

  function removeEntry(entry) {
    var index = state.history.indexOf(entry);
    if (index !== -1) {
      state.history.splice(index, 1);
    }
    if (entry.node && entry.node.parentNode) {
      entry.node.parentNode.removeChild(entry.node);
    }
    saveHistory();
  }

  // Errors and notices: shown in the log (so screen readers hear them), never stored.
  function systemLine(text, kind) {
    var item = el("div", { class: "wf-msg wf-msg-system wf-msg-" + (kind || "error") }, text);
    log.appendChild(item);
    scrollToEnd();
  }

  function receive(messages) {
    if (!Array.isArray(messages)) {
      return;
    }
    messages.forEach(function (message) {
      var entry = cleanEntry({
        role: "bot",
        id: message && message.id,
        text: message && message.text,
        buttons: message && message.buttons,
        files: message && message.files,
        at: message && message.at,
      });
      if (!entry || (!entry.text && !entry.buttons.length && !entry.files.length)) {
        return;
      }
      if (entry.id !== null) {
        // The same message can come both as a reply and from the event stream: show it once.
        if (state.seen[entry.id]) {
          return;
        }
        state.seen[entry.id] = true;
        state.lastId = Math.max(state.lastId, entry.id);
      }
      addEntry(entry);
    });
  }

  /* ---------- talking to the gateway ---------- */

  function sleep(ms) {
    return new Promise(function (resolve) {
      window.setTimeout(resolve, ms);
    });
  }

  function GatewayError(message, status) {
    this.message = message;
    this.status = status;
  }

  // fetch() with a deadline, returning the parsed JSON body (or {} when there is none).
  function request(url, options, timeoutMs, controller) {
    var abort = controller || new AbortController();
    var timer = window.setTimeout(function () {
      abort.abort();
    }, timeoutMs);
    options.signal = abort.signal;
    options.credentials = "omit"; // the session id is in a header; no cookies cross sites
    return window
      .fetch(url, options)
      .then(function (response) {
        return response.text().then(function (body) {
          var data = {};
          try {
            data = body ? JSON.parse(body) : {};
          } catch (err) {
            data = {};
          }
          if (!response.ok) {
            throw new GatewayError(
              (data && typeof data.error === "string" && data.error) ||
                t("error_status", { status: response.status }),
              response.status
            );
          }
          return data || {};
        });
      })
      .finally(function () {
        window.clearTimeout(timer);
      });
  }

  function errorText(err, timedOut) {
    if (err instanceof GatewayError) {
      return err.message;
    }
    if (timedOut) {
      return t("error_slow");
    }
    return t("error_offline");
  }

  // Whether a failed try may succeed as is on another gateway: the connection failed (not our
  // time-out: the bot may still be answering) or the gateway or its proxy failed (5xx). A 4xx is
  // the request's own fault (or a rate limit) and is not repeated.
  function worthRetrying(err, timedOut) {
    if (err instanceof GatewayError) {
      return err.status >= 500;
    }
    return !timedOut;
  }

  function setSending(sending) {
    state.sending = sending;
    typing.hidden = !sending;
    // aria-disabled rather than disabled: a disabled button would drop keyboard focus.
    sendButton.setAttribute("aria-disabled", sending ? "true" : "false");
    if (sending) {
      scrollToEnd();
    }
  }

  // Sends one user turn; resolves to true when the gateway accepted it.
  function send(text, payload, location) {
    if (state.sending) {
      return Promise.resolve(false);
    }
    setSending(true);
    var entry = addEntry({
      role: "user",
      text: text,
      id: null,
      buttons: [],
      used: false,
      at: new Date().toISOString(),
    });
    var body = { text: text, message_id: newMessageId() };
    if (payload) {
      body.payload = payload;
    }
    if (location) {
      body.location = location; // {latitude, longitude}: a pin, as Telegram sends one
    }
    var hint = browserTag();
    if (hint) {
      body.language_hint = hint; // the assistant's first guess at the learner's language
    }
    var timedOut = false; // the last try ran out of time
    var conversation = state.conversation;
    var headers = { "Content-Type": "application/json" };
    headers[SESSION_HEADER] = state.session;

    // One try, and the same message again (same id, "retry") while a try fails in a way another
    // gateway may not; the learner sees one message and, at the end, one reply or one error.
    function attempt(retriesLeft, wait) {
      var tried = Date.now();
      return request(
        gateway + "/api/web/messages",
        { method: "POST", headers: headers, body: JSON.stringify(body) },
        SEND_TIMEOUT_MS
      ).catch(function (err) {
        timedOut = Date.now() - tried >= SEND_TIMEOUT_MS;
        if (
          retriesLeft <= 0 ||
          conversation !== state.conversation ||
          !worthRetrying(err, timedOut)
        ) {
          throw err;
        }
        body.retry = true;
        return sleep(wait).then(function () {
          return attempt(retriesLeft - 1, wait * 2);
        });
      });
    }

    return attempt(SEND_RETRIES, RETRY_START_MS)
      .then(function (data) {
        setSending(false);
        if (conversation !== state.conversation) {
          return true; // a new chat began meanwhile: this reply belongs to the old one
        }
        useLanguage(data.language);
        if (data.forgotten === true) {
          // Erased on the server: erase here too. The confirmation is shown, never stored, so
          // the next person at this computer finds an empty chat.
          startOver();
          (Array.isArray(data.messages) ? data.messages : []).forEach(function (message) {
            if (message && typeof message.text === "string" && message.text) {
              systemLine(message.text, "notice");
            }
          });
          return true;
        }
        receive(data.messages);
        return true;
      })
      .catch(function (err) {
        setSending(false);
        // The turn did not reach the bot: take it out of the transcript and say why. The caller
        // gives the text back to the user so they can retry without retyping.
        removeEntry(entry);
        systemLine(errorText(err, timedOut));
        return false;
      });
  }

  function choose(entry, button, group) {
    if (entry.used || state.sending) {
      return;
    }
    // Disable first: a double tap must not send the choice twice.
    entry.used = true;
    setButtonsDisabled(group, true);
    saveHistory();
    send(button.title, button.payload).then(function (ok) {
      if (!ok) {
        entry.used = false;
        setButtonsDisabled(group, false);
        saveHistory();
      }
    });
  }

  // Long poll for proactive messages while the chat is open. Each open starts a new generation;
  // a loop whose generation is stale (the chat was closed, maybe reopened) stops.
  function pollLoop(generation) {
    var backoff = BACKOFF_START_MS;

    function next() {
      if (generation !== state.pollGeneration) {
        return;
      }
      var started = Date.now();
      var controller = new AbortController();
      state.pollAbort = controller;
      var url = gateway + "/api/web/events?after=" + encodeURIComponent(String(state.lastId));
      var headers = {};
      headers[SESSION_HEADER] = state.session;
      request(
        url,
        { method: "GET", cache: "no-store", headers: headers },
        POLL_TIMEOUT_MS,
        controller
      )
        .then(function (data) {
          if (generation !== state.pollGeneration) {
            return null;
          }
          receive(data.messages);
          backoff = BACKOFF_START_MS;
          return sleep(Math.max(0, MIN_POLL_INTERVAL_MS - (Date.now() - started)));
        })
        .catch(function () {
          if (generation !== state.pollGeneration) {
            return null;
          }
          // Gateway down or restarting: retry later, backing off so we don't hammer it.
          var wait = backoff;
          backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
          return sleep(wait);
        })
        .then(next);
    }

    next();
  }

  function stopPolling() {
    state.pollGeneration += 1;
    if (state.pollAbort) {
      state.pollAbort.abort();
      state.pollAbort = null;
    }
  }

  /* ---------- starting over ---------- */

  // Show an empty chat for `session`: nothing of the previous one stays on screen or in state.
  function reset(session) {
    stopPolling();
    state.conversation += 1;
    state.session = session;
    state.history = [];
    state.seen = {};
    state.lastId = 0;
    while (log.firstChild) {
      log.removeChild(log.firstChild);
    }
    hideConfirm();
    if (state.open) {
      pollLoop(state.pollGeneration);
    }
  }

  // A new session with nothing kept: the transcript and the old id leave this browser's storage.
  function startOver() {
    storage.removeItem(HISTORY_KEY);
    storage.removeItem(SESSION_KEY);
    storage.removeItem(LANGUAGE_KEY);
    state.language = startingLanguage(); // the next person at this computer: their browser's
    relabel();
    reset(loadSession());
  }

  function showConfirm() {
    confirmBar.hidden = false;
    newChatButton.setAttribute("aria-expanded", "true");
    confirmNo.focus();
  }

  function hideConfirm() {
    confirmBar.hidden = true;
    newChatButton.setAttribute("aria-expanded", "false");
  }

  newChatButton.addEventListener("click", function () {
    if (confirmBar.hidden) {
      showConfirm();
    } else {
      hideConfirm();
    }
  });
  confirmNo.addEventListener("click", function () {
    hideConfirm();
    newChatButton.focus();
  });
  confirmYes.addEventListener("click", function () {
    startOver();
    systemLine(t("new_chat_started"), "notice");
    input.focus();
  });

  function hideLocateConsent() {
    locateBar.hidden = true;
    locateButton.setAttribute("aria-expanded", "false");
  }

  // The browser's position, once, after the learner agreed here and in the browser's own prompt;
  // a refusal or a position the device cannot find is said in the chat.
  function shareLocation() {
    hideLocateConsent();
    var geo = navigator.geolocation;
    if (!geo || typeof geo.getCurrentPosition !== "function") {
      systemLine(t("location_unsupported"));
      return;
    }
    var conversation = state.conversation;
    geo.getCurrentPosition(
      function (position) {
        if (conversation !== state.conversation) {
          return; // a new chat began while the browser looked: this position is not for it
        }
        var where = { latitude: position.coords.latitude, longitude: position.coords.longitude };
        send(t("location_sent"), null, where);
      },
      function (error) {
        var denied = error && error.code === 1; // PERMISSION_DENIED
        systemLine(t(denied ? "location_denied" : "location_unavailable"));
      },
      { enableHighAccuracy: false, timeout: 15000, maximumAge: 60000 }
    );
  }

  locateButton.addEventListener("click", function () {
    if (locateBar.hidden) {
      hideConfirm();
      locateBar.hidden = false;
      locateButton.setAttribute("aria-expanded", "true");
      locateNo.focus();
    } else {
      hideLocateConsent();
    }
  });
  locateNo.addEventListener("click", function () {
    hideLocateConsent();
    locateButton.focus();
  });
  locateYes.addEventListener("click", function () {
    if (state.sending) {
      return; // one turn at a time; the learner can ask again once the reply is in
    }
    shareLocation();
    input.focus();
  });

  // Another tab started over (or forgot): follow it, rather than keep showing and saving the
  // old conversation here.
  window.addEventListener("storage", function (event) {
    if (event.key !== SESSION_KEY && event.key !== null) {
      return;
    }
    var session = storage.getItem(SESSION_KEY);
    if (session && session !== state.session) {
      reset(session);
    }
  });

  /* ---------- opening, closing, keyboard ---------- */

  // Matches widget.css's small-screen rule: the open chat covers the whole page.
  function fillsScreen() {
    return (
      typeof window.matchMedia === "function" && window.matchMedia("(max-width: 480px)").matches
    );
  }

  // The controls a keyboard reaches inside the open panel, in Tab order.
  function panelControls() {
    var candidates = panel.querySelectorAll("button, input, a[href]");
    return Array.prototype.filter.call(candidates, function (node) {
      return !node.disabled && node.getClientRects().length > 0;
    });
  }

  function open(options) {
    if (state.open) {
      return;
    }
    state.open = true;
    panel.hidden = false;
    // Full screen, nothing of the page shows: the chat is modal there (see the Tab key below).
    panel.setAttribute("aria-modal", fillsScreen() ? "true" : "false");
    root.classList.add("wf-is-open");
    launcher.setAttribute("aria-expanded", "true");
    scrollToEnd();
    // Opening on page load must not steal focus from the host page; a user's open moves it here.
    if (!options || options.focus !== false) {
      input.focus();
    }
    stopPolling();
    pollLoop(state.pollGeneration);
  }

  function close() {
    if (!state.open) {
      return;
    }
    var hadFocus = panel.contains(document.activeElement);
    state.open = false;
    panel.hidden = true;
    root.classList.remove("wf-is-open");
    launcher.setAttribute("aria-expanded", "false");
    hideConfirm();
    stopPolling();
    // Focus inside a hidden panel is lost to the page; hand it back to where the user started.
    if (hadFocus) {
      launcher.focus();
    }
  }

  launcher.addEventListener("click", function () {
    if (state.open) {
      close();
    } else {
      open();
    }
  });
  closeButton.addEventListener("click", close);

  root.addEventListener("keydown", function (event) {
    if (event.key === "Tab" && state.open && fillsScreen() && panel.contains(event.target)) {
      // The page beneath is hidden: Tab cycles inside the chat instead of moving focus to a
      // control nobody can see (WCAG 2.4.11). Esc or the close button leaves it.
      var controls = panelControls();
      var edge = controls[event.shiftKey ? 0 : controls.length - 1];
      if (controls.length && event.target === edge) {
        event.preventDefault();
        controls[event.shiftKey ? controls.length - 1 : 0].focus();
      }
      return;
    }
    if (event.key === "Escape" && !confirmBar.hidden) {
      event.preventDefault(); // Esc answers the question first: Cancel, not close the chat
      hideConfirm();
      newChatButton.focus();
      return;
    }
    if (event.key === "Escape" && state.open) {
      event.preventDefault();
      close();
      launcher.focus(); // also when focus was on the launcher itself
    }
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text || state.sending) {
      return; // text stays in the box; Enter again once the reply is in
    }
    input.value = "";
    send(text).then(function (ok) {
      // Give back what they typed, unless they have started typing something new.
      if (!ok && !input.value) {
        input.value = text;
      }
    });
  });

  /* ---------- start ---------- */

  function mount() {
    var stylesheet = el("link", { rel: "stylesheet", href: new URL("widget.css", scriptUrl).href });
    var show = function () {
      root.style.display = "";
    };
    // Shown on error too: an unstyled chat beats no chat.
    stylesheet.addEventListener("load", show);
    stylesheet.addEventListener("error", show);
    document.head.appendChild(stylesheet);
    document.body.appendChild(root);

    state.history.forEach(renderEntry);
    // Opened unasked on a phone, the chat would cover the page while focus stays on it, unseen.
    if (startOpen && !fillsScreen()) {
      open({ focus: false });
    }
  }

  window.Wayfinder = Object.freeze({
    open: function () {
      open();
    },
    close: close,
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", mount);
  } else {
    mount();
  }
})();
