// Component tests of the operational screens against the in-memory backend: navigation by
// role, the home dashboard, supervisor approval (review, approve, reject, approve all, one
// password), sync with progress and errors, export and import, settings (password, server,
// default devices, audit), all labelled and in the operator's language.

import { afterEach, beforeEach, expect, it } from "vitest";
import { flushSync, mount, unmount } from "svelte";
import App from "../src/App.svelte";
import { BackendError, type Operator } from "../src/lib/backend";
import { settle, byId, type, choose, heading, expectLabelledControls } from "./dom";
import { FakeBackend, simulatedDevices, supervisor, syncReport } from "./fakeBackend";

let backend: FakeBackend;
let app: ReturnType<typeof mount> | undefined;

const operator: Operator = { id: "OP1", name: "Karim Benali", roles: ["operator"], status: "active" };
const administrator: Operator = { id: "ADM1", name: "Sara Idrissi", roles: ["administrator"], status: "active" };

beforeEach(() => {
  backend = new FakeBackend();
  window.localStorage.clear();
  document.body.innerHTML = "";
});

afterEach(() => {
  if (app) unmount(app);
  app = undefined;
});

function buttons(text: string): HTMLButtonElement[] {
  return [...document.querySelectorAll("button")].filter((b) => b.textContent?.trim() === text);
}

async function press(text: string) {
  const [found] = buttons(text);
  if (!found) throw new Error(`no button “${text}”`);
  found.click();
  await settle();
}

function text(testId: string): string {
  return document.querySelector(`[data-testid="${testId}"]`)?.textContent?.replace(/\s+/g, " ").trim() ?? "";
}

function alertText(): string {
  return [...document.querySelectorAll('[role="alert"]')].map((a) => a.textContent?.replace(/\s+/g, " ").trim()).join(" | ");
}

function navItems(): string[] {
  return [...document.querySelectorAll("nav button")].map((b) => b.textContent?.trim() ?? "");
}

async function loginAs(who: Operator = supervisor) {
  backend.loginAnswer = who;
  app = mount(App, { target: document.body, props: { backend, storage: window.localStorage } });
  await settle();
  type("login-operator", who.id);
  type("login-password", "correct horse");
  byId<HTMLButtonElement>("login-submit").click();
  await settle();
}

async function open(page: string) {
  await press(page);
}

it("navigation follows the roles: approvals for supervisors only, registration for those who register", async () => {
  await loginAs(supervisor);
  expect(navItems()).toEqual(["Home", "Registration", "Approvals", "Sync and export", "Settings"]);
  expect(document.querySelector("nav")?.getAttribute("aria-label")).toBe("Main menu");
  expect(document.querySelector('nav [aria-current="page"]')?.textContent).toBe("Home");
  await open("Approvals");
  expect(heading()).toBe("Approvals");
  expect(document.querySelector('nav [aria-current="page"]')?.textContent).toBe("Approvals");
  await open("Registration");
  expect(heading()).toBe("Registration");
  expect(document.getElementById("start-registration")).not.toBeNull();
  await press("Log out");

  await loginAs(operator);
  expect(navItems()).toEqual(["Home", "Registration", "Sync and export", "Settings"]);
  await open("Settings");
  expect(document.getElementById("audit-verify")).toBeNull();
  expect(byId<HTMLInputElement>("server-url").readOnly).toBe(true);
  expect(document.getElementById("server-save")).toBeNull();
  await press("Log out");

  await loginAs(administrator);
  expect(navItems()).toEqual(["Home", "Sync and export", "Settings"]);
  await open("Settings");
  expect(document.getElementById("audit-verify")).not.toBeNull();
  expect(document.getElementById("default-device-Finger")).toBeNull();
});

