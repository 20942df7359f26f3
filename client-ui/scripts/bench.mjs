// Benchmark of the real app under Xvfb with the real sync server and the bridge's simulator:
// cold start to an interactive login screen, and the memory of the app's whole process tree (the
// Tauri process and WebKit's web and network processes) at the login screen, at home, and after
// 20 registrations made through the screens. Prints figures; asserts nothing.
//
// Usage: node scripts/bench.mjs [path/to/enrol-desktop] [runs] [registrations]

import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { pipelineCertificate, residentFiles, startBridge, startServer } from "../e2e/services.mjs";
import { Harness, memoryKiB, processName, waitFor } from "../e2e/webdriver.mjs";

const targetDir = process.env.CARGO_TARGET_DIR ?? "/var/tmp/enrol-target";
const app = resolve(process.argv[2] ?? join(targetDir, "debug/enrol-desktop"));
const bin = dirname(app);
const runs = Number(process.argv[3] ?? 5);
const registrations = Number(process.argv[4] ?? 20);
const PASSWORD = "correct horse battery";

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const mib = (kib) => (kib / 1024).toFixed(1);

function treeMemory(harness) {
  const rows = harness.appProcesses().map((pid) => ({ pid, name: processName(pid), ...memoryKiB(pid) }));
  return { rows, rss: rows.reduce((sum, row) => sum + row.rss, 0), pss: rows.reduce((sum, row) => sum + row.pss, 0) };
}

function printMemory(label, memory) {
  console.log(`${label}: PSS ${mib(memory.pss)} MiB, RSS sum ${mib(memory.rss)} MiB over ${memory.rows.length} processes`);
  for (const row of memory.rows) {
    console.log(
      `    ${String(row.pid).padStart(7)} ${row.name.padEnd(22)} PSS ${mib(row.pss).padStart(6)} MiB ` +
        `(anonymous ${mib(row.anon)}, files ${mib(row.file)}, shared memory ${mib(row.shmem)})  RSS ${mib(row.rss).padStart(6)} MiB`,
    );
  }
}

/** One NEW registration through the screens, from home back to home. */
async function register(session, files, index) {
  const heading = (text, timeoutMs = 30_000) =>
    session.waitFor(`the heading “${text}”`, `//h1[normalize-space()='${text}']`, timeoutMs);
  const captured = (group, text) =>
    session.waitFor(`${group}: ${text}`,
      `//*[@data-testid='cap-individualBiometrics-${group}-outcome' and starts-with(normalize-space(), '${text}')]`, 60_000);
  await heading("Welcome, Amina Supervisor");
  await session.waitFor("registrations open", "//*[@data-testid='registration-open']");
  await session.clickButton("Start registration");
  await heading("Consent");
  await session.check("I have read and accept the terms");
  await session.check("English");
  await session.clickButton("Next");
  await heading("Demographic details");
  await session.type("Full name (English)", `Resident ${String.fromCharCode(65 + (index % 26))} Bench`);
  await session.type("or age in years", "36\uE004");
  await session.check("Female");
  await session.type("Address line 1 (English)", "4 Quay Street");
  for (const [label, value] of [["Region", "NTH"], ["Province", "NTH-LK"], ["City", "NTH-LK-PV"], ["Zone", "PV-HBR"], ["Postal code", "11001"]]) {
    await session.select(label, value);
  }
  await session.type("Phone", "+123456789");
  await session.clickButton("Next");
  await heading("Documents");
  await session.upload("File for Proof of address", files.bill);
  await session.waitFor("the bill attached", "//*[@data-testid='document-proofOfAddress']");
  await session.select("Type of Proof of identity", "PAS");
  await session.upload("File for Proof of identity", files.passport);
  await session.waitFor("the passport attached", "//*[@data-testid='document-proofOfIdentity']");
  await session.clickButton("Next");
  await heading("Biometrics");
  await session.waitFor("the trusted devices", "//table[@data-testid='devices']//*[normalize-space()='Trusted']", 30_000);
  for (const [button, group] of [["Capture Left hand, four fingers", "Finger-1"], ["Capture Right hand, four fingers", "Finger-2"],
    ["Capture Both thumbs", "Finger-3"], ["Capture Both irises", "Iris-3"]]) {
    await session.clickButton(button);
    await captured(group, "Captured");
  }
  await session.clickButton("Capture Face");
  await captured("Face-0", "Quality below the threshold");
  await session.clickButton("Capture Face again");
  await captured("Face-0", "Quality below the threshold: capture again (attempt 3");
  await session.clickButton("Capture Face again");
  await captured("Face-0", "Kept after 3 attempts");
  await session.clickButton("Next");
  await heading("Preview and sign-off");
  await session.type("Your password", PASSWORD);
  if (await session.find(session.labelled("Supervisor password"))) {
    await session.type("Supervisor user ID", "SUP1");
    await session.type("Supervisor password", PASSWORD);
  }
  await session.clickButton("Sign off and create the packet");
  await heading("Registration acknowledgement", 60_000);
  await session.clickButton("Back to home");
  await heading("Welcome, Amina Supervisor");
}

