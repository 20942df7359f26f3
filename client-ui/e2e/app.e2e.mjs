// End-to-end test of the real built app with the real `enrol-sync` server (SQLite, provisioned
// with its admin CLI as an administrator would) and the real `enrol-bridge` simulator (every
// device), both on free ports: first run → the machine onboarded online with a one-time code
// (the server sends the centre, keys, pipeline certificate, trusted device provider and the
// supervisor) → home → log out → wrong password → log in (the app process maps no GPU driver)
// → a NEW registration: demographics, documents, ten fingers less one exception, irises, face
// with its live preview, a device unplugged mid-capture, the proof-of-exception photo, preview,
// sign-off, the acknowledgement slip → the supervisor's review and approval → sync: the packet on
// the server, byte for byte → the registration screen, home and login in Arabic (right-to-left).
// Fields are found by their labels and buttons by their text. A screenshot of each screen
// goes to artifacts/screenshots/.
//
// Usage: node e2e/app.e2e.mjs [path/to/enrol-desktop]

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { bridgeAdmin, pipelineCertificate, receivedPackets, residentFiles, startBridge, startServer } from "./services.mjs";
import { Harness, literal } from "./webdriver.mjs";

const repo = resolve(import.meta.dirname, "../..");
const targetDir = process.env.CARGO_TARGET_DIR ?? "/var/tmp/enrol-target";
const app = resolve(process.argv[2] ?? join(targetDir, "debug/enrol-desktop"));
const bin = dirname(app);
const shots = join(repo, "artifacts/screenshots");
mkdirSync(shots, { recursive: true });
const work = mkdtempSync(join(tmpdir(), "enrol-desktop-e2e-work-"));
mkdirSync(join(work, "bridge"));
mkdirSync(join(work, "run"), { mode: 0o700 });
const PASSWORD = "correct horse battery";

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

/** Waits for the status line of a capture group to say `text`. */
async function outcomeIs(session, group, text, timeoutMs = 60_000) {
  await session.waitFor(
    `“${text}” for ${group}`,
    `//*[@data-testid='cap-individualBiometrics-${group}-outcome' and normalize-space()=${literal(text)}]`,
    timeoutMs,
  );
}