it("home: packets by state, last sync and receipt, devices, the connection and a failed last sync", async () => {
  backend.ops.overview = {
    by_phase: { PENDING_APPROVAL: 3, UPLOADING: 1, RECEIVED: 7 },
    last_success_at: 1_795_000_000,
    last_attempt_at: 1_795_090_000,
    last_error: "SYNC_NETWORK",
    last_receipt_at: 1_794_990_000,
  };
  backend.ops.health = { server_url: "http://127.0.0.1:8420", online: false };
  await loginAs(supervisor);
  expect(heading()).toBe("Welcome, Amina Diallo");
  const states = [...document.querySelectorAll('[data-testid="packets-by-state"] .tile')].map((tile) =>
    tile.textContent?.replace(/\s+/g, " ").trim(),
  );
  expect(states).toEqual(["Awaiting approval 3", "Uploading 1", "Received by the server 7"]);
  expect(text("last-sync")).toBe("18 Nov 2026, 11:06");
  expect(text("last-receipt")).toBe("18 Nov 2026, 08:20");
  expect(text("connection")).toBe("Offline");
  expect(document.querySelector('[data-testid="connection"]')?.getAttribute("role")).toBe("status");
  expect(text("last-sync-failed")).toContain("The network failed during the sync.");
  expect(text("device-status")).toBe("3 trusted devices ready.");
  expectLabelledControls();

  backend.ops.health = { server_url: null, online: false };
  await press("Refresh");
  expect(text("connection")).toBe("No server configured");
  backend.ops.health = { server_url: "http://127.0.0.1:8420", online: true };
  await press("Refresh");
  expect(text("connection")).toBe("Online");
});

it("approvals: review, reject with a reason, approve all the rest, one password for every decision", async () => {
  const [first, second] = backend.ops.pending.map((p) => p.rid);
  await loginAs(supervisor);
  await open("Approvals");
  expect(document.querySelectorAll('[data-testid="approval-queue"] tbody tr')).toHaveLength(2);
  expect(text("approval-queue")).toContain("Yes, authorised by SUP1");
  expectLabelledControls();

  // Review the second: its details, qualities against thresholds and exceptions.
  const review = document.querySelector<HTMLButtonElement>(`tr[data-rid="${second}"] button`);
  expect(review?.getAttribute("aria-label")).toBe(`Review registration ${second}`);
  review?.click();
  await settle();
  expect(backend.calls).toContain(`approvalReview ${second}`);
  expect(text("review-fields")).toContain("Full name");
  expect(text("review-fields")).toContain("Amina Diallo");
  expect(text("review-fields")).toContain("أمينة ديالو");
  // Codes chosen from lists read as their names, each value in its own language.
  const shownValues = [...document.querySelectorAll('[data-testid="review-fields"] .review-value')].map((v) => v.textContent);
  expect(shownValues).toContain("Female");
  expect(shownValues).toContain("أنثى");
  expect(shownValues).toContain("Northern Region");
  expect(shownValues).not.toContain("FLE");
  expect(text("review-documents")).toBe("Proof of address: Utility bill (pdf)");
  const qualities = [...document.querySelectorAll('[data-testid="review-biometrics"] tbody tr')].map((row) =>
    [...row.children].map((cell) => cell.textContent?.replace(/\s+/g, " ").trim()),
  );
  expect(qualities).toEqual([
    ["Left index finger", "85 (threshold 80)", "1"],
    ["Face", "70 (threshold 90) kept below threshold", "3"],
  ]);
  expect(text("review-exceptions")).toBe("Biometric exceptions, authorised by SUP1 Left little finger: Missing");
  expectLabelledControls();

  // A rejection needs a reason.
  await press("Reject this registration");
  expect(alertText()).toContain("A rejection needs a reason.");
  type("reject-reason", "Blurred face photo");
  await press("Reject this registration");
  expect(text(`approval-queue`)).toContain("To reject: Blurred face photo");
  expect(text("decision-count")).toBe("0 to approve, 1 to reject, 1 not decided.");

  // The rest approved at the end of the day, then one password for both.
  await press("Approve all remaining");
  expect(text("decision-count")).toBe("1 to approve, 1 to reject, 0 not decided.");
  backend.ops.decideAnswer = new BackendError("AUTH_WRONG_PASSWORD", "wrong user id or password");
  type("approval-password", "not it");
  await press("Submit decisions");
  expect(alertText()).toBe("Wrong user ID or password.");
  expect(byId<HTMLInputElement>("approval-password").value).toBe("");
  expect(text("decision-count")).toBe("1 to approve, 1 to reject, 0 not decided.");

  backend.ops.decideAnswer = undefined;
  type("approval-password", "correct horse");
  await press("Submit decisions");
  expect(backend.calls.filter((c) => c.startsWith("decide"))).toEqual(["decide not it", "decide correct horse"]);
  expect(backend.ops.decided).toEqual([
    {
      decisions: [
        { rid: first, decision: "approve" },
        { rid: second, decision: "reject", reason: "Blurred face photo" },
      ],
      password: "correct horse",
    },
  ]);
  expect(text("decisions-recorded")).toBe("Decisions recorded: 1 approved, 1 rejected.");
  expect(text("approvals-empty")).toBe("No registration awaits approval.");
});

