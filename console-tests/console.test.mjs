// The developer console in a real browser: `nhi-emu dev` in one process, Debian's
// Chromium driven headless by playwright-core. Clicks insert an HC, Web API calls show up
// in the call log and the status panel, the QR code on the phone decodes to a token the
// Web API accepts, a DC fault armed in the page makes the next call answer 1700, and an
// HPC verification without a PIN pops up the reader's PIN pad, typed on by clicks.
//
// NHI_EMU: the nhi-emu binary (default ../target/debug/nhi-emu); CHROMIUM: the browser
// (default /usr/bin/chromium); NHI_CONSOLE_SCREENSHOTS=1 rewrites docs/console-*.png.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import https from "node:https";
import { chromium } from "playwright-core";
import { PNG } from "pngjs";
import jsQR from "jsqr";

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, "..");
const NHI_EMU = process.env.NHI_EMU ?? join(repo, "target/debug/nhi-emu");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const SHOTS = process.env.NHI_CONSOLE_SCREENSHOTS === "1";
const HC_READER = 0; // "Virtual PCD 00 00", the world's HC slot
const PERSON = "F221000017";
const CARD_NO = "900000000711";
const HPC_PIN = "000000"; // the demo fixtures' first HPC, in the world's HPC reader

let dev, dir, webApi, consoleUrl, browser, page;
const numbers = {};

// Resolves with the banner's URLs once `nhi-emu dev` prints "Ctrl-C to stop".
function startDev() {
  dir = mkdtempSync(join(tmpdir(), "nhi-console-"));
  const world = join(dir, "world.toml");
  // Port 0 everywhere: the banner says where things landed.
  writeFileSync(world, `control = "127.0.0.1:0"\ndc = "127.0.0.1:0"\ndb = "${join(dir, "dc.db")}"\n`);
  const started = process.hrtime.bigint();
  dev = spawn(NHI_EMU, ["dev", "--config", world, "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  dev.stderr.on("data", (d) => { err += d; });
  return new Promise((resolve, reject) => {
    dev.on("exit", (code) => reject(new Error(`nhi-emu dev exited ${code}: ${err}`)));
    dev.stdout.on("data", (d) => {
      out += d;
      if (!out.includes("Ctrl-C to stop")) return;
      const api = /Web API\s+(\S+)/.exec(out);
      const con = /console\s+(\S+)/.exec(out);
      if (!api || !con) reject(new Error(`banner without URLs: ${out}`));
      else resolve({ api: api[1], console: con[1], started });
    });
  });
}

// One Web API call (the middleware's certificate is self-signed and fresh per run).
function web(method, path, body) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = https.request(webApi + path, {
      method,
      rejectUnauthorized: false,
      headers: data ? { "content-type": "application/json", "content-length": Buffer.byteLength(data) } : {},
    }, (res) => {
      let text = "";
      res.on("data", (d) => { text += d; });
      res.on("end", () => {
        try { resolve(JSON.parse(text)); } catch (e) { reject(new Error(`${method} ${path}: ${text}`)); }
      });
    });
    req.on("error", reject);
    if (data) req.write(data);
    req.end();
  });
}

function rssKiB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : NaN;
}

before(async () => {
  const b = await startDev();
  webApi = b.api;
  consoleUrl = b.console;
  const status = await web("GET", "/api/common/v1/Status");
  assert.equal(status.statusCode, "0000", JSON.stringify(status));
  numbers.firstCallMs = Number(process.hrtime.bigint() - b.started) / 1e6;
  numbers.idleRssKiB = rssKiB(dev.pid);
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"] });
  page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
  await page.goto(consoleUrl);
  await page.locator('[data-testid="card-0"]').waitFor();
  numbers.pageLoadMs = await page.evaluate(() => {
    const n = performance.getEntriesByType("navigation")[0];
    return n.loadEventEnd - n.startTime;
  });
});

