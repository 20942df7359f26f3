// Component tests: the app mounted in happy-dom against an in-memory backend — which screen
// shows, labels on every control, translated errors, right-to-left Arabic, session expiry.

import { afterEach, beforeEach, expect, it } from "vitest";
import { flushSync, mount, unmount } from "svelte";
import App from "../src/App.svelte";
import { BackendError } from "../src/lib/backend";
import { settle, byId, type, heading, expectLabelledControls } from "./dom";
import { FakeBackend, supervisor } from "./fakeBackend";

let backend: FakeBackend;
let app: ReturnType<typeof mount> | undefined;

beforeEach(() => {
  backend = new FakeBackend();
  window.localStorage.clear();
  document.body.innerHTML = "";
});

afterEach(() => {
  if (app) unmount(app);
  app = undefined;
});

async function start() {
  app = mount(App, { target: document.body, props: { backend, storage: window.localStorage } });
  await settle();
}

function alertText(): string {
  return document.querySelector('[role="alert"]')?.textContent?.trim() ?? "";
}

async function submit(buttonId: string) {
  byId<HTMLButtonElement>(buttonId).click();
  await settle();
}

function chooseLanguage(code: string) {
  const select = byId<HTMLSelectElement>("language");
  for (const option of select.options) option.selected = option.value === code;
  select.dispatchEvent(new Event("change", { bubbles: true }));
  flushSync();
}

it("first run online: the server, the code and the supervisor; a failed first sync is shown before home", async () => {
  backend.initialised = new BackendError("NOT_INITIALISED", "not an initialised data directory");
  backend.onboardAnswer = {
    operator: supervisor,
    firstSyncError: new BackendError("SERVER_UNREACHABLE", "connection refused"),
  };
  await start();
  expect(heading()).toBe("Set up this machine");
  expect(byId<HTMLInputElement>("init-mode-online").checked).toBe(true);
  expectLabelledControls();
  expect(document.getElementById("init-centre")).toBeNull();
  type("init-server", "http://127.0.0.1:8420");
  type("init-machine", "10011");
  type("init-code", "ABCD-EFGH");
  type("init-supervisor", "sup1");
  type("init-password", "demo-supervisor");
  await submit("init-submit");
  expect(backend.lastOnboard).toEqual({
    serverUrl: "http://127.0.0.1:8420",
    machineId: "10011",
    onboardingCode: "ABCD-EFGH",
    supervisorId: "sup1",
    password: "demo-supervisor",
  });
  expect(alertText()).toBe(
    "The sync server cannot be reached. Check the network and the server address, then try again.",
  );
  expect(heading()).toBe("Set up this machine");
  const next = [...document.querySelectorAll("button")].find((b) => b.textContent?.trim() === "Continue");
  next?.click();
  await settle();
  expect(heading()).toBe("Welcome, Amina Diallo");
});

it("first run from an enrolment file: its text goes to the core with the supervisor", async () => {
  backend.initialised = new BackendError("NOT_INITIALISED", "not an initialised data directory");
  await start();
  byId<HTMLInputElement>("init-mode-file").click();
  flushSync();
  expectLabelledControls();
  await submit("init-submit");
  expect(alertText()).toMatch(/^The machine enrolment file cannot be used\./);
  const file = new File(['{"machineId":"10011"}'], "enrolment.json", { type: "application/json" });
  const input = byId<HTMLInputElement>("init-file");
  Object.defineProperty(input, "files", { value: [file], writable: true });
  input.dispatchEvent(new Event("change", { bubbles: true }));
  type("init-supervisor", "sup1");
  type("init-password", "demo-supervisor");
  await submit("init-submit");
  expect(backend.lastEnrolment).toEqual({
    enrolment: '{"machineId":"10011"}',
    supervisorId: "sup1",
    password: "demo-supervisor",
  });
  expect(heading()).toBe("Welcome, Amina Diallo");
});