it("approvals: approve from the review, then the next one opens; a decision can be undone", async () => {
  const [first, second] = backend.ops.pending.map((p) => p.rid);
  await loginAs(supervisor);
  await open("Approvals");
  document.querySelector<HTMLButtonElement>(`tr[data-rid="${first}"] button`)?.click();
  await settle();
  await press("Approve this registration");
  expect(text("approval-queue")).toContain("To approve");
  expect(backend.calls).toContain(`approvalReview ${second}`);
  expect(document.querySelector('[data-testid="approval-review"] h2')?.textContent).toBe(`Registration ${second}`);
  await press("Undo");
  expect(text("decision-count")).toBe("0 to approve, 0 to reject, 2 not decided.");
  expect(byId<HTMLButtonElement>("decide-submit").disabled).toBe(true);
});

it("sync: progress while it runs, then the report; packets left for later with their reasons, and retry", async () => {
  backend.ops.statuses = [
    {
      rid: "R2",
      approval: "approved",
      phase: "UPLOADING",
      uploaded_bytes: 1_500_000,
      size: 3_000_000,
      server_status: null,
      receipt_sequence: null,
      last_error: "network: connection reset",
      deleted: false,
    },
    {
      rid: "R1",
      approval: "approved",
      phase: "RECEIVED",
      uploaded_bytes: 2_000_000,
      size: 2_000_000,
      server_status: "PROCESSED",
      receipt_sequence: 7,
      last_error: null,
      deleted: false,
    },
  ];
  let open_: () => void = () => undefined;
  backend.ops.syncGate = new Promise((resolve) => (open_ = resolve));
  backend.ops.progress = [
    { rid: "R1", phase: "UPLOADING", offset: 500_000, size: 2_000_000 },
    { rid: "R1", phase: "UPLOADING", offset: 1_000_000, size: 2_000_000 },
  ];
  backend.ops.syncAnswers = [syncReport(["R1"], [["R2", "SYNC_NETWORK", "network: connection reset"]]), syncReport(["R2"])];
  await loginAs(supervisor);
  await open("Sync and export");
  expect(heading()).toBe("Sync and export");
  const rows = [...document.querySelectorAll('[data-testid="packet-statuses"] tbody tr')].map((row) =>
    [...row.children].map((cell) => cell.textContent?.trim()),
  );
  expect(rows).toEqual([
    ["R2", "Uploading", "1.5 MB of 3 MB", "—", "network: connection reset"],
    ["R1", "Received by the server", "2 MB", "Processed", "—"],
  ]);
  expectLabelledControls();

  await press("Sync now");
  const bar = document.querySelector('[role="progressbar"]');
  expect(bar?.getAttribute("aria-valuenow")).toBe("50");
  expect(text("sync-progress")).toBe("R1: Uploading, 50 %");
  expect(byId<HTMLButtonElement>("sync-run").textContent?.trim()).toBe("Syncing…");
  expect(byId<HTMLButtonElement>("sync-run").disabled).toBe(true);
  open_();
  await settle();
  expect(document.querySelector('[role="progressbar"]')).toBeNull();
  expect(text("sync-report")).toBe("Sync finished. Packets received by the server: 1; left for later: 1; statuses updated: 2.");
  expect(text("sync-errors")).toContain(
    "R2: The network failed during the sync. Nothing is lost: sync again when the connection is back.",
  );
  await press("Retry");
  expect(backend.calls.filter((call) => call === "sync")).toHaveLength(2);
  expect(text("sync-report")).toBe("Sync finished. Packets received by the server: 1; left for later: 0; statuses updated: 2.");
  expect(document.getElementById("sync-retry")).toBeNull();
});

