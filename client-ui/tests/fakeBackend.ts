// An in-memory `Backend` for component tests: answers are set per test, calls are recorded.
// The registration form is the repository's default data (`schema/data`), as the core sends it
// when no form was synced; the rules the core evaluates are given per test (`checkAnswer`).
// The real adapter and commands are exercised by the WebDriver end-to-end test.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  BackendError,
  type ApprovalReview,
  type AuditEntry,
  type AuditReport,
  type Backend,
  type BioType,
  type CaptureRequest,
  type Captured,
  type Decision,
  type Device,
  type DocumentUpload,
  type DraftSummary,
  type ExportReport,
  type FormCheck,
  type FormView,
  type HomeFacts,
  type InitForm,
  type MachineInfo,
  type OnboardForm,
  type Onboarded,
  type Opened,
  type Operator,
  type PacketSyncStatus,
  type PendingApproval,
  type PlannedGroup,
  type Preview,
  type Process,
  type ReceiptsReport,
  type Registration,
  type ServerHealth,
  type SignedOff,
  type SyncOverview,
  type SyncProgress,
  type SyncReport,
  type UiField,
} from "../src/lib/backend";

export const supervisor: Operator = { id: "SUP1", name: "Amina Diallo", roles: ["supervisor"], status: "active" };

export const quietFacts: HomeFacts = {
  last_sync_at: 1_795_000_000,
  pending_approval: 3,
  oldest_pending_at: 1_794_900_000,
  unexported_approved: 0,
  last_export_at: null,
};

type Answer<T> = T | BackendError;

function settle<T>(answer: Answer<T>): Promise<T> {
  return answer instanceof BackendError ? Promise.reject(answer) : Promise.resolve(answer);
}

export class FakeBackend implements Backend {
  initialised: Answer<void> = undefined;
  loginAnswer: Answer<Operator> = supervisor;
  initAnswer: Answer<Operator> = supervisor;
  facts: Answer<HomeFacts> = quietFacts;
  freeze: Answer<void> = undefined;
  calls: string[] = [];
  lastInit?: InitForm;
  onboardAnswer: Answer<Onboarded> = { operator: supervisor };
  lastOnboard?: OnboardForm;
  enrolmentAnswer: Answer<Operator> = supervisor;
  lastEnrolment?: { enrolment: string; supervisorId: string; password: string };

  dataDirState() {
    this.calls.push("dataDirState");
    return settle(this.initialised);
  }
  initMachine(form: InitForm) {
    this.calls.push("initMachine");
    this.lastInit = form;
    return settle(this.initAnswer);
  }
  onboardMachine(form: OnboardForm) {
    this.calls.push("onboardMachine");
    this.lastOnboard = form;
    return settle(this.onboardAnswer);
  }
  initFromEnrolment(enrolment: string, supervisorId: string, password: string) {
    this.calls.push("initFromEnrolment");
    this.lastEnrolment = { enrolment, supervisorId, password };
    return settle(this.enrolmentAnswer);
  }
  login(operator: string, password: string) {
    this.calls.push(`login ${operator} ${password}`);
    return settle(this.loginAnswer);
  }
  logout() {
    this.calls.push("logout");
    return Promise.resolve();
  }
  homeFacts() {
    this.calls.push("homeFacts");
    return settle(this.facts);
  }
  freezeStatus() {
    this.calls.push("freezeStatus");
    return settle(this.freeze);
  }

  form: FormView = defaultForm();
  registration: Registration = newRegistration();
  drafts: DraftSummary[] = [];
  startAnswer?: BackendError;
  /** What the core's rules say for the values entered: every field shown, none required. */
  checkAnswer: (identity: Record<string, unknown>) => FormCheck = () => ({ age_group: "ADULT", fields: [], errors: [] });
  demographicsAnswer?: BackendError;
  devices: Device[] = simulatedDevices;
  /** Qualities the next captures return, one list per capture; a device error to throw instead. */
  captures: (number | BackendError)[] = [];
  previewAnswer: Preview | BackendError = {
    process: "NEW",
    age_group: "ADULT",
    fields: [],
    documents: [],
    captured: [],
    exceptions: [],
  };
  signed: SignedOff | BackendError = { rid: "10011100020000120261128143000", packet_id: "p", created_at: 1_795_000_000 };
  lastIdentity?: Record<string, unknown>;

