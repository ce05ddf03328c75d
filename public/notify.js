// Desktop notifications of Doable's reminders, while a Doable tab is open and the person has
// allowed them (the button on /notifications asks). A plain script rather than a WASM island:
// it only polls GET /api/notifications/list and shows what is new, and the header's count
// follows. Every text it shows goes through the Notification API or textContent: data, never
// markup. Pages work the same without it.
(() => {
  "use strict";
  const EVERY_MS = 30000;
  const SEEN_KEY = "doable-notified";
  const SEEN_MAX = 200;
  const link = document.querySelector("a.notifications-link");
  if (!link) return; // not logged in

  const supported = "Notification" in window;
  const button = document.getElementById("desktop-notifications");
  const state = document.getElementById("desktop-notifications-state");
  const describe = () => {
    if (!state) return;
    const words = {
      granted: "On for this browser.",
      denied: "Blocked in this browser's settings.",
      default: "",
    };
    state.textContent = words[Notification.permission] || "";
    if (button) button.hidden = Notification.permission !== "default";
  };
  if (button && supported) {
    button.parentElement.hidden = false;
    describe();
    button.addEventListener("click", () => {
      // Older browsers answer by callback rather than with a promise.
      Promise.resolve(Notification.requestPermission(describe)).then(describe);
    });
  }

  const seen = () => {
    try {
      const ids = JSON.parse(localStorage.getItem(SEEN_KEY) || "[]");
      return Array.isArray(ids) ? ids : [];
    } catch {
      return [];
    }
  };
  const remember = (ids) => {
    try {
      localStorage.setItem(SEEN_KEY, JSON.stringify(ids.slice(-SEEN_MAX)));
    } catch {
      // Storage full or refused: a notification may then show twice, nothing worse.
    }
  };

  const showCount = (unread) => {
    const badge = link.querySelector(".unread-count");
    const number = link.querySelector(".unread-number");
    if (!badge || !number) return;
    number.textContent = unread >= 1000 ? "999+" : String(unread);
    badge.hidden = unread === 0;
  };

  // Logging out (here, everywhere, or by deleting the account) ends the polls and live.js's
  // stream as the form leaves: a poll the server answered after the session ended would be
  // a 401 in the console of a page that is going away. The same once live.js has confirmed
  // that the session ended elsewhere (`doable-logged-out`).
  const ENDING = ["/api/auth/logout", "/api/auth/logout-all", "/api/auth/delete-account"];
  let over = false;
  const inFlight = new Set();
  window.addEventListener("doable-logged-out", () => {
    over = true;
    for (const controller of inFlight) controller.abort();
  });
  window.addEventListener("submit", (event) => {
    const form = event.target;
    if (event.defaultPrevented || !(form instanceof HTMLFormElement)) return;
    if (ENDING.includes(new URL(form.getAttribute("action") || "", location.href).pathname)) {
      window.dispatchEvent(new CustomEvent("doable-logged-out"));
    }
  });

  // The first poll that answers only learns what is there: a page opened after a reminder
  // does not show it again as new. Polls go on while the tab is in the background: that is
  // when a desktop notification is worth the most.
  let first = true;
  async function poll() {
    if (over) return;
    let page;
    const controller = new AbortController();
    inFlight.add(controller);
    try {
      const response = await fetch("/api/notifications/list?unread=true&limit=20", {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        signal: controller.signal,
      });
      if (!response.ok) return;
      page = await response.json();
    } catch {
      return; // offline (the next poll tries again), or logging out
    } finally {
      inFlight.delete(controller);
    }
    if (over) return;
    showCount(page.unread);
    const learning = first;
    first = false;
    const known = seen();
    const fresh = page.notifications.filter((n) => !known.includes(n.id));
    if (fresh.length === 0) return;
    remember(known.concat(fresh.map((n) => n.id)));
    if (learning || !supported || Notification.permission !== "granted") return;
    for (const n of fresh.reverse()) {
      const due = n.due_date ? ` Due ${n.due_date}${n.due_time ? " at " + n.due_time : ""}.` : "";
      try {
        const shown = new Notification(`Reminder: ${n.title}`, {
          body: `${n.reminder_text}.${due}`,
          tag: n.id,
        });
        shown.onclick = () => {
          window.focus();
          if (n.list_id) window.location.href = `/tasks?list=${encodeURIComponent(n.list_id)}`;
        };
      } catch {
        // Some browsers (Chrome on Android) show notifications only from a service worker:
        // the header's count still says there is one.
        return;
      }
    }
  }

  poll();
  setInterval(poll, EVERY_MS);
  // live.js: a notification made or read, in this tab or another.
  window.addEventListener("doable-notification", poll);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") poll();
  });
})();
