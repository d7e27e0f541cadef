// Vigil review: keyboard grading, hold-to-reveal, exposure counter and break reminders.
// Plain JavaScript, no outside assets; the page's CSP forbids inline script.
"use strict";

const CSRF = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
const GRADE_OF = {
  grade_A: "A", grade_B: "B", grade_C: "C",
  grade_not_indecent: "not_indecent", grade_uncategorised: "uncategorised",
};
const LABELS = {
  A: "Category A", B: "Category B", C: "Category C",
  not_indecent: "Not indecent", uncategorised: "Uncategorised",
};

// "1 item", "2 items": counts in plain words.
function plural(count, word, many) {
  return `${count} ${count === 1 ? word : (many || word + "s")}`;
}

class SessionEnded extends Error {}

async function api(method, url, body) {
  const options = { method, headers: { "X-CSRF-Token": CSRF, Accept: "application/json" } };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(url, options);
  const data = await response.json().catch(() => ({}));
  if (response.status === 401) throw new SessionEnded("Your session has ended.");
  if (!response.ok) throw new Error(data.detail || response.statusText);
  return data;
}

// ---- the officer's keys (their settings, on the body as JSON) --------------

const Keys = {
  map: (() => { try { return JSON.parse(document.body.dataset.keys || "{}"); } catch (e) { return {}; } })(),
  // What the officer set for a key event: "a", "?", "Space", "Backspace" …
  name(e) { return e.key === " " ? "Space" : (e.key.length === 1 ? e.key.toLowerCase() : e.key); },
  action(e) {
    const name = this.name(e);
    for (const [action, key] of Object.entries(this.map)) if (key === name) return action;
    return null;
  },
};

// ---- modal dialogs: focus moved in, kept in, given back on close ------------

const Dialogs = {
  open(dialog, focus) {
    if (!dialog || dialog.open) return;
    dialog.returnTo = document.activeElement;
    dialog.showModal();
    (focus || dialog.querySelector("button")).focus();
  },
  wire(dialog) {
    dialog.addEventListener("keydown", (e) => {
      if (e.key !== "Tab") return;
      const stops = [...dialog.querySelectorAll("button, a[href], input, select, textarea")]
        .filter((el) => !el.disabled && el.offsetParent !== null);
      if (!stops.length) return;
      const first = stops[0], last = stops[stops.length - 1];
      if (e.shiftKey && document.activeElement === first) { e.preventDefault(); last.focus(); }
      else if (!e.shiftKey && document.activeElement === last) { e.preventDefault(); first.focus(); }
    });
    dialog.addEventListener("close", () => {
      const back = dialog.returnTo;
      dialog.returnTo = null;
      if (back && back.isConnected && typeof back.focus === "function") back.focus();
    });
    for (const button of dialog.querySelectorAll("[data-close]")) {
      button.addEventListener("click", () => dialog.close("cancel"));
    }
  },
  // Resolves true when the officer confirms, false on Cancel or Escape.
  confirm(title, text, yes) {
    const dialog = document.getElementById("confirm-dialog");
    document.getElementById("confirm-title").textContent = title;
    document.getElementById("confirm-text").textContent = text;
    const button = document.getElementById("confirm-yes");
    button.textContent = yes;
    return new Promise((resolve) => {
      const done = () => { dialog.removeEventListener("close", done); resolve(dialog.returnValue === "yes"); };
      dialog.returnValue = "";
      button.onclick = () => dialog.close("yes");
      dialog.addEventListener("close", done);
      this.open(dialog, button);
    });
  },
};

// ---- exposure and breaks ---------------------------------------------------