  private opened(): Promise<Opened> {
    return Promise.resolve({ registration: structuredClone(this.registration), form: this.form });
  }
  private saved(): Promise<Registration> {
    return Promise.resolve(structuredClone(this.registration));
  }
  registrationDrafts() {
    this.calls.push("registrationDrafts");
    return Promise.resolve(this.drafts);
  }
  startRegistration(process: Process) {
    this.calls.push(`startRegistration ${process}`);
    return this.startAnswer ? Promise.reject(this.startAnswer) : this.opened();
  }
  resumeRegistration(id: string) {
    this.calls.push(`resumeRegistration ${id}`);
    return this.opened();
  }
  checkRegistration(identity: Record<string, unknown>) {
    return Promise.resolve(this.checkAnswer(identity));
  }
  enterDemographics(identity: Record<string, unknown>) {
    this.calls.push("enterDemographics");
    this.lastIdentity = identity;
    if (this.demographicsAnswer) return Promise.reject(this.demographicsAnswer);
    this.registration.identity = identity;
    this.registration.step = "demographics";
    return this.saved();
  }
  attachDocument(upload: DocumentUpload) {
    this.calls.push(`attachDocument ${upload.field} ${upload.format} ${upload.typeCode} ${upload.bytes.length}`);
    this.registration.documents = this.registration.documents.filter((d) => d.field !== upload.field);
    this.registration.documents.push({ field: upload.field, category: "", type_code: upload.typeCode, format: upload.format });
    return this.saved();
  }
  discoverDevices() {
    this.calls.push("discoverDevices");
    return Promise.resolve(this.devices);
  }
  previewStream(device: Device, deviceSubId: number, onFrame: (jpeg: ArrayBuffer) => void) {
    this.calls.push(`previewStream ${device.deviceId} ${deviceSubId}`);
    onFrame(new Uint8Array([0xff, 0xd8, 0xff, 0xd9]).buffer);
    return Promise.resolve();
  }
  captureBiometrics(request: CaptureRequest): Promise<Captured> {
    this.calls.push(`capture ${request.bioType}-${request.deviceSubId} attempt ${request.attempt} preview ${request.previewOpen}`);
    const next = this.captures.shift() ?? 95;
    if (next instanceof BackendError) return Promise.reject(next);
    const group = this.form.capture_plans[request.field].find(
      (g) => g.bio_type === request.bioType && g.device_sub_id === request.deviceSubId,
    );
    const wanted = (group?.attributes ?? []).filter(
      (a) => !this.registration.exceptions.some((e) => e.field === request.field && e.attribute === a.attribute),
    );
    const kept = wanted.every((a) => next >= a.threshold || request.attempt >= a.max_attempts);
    if (kept) {
      for (const a of wanted) {
        this.registration.biometrics = this.registration.biometrics.filter(
          (b) => !(b.field === request.field && b.attribute === a.attribute),
        );
        this.registration.biometrics.push({
          field: request.field,
          attribute: a.attribute,
          quality: next,
          retries: request.attempt,
          forced: next < a.threshold,
          captured_at: 1_795_000_100,
        });
      }
    }
    return Promise.resolve({
      outcome: {
        attempt: request.attempt,
        kept,
        qualities: wanted.map((a) => ({ attribute: a.attribute, quality: next, threshold: a.threshold, max_attempts: a.max_attempts })),
      },
      registration: structuredClone(this.registration),
    });
  }
  markException(field: string, attribute: string, reason: string) {
    this.calls.push(`markException ${field} ${attribute} ${reason}`);
    this.registration.exceptions.push({ field, attribute, reason });
    return this.saved();
  }
  removeException(field: string, attribute: string) {
    this.calls.push(`removeException ${field} ${attribute}`);
    this.registration.exceptions = this.registration.exceptions.filter((e) => !(e.field === field && e.attribute === attribute));
    return this.saved();
  }
  previewRegistration() {
    this.calls.push("previewRegistration");
    return settle(this.previewAnswer);
  }
  signOff(password: string, supervisor?: { id: string; password: string }) {
    this.calls.push(`signOff ${password}${supervisor ? ` ${supervisor.id} ${supervisor.password}` : ""}`);
    return settle(this.signed);
  }
  discardRegistration() {
    this.calls.push("discardRegistration");
    return Promise.resolve();
  }

