// End-to-end test of the real built app: first run → set up the machine and the first
// supervisor → home → log out → wrong password → log in → home → Arabic (right-to-left).
// Fields are found by their labels and buttons by their text. A screenshot of each screen
// goes to artifacts/screenshots/.
//
// Usage: node e2e/app.e2e.mjs [path/to/enrol-desktop]

import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { Harness } from "./webdriver.mjs";

const repo = resolve(import.meta.dirname, "../..");
const targetDir = process.env.CARGO_TARGET_DIR ?? "/var/tmp/enrol-target";
const app = resolve(process.argv[2] ?? join(targetDir, "debug/enrol-desktop"));
const shots = join(repo, "artifacts/screenshots");
mkdirSync(shots, { recursive: true });

const steps = [];
async function step(name, body) {
  const started = Date.now();
  await body();
  steps.push(name);
  console.log(`ok ${steps.length} - ${name} (${Date.now() - started} ms)`);
}

async function headingIs(session, text, timeoutMs) {
  await session.waitFor(`the heading “${text}”`, `//h1[normalize-space()='${text}']`, timeoutMs);
}

async function alertText(session) {
  const alert = await session.waitFor("an alert", "//*[@role='alert']");
  return (await session.text(alert)).split("\n")[0];
}

const harness = await Harness.start({ app });
let session;
try {
  session = await harness.newSession();

  await step("first run shows the set-up screen", async () => {
    await headingIs(session, "Set up this machine");
    await session.screenshot(join(shots, "01-first-run.png"));
  });

  await step("set up the machine and the first supervisor", async () => {
    await session.type("Machine ID", "10002");
    await session.type("Centre ID", "10011");
    await session.type("Centre name", "Enrolia Central");
    await session.type("Supervisor user ID", "SUP1");
    await session.type("Full name", "Amina Diallo");
    await session.type("Password", "correct horse battery");
    await session.type("Confirm password", "correct horse battery");
    await session.clickButton("Set up machine");
    await headingIs(session, "Welcome, Amina Diallo", 120_000);
    await session.screenshot(join(shots, "02-home-after-setup.png"));
  });

  await step("log out", async () => {
    await session.clickButton("Log out");
    await headingIs(session, "Log in");
    await session.screenshot(join(shots, "03-login.png"));
  });

  await step("a wrong password is refused with the core's code, translated", async () => {
    await session.type("User ID", "SUP1");
    await session.type("Password", "not the password");
    await session.clickButton("Log in");
    assert.equal(await alertText(session), "Wrong user ID or password.");
    const code = await session.run("return document.querySelector('[role=alert]').dataset.code");
    assert.equal(code, "AUTH_WRONG_PASSWORD");
    await session.screenshot(join(shots, "04-login-wrong-password.png"));
  });

  await step("log in and see the home summary", async () => {
    await session.type("Password", "correct horse battery");
    await session.clickButton("Log in");
    await headingIs(session, "Welcome, Amina Diallo", 60_000);
    const pending = await session.waitFor("the summary", "//*[@data-testid='pending-approval']");
    assert.equal(await session.text(pending), "0");
    await session.waitFor("registrations open", "//*[@data-testid='registration-open']");
    await session.screenshot(join(shots, "05-home.png"));
  });

  await step("switch to Arabic: right-to-left throughout", async () => {
    await session.click(`${session.labelled("Language")}/option[@value='ara']`, "the Arabic option");
    await headingIs(session, "مرحبًا، Amina Diallo");
    assert.equal(await session.run("return document.documentElement.getAttribute('dir')"), "rtl");
    assert.equal(await session.run("return document.documentElement.lang"), "ar");
    await session.screenshot(join(shots, "06-home-arabic.png"));
  });

  await step("the Arabic login screen", async () => {
    await session.clickButton("تسجيل الخروج");
    await headingIs(session, "تسجيل الدخول");
    assert.equal(await session.run("return document.documentElement.dir"), "rtl");
    await session.screenshot(join(shots, "07-login-arabic.png"));
  });

  console.log(`e2e: ${steps.length} steps passed; screenshots in ${shots}`);
} catch (error) {
  if (session) await session.screenshot(join(shots, "failure.png")).catch(() => undefined);
  console.error(`e2e failed after ${steps.length} steps: ${error.stack ?? error}`);
  process.exitCode = 1;
} finally {
  await session?.close();
  await harness.stop();
}