const bridge = await startBridge(bin, join(work, "bridge"), "finger-slap,finger-single,iris,face");
mkdirSync(join(work, "server"));
const server = await startServer(bin, join(work, "server"), {
  supervisor: "SUP1",
  password: PASSWORD,
  pipelineCert: pipelineCertificate(work),
  deviceCaPem: bridge.caPem,
});
// Good fingers and irises; the face estimate stays under MOSIP's 90 whatever the quality.
await bridgeAdmin(bridge.port, "simulator", { quality: 95 });
const harness = await Harness.start({
  app,
  env: { ENROL_SBI_PORTS: `${bridge.port}-${bridge.port}`, ENROL_SBI_CAPTURE_TIMEOUT: "3" },
});
let session;
try {
  session = await harness.newSession();

  await step("first run shows the set-up screen", async () => {
    await headingIs(session, "Set up this machine");
    await session.screenshot(join(shots, "01-first-run.png"));
  });

  await step("onboard the machine online with the administrator's one-time code", async () => {
    await session.type("Server address", server.url);
    await session.type("Machine ID", "10011");
    await session.type("Onboarding code", server.code);
    await session.type("Supervisor user ID", "SUP1");
    await session.type("Password", PASSWORD);
    await session.screenshot(join(shots, "02-first-run-online.png"));
    await session.clickButton("Onboard machine");
    await headingIs(session, "Welcome, Amina Supervisor", 120_000);
    await session.screenshot(join(shots, "02-home-after-onboarding.png"));
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
    await headingIs(session, "Welcome, Amina Supervisor", 60_000);
    const pending = await session.waitFor("the summary", "//*[@data-testid='pending-approval']");
    assert.equal(await session.text(pending), "0");
    await session.waitFor("registrations open", "//*[@data-testid='registration-open']");
    await session.screenshot(join(shots, "05-home.png"));
  });

  await step("the app process loads no GPU driver: nothing is composited (memory.rs)", async () => {
    const [appPid] = harness.appProcesses();
    assert.ok(appPid, "the app's process is running");
    const mapped = readFileSync(`/proc/${appPid}/maps`, "utf8").split("\n").map((line) => line.split(/\s+/)[5] ?? "");
    const gpuLibraries = [...new Set(mapped.filter((path) => /libLLVM|\/dri\/|libEGL_mesa|libGLX_mesa/.test(path)))];
    assert.deepEqual(gpuLibraries, []);
  });

  const files = residentFiles(work);

  await step("start a new registration: the consent screen from the UI spec", async () => {
    await session.clickButton("Start registration");
    await headingIs(session, "Consent", 30_000);
    await session.screenshot(join(shots, "06-registration-consent.png"));
    await session.check("I have read and accept the terms");
    await session.check("English");
    await session.clickButton("Next");
    await headingIs(session, "Demographic details");
  });

  await step("demographics in three languages side by side, dropdowns from the location hierarchy", async () => {
    await session.type("Full name (English)", "Amina Okafor");
    await session.type("Full name (Français)", "Amina Okafor");
    await session.type("Full name (العربية)", "أمينة أوكافور");
    await session.type("or age in years", "36\uE004");
    await session.check("Female");
    await session.type("Address line 1 (English)", "4 Quay Street");
    await session.type("Address line 1 (Français)", "4 rue du Quai");
    await session.type("Address line 1 (العربية)", "4 شارع الرصيف");
    await session.select("Region", "NTH");
    await session.select("Province", "NTH-LK");
    await session.select("City", "NTH-LK-PV");
    await session.select("Zone", "PV-HBR");
    await session.select("Postal code", "11001");
    await session.type("Phone", "+123456789");
    await session.screenshot(join(shots, "07-registration-demographics.png"));
    await session.clickButton("Next");
    await headingIs(session, "Documents", 30_000);
  });

  await step("documents: a file of the wrong kind is refused, then the scans are attached", async () => {
    await session.upload("File for Proof of address", files.gif);
    await session.waitFor(
      "the GIF refused",
      "//*[@data-field='proofOfAddress']//*[@role='alert' and @data-code='DOCUMENT_FORMAT_UNKNOWN']",
    );
    await session.upload("File for Proof of address", files.bill);
    await session.waitFor("the bill attached", "//*[@data-testid='document-proofOfAddress']");
    await session.select("Type of Proof of identity", "PAS");
    await session.upload("File for Proof of identity", files.passport);
    await session.waitFor("the passport attached", "//*[@data-testid='document-proofOfIdentity']");
    await session.screenshot(join(shots, "08-registration-documents.png"));
    await session.clickButton("Next");
    await headingIs(session, "Biometrics", 30_000);
  });

  await step("biometrics: devices found, one finger marked as an exception, slaps and thumbs captured", async () => {
    await session.waitFor("the trusted devices", "//table[@data-testid='devices']//*[normalize-space()='Trusted']", 30_000);
    await session.check("Left little finger: missing or unusable");
    await session.waitFor("the exception saved", "//tr[@data-attribute='leftLittle']//*[normalize-space()='Marked as exception']");
    await session.clickButton("Capture Left hand, four fingers");
    await outcomeIs(session, "Finger-1", "Captured: every quality reaches its threshold.");
  });

  await step("a device unplugged mid-capture: the error says what to do and nothing is lost", async () => {
    await bridgeAdmin(bridge.port, "simulator", { fault: "unplug" });
    await session.clickButton("Capture Right hand, four fingers");
    const alert = await session.waitFor(
      "the device error",
      "//section[@data-group='Finger-2']//*[@role='alert' and starts-with(@data-code, 'SBI_')]",
      60_000,
    );
    assert.match(await session.text(alert), /capture again/);
    assert.ok(await session.find("//tr[@data-attribute='leftIndex']//*[contains(normalize-space(), '(threshold 40)')]"));
    await session.screenshot(join(shots, "09-registration-device-unplugged.png"));
    await bridgeAdmin(bridge.port, "replug", {});
    await bridgeAdmin(bridge.port, "simulator", { fault: "none" });
    await session.clickButton("Find devices");
    await session.clickButton("Capture Right hand, four fingers");
    await outcomeIs(session, "Finger-2", "Captured: every quality reaches its threshold.");
    await session.clickButton("Capture Both thumbs");
    await outcomeIs(session, "Finger-3", "Captured: every quality reaches its threshold.");
  });

  await step("irises and the face with their live preview; the face kept after its attempts", async () => {
    await session.clickButton("Capture Both irises");
    await outcomeIs(session, "Iris-3", "Captured: every quality reaches its threshold.");
    await session.waitFor("the iris preview", "//section[@data-group='Iris-3']//*[@role='img' and @data-frames-drawn > 0]");
    await session.clickButton("Capture Face");
    await outcomeIs(session, "Face-0", "Quality below the threshold: capture again (attempt 2 of 3).");
    await session.waitFor("the face preview", "//section[@data-group='Face-0']//*[@role='img' and @data-frames-drawn > 0]");
    await session.clickButton("Capture Face again");
    await outcomeIs(session, "Face-0", "Quality below the threshold: capture again (attempt 3 of 3).");
    await session.clickButton("Capture Face again");
    await outcomeIs(session, "Face-0", "Kept after 3 attempts although the quality is below the threshold.");
    await session.upload("File for Proof-of-exception photo", files.photo);
    await session.waitFor("the proof attached", "//*[@data-testid='document-proofOfException']");
    await session.screenshot(join(shots, "10-registration-biometrics.png"));
    await session.clickButton("Next");
    await headingIs(session, "Preview and sign-off", 30_000);
  });

  let rid;
  await step("preview, sign-off with the supervisor for the exception, acknowledgement with the RID as a QR code", async () => {
    await session.waitFor("the sign-off form", session.labelled("Your password"), 30_000);
    await session.screenshot(join(shots, "11-registration-preview.png"));
    await session.type("Your password", PASSWORD);
    await session.type("Supervisor user ID", "SUP1");
    await session.type("Supervisor password", PASSWORD);
    await session.clickButton("Sign off and create the packet");
    await headingIs(session, "Registration acknowledgement", 60_000);
    rid = (await session.textOf("the RID", "//*[@data-testid='rid']")).replaceAll(" ", "");
    assert.match(rid, /^1000110011\d{19}$/);
    assert.ok(await session.find("//figure[contains(@class, 'qr')]/*[local-name()='svg']"), "the QR code");
    await session.screenshot(join(shots, "12-registration-acknowledgement.png"));
    await session.clickButton("Back to home");
    await headingIs(session, "Welcome, Amina Supervisor");
    const pending = await session.waitFor("one pending approval", "//*[@data-testid='pending-approval' and normalize-space()='1']");
    assert.ok(pending);
  });

  await step("the supervisor reviews the registration and approves it with one password", async () => {
    await session.clickButton("Approvals");
    await headingIs(session, "Approvals", 30_000);
    await session.click(`//button[@aria-label=${literal(`Review registration ${rid}`)}]`, "the Review button");
    await session.waitFor("the review", "//button[normalize-space()='Approve this registration']", 30_000);
    await session.screenshot(join(shots, "13-approval-review.png"));
    await session.clickButton("Approve this registration");
    await session.type("Your password (supervisor)", PASSWORD);
    await session.clickButton("Submit decisions");
    await session.waitFor("the decision recorded", "//*[normalize-space()='Decisions recorded: 1 approved, 0 rejected.']", 60_000);
    await session.screenshot(join(shots, "14-approvals-done.png"));
  });

  await step("sync: the packet is uploaded, its receipt verified, and the server has it, byte for byte", async () => {
    await session.clickButton("Sync and export");
    await headingIs(session, "Sync and export", 30_000);
    await session.clickButton("Sync now");
    await session.waitFor(
      "the sync report",
      "//*[starts-with(normalize-space(), 'Sync finished. Packets received by the server: 1; left for later: 0;')]",
      120_000,
    );
    await session.waitFor("the packet received", `//tr[@data-rid=${literal(rid)}]/td[normalize-space()='Received by the server']`);
    await session.screenshot(join(shots, "15-sync.png"));
    const received = await receivedPackets(server);
    assert.deepEqual(received.map((packet) => packet.rid), [rid]);
    const bytes = Buffer.from(await (await fetch(`${server.url}${received[0].download}`, {
      headers: { authorization: `Bearer ${server.pipelineToken}` },
    })).arrayBuffer());
    assert.equal(createHash("sha256").update(bytes).digest("hex").toUpperCase(), received[0].packetHash.toUpperCase());
    await session.clickButton("Home");
    await headingIs(session, "Welcome, Amina Supervisor");
  });

  await step("the registration screen in Arabic: right-to-left, Arabic inputs right-to-left", async () => {
    await session.click(`${session.labelled("Language")}/option[@value='ara']`, "the Arabic option");
    await headingIs(session, "مرحبًا، Amina Supervisor");
    await session.clickButton("بدء التسجيل");
    await headingIs(session, "موافقة", 30_000);
    await session.check("لقد قرأت الشروط وأوافق عليها");
    await session.check("العربية");
    await session.clickButton("التالي");
    await headingIs(session, "البيانات الديموغرافية");
    await session.type("الاسم الكامل (العربية)", "أمينة أوكافور");
    assert.equal(await session.run("return document.documentElement.dir"), "rtl");
    const arabicInput = await session.run(
      "const label = [...document.querySelectorAll('label')].find((l) => l.textContent.trim() === 'الاسم الكامل (العربية)'); return document.getElementById(label.htmlFor).dir",
    );
    assert.equal(arabicInput, "rtl");
    await session.screenshot(join(shots, "16-registration-arabic.png"));
    await session.clickButton("إغلاق");
  });

  await step("home in Arabic: right-to-left throughout", async () => {
    await headingIs(session, "مرحبًا، Amina Supervisor");
    assert.equal(await session.run("return document.documentElement.getAttribute('dir')"), "rtl");
    assert.equal(await session.run("return document.documentElement.lang"), "ar");
    await session.screenshot(join(shots, "17-home-arabic.png"));
  });

  await step("the Arabic login screen", async () => {
    await session.clickButton("تسجيل الخروج");
    await headingIs(session, "تسجيل الدخول");
    assert.equal(await session.run("return document.documentElement.dir"), "rtl");
    await session.screenshot(join(shots, "18-login-arabic.png"));
  });

  console.log(`e2e: ${steps.length} steps passed; screenshots in ${shots}`);
} catch (error) {
  if (session) await session.screenshot(join(shots, "failure.png")).catch(() => undefined);
  console.error(`e2e failed after ${steps.length} steps: ${error.stack ?? error}`);
  if (harness.driverLog) console.error(`tauri-driver's log:\n${harness.driverLog.slice(-4000)}`);
  process.exitCode = 1;
} finally {
  await session?.close();
  await harness.stop();
  bridge.child.kill("SIGTERM");
  server.child.kill("SIGTERM");
  rmSync(work, { recursive: true, force: true });
}