  ops = new OperationsAnswers();

  syncOverview() {
    this.calls.push("syncOverview");
    return settle(this.ops.overview);
  }
  serverHealth() {
    this.calls.push("serverHealth");
    return settle(this.ops.health);
  }
  pendingApprovals() {
    this.calls.push("pendingApprovals");
    return Promise.resolve(structuredClone(this.ops.pending));
  }
  approvalReview(rid: string) {
    this.calls.push(`approvalReview ${rid}`);
    return settle(this.ops.review(rid));
  }
  decide(decisions: Decision[], password: string) {
    this.calls.push(`decide ${password}`);
    if (this.ops.decideAnswer) return Promise.reject(this.ops.decideAnswer);
    this.ops.decided.push({ decisions: structuredClone(decisions), password });
    const rids = decisions.map((d) => d.rid);
    this.ops.pending = this.ops.pending.filter((p) => !rids.includes(p.rid));
    return Promise.resolve(rids);
  }
  async sync(onProgress: (progress: SyncProgress) => void) {
    this.calls.push("sync");
    for (const step of this.ops.progress) {
      onProgress(step);
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    await this.ops.syncGate;
    return settle(this.ops.syncAnswers.shift() ?? syncReport([]));
  }
  packetStatuses() {
    this.calls.push("packetStatuses");
    return Promise.resolve(this.ops.statuses);
  }
  exportBundle(folder: string) {
    this.calls.push(`exportBundle ${folder}`);
    return settle(this.ops.exportAnswer);
  }
  importReceipts(folder: string) {
    this.calls.push(`importReceipts ${folder}`);
    return settle(this.ops.receiptsAnswer);
  }
  machineInfo() {
    this.calls.push("machineInfo");
    return Promise.resolve(this.ops.machine);
  }
  setServerUrl(url: string) {
    this.calls.push(`setServerUrl ${url}`);
    if (this.ops.serverAnswer) return Promise.reject(this.ops.serverAnswer);
    this.ops.machine = { ...this.ops.machine, server_url: url };
    return Promise.resolve(this.ops.machine);
  }
  changePassword(oldPassword: string, newPassword: string) {
    this.calls.push(`changePassword ${oldPassword} ${newPassword}`);
    return this.ops.passwordAnswer ? Promise.reject(this.ops.passwordAnswer) : Promise.resolve();
  }
  recentAudit(limit: number) {
    this.calls.push(`recentAudit ${limit}`);
    return Promise.resolve(this.ops.audit);
  }
  verifyAudit() {
    this.calls.push("verifyAudit");
    return settle(this.ops.auditAnswer);
  }
}

/** What the operational screens' calls answer, set per test; calls are recorded too. */
export class OperationsAnswers {
  overview: Answer<SyncOverview> = {
    by_phase: { PENDING_APPROVAL: 3, APPROVED: 1, RECEIVED: 7, REJECTED: 1 },
    last_success_at: 1_795_000_000,
    last_attempt_at: 1_795_000_000,
    last_error: null,
    last_receipt_at: 1_794_990_000,
  };
  health: Answer<ServerHealth> = { server_url: "http://127.0.0.1:8420", online: true };
  pending: PendingApproval[] = [pending("10011100020000120261128100000"), pending("10011100020000220261128110000", "SUP1")];
  review: (rid: string) => Answer<ApprovalReview> = (rid) => reviewOf(this.pending.find((p) => p.rid === rid) ?? pending(rid));
  decideAnswer?: BackendError;
  decided: { decisions: Decision[]; password: string }[] = [];
  /** The progress steps a sync reports before it answers. */
  progress: SyncProgress[] = [];
  /** When set, a sync waits for it after reporting its progress (to look at a running sync). */
  syncGate?: Promise<void>;
  syncAnswers: Answer<SyncReport>[] = [];
  statuses: PacketSyncStatus[] = [];
  exportAnswer: Answer<ExportReport> = { folder: "/media/usb/export", rids: ["r1", "r2"], bytes: 3_000_000 };
  receiptsAnswer: Answer<ReceiptsReport> = { received: ["r1"], already: 1, refused: [] };
  machine: MachineInfo = {
    machine_id: "10011",
    centre_id: "10001",
    centre_name: "Centre Mehdia",
    server_url: "http://127.0.0.1:8420",
    created_at: 1_794_000_000,
  };
  serverAnswer?: BackendError;
  passwordAnswer?: BackendError;
  audit: AuditEntry[] = [
    { seq: 41, at: 1_795_000_000, actor: "SUP1", action: "login", subject: "" },
    { seq: 42, at: 1_795_000_100, actor: "SUP1", action: "registration.approved", subject: "10011100020000120261128100000" },
  ];
  auditAnswer: Answer<AuditReport> = { entries: 42, head: { seq: 42, hash: "ab".repeat(32) }, unanchored: 0 };
}

export function pending(rid: string, exceptionsBy: string | null = null): PendingApproval {
  return {
    rid,
    registration_id: `reg-${rid.slice(-6)}`,
    process: "NEW",
    operator_id: "OP1",
    exceptions_authorised_by: exceptionsBy,
    created_at: 1_795_000_000,
  };
}

function reviewOf(approval: PendingApproval): ApprovalReview {
  return {
    pending: approval,
    age_group: "ADULT",
    fields: [
      {
        id: "fullName",
        label: { eng: "Full name", fra: "Nom complet", ara: "الاسم الكامل" },
        values: [
          { language: "eng", value: "Amina Diallo" },
          { language: "ara", value: "أمينة ديالو" },
        ],
      },
      { id: "dateOfBirth", label: { eng: "Date of birth" }, values: [{ language: null, value: "1990/01/31" }] },
      {
        id: "gender",
        label: { eng: "Gender" },
        values: [
          { language: "eng", value: "FLE", names: { eng: "Female", ara: "أنثى" } },
          { language: "ara", value: "FLE", names: { eng: "Female", ara: "أنثى" } },
        ],
      },
      { id: "region", label: { eng: "Region" }, values: [{ language: null, value: "NTH", names: { eng: "Northern Region" } }] },
    ],
    documents: [
      {
        field: "proofOfAddress",
        label: { eng: "Proof of address" },
        type_code: "UTB",
        type_names: { eng: "Utility bill" },
        format: "pdf",
      },
    ],
    biometrics: [
      { field: "individualBiometrics", attribute: "leftIndex", quality: 85, threshold: 80, retries: 1, forced: false },
      { field: "individualBiometrics", attribute: "face", quality: 70, threshold: 90, retries: 3, forced: true },
    ],
    exceptions: approval.exceptions_authorised_by
      ? [{ field: "individualBiometrics", attribute: "leftLittle", reason: "Missing" }]
      : [],
    history: [{ status: "REGISTERED", actor: "OP1", reason: null, at: approval.created_at }],
  };
}

/** A sync report in which `received` packets went through and `failed` were left for later. */
export function syncReport(received: string[], failed: [string, string, string][] = []): SyncReport {
  return {
    publications: { changes: [], cursor: 4 },
    operators: { added: [], updated: [], deactivated: [], first_login_ready: [], skipped: [] },
    packets: [
      ...received.map((rid) => ({ rid, phase: "RECEIVED", resumed_from: [], bytes_sent: 1000, error: null })),
      ...failed.map(([rid, code, message]) => ({
        rid,
        phase: "UPLOADING",
        resumed_from: [],
        bytes_sent: 0,
        error: [code, message] as [string, string],
      })),
    ],
    statuses_changed: 2,
    deleted: [],
    audit_entries_removed: 0,
  };
}

/** The built-in form of `process` as the core sends it, from the repository's default data. */
export function defaultForm(process: Process = "NEW"): FormView {
  const data = (name: string) => JSON.parse(readFileSync(join(import.meta.dirname, "../../schema/data", name), "utf8"));
  const specFile = { NEW: "new", UPDATE: "update", LOST: "lost", BIOMETRIC_CORRECTION: "biometric-correction" }[process];
  const spec = data(`ui-spec-${specFile}.json`);
  const schema = data("identity-schema.json").properties.identity.properties as Record<string, { $ref?: string; type?: string }>;
  const settings = data("settings.json");
  const valueTypes = Object.fromEntries(
    Object.entries(schema).map(([id, field]) => [id, field.$ref ? field.$ref.split("/").pop() : field.type]),
  );
  // The core's capture groups (`capture_groups`), in MOSIP's order.
  const layout: [BioType, number, string[], number, number][] = [
    ["Finger", 1, ["leftIndex", "leftMiddle", "leftRing", "leftLittle"], settings.quality.slap, settings.retries.finger],
    ["Finger", 2, ["rightIndex", "rightMiddle", "rightRing", "rightLittle"], settings.quality.slap, settings.retries.finger],
    ["Finger", 3, ["leftThumb", "rightThumb"], settings.quality.thumb, settings.retries.finger],
    ["Iris", 3, ["leftEye", "rightEye"], settings.quality.iris, settings.retries.iris],
    ["Face", 0, ["face"], settings.quality.face, settings.retries.face],
  ];
  const plans: Record<string, PlannedGroup[]> = {};
  for (const field of (spec.screens as { fields: UiField[] }[]).flatMap((screen) => screen.fields)) {
    if (valueTypes[field.id] !== "biometricsType") continue;
    plans[field.id] = layout
      .map(([bio_type, device_sub_id, members, threshold, max_attempts]) => ({
        bio_type,
        device_sub_id,
        attributes: members
          .filter((attribute) => field.bioAttributes.includes(attribute))
          .map((attribute) => ({ attribute, threshold, max_attempts })),
      }))
      .filter((group) => group.attributes.length > 0);
  }
  return {
    process,
    schema_version: 1,
    spec,
    master: data("master-data.json"),
    settings,
    value_types: valueTypes as Record<string, string>,
    capture_plans: plans,
  };
}

export function newRegistration(process: Process = "NEW"): Registration {
  return {
    id: "0f3c9a",
    process,
    operator_id: supervisor.id,
    started_at: 1_795_000_000,
    step: "started",
    identity: {},
    selected_groups: [],
    documents: [],
    biometrics: [],
    exceptions: [],
  };
}

/** A slap, thumbs, iris and face simulator device, trusted. */
export const simulatedDevices: Device[] = [
  { bioType: "Finger", deviceSubType: "Slab", subIds: [1, 2, 3] },
  { bioType: "Iris", deviceSubType: "Double", subIds: [3] },
  { bioType: "Face", deviceSubType: "Full face", subIds: [0] },
].map((device, index) => ({
  ...(device as Pick<Device, "bioType" | "deviceSubType" | "subIds">),
  port: 4501,
  deviceId: String(index + 1),
  status: "Ready",
  make: "Enrol",
  model: "Simulator",
  serialNo: `SIM-${index + 1}`,
  trusted: true,
  refusal: null,
}));