it("sync: a run that fails says why in the operator's language, and can be retried", async () => {
  backend.ops.syncAnswers = [new BackendError("SYNC_NO_SERVER", "no server address"), syncReport([])];
  await loginAs(supervisor);
  await open("Sync and export");
  await press("Sync now");
  expect(alertText()).toBe("This machine has no server address. A supervisor can set it in Settings.");
  await press("Retry");
  expect(alertText()).toBe("");
  expect(text("sync-report")).toBe("Sync finished. Packets received by the server: 0; left for later: 0; statuses updated: 2.");
});

it("export to a folder and import the receipts, with what each did", async () => {
  backend.ops.receiptsAnswer = { received: ["r1"], already: 1, refused: [["r9", "no such packet here"]] };
  await loginAs(operator);
  await open("Sync and export");
  expect(byId<HTMLButtonElement>("export-submit").disabled).toBe(true);
  type("export-folder", " /media/usb/export ");
  await press("Export packets");
  expect(backend.calls).toContain("exportBundle /media/usb/export");
  expect(text("export-report")).toBe("2 packets (3 MB) exported to /media/usb/export.");

  backend.ops.exportAnswer = new BackendError("DISK_FULL", "the disk is full");
  await press("Export packets");
  expect(alertText()).toBe("The disk is full: nothing was saved. Free some space and try again.");

  type("import-folder", "/media/usb/export");
  await press("Import receipts");
  expect(backend.calls).toContain("importReceipts /media/usb/export");
  expect(text("import-report")).toBe("1 packets marked received, 1 already received, 1 receipts refused.");
  expect(document.body.textContent).toContain("r9: no such packet here");
});

it("settings: change the password (mismatch, wrong current password, then done)", async () => {
  await loginAs(operator);
  await open("Settings");
  expectLabelledControls();
  type("password-current", "correct horse");
  type("password-new", "battery staple");
  type("password-confirm", "battery stapel");
  await press("Change password");
  expect(alertText()).toBe("The two passwords do not match.");
  expect(backend.calls.some((call) => call.startsWith("changePassword"))).toBe(false);

  backend.ops.passwordAnswer = new BackendError("AUTH_WRONG_PASSWORD", "wrong user id or password");
  type("password-current", "wrong horse");
  type("password-new", "battery staple");
  type("password-confirm", "battery staple");
  await press("Change password");
  expect(alertText()).toBe("Wrong user ID or password.");
  expect(byId<HTMLInputElement>("password-current").value).toBe("");

  backend.ops.passwordAnswer = undefined;
  type("password-current", "correct horse");
  type("password-new", "battery staple");
  type("password-confirm", "battery staple");
  await press("Change password");
  expect(backend.calls).toContain("changePassword correct horse battery staple");
  expect(text("password-changed")).toBe("Your password is changed. Use the new one from now on.");
});