const Welfare = {
  shownSince: Date.now(),
  lastMark: undefined,
  update(exposure) {
    if (!exposure) return;
    const t = document.getElementById("exposure-thumbnails");
    const r = document.getElementById("exposure-reveals");
    if (t) t.textContent = exposure.thumbnails;
    if (r) r.textContent = exposure.reveals;
    // Remind each time the day's count passes another multiple of break_every during
    // this page's life (thumbnails load in parallel, so the exact multiple may never be
    // seen alone). A count already past a multiple when the page opens does not remind:
    // the reminder comes when the officer crosses the next one while grading.
    const link = document.getElementById("exposure");
    const every = link ? Number(link.dataset.breakEvery) : 0;
    if (every > 0) {
      const mark = Math.floor(exposure.thumbnails / every);
      if (this.lastMark === undefined) this.lastMark = mark;
      if (mark > this.lastMark) {
        this.lastMark = mark;
        this.remind(`You have viewed ${exposure.thumbnails} pictures today. Take a break.`);
      }
    }
  },
  async refresh() {
    try { this.update(await api("GET", "/api/me/exposure")); } catch (e) { /* header only */ }
  },
  remind(text) {
    const box = document.getElementById("break-reminder");
    if (!box || box.open) return;
    document.getElementById("break-text").textContent = text;
    Reveal.hideAll();
    Dialogs.open(box, document.getElementById("break-dismiss"));
  },
  startTimer() {
    const link = document.getElementById("exposure");
    const minutes = link ? Number(link.dataset.breakMinutes) : 0;
    if (minutes > 0) {
      setInterval(() => {
        if (Date.now() - this.shownSince >= minutes * 60000) {
          this.shownSince = Date.now();
          this.remind(`You have been grading for ${minutes} minutes. Take a break.`);
        }
      }, 15000);
    }
    const box = document.getElementById("break-reminder");
    if (!box) return;
    document.getElementById("break-dismiss").addEventListener("click", () => box.close());
    box.addEventListener("close", () => { this.shownSince = Date.now(); });
    // A grading key pressed while the reminder is open does nothing: say so, visibly.
    box.addEventListener("keydown", (e) => {
      const action = Keys.action(e);
      if (!action || e.key === "Tab" || e.key === "Escape" || e.key === "Enter") return;
      if (e.key === " " && e.target.tagName === "BUTTON") return;
      e.preventDefault();
      const note = document.getElementById("break-keys");
      note.textContent = "Grading keys are paused while this reminder is open: " +
        "that key did nothing. Continue when you are ready.";
      note.classList.add("attention");
    });
  },
};

// ---- reveal: unblurred pixels only while a key or the pointer is held -----

const Reveal = {
  shown: new Map(), // img -> object URL
  async show(img) {
    if (this.shown.has(img) || !img.dataset.item) return;
    this.shown.set(img, null);
    try {
      const response = await fetch(`/items/${img.dataset.item}/reveal`, {
        method: "POST", headers: { "X-CSRF-Token": CSRF },
      });
      if (!response.ok) throw new Error(await response.text());
      const url = URL.createObjectURL(await response.blob());
      if (!this.shown.has(img)) { URL.revokeObjectURL(url); return; } // let go meanwhile
      this.shown.set(img, url);
      img.src = url;
      img.alt = "Revealed picture (unblurred while held)";
      img.classList.add("revealed");
      Welfare.refresh();
    } catch (e) {
      this.shown.delete(img);
    }
  },
  hide(img) {
    const url = this.shown.get(img);
    this.shown.delete(img);
    img.src = img.dataset.blurred;
    img.alt = "Blurred picture";
    img.classList.remove("revealed");
    if (url) URL.revokeObjectURL(url);
  },
  hideAll() { for (const img of [...this.shown.keys()]) this.hide(img); },
  wire(img) {
    img.addEventListener("pointerdown", (e) => { e.preventDefault(); this.show(img); });
    for (const name of ["pointerup", "pointerleave", "pointercancel"]) {
      img.addEventListener(name, () => this.hide(img));
    }
    img.addEventListener("contextmenu", (e) => e.preventDefault());
  },
};
window.addEventListener("blur", () => Reveal.hideAll());
document.addEventListener("visibilitychange", () => Reveal.hideAll());
window.addEventListener("pagehide", () => Reveal.hideAll());

function thumbnail(item, caption, title) {
  const figure = document.createElement("figure");
  if (title) figure.title = title;
  const img = document.createElement("img");
  img.className = "thumb";
  img.alt = "Blurred picture";
  img.dataset.item = item;
  img.dataset.blurred = `/items/${item}/thumb`;
  img.src = img.dataset.blurred;
  img.addEventListener("load", () => Welfare.refresh(), { once: true });
  img.addEventListener("error", async () => {
    const response = await fetch(img.dataset.blurred).catch(() => null);
    const data = response ? await response.json().catch(() => ({})) : {};
    const note = document.createElement("p");
    note.className = "error";
    note.textContent = data.detail || "cannot show this item";
    figure.replaceChild(note, img);
  }, { once: true });
  Reveal.wire(img);
  const text = document.createElement("figcaption");
  text.textContent = caption;
  figure.append(img, text);
  return figure;
}

