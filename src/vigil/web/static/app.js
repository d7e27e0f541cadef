// Vigil review: keyboard grading, hold-to-reveal, exposure counter and break reminders.
// Plain JavaScript, no outside assets; the page's CSP forbids inline script.
"use strict";

const CSRF = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
const KEYS = { a: "A", b: "B", c: "C", n: "not_indecent", u: "uncategorised" };

// "1 item", "2 items": counts in plain words.
function plural(count, word, many) {
  return `${count} ${count === 1 ? word : (many || word + "s")}`;
}

async function api(method, url, body) {
  const options = { method, headers: { "X-CSRF-Token": CSRF, Accept: "application/json" } };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(url, options);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.detail || response.statusText);
  return data;
}

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
    // Remind each time the day's count passes another multiple of break_every
    // (thumbnails load in parallel, so the exact multiple may never be seen alone).
    const link = document.getElementById("exposure");
    const every = link ? Number(link.dataset.breakEvery) : 0;
    if (every > 0) {
      const mark = Math.floor(exposure.thumbnails / every);
      if (this.lastMark === undefined) this.lastMark = exposure.break_due ? mark - 1 : mark;
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
    if (!box || !box.hidden) return;
    document.getElementById("break-text").textContent = text;
    Reveal.hideAll();
    box.hidden = false;
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
    const dismiss = document.getElementById("break-dismiss");
    if (dismiss) dismiss.addEventListener("click", () => {
      document.getElementById("break-reminder").hidden = true;
      this.shownSince = Date.now();
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

function thumbnail(item, caption) {
  const figure = document.createElement("figure");
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

function holdSpaceToReveal() {
  document.addEventListener("keydown", (e) => {
    if (e.code === "Space" && !e.repeat && !isTyping(e)) {
      e.preventDefault();
      document.querySelectorAll("#thumbs img.thumb").forEach((img) => Reveal.show(img));
    }
  });
  document.addEventListener("keyup", (e) => {
    if (e.code === "Space") Reveal.hideAll();
  });
}

function isTyping(e) {
  // Keys do nothing while a form field has focus or the break reminder is up.
  const pause = document.getElementById("break-reminder");
  return ["INPUT", "SELECT", "TEXTAREA"].includes(e.target.tagName) || e.ctrlKey || e.metaKey ||
    e.altKey || Boolean(pause && !pause.hidden);
}

function say(text, error) {
  const status = document.getElementById("status");
  status.textContent = text;
  status.className = error ? "error" : "";
}

function label(key) { return { not_indecent: "not indecent" }[key] || key; }

// ---- grading page ----------------------------------------------------------

function gradingPage(caseId) {
  let groups = [];
  let index = 0;
  let busy = false;
  const skipped = new Set();

  let totals = { groups: 0, items: 0 };

  async function load(message) {
    const data = await api("GET", `/api/cases/${caseId}/queue`);
    Welfare.update(data.exposure);
    totals = { groups: data.total_groups, items: data.total_items };
    // Skipped groups go to the end of the queue, in the order they were skipped.
    groups = data.groups.filter((g) => !skipped.has(g.key)).concat(
      data.groups.filter((g) => skipped.has(g.key)));
    index = 0;
    render(message);
  }

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
      caption: `${p.name}${p.copies > 1 ? ` ×${p.copies}` : ""}${p.distance > 0 ? ` · ${p.distance} bits` : ""}`,
    })));
  }

  async function grade(category) {
    const group = groups[index];
    if (!group || busy) return;
    busy = true;
    try {
      const done = await api("POST", `/api/cases/${caseId}/grade`,
        { group: group.key, item_ids: group.item_ids, category });
      skipped.delete(group.key);
      await load(`Graded ${plural(done.items, "item")} as ${label(done.category)} (Z to undo).`);
    } catch (e) { say(e.message, true); } finally { busy = false; }
  }

  async function undo() {
    if (busy) return;
    busy = true;
    try {
      const done = await api("POST", `/api/cases/${caseId}/undo`);
      await load(done.undone ? `Undid the grade ${label(done.category)} of ${plural(done.items, "item")}.` : "Nothing to undo.");
    } catch (e) { say(e.message, true); } finally { busy = false; }
  }

  function skip() {
    const group = groups[index];
    if (!group) return;
    skipped.add(group.key);
    groups.push(groups.splice(index, 1)[0]);
    render("Skipped.");
  }

  document.addEventListener("keydown", (e) => {
    if (isTyping(e) || e.repeat) return;
    const key = e.key.toLowerCase();
    if (KEYS[key]) grade(KEYS[key]);
    else if (key === "s") skip();
    else if (key === "z" || key === "backspace") { e.preventDefault(); undo(); }
  });
  document.getElementById("choices").addEventListener("click", (e) => {
    const button = e.target.closest("button");
    if (!button) return;
    if (button.dataset.grade) grade(button.dataset.grade);
    else if (button.dataset.action === "skip") skip();
    else if (button.dataset.action === "undo") undo();
  });
  holdSpaceToReveal();
  load().catch((e) => say(e.message, true));
}