after(async () => {
  console.log(`numbers: dev start → first answered Web API call ${numbers.firstCallMs?.toFixed(0)} ms; ` +
    `console page load ${numbers.pageLoadMs?.toFixed(0)} ms; idle RSS of nhi-emu dev ${numbers.idleRssKiB} KiB`);
  await browser?.close();
  dev?.kill("SIGINT");
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const card = (i) => page.locator(`[data-testid="card-${i}"]`);
const message = () => page.locator("#message");

test("a click inserts an HC; Web API calls show in the call log and the status panel", async () => {
  await page.click(`[data-testid="remove-${HC_READER}"]`);
  await page.waitForFunction((i) => document.querySelector(`[data-testid="card-${i}"]`).textContent.includes("empty"), HC_READER);
  await page.selectOption(`[data-testid="kind-${HC_READER}"]`, "hc");
  await page.selectOption(`[data-testid="person-${HC_READER}"]`, PERSON);
  await page.click(`[data-testid="insert-${HC_READER}"]`);
  await page.waitForFunction(([i, no]) => document.querySelector(`[data-testid="card-${i}"]`).textContent.includes(no), [HC_READER, CARD_NO]);
  assert.match(await card(HC_READER).textContent(), /hc 900000000711 吳佳蓉/);

  // Before Initial the panel says not initialised; after it, initialised.
  await page.waitForFunction(() => document.querySelector('[data-testid="status-0"]')?.textContent === "false");
  const init = await web("POST", "/api/common/v1/Initial", {});
  assert.equal(init.statusCode, "0000", JSON.stringify(init));
  await page.waitForFunction(() => document.querySelector('[data-testid="status-0"]')?.textContent === "true");
  const row = page.locator("#calls tr", { hasText: "/api/common/v1/Initial" }).first();
  await row.waitFor();
  assert.match(await row.textContent(), /POST\/api\/common\/v1\/Initial0000/);
  // Newest first: the latest call is the top row.
  const sam = await web("POST", "/api/sam/v1/Verification", {});
  assert.equal(sam.statusCode, "0000", JSON.stringify(sam));
  await page.waitForFunction(() => document.querySelector("#calls tr")?.textContent.includes("/api/sam/v1/Verification"));
  await page.waitForFunction(() => document.querySelector('[data-testid="status-3"]')?.textContent.endsWith("/ 2"));
  if (SHOTS) await page.screenshot({ path: join(repo, "docs/console-overview.png") });
});

test("the phone's QR code decodes to a token the Web API accepts", async () => {
  await page.selectOption("#phone-person", PERSON);
  await page.waitForFunction(() => document.querySelector("#phone-holder").textContent.includes("F221000017"));
  const shown = (await page.locator("#token").textContent()).trim();
  const png = PNG.sync.read(await page.locator("#qr svg").screenshot());
  const qr = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
  assert.ok(qr, "no QR code found in the phone's screen");
  assert.equal(qr.data, shown, "the QR code encodes the token shown under it");
  assert.match(await page.locator("#countdown").textContent(), /^\d+ 秒後更新/);
  const v = await web("POST", "/api/hc/v1/Verification/VirtualHc", { token: qr.data });
  assert.equal(v.statusCode, "0000", JSON.stringify(v));
  if (SHOTS) await page.locator("#phone-panel").screenshot({ path: join(repo, "docs/console-phone.png") });
});

test("a DC fault armed in the page makes the next call answer 1700", async () => {
  await page.selectOption("#fault-kind", "refuse");
  await page.click("#fault-arm");
  await page.locator("#faults li", { hasText: "refuse" }).waitFor();
  const r = await web("POST", "/api/sam/v1/Verification", {});
  assert.equal(r.statusCode, "1700", JSON.stringify(r));
  await page.waitForFunction(() => {
    const top = document.querySelector("#calls tr");
    return top && top.textContent.includes("/api/sam/v1/Verification") && top.textContent.includes("1700");
  });
  if (SHOTS) await page.locator("#calls-panel").screenshot({ path: join(repo, "docs/console-calls.png") });
  await page.click("#fault-clear");
  await page.waitForFunction(() => document.querySelectorAll("#faults li").length === 0);
  const again = await web("POST", "/api/sam/v1/Verification", {});
  assert.equal(again.statusCode, "0000", JSON.stringify(again));
});

test("bad input gets a clear message and changes nothing", async () => {
  const before = await card(HC_READER).textContent();
  await page.fill("#clock-set", "yesterday-ish");
  await page.click("#clock-set-btn");
  await page.waitForFunction(() => document.querySelector("#message").textContent.includes("malformed clock"));
  assert.equal(await message().getAttribute("class"), "error");
  if (SHOTS) {
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(repo, "docs/console-error.png"), clip: { x: 0, y: 0, width: 1280, height: 300 } });
  }

  await page.fill(`[data-testid="swap-person-${HC_READER}"]`, "Z000000000");
  await page.click(`[data-testid="swap-${HC_READER}"]`);
  await page.waitForFunction(() => document.querySelector("#message").textContent.includes("Z000000000"));
  assert.equal(await card(HC_READER).textContent(), before, "a refused swap leaves the card in");

  // Still working afterwards: a good swap goes through.
  await page.fill(`[data-testid="swap-person-${HC_READER}"]`, "A123456789");
  await page.click(`[data-testid="swap-${HC_READER}"]`);
  await page.waitForFunction((i) => document.querySelector(`[data-testid="card-${i}"]`).textContent.includes("900000000001"), HC_READER);
});

test("an HPC verification without a PIN pops up the PIN pad; clicked digits and OK verify it", async () => {
  // The SAM was verified by the tests above (HPC verification needs it).
  const pending = web("POST", "/api/hpc/v1/Verification/Hpc", {});
  const dialog = page.locator("#pad-dialog");
  await dialog.waitFor({ state: "visible" });
  for (const d of HPC_PIN) await page.click(`#pad-keys [data-key="${d}"]`);
  await page.waitForFunction((n) => document.querySelector("#pad-digits").textContent === "•".repeat(n), HPC_PIN.length);
  assert.equal(await page.locator("#pad-digits").textContent(), "••••••", "digits show as dots, never the PIN");
  if (SHOTS) {
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(repo, "docs/console-pad.png") });
  }
  await page.click("#pad-ok");
  const r = await pending;
  assert.equal(r.statusCode, "0000", JSON.stringify(r));
  await dialog.waitFor({ state: "hidden" });
  await page.waitForFunction(() => {
    const top = document.querySelector("#calls tr");
    return top && top.textContent.includes("/api/hpc/v1/Verification/Hpc") && top.textContent.includes("0000");
  });
  await page.waitForFunction(() => document.querySelector('[data-testid="status-4"]')?.textContent.endsWith("/ 3"));
});