function showPictures(pictures) {
  const box = document.getElementById("thumbs");
  Reveal.hideAll();
  box.replaceChildren(...pictures.map((p) => thumbnail(p.item, p.caption)));
}

function isTyping(e) {
  // Keys do nothing while a form field has focus, or with a modifier held.
  return ["INPUT", "SELECT", "TEXTAREA"].includes(e.target.tagName) || e.ctrlKey || e.metaKey ||
    e.altKey;
}

function say(text, error) {
  const status = document.getElementById("status");
  status.textContent = text;
  status.className = error ? "error" : "";
}

function label(key) { return LABELS[key] || key; }

// "exhibit JS/1", but "Exhibit 1" as it is (a reference that says it is an exhibit).
function exhibitWords(ref) {
  if (!ref) return "";
  return ref.toLowerCase().startsWith("exhibit") ? ref : `exhibit ${ref}`;
}

// The files a decision shows, in words: "a.jpg (JS/1, live file)".
function fileWords(files, most) {
  const names = files.slice(0, most || 3).map((f) => f.name + (f.exhibit ? ` (${f.exhibit})` : ""));
  return names.join(", ") + (files.length > names.length ? `, and ${files.length - names.length} more` : "");
}

// The session ended (idle or too long): no more grading here; offer to log in again and
// come back to the same place (`at`: the group or decision on screen).
function sessionEnded(at) {
  Reveal.hideAll();
  const group = document.getElementById("group");
  if (group) group.hidden = true;
  say("Your session has ended.", true);
  const box = document.getElementById("expired");
  if (!box) return;
  const here = location.pathname + (at ? `?at=${encodeURIComponent(at)}` : "");
  const link = document.getElementById("login-again");
  link.href = `/login?next=${encodeURIComponent(here)}`;
  box.hidden = false;
  link.focus();
}

function failed(e, at) {
  if (e instanceof SessionEnded) sessionEnded(at);
  else say(e.message, true);
}

// Single-key shortcuts (WCAG 2.1.4): bound to the grading area only, so they act while
// it (or a button inside it) has focus, never from elsewhere on the page; the officer's
// own key map, or none when they turned the keys off.
function gradingKeys(handlers) {
  const region = document.getElementById("group");
  region.addEventListener("keydown", (e) => {
    if (isTyping(e)) return;
    const action = Keys.action(e);
    if (!action) return;
    // Space and Enter on a focused button press that button, as everywhere else.
    if (e.target.tagName === "BUTTON" && (e.key === " " || e.key === "Enter")) return;
    e.preventDefault();
    if (e.repeat) return;
    if (action === "reveal") {
      document.querySelectorAll("#thumbs img.thumb").forEach((img) => Reveal.show(img));
    } else if (action === "help") {
      Dialogs.open(document.getElementById("keymap"));
    } else if (GRADE_OF[action]) {
      handlers.grade(GRADE_OF[action]);
    } else if (handlers[action]) {
      handlers[action]();
    } else if (action === "undo_alt") {
      handlers.undo();
    }
  });
  region.addEventListener("keyup", (e) => {
    if (Keys.action(e) === "reveal") Reveal.hideAll();
  });
  region.addEventListener("focusout", (e) => {
    if (!region.contains(e.relatedTarget)) Reveal.hideAll();
  });
  document.getElementById("choices").addEventListener("click", (e) => {
    const button = e.target.closest("button");
    if (!button) return;
    if (button.dataset.grade) handlers.grade(button.dataset.grade);
    else if (button.dataset.action === "skip") handlers.skip();
    else if (button.dataset.action === "undo") handlers.undo();
  });
  let focused = false;
  // Called once the area is shown: put focus there the first time, so keys work at once.
  return () => {
    if (!focused && !region.hidden && document.activeElement === document.body) {
      focused = true;
      region.focus();
    }
  };
}

function wherePage() { return new URLSearchParams(location.search).get("at"); }

// ---- grading page ----------------------------------------------------------