const work = mkdtempSync(join(tmpdir(), "enrol-desktop-bench-"));
mkdirSync(join(work, "bridge"));
mkdirSync(join(work, "server"));
const bridge = await startBridge(bin, join(work, "bridge"), "finger-slap,iris,face");
const server = await startServer(bin, join(work, "server"), {
  supervisor: "SUP1",
  password: PASSWORD,
  pipelineCert: pipelineCertificate(work),
  deviceCaPem: bridge.caPem,
});
const files = residentFiles(work);
const harness = await Harness.start({
  app,
  env: { ENROL_SBI_PORTS: `${bridge.port}-${bridge.port}`, ENROL_SBI_CAPTURE_TIMEOUT: "10" },
});
try {
  // Onboard the machine once through the first-run screen, so later starts show the login screen.
  const setup = await harness.newSession();
  try {
    await setup.waitFor("the first-run screen", "//h1[normalize-space()='Set up this machine']");
    for (const [label, value] of [
      ["Server address", server.url],
      ["Machine ID", "10011"],
      ["Onboarding code", server.code],
      ["Supervisor user ID", "SUP1"],
      ["Password", PASSWORD],
    ]) {
      await setup.type(label, value);
    }
    await setup.clickButton("Onboard machine");
    await setup.waitFor("home", "//*[@data-testid='pending-approval']", 120_000);
  } finally {
    await setup.close();
  }
  await waitFor("the set-up app to exit", () => harness.appProcesses().length === 0, 15_000);

  const starts = [];
  const pages = [];
  let atLogin;
  let atHome;
  let afterRegistrations;
  let registering = 0;
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    const session = await harness.newSession();
    try {
      const button = await session.waitFor(
        "an enabled login button",
        "//button[@id='login-submit' and not(@disabled)]",
        30_000,
        10,
      );
      starts.push(performance.now() - started);
      pages.push(await session.run("return performance.now()"));
      if (run === runs - 1) {
        await new Promise((done) => setTimeout(done, 1000));
        atLogin = treeMemory(harness);
        await session.type("User ID", "SUP1");
        await session.type("Password", PASSWORD);
        await session.command("POST", `/element/${button}/click`, {});
        await session.waitFor("home", "//*[@data-testid='pending-approval']", 60_000);
        await new Promise((done) => setTimeout(done, 1000));
        atHome = treeMemory(harness);
        const started = performance.now();
        try {
          for (let index = 0; index < registrations; index++) await register(session, files, index);
        } catch (error) {
          await session.screenshot(join(work, "..", "enrol-bench-failure.png"));
          throw error;
        }
        registering = (performance.now() - started) / Math.max(registrations, 1);
        await new Promise((done) => setTimeout(done, 1000));
        afterRegistrations = treeMemory(harness);
      }
    } finally {
      await session.close();
    }
    await waitFor("the app to exit", () => harness.appProcesses().length === 0, 15_000);
  }

  console.log(`app: ${app}`);
  console.log(
    `cold start to an interactive login screen (process launch through WebKitWebDriver until the login button is enabled), ${runs} runs:`,
  );
  console.log(
    `    median ${median(starts).toFixed(0)} ms, min ${Math.min(...starts).toFixed(0)} ms, max ${Math.max(...starts).toFixed(0)} ms (target < 1500 ms)`,
  );
  console.log(`    of which in the page (navigation start to login ready): median ${median(pages).toFixed(0)} ms`);
  printMemory("memory at the login screen", atLogin);
  printMemory("memory at home after login", atHome);
  printMemory(`memory after ${registrations} registrations through the screens (${(registering / 1000).toFixed(1)} s each)`, afterRegistrations);
  console.log("    (target after 20 registrations: < 250 MB for the whole tree)");
} finally {
  await harness.stop();
  bridge.child.kill("SIGTERM");
  server.child.kill("SIGTERM");
  rmSync(work, { recursive: true, force: true });
}
