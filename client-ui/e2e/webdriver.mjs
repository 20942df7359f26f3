// A small W3C WebDriver client over fetch, and a harness that runs the real app under Xvfb
// through tauri-driver + WebKitWebDriver with its own data directory and free ports.

import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ELEMENT = "element-6066-11e4-a52e-4f735466cecf";

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns a truthy value; throws with `what` after `timeoutMs`. */
export async function waitFor(what, probe, timeoutMs = 30_000, intervalMs = 50) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    await sleep(intervalMs);
  }
  throw new Error(`timed out waiting for ${what}${lastError ? `: ${lastError.message}` : ""}`);
}

/** A TCP port nobody listens on right now. */
export async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function portOpen(port) {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Starts Xvfb on a free display (1366×768) and returns its number. */
async function startXvfb(children) {
  const xvfb = spawn("Xvfb", ["-displayfd", "3", "-screen", "0", "1366x768x24", "-nolisten", "tcp"], {
    stdio: ["ignore", "ignore", "pipe", "pipe"],
  });
  children.push(xvfb);
  let stderr = "";
  xvfb.stderr.on("data", (chunk) => (stderr += chunk));
  const display = await new Promise((resolve, reject) => {
    let text = "";
    xvfb.stdio[3].on("data", (chunk) => {
      text += chunk;
      if (text.includes("\n")) resolve(text.trim());
    });
    xvfb.once("exit", (code) => reject(new Error(`Xvfb exited with ${code}: ${stderr}`)));
  });
  return `:${display}`;
}

/** Process ids whose parent chain reaches `root` (excluding `root`). */
export function descendants(root) {
  const parents = new Map();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      parents.set(Number(name), Number(fields[1]));
    } catch {
      // the process ended while we looked
    }
  }
  const found = [];
  const queue = [root];
  while (queue.length) {
    const pid = queue.shift();
    for (const [child, parent] of parents) {
      if (parent === pid) {
        found.push(child);
        queue.push(child);
      }
    }
  }
  return found;
}

export function processName(pid) {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "";
  }
}

/** Resident and proportional set size (KiB) of one process. */
export function memoryKiB(pid) {
  try {
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
    const field = (name) => Number(rollup.match(new RegExp(`^${name}:\\s+(\\d+) kB`, "m"))?.[1] ?? 0);
    return { rss: field("Rss"), pss: field("Pss"), anon: field("Pss_Anon"), file: field("Pss_File"), shmem: field("Pss_Shmem") };
  } catch {
    return { rss: 0, pss: 0, anon: 0, file: 0, shmem: 0 };
  }
}

export class Session {
  constructor(base, id) {
    this.base = base;
    this.id = id;
  }