function gradingPage(caseId) {
  let groups = [];
  let index = 0;
  let busy = false;
  const skipped = new Set();
  let start = wherePage();
  let totals = { groups: 0, items: 0 };

  async function load(message) {
    const data = await api("GET", `/api/cases/${caseId}/queue`);
    Welfare.update(data.exposure);
    totals = { groups: data.total_groups, items: data.total_items };
    // Skipped groups go to the end of the queue, in the order they were skipped.
    groups = data.groups.filter((g) => !skipped.has(g.key)).concat(
      data.groups.filter((g) => skipped.has(g.key)));
    index = 0;
    if (start) {  // back from logging in again: the group that was on screen
      const found = groups.findIndex((g) => g.key === start);
      if (found >= 0) index = found;
      start = null;
    }
    render(message);
  }

  function current() { const g = groups[index]; return g ? g.key : null; }

  function render(message) {
    const group = groups[index];
    document.getElementById("group").hidden = !group;
    document.getElementById("done").hidden = Boolean(group);
    say((message ? message + " " : "") + `${plural(totals.groups, "group")} (${plural(totals.items, "item")}) to grade.`);
    if (!group) { Reveal.hideAll(); return; }
    const copies = plural(group.items, "item");
    const near = group.pictures.length > 1 ? `, ${group.pictures.length} near-identical pictures` : "";
    document.getElementById("group-info").textContent = `Group ${index + 1} of ${totals.groups}: ${copies}${near}.`;
    document.getElementById("group").dataset.key = group.key;
    showPictures(group.pictures.map((p) => ({
      item: p.item,
      caption: `${p.name}${p.copies > 1 ? ` ×${p.copies}` : ""}${p.distance > 0 ? ` · ${plural(p.distance, "bit")} apart` : ""}`,
    })));
    focusOnce();
  }

  async function grade(category) {
    const group = groups[index];
    if (!group || busy) return;
    busy = true;
    try {
      const done = await api("POST", `/api/cases/${caseId}/grade`,
        { group: group.key, item_ids: group.item_ids, category });
      skipped.delete(group.key);
      await load(`Graded ${plural(done.items, "item")} as ${label(done.category)} (Undo takes it back).`);
    } catch (e) { failed(e, current()); } finally { busy = false; }
  }

  async function undo() {
    if (busy) return;
    busy = true;
    try {
      const done = await api("POST", `/api/cases/${caseId}/undo`);
      await load(done.undone ? `Undid the grade ${label(done.category)} of ${plural(done.items, "item")}.` : "Nothing to undo.");
    } catch (e) { failed(e, current()); } finally { busy = false; }
  }

  function skip() {
    const group = groups[index];
    if (!group) return;
    skipped.add(group.key);
    groups.push(groups.splice(index, 1)[0]);
    render("Skipped.");
  }

  const focusOnce = gradingKeys({ grade, undo, skip });
  load().catch((e) => failed(e, start));
}

// ---- second-grader page ----------------------------------------------------

