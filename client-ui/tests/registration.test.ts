// Registration screens against the in-memory backend and the repository's default form: fields
// rendered from the UI spec (controls, order, languages side by side, Arabic right-to-left),
// fields shown and required as the core's rules answer, refusals beside their fields, captures
// below the threshold, exceptions with their proof, sign-off and the slip, freeze refusals.

import { afterEach, beforeEach, expect, it } from "vitest";
import { mount, unmount } from "svelte";
import App from "../src/App.svelte";
import { BackendError, type FormCheck } from "../src/lib/backend";
import { settle, byId, type, choose, heading, expectLabelledControls } from "./dom";
import { FakeBackend } from "./fakeBackend";

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

function tick(id: string) {
  const box = byId<HTMLInputElement>(id);
  box.checked = !box.checked;
  box.dispatchEvent(new Event("change", { bubbles: true }));
}

function button(text: string): HTMLButtonElement {
  const found = [...document.querySelectorAll("button")].find((b) => b.textContent?.trim() === text);
  if (!found) throw new Error(`no button “${text}”`);
  return found;
}

async function press(text: string) {
  button(text).click();
  await settle();
}

function labelOf(id: string): string {
  return document.querySelector(`label[for="${id}"]`)?.textContent?.trim() ?? "";
}

/** Logs in, starts a NEW registration from Home. */
async function startNew() {
  app = mount(App, { target: document.body, props: { backend, storage: window.localStorage } });
  await settle();
  type("login-operator", "SUP1");
  type("login-password", "correct horse");
  byId<HTMLButtonElement>("login-submit").click();
  await settle();
  byId<HTMLButtonElement>("start-registration").click();
  await settle();
}

/** An adult unless born in 2022 or later; the applicant's biometrics are required. */
const adult = (identity: Record<string, unknown>): FormCheck => ({
  age_group: typeof identity.dateOfBirth === "string" && identity.dateOfBirth >= "2022" ? "INFANT" : "ADULT",
  fields: [{ id: "individualBiometrics", visible: true, required: true }],
  errors: [],
});

it("renders the spec's screens in order with their controls, languages side by side", async () => {
  await startNew();
  expect(backend.calls).toContain("startRegistration NEW");
  expect(heading()).toBe("Consent");
  expect(document.querySelector(".consent-text")?.textContent).toContain("used only to establish");
  expect(labelOf("reg-consent")).toBe("I have read and accept the terms");
  expect(document.querySelector('fieldset[role="radiogroup"] legend')?.textContent).toContain("Notification language");
  expectLabelledControls();
  tick("reg-consent");
  byId<HTMLInputElement>("reg-preferredLang-fra").click();
  await settle();
  await press("Next");

  expect(heading()).toBe("Demographic details");
  const order = [...document.querySelectorAll("[data-field]")].map((field) => field.getAttribute("data-field"));
  expect(order.slice(0, 5)).toEqual(["fullName", "dateOfBirth", "gender", "residenceStatus", "addressLine1"]);
  expect(labelOf("reg-fullName-eng")).toBe("Full name (English)");
  expect(labelOf("reg-fullName-ara")).toBe("Full name (العربية)");
  expect(byId("reg-fullName-ara").getAttribute("dir")).toBe("rtl");
  expect(byId("reg-fullName-eng").getAttribute("dir")).toBe("ltr");
  expect(byId("reg-dateOfBirth").getAttribute("type")).toBe("date");
  expect(labelOf("reg-dateOfBirth-age")).toBe("or age in years");
  expectLabelledControls();

  // Dropdowns come from the location hierarchy, each level inside the one above.
  const options = (id: string) => [...byId<HTMLSelectElement>(id).options].map((o) => o.value).filter(Boolean);
  expect(options("reg-region")).toEqual(["NTH", "STH"]);
  expect(options("reg-province")).toEqual([]);
  choose("reg-region", "NTH");
  await settle();
  expect(options("reg-province")).toEqual(["NTH-LK"]);
  choose("reg-province", "NTH-LK");
  await settle();
  choose("reg-region", "STH");
  await settle();
  expect(byId<HTMLSelectElement>("reg-province").value).toBe("");

  type("reg-fullName-eng", "Amina Okafor");
  type("reg-fullName-ara", "أمينة أوكافور");
  byId<HTMLInputElement>("reg-gender-FLE").click();
  type("reg-dateOfBirth-age", "36");
  byId<HTMLInputElement>("reg-dateOfBirth-age").dispatchEvent(new Event("change", { bubbles: true }));
  await settle();
  await press("Next");
  expect(backend.calls).toContain("enterDemographics");
  expect(backend.lastIdentity).toMatchObject({
    IDSchemaVersion: 1,
    consent: "Y",
    preferredLang: "fra",
    fullName: [
      { language: "eng", value: "Amina Okafor" },
      { language: "ara", value: "أمينة أوكافور" },
    ],
    gender: [
      { language: "eng", value: "FLE" },
      { language: "fra", value: "FLE" },
      { language: "ara", value: "FLE" },
    ],
    region: [
      { language: "eng", value: "STH" },
      { language: "fra", value: "STH" },
      { language: "ara", value: "STH" },
    ],
  });
  expect(String(backend.lastIdentity?.dateOfBirth)).toMatch(/^\d{4}\/\d{2}\/\d{2}$/);
  expect((backend.lastIdentity?.consentText as { language: string }[]).map((v) => v.language)).toEqual([
    "eng",
    "fra",
    "ara",
  ]);
  expect(heading()).toBe("Documents");
});