// ---- second-grader page ----------------------------------------------------

function secondPage(caseId) {
  let awaiting = [];
  let busy = false;

  async function load(message) {
    const data = await api("GET", `/api/cases/${caseId}/actions`);
    Welfare.update(data.exposure);
    awaiting = data.awaiting;
    const a = data.agreement;
    document.getElementById("agreement").textContent =
      `Agreed ${a.agreed}, disputed ${a.disputed}, resolved ${a.resolved}, awaiting a second grade ${a.awaiting}.`;
    renderCurrent(message);
    renderTables(data.settled);
  }

  function renderCurrent(message) {
    const current = awaiting[0];
    document.getElementById("group").hidden = !current;
    say((message ? message + " " : "") + `${plural(awaiting.length, "decision")} to second-grade.`);
    if (!current) { Reveal.hideAll(); return; }
    document.getElementById("group-info").textContent =
      `Decision by ${current.graded_by}: ${plural(current.items, "item")}, ${plural(current.representatives.length, "picture")}.`;
    showPictures(current.representatives.map((item) => ({ item, caption: `item ${item}` })));
  }

  function renderTables(settled) {
    const disputes = document.querySelector("#disputes tbody");
    const rows = document.querySelector("#settled tbody");
    disputes.replaceChildren();
    rows.replaceChildren();
    for (const a of settled) {
      const tr = document.createElement("tr");
      tr.dataset.action = a.key;
      const cells = a.state === "disputed"
        ? [a.key, label(a.category), label(a.second_category), a.items]
        : [a.key, label(a.category), label(a.second_category), label(a.final_category), a.items, a.state];
      for (const value of cells) {
        const td = document.createElement("td");
        td.textContent = value;
        tr.append(td);
      }
      if (a.state === "disputed") {
        const td = document.createElement("td");
        // Neither grader settles their own disagreement (unless the app allows it).
        if (!a.may_resolve) td.textContent = "for a third officer to resolve";
        else for (const key of ["A", "B", "C", "not_indecent", "uncategorised"]) {
          const button = document.createElement("button");
          button.type = "button";
          button.textContent = label(key);
          button.addEventListener("click", () => resolve(a.key, key));
          td.append(button);
        }
        tr.append(td);
        disputes.append(tr);
      } else {
        rows.append(tr);
      }
    }
  }

  async function second(category) {
    const current = awaiting[0];
    if (!current || busy) return;
    busy = true;
    try {
      const done = await api("POST", `/api/cases/${caseId}/second`, { action: current.key, category });
      const verdict = done.state === "agreed" ? "agrees with" : "differs from";
      await load(`Your grade ${label(category)} ${verdict} the first grade ${label(done.category)}.`);
    } catch (e) { say(e.message, true); } finally { busy = false; }
  }

  async function resolve(action, category) {
    try {
      await api("POST", `/api/cases/${caseId}/resolve`, { action, category });
      await load(`Resolved as ${label(category)}.`);
    } catch (e) { say(e.message, true); }
  }

  document.addEventListener("keydown", (e) => {
    if (isTyping(e) || e.repeat) return;
    const key = e.key.toLowerCase();
    if (KEYS[key]) second(KEYS[key]);
    else if (key === "s" && awaiting.length) { awaiting.push(awaiting.shift()); renderCurrent("Skipped."); }
  });
  document.getElementById("choices").addEventListener("click", (e) => {
    const button = e.target.closest("button");
    if (!button) return;
    if (button.dataset.grade) second(button.dataset.grade);
    else if (button.dataset.action === "skip" && awaiting.length) {
      awaiting.push(awaiting.shift());
      renderCurrent("Skipped.");
    }
  });
  holdSpaceToReveal();
  load().catch((e) => say(e.message, true));
}

document.addEventListener("DOMContentLoaded", () => {
  Welfare.startTimer();
  const page = document.body.dataset.page;
  const caseId = document.body.dataset.case;
  if (page === "grade") gradingPage(caseId);
  else if (page === "second") secondPage(caseId);
});