function secondPage(caseId) {
  let awaiting = [];
  let busy = false;
  let start = wherePage();
  const gradedSet = document.body.dataset.gradedSet || "the graded set";

  async function load(message) {
    const data = await api("GET", `/api/cases/${caseId}/actions`);
    Welfare.update(data.exposure);
    awaiting = data.awaiting;
    if (start) {
      const found = awaiting.findIndex((a) => a.key === start);
      if (found > 0) awaiting = awaiting.slice(found).concat(awaiting.slice(0, found));
      start = null;
    }
    const a = data.agreement;
    document.getElementById("agreement").textContent =
      `Agreed ${a.agreed}, disputed ${a.disputed}, resolved ${a.resolved}, awaiting a second grade ${a.awaiting}.`;
    renderCurrent(message);
    renderTables(data.settled);
  }

  function current() { return awaiting[0] ? awaiting[0].key : null; }

  function renderCurrent(message) {
    const decision = awaiting[0];
    document.getElementById("group").hidden = !decision;
    say((message ? message + " " : "") + `${plural(awaiting.length, "decision")} to second-grade.`);
    if (!decision) { Reveal.hideAll(); return; }
    document.getElementById("group-info").textContent =
      `Decision by ${decision.graded_by}: ${plural(decision.items, "item")}, ${plural(decision.representatives.length, "picture")}: ${fileWords(decision.files)}.`;
    showPictures(decision.files.map((f) => ({
      item: f.item,
      caption: `${f.name}${f.exhibit ? ` · ${exhibitWords(f.exhibit)}` : ""} · ${f.location} · ${f.path}`,
    })));
    focusOnce();
  }

  function filesCell(a) {
    const td = document.createElement("td");
    td.className = "files";
    for (const f of a.files.slice(0, 3)) {
      td.append(thumbnail(f.item, `${f.name}${f.exhibit ? ` · ${exhibitWords(f.exhibit)}` : ""} · ${f.location}`, f.path));
    }
    if (a.files.length > 3) {
      const more = document.createElement("p");
      more.textContent = `and ${plural(a.files.length - 3, "more picture")}`;
      td.append(more);
    }
    return td;
  }

  function renderTables(settled) {
    const disputes = document.querySelector("#disputes tbody");
    const rows = document.querySelector("#settled tbody");
    disputes.replaceChildren();
    rows.replaceChildren();
    for (const a of settled) {
      const tr = document.createElement("tr");
      tr.dataset.action = a.key;
      tr.append(filesCell(a));
      const cells = a.state === "disputed"
        ? [`${label(a.category)} (${a.graded_by})`, `${label(a.second_category)} (${a.second_by})`, a.items]
        : [label(a.category), label(a.second_category), label(a.final_category), a.items, a.state];
      for (const value of cells) {
        const td = document.createElement("td");
        td.textContent = value;
        tr.append(td);
      }
      if (a.state === "disputed") {
        const td = document.createElement("td");
        // Neither grader settles their own disagreement (unless the app allows it).
        if (!a.may_resolve) td.textContent = "For a third officer to resolve";
        else for (const key of ["A", "B", "C", "not_indecent", "uncategorised"]) {
          const button = document.createElement("button");
          button.type = "button";
          button.textContent = label(key);
          button.setAttribute("aria-label", `Resolve ${fileWords(a.files, 1)} as ${label(key)}`);
          button.addEventListener("click", () => resolve(a, key));
          td.append(button);
        }
        tr.append(td);
        disputes.append(tr);
      } else {
        tr.lastElementChild.textContent = { agreed: "Agreed", resolved: "Resolved" }[a.state] || a.state;
        rows.append(tr);
      }
    }
  }

  async function grade(category) {
    const decision = awaiting[0];
    if (!decision || busy) return;
    busy = true;
    try {
      const yes = await Dialogs.confirm(
        `Record your second grade: ${label(category)}?`,
        `For ${plural(decision.items, "item")} (${fileWords(decision.files)}). If it matches the first ` +
        `grade it becomes their final grade; if not, the disagreement goes to a third officer. ` +
        `Undo takes it back until the disagreement is resolved.`,
        `Record ${label(category)}`);
      if (!yes) { say("Not recorded."); return; }
      const done = await api("POST", `/api/cases/${caseId}/second`, { action: decision.key, category });
      const verdict = done.state === "agreed" ? "agrees with" : "differs from";
      await load(`Your grade ${label(category)} ${verdict} the first grade ${label(done.category)}.`);
    } catch (e) { failed(e, current()); } finally { busy = false; }
  }

  async function undo() {
    if (busy) return;
    busy = true;
    try {
      const done = await api("POST", `/api/cases/${caseId}/second/undo`);
      await load(done.undone ? `Took back your second grade ${label(done.category)} of ${plural(done.items, "item")}.` : "Nothing to undo.");
    } catch (e) { failed(e, current()); } finally { busy = false; }
  }

  function skip() {
    if (!awaiting.length) return;
    awaiting.push(awaiting.shift());
    renderCurrent("Skipped.");
  }

  async function resolve(a, category) {
    if (busy) return;
    busy = true;
    try {
      const yes = await Dialogs.confirm(
        `Resolve as ${label(category)}?`,
        `The final grade of ${plural(a.items, "item")} (${fileWords(a.files)}) becomes ${label(category)}: ` +
        `first grade ${label(a.category)} by ${a.graded_by}, second ${label(a.second_category)} by ${a.second_by}. ` +
        `${label(category)} goes into the hash set ${gradedSet}. This is audited and cannot be taken back here.`,
        `Resolve as ${label(category)}`);
      if (!yes) { say("Not resolved."); return; }
      await api("POST", `/api/cases/${caseId}/resolve`, { action: a.key, category });
      await load(`Resolved as ${label(category)}.`);
    } catch (e) { failed(e, current()); } finally { busy = false; }
  }

  const focusOnce = gradingKeys({ grade, undo, skip });
  load().catch((e) => failed(e, start));
}

document.addEventListener("DOMContentLoaded", () => {
  for (const dialog of document.querySelectorAll("dialog.modal")) Dialogs.wire(dialog);
  const open = document.getElementById("keymap-open");
  if (open) open.addEventListener("click", () => Dialogs.open(document.getElementById("keymap")));
  Welfare.startTimer();
  const page = document.body.dataset.page;
  const caseId = document.body.dataset.case;
  if (page === "grade") gradingPage(caseId);
  else if (page === "second") secondPage(caseId);
});