it("settings: the server address, its connection check, and the audit log verified", async () => {
  await loginAs(supervisor);
  await open("Settings");
  expect(text("machine-identity")).toBe("Machine 10011, centre 10001 (Centre Mehdia)");
  expect(byId<HTMLInputElement>("server-url").value).toBe("http://127.0.0.1:8420");
  type("server-url", "http://10.0.0.5:8420");
  await press("Save server address");
  expect(backend.calls).toContain("setServerUrl http://10.0.0.5:8420");
  expect(document.body.textContent).toContain("The server address is saved.");
  backend.ops.health = { server_url: "http://10.0.0.5:8420", online: false };
  await press("Check connection");
  expect(text("server-health")).toBe("The server does not answer. Check the network and the address.");

  const entries = [...document.querySelectorAll('[data-testid="audit-entries"] tbody tr')].map((row) =>
    row.children[3].textContent?.trim(),
  );
  expect(entries).toEqual(["login", "registration.approved"]);
  await press("Verify the audit log");
  expect(text("audit-verified")).toBe("The audit log is intact: 42 entries verified.");
  backend.ops.auditAnswer = new BackendError("AUDIT_ALTERED", "entry 12 was altered");
  await press("Verify the audit log");
  expect(alertText()).toBe("An audit log entry was altered. Contact support.");
});

it("settings: the default device of a modality is remembered and chosen first at capture", async () => {
  const second = { ...simulatedDevices[0], deviceId: "9", serialNo: "SIM-9", model: "Other" };
  backend.devices = [simulatedDevices[0], second, ...simulatedDevices.slice(1)];
  await loginAs(supervisor);
  await open("Settings");
  const options = [...byId<HTMLSelectElement>("default-device-Finger").options].map((o) => o.textContent);
  expect(options).toEqual(["The first available", "Enrol Simulator (SIM-1)", "Enrol Other (SIM-9)"]);
  choose("default-device-Finger", "Enrol|Other|SIM-9");
  flushSync();
  expect(window.localStorage.getItem("enrol.defaultDevice.Finger")).toBe("Enrol|Other|SIM-9");
  expect(document.body.textContent).toContain("Default device saved on this machine: Fingerprint.");
  await press("Find devices");
  expect(byId<HTMLSelectElement>("default-device-Finger").value).toBe("Enrol|Other|SIM-9");

  // A registration resumed at its biometrics uses the default slap device; the others the first.
  backend.registration.step = "documents";
  backend.registration.identity = { fullName: [{ language: "eng", value: "Amina Okafor" }], dateOfBirth: "1990/04/12" };
  backend.drafts = [{ id: backend.registration.id, process: "NEW", updated_at: 1_795_000_000 }];
  await open("Registration");
  await press("Resume New registration");
  expect(heading()).toBe("Biometrics");
  expect(byId<HTMLSelectElement>("cap-individualBiometrics-Finger-1-device").value).toBe("4501/9");
  expect(byId<HTMLSelectElement>("cap-individualBiometrics-Iris-3-device").value).toBe("4501/2");
});

it("the operational screens in Arabic are right-to-left and translated", async () => {
  window.localStorage.setItem("enrol.language", "ara");
  await loginAs(supervisor);
  expect(document.documentElement.dir).toBe("rtl");
  expect(navItems()).toEqual(["الرئيسية", "التسجيل", "الموافقات", "المزامنة والتصدير", "الإعدادات"]);
  await open("الموافقات");
  expect(heading()).toBe("الموافقات");
  expect(byId<HTMLButtonElement>("decide-submit").textContent?.trim()).toBe("تسجيل القرارات");
  await open("المزامنة والتصدير");
  expect(byId<HTMLButtonElement>("sync-run").textContent?.trim()).toBe("زامِن الآن");
});

it("an expired session on an operational screen goes back to login", async () => {
  await loginAs(supervisor);
  backend.ops.pending = [];
  const expired = new BackendError("AUTH_SESSION_EXPIRED", "the session has expired");
  backend.pendingApprovals = () => Promise.reject(expired);
  await open("Approvals");
  expect(heading()).toBe("Log in");
  expect(alertText()).toBe("You were logged out after a period of inactivity. Log in again.");
});