it("shows and requires fields as the core's rules say for the values entered", async () => {
  backend.checkAnswer = (identity) => {
    const infant = adult(identity).age_group === "INFANT";
    return {
      ...adult(identity),
      fields: ["introducerName", "introducerRID", "introducerUIN"].map((id) => ({
        id,
        visible: infant,
        required: infant && id === "introducerName",
      })),
    };
  };
  await startNew();
  await press("Next");
  expect(document.getElementById("reg-introducerName-eng")).toBeNull();
  const dateOfBirth = byId<HTMLInputElement>("reg-dateOfBirth");
  dateOfBirth.value = "2024-03-01";
  dateOfBirth.dispatchEvent(new Event("change", { bubbles: true }));
  await settle();
  expect(byId("reg-introducerName-eng").getAttribute("aria-required")).toBe("true");
  expect(document.querySelector('[data-field="introducerName"] legend')?.textContent).toBe("Introducer name*");
  expect(byId("reg-introducerRID").getAttribute("aria-required")).toBe("false");
  dateOfBirth.value = "1990-03-01";
  dateOfBirth.dispatchEvent(new Event("change", { bubbles: true }));
  await settle();
  expect(document.getElementById("reg-introducerName-eng")).toBeNull();
});

it("puts the core's refusals beside their fields, in the operator's language, and keeps the values", async () => {
  backend.checkAnswer = (identity) => ({
    ...adult(identity),
    errors: identity.gender ? [] : [{ field: "gender", code: "REQUIRED", message: "a value is required" }],
  });
  await startNew();
  await press("Next");
  await press("Next");
  // Next is refused on this screen: the required gender is shown, nothing is sent.
  expect(heading()).toBe("Demographic details");
  expect(document.querySelector('[data-field="gender"] [data-testid="field-errors"]')?.textContent?.trim()).toBe(
    "This value is required.",
  );
  expect(backend.calls).not.toContain("enterDemographics");

  byId<HTMLInputElement>("reg-gender-MLE").click();
  type("reg-fullName-eng", "Amina 0kafor");
  backend.demographicsAnswer = new BackendError("PATTERN", "the record is invalid: fullName (eng): PATTERN", undefined, undefined, [
    { field: "fullName", language: "eng", code: "PATTERN", message: "does not match" },
  ]);
  await settle();
  await press("Next");
  expect(heading()).toBe("Demographic details");
  expect(document.querySelector('[role="alert"]')?.textContent).toContain("Some values were not accepted");
  expect(byId<HTMLInputElement>("reg-fullName-eng").value).toBe("Amina 0kafor");

  // The live check now reports it too, and in Arabic the message is Arabic.
  backend.checkAnswer = (identity) => ({
    ...adult(identity),
    errors: [{ field: "fullName", language: "eng", code: "PATTERN", message: "does not match" }],
  });
  type("reg-fullName-eng", "Amina 0kafor!");
  await settle();
  expect(document.querySelector('[data-field="fullName"] [data-testid="field-errors"]')?.textContent?.trim()).toBe(
    "English: This value is not in the expected format.",
  );
  expect(byId("reg-fullName-eng").getAttribute("aria-invalid")).toBe("true");
  choose("language", "ara");
  await settle();
  expect(document.documentElement.dir).toBe("rtl");
  expect(document.querySelector('[data-field="fullName"] [data-testid="field-errors"]')?.textContent?.trim()).toBe(
    "English: هذه القيمة ليست بالتنسيق المتوقع.",
  );
});

