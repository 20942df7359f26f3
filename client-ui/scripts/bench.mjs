// Benchmark of the real app under Xvfb: cold start to an interactive login screen, and the
// memory of the app's whole process tree (the Tauri process and WebKit's web and network
// processes) at the login screen and at home. Prints figures; asserts nothing.
//
// Usage: node scripts/bench.mjs [path/to/enrol-desktop] [runs]

import { join, resolve } from "node:path";
import { Harness, memoryKiB, processName, waitFor } from "../e2e/webdriver.mjs";

const targetDir = process.env.CARGO_TARGET_DIR ?? "/var/tmp/enrol-target";
const app = resolve(process.argv[2] ?? join(targetDir, "debug/enrol-desktop"));
const runs = Number(process.argv[3] ?? 5);
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
    console.log(`    ${String(row.pid).padStart(7)} ${row.name.padEnd(22)} PSS ${mib(row.pss).padStart(6)} MiB  RSS ${mib(row.rss).padStart(6)} MiB`);
  }
}

const harness = await Harness.start({ app });
try {
  // Set the machine up once through the first-run screen, so later starts show the login screen.
  const setup = await harness.newSession();
  try {
    await setup.waitFor("the first-run screen", "//h1[normalize-space()='Set up this machine']");
    for (const [label, value] of [
      ["Machine ID", "10002"],
      ["Centre ID", "10011"],
      ["Centre name", "Bench"],
      ["Supervisor user ID", "SUP1"],
      ["Full name", "Bench Supervisor"],
      ["Password", PASSWORD],
      ["Confirm password", PASSWORD],
    ]) {
      await setup.type(label, value);
    }
    await setup.clickButton("Set up machine");
    await setup.waitFor("home", "//*[@data-testid='pending-approval']", 120_000);
  } finally {
    await setup.close();
  }
  await waitFor("the set-up app to exit", () => harness.appProcesses().length === 0, 15_000);

  const starts = [];
  const pages = [];
  let atLogin;
  let atHome;
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
  console.log("(target after 20 registrations: < 250 MB for the whole tree; registrations are not in the app yet)");
} finally {
  await harness.stop();
}
