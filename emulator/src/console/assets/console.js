// The developer console: polls /console/api/* and drives the emulator through it.
"use strict";

const api = "/console/api/";
let lastCall = 0;
let readersBuilt = false;
let fixtures = null;

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "onclick") e.addEventListener("click", v); else e.setAttribute(k, v);
  }
  for (const k of kids) e.append(k);
  return e;
}

function say(text, kind) {
  const m = document.getElementById("message");
  m.textContent = text;
  m.className = kind;
  m.hidden = false;
}

// One request; a refusal ({error, reason}) or a network failure is shown, never thrown.
async function call(method, path, body) {
  try {
    const r = await fetch(api + path, {
      method,
      headers: body ? { "content-type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    const v = await r.json();
    if (!r.ok) {
      say(`錯誤 Error (${v.error || r.status}): ${v.reason || JSON.stringify(v)}`, "error");
      return null;
    }
    return v;
  } catch (e) {
    say(`無法連線 Cannot reach the emulator: ${e}`, "error");
    return null;
  }
}

async function act(method, path, body, done) {
  const v = await call(method, path, body);
  if (v) { say(`${done}: ${JSON.stringify(v)}`, "info"); await refresh(); }
  return v;
}

function keysFor(kind) {
  if (!fixtures) return [];
  if (kind.startsWith("hpc")) return fixtures.hpcs;
  if (kind === "sam") return fixtures.hospitals;
  if (kind.startsWith("hc")) return fixtures.people;
  return [];
}

function fillPeople(select, kind) {
  select.replaceChildren(...keysFor(kind).map((p) => el("option", { value: p.key }, `${p.name} ${p.key}`)));
}

function buildReaders(state) {
  const body = document.getElementById("readers");
  state.readers.forEach((r, i) => {
    const kind = el("select", { "data-testid": `kind-${i}` },
      ...state.cardKinds.map((k) => el("option", { value: k }, k)));
    const person = el("select", { "data-testid": `person-${i}` });
    kind.addEventListener("change", () => fillPeople(person, kind.value));
    fillPeople(person, kind.value);
    const swapTo = el("input", { "data-testid": `swap-person-${i}`, placeholder: "ID / 卡號 card no", size: "12" });
    const reader = r.reader;
    body.append(el("tr", { "data-reader": reader },
      el("td", {}, reader),
      el("td", { "data-testid": `card-${i}` }, ""),
      el("td", {}, kind, person,
        el("button", { type: "button", "data-testid": `insert-${i}`,
          onclick: () => act("POST", "insert", { reader, card: kind.value, person: person.value }, "已插卡 Inserted") }, "插卡 Insert")),
      el("td", {},
        el("button", { type: "button", "data-testid": `remove-${i}`,
          onclick: () => act("POST", "remove", { reader }, "已退卡 Removed") }, "退卡 Remove"),
        el("button", { type: "button", "data-testid": `yank-${i}`,
          onclick: () => act("POST", "yank", { reader }, "已拔卡 Yanked") }, "拔卡 Yank"),
        swapTo,
        el("button", { type: "button", "data-testid": `swap-${i}`,
          onclick: () => act("POST", "swap", { reader, person: swapTo.value }, "已換人 Swapped") }, "換人 Swap person"))));
  });
  readersBuilt = true;
}

function showStatus(mw) {
  const url = document.getElementById("middleware-url");
  const body = document.querySelector("#status tbody");
  if (!mw) {
    url.textContent = "此程序未內嵌控制軟體 No middleware in this process (nhi-emu up).";
    body.replaceChildren();
    return;
  }
  url.textContent = `Web API: ${mw.url}`;
  if (!mw.status) {
    body.replaceChildren(el("tr", {}, el("td", {}, "狀態 Status"), el("td", { "data-testid": "status-error" }, mw.statusError)));
    return;
  }
  const s = mw.status;
  const rows = [
    ["已初始化 Initialized", s.initialized],
    ["裝置 Device", s.deviceName],
    ["讀卡機 Reader", s.readerName],
    ["SAM 種類/模式 kind/mode", `${s.sam.kind ?? "—"} / ${s.sam.mode}`],
    ["HPC 種類/模式 kind/mode", `${s.hpc.kind ?? "—"} / ${s.hpc.mode}`],
    ["HC 種類/模式 kind/mode", `${s.hc.kind ?? "—"} / ${s.hc.mode}`],
    ["HC PIN 已設定 set", s.hcPinSet ?? "—"],
    ["HC PIN 已驗證 verified", s.hcPinVerified ?? "—"],
  ];
  body.replaceChildren(...rows.map(([k, v], i) =>
    el("tr", {}, el("td", {}, k), el("td", { "data-testid": `status-${i}` }, String(v)))));
}

async function refresh() {
  const state = await call("GET", "state");
  if (!state) return;
  fixtures = state;
  if (!readersBuilt) {
    buildReaders(state);
    const sel = document.getElementById("phone-person");
    sel.replaceChildren(...state.people.map((p) => el("option", { value: p.key }, `${p.name} ${p.key}`)));
    document.getElementById("fault-kind").replaceChildren(...state.faultKinds.map((k) => el("option", { value: k }, k)));
    await phone();
  }
  state.readers.forEach((r, i) => {
    const cell = document.querySelector(`[data-testid="card-${i}"]`);
    cell.textContent = r.card ? `${r.card.kind} ${r.card.serial} ${r.card.holder ?? ""}` : "（空）empty";
  });
  document.getElementById("clock-now").textContent = state.clock.rfc3339;
  const faults = document.getElementById("faults");
  faults.replaceChildren(...(state.faults ?? []).map((f) => el("li", {}, `${f.kind} ${f.path} ${f.ms} ms`)));
  showStatus(state.middleware);
}

async function calls() {
  const v = await call("GET", `calls?after=${lastCall}`);
  if (!v) return;
  const note = document.getElementById("calls-note");
  note.hidden = !v.unavailable;
  note.textContent = v.unavailable ? v.reason : "";
  if (v.calls.length === 0) return;
  lastCall = v.last;
  const body = document.getElementById("calls");
  const rows = v.calls.map((c) => el("tr", { "data-seq": String(c.seq) },
    el("td", {}, c.time), el("td", {}, c.method ?? ""), el("td", {}, c.path),
    el("td", { class: c.statusCode === "0000" ? "code-ok" : "code-bad" }, c.statusCode),
    el("td", {}, c.durationMs.toFixed(1))));
  body.prepend(...rows);
  while (body.children.length > 200) body.lastChild.remove();
}

let shownToken = "";
async function phone() {
  const person = document.getElementById("phone-person").value;
  if (!person) return;
  const v = await call("GET", `phone?person=${encodeURIComponent(person)}`);
  if (!v) return;
  if (v.token !== shownToken) {
    shownToken = v.token;
    document.getElementById("qr").innerHTML = v.qrSvg;
    document.getElementById("token").textContent = v.token;
    document.getElementById("photo").src = v.photo;
    document.getElementById("phone-holder").textContent = `${v.name} ${v.idNo}`;
  }
  document.getElementById("countdown").textContent = `${v.secondsLeft} 秒後更新 s until the next code`;
}

document.getElementById("phone-person").addEventListener("change", () => { shownToken = ""; phone(); });
document.getElementById("copy-token").addEventListener("click", async () => {
  try { await navigator.clipboard.writeText(shownToken); say("已複製 Token copied", "info"); }
  catch (e) { say(`無法複製 Cannot copy: ${e}`, "error"); }
});
// The HPC reader's PIN pad: while the middleware waits for a PIN on it, the keypad pops up;
// each key goes to the pad at once (POST pad), the typed digits show as •.
let padReader = null;
function showPad(reader, pad) {
  const dialog = document.getElementById("pad-dialog");
  if (!pad.waiting) {
    padReader = null;
    if (dialog.open) dialog.close();
    return;
  }
  padReader = reader;
  document.getElementById("pad-reader").textContent = reader;
  document.getElementById("pad-entry").textContent = pad.entries > 1
    ? `第 ${pad.done + 1} / ${pad.entries} 組 PIN · PIN ${pad.done + 1} of ${pad.entries}` : "";
  document.getElementById("pad-digits").textContent = "•".repeat(pad.digits);
  if (!dialog.open) dialog.showModal();
}
async function pads() {
  const v = await call("GET", "pads");
  if (!v) return;
  const waiting = v.pads.find((p) => p.pad.waiting);
  if (waiting) showPad(waiting.reader, waiting.pad);
  else showPad(null, { waiting: false });
}
async function press(body) {
  if (!padReader) return;
  const v = await call("POST", "pad", { reader: padReader, ...body });
  if (v) showPad(v.reader, v.pad);
}
const padKeys = document.getElementById("pad-keys");
for (const k of ["1", "2", "3", "4", "5", "6", "7", "8", "9", "", "0", ""]) {
  padKeys.append(k === "" ? el("span", {}) : el("button", { type: "button", "data-key": k, onclick: () => press({ keys: k }) }, k));
}
document.getElementById("pad-ok").addEventListener("click", () => press({ keys: "#" }));
document.getElementById("pad-cancel").addEventListener("click", () => press({ cancel: true }));
// Escape would only hide the dialog; the entry goes on until OK, Cancel or the time-out.
document.getElementById("pad-dialog").addEventListener("cancel", (e) => { e.preventDefault(); press({ cancel: true }); });
document.getElementById("pin-on-pad").addEventListener("click", async () => {
  document.getElementById("pin-result").textContent = "…";
  const v = await call("POST", "hpc-pin", {});
  document.getElementById("pin-result").textContent = v ? `${v.statusCode} ${v.message ?? ""}` : "";
  if (v) await refresh();
});
document.getElementById("pin-send").addEventListener("click", async () => {
  const pin = document.getElementById("pin");
  const v = await call("POST", "hpc-pin", { pin: pin.value });
  pin.value = "";
  if (v) {
    document.getElementById("pin-result").textContent = `${v.statusCode} ${v.message ?? ""}`;
    await refresh();
  }
});
document.getElementById("clock-set-btn").addEventListener("click", () =>
  act("POST", "clock", { set: document.getElementById("clock-set").value }, "時鐘已設定 Clock set"));
document.getElementById("clock-advance-btn").addEventListener("click", () => {
  const n = Number(document.getElementById("clock-advance").value);
  if (!Number.isInteger(n)) { say("前進秒數須為整數 Advance must be whole seconds", "error"); return; }
  act("POST", "clock", { advance: n }, "時鐘已前進 Clock advanced");
});
document.getElementById("fault-arm").addEventListener("click", () => act("POST", "faults", {
  kind: document.getElementById("fault-kind").value,
  ms: Number(document.getElementById("fault-ms").value) || 0,
  path: document.getElementById("fault-path").value,
}, "故障已啟用 Fault armed"));
document.getElementById("fault-clear").addEventListener("click", () => act("DELETE", "faults", null, "故障已解除 Faults cleared"));

refresh().then(calls);
setInterval(refresh, 1000);
setInterval(calls, 1000);
setInterval(phone, 1000);
setInterval(pads, 300);