it("checks a document's extension and size before sending it, then shows it attached", async () => {
  backend.registration.step = "demographics";
  backend.drafts = [{ id: backend.registration.id, process: "NEW", updated_at: 1_795_000_000 }];
  app = mount(App, { target: document.body, props: { backend, storage: window.localStorage } });
  await settle();
  type("login-operator", "SUP1");
  type("login-password", "correct horse");
  byId<HTMLButtonElement>("login-submit").click();
  await settle();
  await press("Resume New registration");
  expect(heading()).toBe("Documents");
  expect(labelOf("reg-proofOfIdentity")).toBe("File for Proof of identity");
  expect([...byId<HTMLSelectElement>("reg-proofOfIdentity-type").options].map((o) => o.textContent)).toEqual([
    "Passport",
    "National identity card",
    "Driving licence",
  ]);
  expect(document.getElementById("reg-proofOfIdentity-hint")?.textContent).toBe("PDF, JPEG or PNG, up to 2 MB.");
  const pick = async (file: File) => {
    const input = byId<HTMLInputElement>("reg-proofOfIdentity");
    Object.defineProperty(input, "files", { value: [file], configurable: true });
    input.dispatchEvent(new Event("change", { bubbles: true }));
    await settle();
  };
  await pick(new File(["GIF89a"], "id.gif"));
  expect(document.querySelector('[data-field="proofOfIdentity"] [role="alert"]')?.textContent).toContain(
    "not a PDF, JPEG or PNG",
  );
  await pick(new File([new Uint8Array(2_000_001)], "id.pdf"));
  expect(document.querySelector('[data-field="proofOfIdentity"] [role="alert"]')?.textContent).toContain("too large");
  expect(backend.calls.some((call) => call.startsWith("attachDocument"))).toBe(false);
  choose("reg-proofOfIdentity-type", "NIC");
  await pick(new File(["%PDF-1.7 scan"], "id.PDF"));
  expect(backend.calls).toContain("attachDocument proofOfIdentity pdf NIC 13");
  expect(document.querySelector('[data-testid="document-proofOfIdentity"]')?.textContent).toContain(
    "Attached: id.PDF, National identity card (PDF).",
  );
});

/** A registration resumed at the biometrics screen. */
async function resumeAtBiometrics() {
  backend.registration.step = "documents";
  backend.registration.identity = { fullName: [{ language: "eng", value: "Amina Okafor" }], dateOfBirth: "1990/04/12" };
  backend.drafts = [{ id: backend.registration.id, process: "NEW", updated_at: 1_795_000_000 }];
  backend.checkAnswer = adult;
  app = mount(App, { target: document.body, props: { backend, storage: window.localStorage } });
  await settle();
  type("login-operator", "SUP1");
  type("login-password", "correct horse");
  byId<HTMLButtonElement>("login-submit").click();
  await settle();
  await press("Resume New registration");
  expect(heading()).toBe("Biometrics");
}

it("captures again below the threshold, then keeps the capture as forced", async () => {
  backend.captures = [30, 35, 38];
  await resumeAtBiometrics();
  expect(backend.calls).toContain("discoverDevices");
  expect(byId<HTMLSelectElement>("cap-individualBiometrics-Finger-1-device").value).toBe("4501/1");
  // The introducer's biometrics are not required for an adult: folded away.
  expect(document.querySelector("details.optional-biometrics summary")?.textContent).toBe(
    "Optional: Introducer biometrics",
  );
  expectLabelledControls();
  await press("Capture Left hand, four fingers");
  const outcome = () =>
    document.querySelector('[data-testid="cap-individualBiometrics-Finger-1-outcome"]')?.textContent?.trim();
  expect(outcome()).toBe("Quality below the threshold: capture again (attempt 2 of 3).");
  expect(document.querySelector('[data-group="Finger-1"] tr[data-attribute="leftIndex"] td')?.textContent?.trim()).toBe(
    "30 (threshold 40)",
  );
  await press("Capture Left hand, four fingers again");
  await press("Capture Left hand, four fingers again");
  expect(outcome()).toBe("Kept after 3 attempts although the quality is below the threshold.");
  expect(backend.calls.filter((call) => call.startsWith("capture Finger-1"))).toEqual([
    "capture Finger-1 attempt 1 preview false",
    "capture Finger-1 attempt 2 preview false",
    "capture Finger-1 attempt 3 preview false",
  ]);
  expect(document.querySelector('[data-group="Finger-1"] tr[data-attribute="leftIndex"]')?.textContent).toContain(
    "kept below threshold",
  );
  // The face is previewed live while it is captured.
  await press("Capture Face");
  expect(backend.calls).toContain("previewStream 3 0");
  expect(backend.calls).toContain("capture Face-0 attempt 1 preview true");
  expect(document.querySelector('[data-group="Face-0"] [role="img"]:has(canvas)')?.getAttribute("aria-label")).toBe(
    "Live preview: Face",
  );
});