it("first run without a server: the set-up form, labelled, and lands on home", async () => {
  backend.initialised = new BackendError("NOT_INITIALISED", "not an initialised data directory");
  await start();
  expect(heading()).toBe("Set up this machine");
  byId<HTMLInputElement>("init-mode-local").click();
  flushSync();
  expectLabelledControls();
  type("init-machine", "10002");
  type("init-centre", "10011");
  type("init-centre-name", "Enrolia Central");
  type("init-supervisor", "SUP1");
  type("init-supervisor-name", "Amina Diallo");
  type("init-password", "correct horse");
  type("init-confirm", "correct horse!");
  await submit("init-submit");
  expect(alertText()).toBe("The two passwords do not match.");
  expect(backend.calls).not.toContain("initMachine");
  type("init-confirm", "correct horse");
  await submit("init-submit");
  expect(backend.lastInit).toEqual({
    machineId: "10002",
    centreId: "10011",
    centreName: "Enrolia Central",
    supervisorId: "SUP1",
    supervisorName: "Amina Diallo",
    password: "correct horse",
  });
  expect(heading()).toBe("Welcome, Amina Diallo");
});

it("login: a wrong password is shown in the chosen language, Arabic right-to-left", async () => {
  backend.loginAnswer = new BackendError("AUTH_WRONG_PASSWORD", "wrong user id or password");
  await start();
  expect(heading()).toBe("Log in");
  expectLabelledControls();
  type("login-operator", "SUP1");
  type("login-password", "not the password");
  await submit("login-submit");
  expect(backend.calls).toContain("login SUP1 not the password");
  expect(alertText()).toBe("Wrong user ID or password.");
  expect(byId<HTMLInputElement>("login-password").value).toBe("");
  chooseLanguage("ara");
  expect(document.documentElement.dir).toBe("rtl");
  expect(document.documentElement.lang).toBe("ar");
  expect(heading()).toBe("تسجيل الدخول");
  expect(alertText()).toBe("معرّف المستخدم أو كلمة المرور غير صحيحة.");
  expect(window.localStorage.getItem("enrol.language")).toBe("ara");
  chooseLanguage("fra");
  expect(document.documentElement.dir).toBe("ltr");
  expect(alertText()).toBe("Identifiant ou mot de passe incorrect.");
});

it("login: a lockout says until when", async () => {
  backend.loginAnswer = new BackendError("AUTH_LOCKED", "operator SUP1 is locked", "2026-11-28T14:30:00Z");
  await start();
  type("login-operator", "SUP1");
  type("login-password", "guess guess");
  await submit("login-submit");
  expect(alertText()).toBe("Too many failed attempts: this account is locked until 28 Nov 2026, 14:30.");
});

it("the remembered language is used from the start", async () => {
  window.localStorage.setItem("enrol.language", "ara");
  await start();
  expect(document.documentElement.dir).toBe("rtl");
  expect(heading()).toBe("تسجيل الدخول");
});

it("home: the summary and a freeze warning with every broken rule's figures; logout returns to login", async () => {
  backend.freeze = new BackendError("FREEZE_SYNC_OVERDUE", "last sync was 31 days ago", undefined, [
    { reason: "sync_overdue", days: 31, limit: 30 },
    { reason: "too_many_unexported", count: 70, limit: 70 },
  ]);
  await start();
  type("login-operator", "SUP1");
  type("login-password", "correct horse");
  await submit("login-submit");
  expect(heading()).toBe(`Welcome, ${supervisor.name}`);
  expect(document.querySelector('[data-testid="pending-approval"]')?.textContent).toBe("3");
  expect(document.querySelector('[data-testid="registration-frozen"]')?.textContent).toContain(
    "The last sync was 31 days ago (limit 30). Sync to continue registering.",
  );
  expect(document.querySelector('[data-testid="registration-frozen"]')?.textContent).toContain(
    "70 approved packets are not uploaded or exported (limit 70). Sync or export them.",
  );
  expectLabelledControls();
  const logout = [...document.querySelectorAll("button")].find((button) => button.textContent === "Log out");
  logout?.click();
  await settle();
  expect(backend.calls).toContain("logout");
  expect(heading()).toBe("Log in");
});

it("home: an expired session goes back to login and says why", async () => {
  await start();
  backend.facts = new BackendError("AUTH_SESSION_EXPIRED", "the session has expired");
  type("login-operator", "SUP1");
  type("login-password", "correct horse");
  await submit("login-submit");
  expect(heading()).toBe("Log in");
  expect(alertText()).toBe("You were logged out after a period of inactivity. Log in again.");
});