  async command(method, path, body) {
    const response = await fetch(`${this.base}/session/${this.id}${path}`, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const payload = await response.json();
    if (!response.ok) {
      throw new Error(`${method} ${path}: ${payload.value?.error ?? response.status}: ${payload.value?.message ?? ""}`);
    }
    return payload.value;
  }

  /** The first element matching an XPath, or undefined. */
  async find(xpath) {
    const found = await this.command("POST", "/elements", { using: "xpath", value: xpath });
    return found.length ? found[0][ELEMENT] : undefined;
  }

  async waitFor(what, xpath, timeoutMs) {
    return waitFor(what, () => this.find(xpath), timeoutMs);
  }

  /** An input found by the text of its label, as an operator (or a screen reader) names it;
   * a required field's label may end with its `*` marker. */
  labelled(label) {
    const text = literal(label);
    return `//*[@id=//label[normalize-space()=${text} or normalize-space()=concat(${text}, '*')]/@for]`;
  }

  async type(label, text) {
    const element = await this.waitFor(`the field labelled ${label}`, this.labelled(label));
    await this.command("POST", `/element/${element}/clear`, {});
    await this.command("POST", `/element/${element}/value`, { text });
  }

  /** Chooses a file for the file input labelled `label` (WebDriver types its path). */
  async upload(label, path) {
    const element = await this.waitFor(`the file input labelled ${label}`, this.labelled(label));
    await this.command("POST", `/element/${element}/value`, { text: path });
  }

  /** Chooses the option whose value is `value` in the dropdown labelled `label`. */
  async select(label, value) {
    await this.click(`${this.labelled(label)}/option[@value=${literal(value)}]`, `${value} in ${label}`);
  }

  /** Clicks the control labelled `label` (a checkbox or a radio button). */
  async check(label) {
    await this.click(this.labelled(label), `the control labelled ${label}`);
  }

  /** The text of the first element matching `xpath`, once there. */
  async textOf(what, xpath, timeoutMs) {
    return this.text(await this.waitFor(what, xpath, timeoutMs));
  }

  /** Clicks the element matching `xpath`; a click that fails (the screen re-rendered the element,
   * or it is not clickable yet) is tried again on the element found afresh. */
  async click(xpath, what = xpath) {
    await waitFor(what, async () => {
      const element = await this.find(xpath);
      if (element) await this.command("POST", `/element/${element}/click`, {});
      return element;
    });
  }

  async clickButton(text) {
    await this.click(`//button[normalize-space()=${literal(text)}]`, `the button ${text}`);
  }

  async text(element) {
    return this.command("GET", `/element/${element}/text`);
  }

  async run(script, args = []) {
    return this.command("POST", "/execute/sync", { script, args });
  }

  /** Saves a PNG of the window. (Without GPU compositing WebKitWebDriver answers only after the
   * page paints again; the app keeps painting while WebDriver drives it: `src/lib/automation.ts`.) */
  async screenshot(path) {
    await sleep(400);
    const png = await this.command("GET", "/screenshot");
    writeFileSync(path, Buffer.from(png, "base64"));
  }

  async close() {
    await fetch(`${this.base}/session/${this.id}`, { method: "DELETE" }).catch(() => undefined);
  }
}

/** An XPath string literal for any text. */
export function literal(text) {
  if (!text.includes("'")) return `'${text}'`;
  if (!text.includes('"')) return `"${text}"`;
  return `concat('${text.replaceAll("'", `', "'", '`)}')`;
}

/**
 * Xvfb + tauri-driver with a fresh data directory. `newSession()` launches the app (with `env`
 * added to its environment); `stop()` ends everything it started, by process id.
 */
export class Harness {
  static async start({ app, enrolHome, env = {} } = {}) {
    const harness = new Harness();
    harness.app = app;
    harness.ownsHome = !enrolHome;
    harness.enrolHome = enrolHome ?? mkdtempSync(join(tmpdir(), "enrol-desktop-e2e-"));
    harness.webviewHome = mkdtempSync(join(tmpdir(), "enrol-desktop-webview-"));
    harness.children = [];
    try {
      harness.display = await startXvfb(harness.children);
      harness.port = await freePort();
      const nativePort = await freePort();
      const driver = spawn("tauri-driver", ["--port", String(harness.port), "--native-port", String(nativePort)], {
        stdio: ["ignore", "ignore", "pipe"],
        // The webview keeps its storage (the chosen language) under XDG_DATA_HOME: a temp one too.
        env: {
          ...process.env,
          ...env,
          DISPLAY: harness.display,
          ENROL_HOME: harness.enrolHome,
          XDG_DATA_HOME: harness.webviewHome,
          XDG_CACHE_HOME: harness.webviewHome,
        },
      });
      harness.driver = driver;
      harness.children.push(driver);
      harness.driverLog = "";
      driver.stderr.on("data", (chunk) => (harness.driverLog += chunk));
      await waitFor("tauri-driver", () => portOpen(harness.port), 15_000);
    } catch (error) {
      await harness.stop();
      throw error;
    }
    return harness;
  }

  async newSession() {
    // tauri-driver listens before it can take a session: a refused request is tried again.
    const response = await waitFor("tauri-driver to take a session", () => fetch(`http://127.0.0.1:${this.port}/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        capabilities: { alwaysMatch: { browserName: "wry", "tauri:options": { application: this.app } } },
      }),
    }), 15_000, 250);
    const payload = await response.json();
    if (!response.ok) {
      throw new Error(`cannot start the app: ${payload.value?.message ?? response.status}\n${this.driverLog}`);
    }
    return new Session(`http://127.0.0.1:${this.port}`, payload.value.sessionId);
  }

  /** The app's process (a child of WebKitWebDriver) and everything it started. */
  appProcesses() {
    const tree = descendants(this.driver.pid);
    const app = tree.find((pid) => processName(pid).startsWith("enrol-desktop"));
    return app ? [app, ...descendants(app)] : [];
  }

  async stop() {
    for (const child of [...this.children].reverse()) {
      for (const pid of descendants(child.pid)) {
        try {
          process.kill(pid, "SIGTERM");
        } catch {
          // already gone
        }
      }
      child.kill("SIGTERM");
    }
    if (this.ownsHome) rmSync(this.enrolHome, { recursive: true, force: true });
    rmSync(this.webviewHome, { recursive: true, force: true });
  }
}
