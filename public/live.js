// Live updates for every page of a logged-in person: one stream of the changes they may see
// (GET /api/events, Server-Sent Events), from any server. A plain script rather than a WASM
// island, as notify.js is: it owns the connection and tells the page's parts what changed,
// gathered for 150 ms, with window events: `doable-change` for tasks and lists (the task
// board loads its list again, never under an open edit form; the sidebar's counts follow,
// below) and `doable-notification` (notify.js). Every text it writes goes through
// textContent: data, never markup. Pages work the same without it.
//
// One stream per browser, not per tab: over HTTP/1.1 a browser opens at most six connections
// to a site, and a stream holds one for as long as its page is open. The tab that holds the
// `doable-live` lock (Web Locks) keeps the stream and passes what it hears on to the others
// (BroadcastChannel); when it closes, another takes over from the last event. Where there
// are no Web Locks (plain HTTP other than localhost), each tab keeps a stream only while it
// is in view, and catches up when it comes back.
//
// When the stream drops the page says "Reconnecting…", and the stream is opened again after
// 1 s, 2 s, 4 s ... up to a minute (each wait a little random, so that a restarted server's
// clients do not all come back at once), from the last event it had (the server sends what
// was missed, or `resync` to reload); a machine that slept reconnects at once. Logged out,
// it stops.
//
// It also keeps a click that a reloaded list would lose (below, before the lock).
(() => {
  "use strict";
  if (!document.querySelector("a.notifications-link") || !("EventSource" in window)) return;
  const EVENTS = [
    "task.created", "task.updated", "task.completed", "task.reopened", "task.moved", "task.deleted",
    "task.restored", "list.created", "list.updated", "list.deleted", "list.restored", "list.imported",
    "member.invited", "member.joined", "member.left", "member.removed", "member.updated",
    "notification.created", "notification.read", "resync",
  ];
  const GATHER_MS = 150;
  const WAIT_MIN_MS = 1000;
  const WAIT_MAX_MS = 60000;
  // A background tab's timers may run only once a minute: a longer gap is a sleep.
  const SLEPT_MS = 90000;

  let source = null;
  let last = null; // the `id:` of the last event, in every tab
  let wait = WAIT_MIN_MS;
  let retry = null;
  let gathered = new Set();
  let flush = null;
  let over = false; // logged out: see `end`
  const shared = "locks" in navigator && "BroadcastChannel" in window;
  const tabs = shared ? new BroadcastChannel("doable-live") : null;

  // The notes at the bottom of the page: the stream reconnecting, and a change from
  // elsewhere while an edit form is open (the board loads it once the form closes).
  const notes = document.createElement("div");
  notes.className = "live-notes";
  const makeNote = (text) => {
    const p = document.createElement("p");
    p.className = "live-note";
    p.setAttribute("role", "status");
    p.hidden = true;
    p.textContent = text;
    notes.append(p);
    return p;
  };
  const note = makeNote("Reconnecting…");
  const edited = makeNote("Changed elsewhere: the list updates when you close the form.");
  document.body.append(notes);
  let editing = null;
  const editedElsewhere = () => {
    if (!document.querySelector("form.edit-form")) return;
    edited.hidden = false;
    clearInterval(editing);
    editing = setInterval(() => {
      if (document.querySelector("form.edit-form")) return;
      edited.hidden = true;
      clearInterval(editing);
    }, 500);
  };

  // Tells this page what changed: tasks and lists, and notifications, each to its own.
  const tell = (names) => {
    if (over) return;
    const notes = names.filter((name) => name.startsWith("notification.") || name === "resync");
    const rest = names.filter((name) => !name.startsWith("notification."));
    if (rest.length) {
      window.dispatchEvent(new CustomEvent("doable-change", { detail: rest }));
      if (!rest.every((name) => name === "resync")) editedElsewhere();
    }
    if (notes.length) window.dispatchEvent(new CustomEvent("doable-notification", { detail: notes }));
  };
  const announce = () => {
    flush = null;
    const names = [...gathered];
    gathered = new Set();
    tell(names);
    if (tabs) tabs.postMessage({ names, last });
  };
  const heard = (name, id) => {
    if (id) last = id;
    gathered.add(name);
    if (!flush) flush = setTimeout(announce, GATHER_MS);
  };
  const showNote = (shown) => {
    note.hidden = !shown;
    if (tabs) tabs.postMessage({ reconnecting: shown, last });
  };
  if (tabs) {
    tabs.onmessage = ({ data }) => {
      if (typeof data !== "object" || data === null) return;
      if (data.over === true) return end("heard");
      if (typeof data.last === "string") last = data.last;
      if (typeof data.reconnecting === "boolean") note.hidden = !data.reconnecting;
      if (Array.isArray(data.names)) tell(data.names.filter((name) => EVENTS.includes(name)));
    };
  }

  const stop = () => {
    clearTimeout(retry);
    retry = null;
    if (source) source.close();
    source = null;
  };
  // Logged out: nothing more is heard or reloaded. Either this page's form that ends the
  // session has left (notify.js sees it go: only this page stops, as the server may still
  // refuse, and its lock goes when it does), or the server confirmed that the session is
  // over (`confirmed`): then the lock is handed on (a page opened after the next login
  // leads), and this browser's other tabs, which share the cookie, stop too (`heard`) rather
  // than ask with a session that is gone.
  let unlock = null;
  const end = (how) => {
    if (over) return;
    over = true;
    stop();
    clearTimeout(flush);
    showNote(false);
    if (how !== "leaving" && unlock) unlock();
    if (how === "confirmed" && tabs) tabs.postMessage({ over: true });
    window.dispatchEvent(new CustomEvent("doable-logged-out"));
  };
  window.addEventListener("doable-logged-out", () => end("leaving"));
  // Whether the server says the session is over (`null`: a 200, no error in the console).
  const noSession = async () => {
    const session = await fetch("/api/auth/session", { headers: { Accept: "application/json" } });
    return session.ok && (await session.json()) === null;
  };
  // The same, asked twice 2 s apart: a password changed in this browser ends every session
  // (the stream with it) a moment before the new cookie arrives.
  const loggedOut = async () => {
    if (!(await noSession())) return false;
    await new Promise((resolve) => setTimeout(resolve, 2000));
    return noSession();
  };
  const connect = () => {
    if (over) return;
    stop();
    const after = last === null ? "" : `?after=${encodeURIComponent(last)}`;
    source = new EventSource(`/api/events${after}`);
    source.addEventListener("open", () => {
      wait = WAIT_MIN_MS;
      showNote(false);
    });
    // The page was rendered a moment before the stream began: what changed in between is
    // loaded with it.
    source.addEventListener("ready", (event) => heard("resync", event.lastEventId));
    for (const name of EVENTS) source.addEventListener(name, (event) => heard(event.type, event.lastEventId));
    // Whatever the cause (network, a restarted server, 429 for too many browsers), the
    // stream is opened again by this script, later each time, rather than by the browser's
    // own retry, which does not back off; unless the session is over.
    source.addEventListener("error", async () => {
      stop();
      showNote(true);
      try {
        if (await loggedOut()) return end("confirmed");
      } catch {
        // Offline: try again later.
      }
      if (retry === null && source === null) {
        retry = setTimeout(connect, wait * (0.5 + Math.random()));
        wait = Math.min(wait * 2, WAIT_MAX_MS);
      }
    });
  };

  // `ask`: the lead was taken over from another tab, perhaps one that logged out; opening the
  // stream with a session that is over would be a 401 in the console, so it asks first.
  const lead = async (ask) => {
    try {
      if (ask && (await noSession())) return end("confirmed");
    } catch {
      // Offline: the stream's own retries follow.
    }
    connect();
    let tick = Date.now();
    const sleeps = setInterval(() => {
      if (over) return clearInterval(sleeps);
      const now = Date.now();
      if (now - tick > SLEPT_MS) connect();
      tick = now;
    }, 5000);
    window.addEventListener("online", connect);
  };
  // Without Web Locks: a stream while the tab is in view.
  const whileVisible = () => {
    const follow = () => (document.visibilityState === "visible" ? connect() : stop());
    document.addEventListener("visibilitychange", follow);
    window.addEventListener("online", follow);
    follow();
  };
  // The sidebar's lists: their names and open counts follow; a list added or gone reloads
  // nothing but is picked up at the next page.
  const sidebar = document.querySelector("nav.sidebar");
  const refreshSidebar = async () => {
    let page;
    try {
      const response = await fetch("/api/lists/list", { headers: { Accept: "application/json" } });
      if (!response.ok) return;
      page = await response.json();
    } catch {
      return;
    }
    for (const list of page.lists) {
      const item = sidebar.querySelector(`li[data-list="${CSS.escape(list.id)}"]`);
      if (!item) continue;
      const open = `${list.open} open`;
      const name = item.querySelector(".list-name");
      const count = item.querySelector(".list-open");
      if (name) name.textContent = list.name;
      if (count) {
        count.title = open;
        count.firstElementChild.textContent = String(list.open);
        count.lastElementChild.textContent = open;
      }
    }
  };
  if (sidebar) window.addEventListener("doable-change", refreshSidebar);

  // A list that loads again (a change heard here, or the page's own) replaces its rows. A click
  // whose press and release fall on either side of that reaches neither row: the browser sends
  // it to what the two have in common, and "Edit" or a checkbox would do nothing. When the
  // control pressed is gone and the one released on is the same, the click is given to it,
  // once. "The same": the same markup (a row's links carry its task's id), and for a form's
  // button the same `id` field (a row's forms carry it).
  const CONTROLS = "a[href], button, input, select, textarea, label, summary";
  let pressed = null;
  const control = (node) => (node instanceof Element ? node.closest(CONTROLS) : null);
  const task = (element) => element.form?.elements.namedItem("id")?.value;
  // A mouse's plain click only: a tap's own click comes later and may land on the new control
  // anyway, and a click with a modifier key (a new tab, say) is the browser's to handle.
  const plain = (event) =>
    event.pointerType === "mouse" && event.button === 0 && event.isPrimary &&
    !(event.ctrlKey || event.metaKey || event.shiftKey || event.altKey);
  document.addEventListener("pointerdown", (event) => {
    pressed = plain(event) ? control(event.target) : null;
  }, true);
  document.addEventListener("pointerup", (event) => {
    const before = pressed;
    pressed = null;
    if (!before || before.isConnected || !plain(event)) return;
    const after = control(event.target);
    if (!after || after.outerHTML !== before.outerHTML || task(after) !== task(before)) return;
    // Should the browser send its own click there after all (in this task), it does not count.
    const once = (click) => {
      if (click.isTrusted && after.contains(click.target)) {
        click.preventDefault();
        click.stopImmediatePropagation();
      }
    };
    document.addEventListener("click", once, true);
    setTimeout(() => document.removeEventListener("click", once, true), 0);
    after.click();
  }, true);

  // The lock is held until the tab closes or its session is over. A tab that gets it at once
  // was rendered with its session a moment ago; one that waited for another tab asks (`lead`).
  const holding = (ask) => () => {
    if (over) return undefined;
    return new Promise((resolve) => {
      unlock = resolve;
      lead(ask);
    });
  };
  if (shared) {
    navigator.locks.request("doable-live", { ifAvailable: true }, (lock) => {
      if (lock) return holding(false)();
      navigator.locks.request("doable-live", holding(true));
      return undefined;
    });
  }
  else whileVisible();
})();