it("marks an exception with its reason, asks for the proof photo, and keeps the draft when the device is unplugged", async () => {
  await resumeAtBiometrics();
  expect(labelOf("exc-individualBiometrics-leftLittle")).toBe("Left little finger: missing or unusable");
  expect(document.getElementById("bio-individualBiometrics-proof")).toBeNull();
  choose("exc-individualBiometrics-leftLittle-reason", "Injured or scarred");
  tick("exc-individualBiometrics-leftLittle");
  await settle();
  expect(backend.calls).toContain("markException individualBiometrics leftLittle Injured or scarred");
  expect(document.querySelector('tr[data-attribute="leftLittle"] td')?.textContent?.trim()).toBe("Marked as exception");
  expect(labelOf("bio-individualBiometrics-proof")).toBe("File for Proof-of-exception photo");

  backend.captures = [new BackendError("SBI_UNREACHABLE", "cannot reach the device service on port 4501")];
  await press("Capture Left hand, four fingers");
  expect(document.querySelector('[data-group="Finger-1"] [role="alert"]')?.textContent).toContain(
    "Nothing captured so far is lost",
  );
  expect(backend.registration.exceptions).toEqual([
    { field: "individualBiometrics", attribute: "leftLittle", reason: "Injured or scarred" },
  ]);
  await press("Capture Left hand, four fingers");
  expect(backend.registration.biometrics.map((b) => b.attribute).sort()).toEqual(["leftIndex", "leftMiddle", "leftRing"]);

  tick("exc-individualBiometrics-leftLittle");
  await settle();
  expect(backend.calls).toContain("removeException individualBiometrics leftLittle");
});

it("previews, signs off with a supervisor for exceptions, and prints the slip with the RID as a QR code", async () => {
  await resumeAtBiometrics();
  tick("exc-individualBiometrics-rightEye");
  await settle();
  await press("Next");
  expect(heading()).toBe("Preview and sign-off");
  expect(document.querySelector(".summary")?.textContent).toContain("Amina Okafor");
  expect(document.querySelector(".summary")?.textContent).toContain("Right iris: marked as exception (Missing)");
  expectLabelledControls();
  type("sign-off-password", "correct horse");
  type("sign-off-supervisor", "SUP2");
  type("sign-off-supervisor-password", "supervisor pass");
  byId<HTMLButtonElement>("sign-off-submit").click();
  await settle();
  expect(backend.calls).toContain("signOff correct horse SUP2 supervisor pass");
  expect(heading()).toBe("Registration acknowledgement");
  expect(document.querySelector('[data-testid="rid"]')?.textContent).toBe("10011 10002 00001 20261 12814 3000");
  expect(document.querySelector(".qr svg")).not.toBeNull();
  let printed = false;
  window.print = () => (printed = true);
  await press("Print the acknowledgement");
  expect(printed).toBe(true);
  await press("Back to home");
  expect(heading()).toBe("Welcome, Amina Diallo");
});

it("a preview that is not complete lists what is missing, with a way back to it", async () => {
  backend.previewAnswer = new BackendError("DOCUMENT_REQUIRED", "the record is invalid", undefined, undefined, [
    { field: "proofOfAddress", code: "DOCUMENT_REQUIRED", message: "a value is required" },
  ]);
  await resumeAtBiometrics();
  await press("Next");
  expect(document.querySelector('[data-testid="preview-problems"]')?.textContent).toContain(
    "Proof of address: This document is required.",
  );
  expect(document.getElementById("sign-off-password")).toBeNull();
  await press("Go to Proof of address");
  expect(heading()).toBe("Documents");
  expect(document.querySelector('[data-field="proofOfAddress"] [data-testid="field-errors"]')?.textContent?.trim()).toBe(
    "This document is required.",
  );
});

it("a broken freeze rule refuses a new registration with its reason", async () => {
  backend.startAnswer = new BackendError("FREEZE_SYNC_OVERDUE", "last sync was 31 days ago", undefined, [
    { reason: "sync_overdue", days: 31, limit: 30 },
  ]);
  await startNew();
  expect(heading()).toBe("Welcome, Amina Diallo");
  expect(document.querySelector(".start-registration [role=alert]")?.textContent).toContain(
    "The last sync was 31 days ago (limit 30). Sync to continue registering.",
  );
});
