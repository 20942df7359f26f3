// The Tauri implementation of `Backend`: the only module that imports `@tauri-apps/*`. Each
// method invokes one command of `enrol-desktop` and turns its `{code, message}` into a
// `BackendError`.

import { Channel, invoke } from "@tauri-apps/api/core";
import {
  BackendError,
  type Backend,
  type FreezeReason,
  type Operator,
  type SyncProgress,
  type ValidationError,
} from "./types";

interface CommandError {
  code: string;
  message: string;
  until?: string;
  freeze?: FreezeReason[];
  errors?: ValidationError[];
}

function isCommandError(value: unknown): value is CommandError {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as CommandError).code === "string" &&
    typeof (value as CommandError).message === "string"
  );
}

function backendError(error: CommandError): BackendError {
  return new BackendError(error.code, error.message, error.until, error.freeze, error.errors);
}

async function call<T>(
  command: string,
  args?: Record<string, unknown> | Uint8Array,
  headers?: Record<string, string>,
): Promise<T> {
  try {
    return await invoke<T>(command, args, headers ? { headers } : undefined);
  } catch (error) {
    if (isCommandError(error)) {
      throw backendError(error);
    }
    throw new BackendError("IPC", String(error));
  }
}

function bytesOfBase64(text: string): ArrayBuffer {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index++) bytes[index] = binary.charCodeAt(index);
  return bytes.buffer;
}

export const tauriBackend: Backend = {
  dataDirState: () => call("data_dir_state"),
  initMachine: (form) => call("init_machine", { form }),
  onboardMachine: async (form) => {
    const answer = await call<{ operator: Operator; firstSyncError: CommandError | null }>("onboard_machine", { form });
    return {
      operator: answer.operator,
      firstSyncError: answer.firstSyncError ? backendError(answer.firstSyncError) : undefined,
    };
  },
  initFromEnrolment: (enrolment, supervisorId, password) =>
    call("init_from_enrolment", { enrolment, supervisorId, password }),
  login: (operator, password) => call("login", { operator, password }),
  logout: () => call("logout"),
  homeFacts: () => call("home_facts"),
  freezeStatus: () => call("freeze_status"),
  registrationDrafts: () => call("registration_drafts"),
  startRegistration: (process) => call("start_registration", { process }),
  resumeRegistration: (id) => call("resume_registration", { id }),
  checkRegistration: (identity, selectedGroups) => call("check_registration", { identity, selectedGroups }),
  enterDemographics: (identity, selectedGroups) => call("enter_demographics", { identity, selectedGroups }),
  // The file goes as the raw request body; what it is for travels in headers.
  attachDocument: (upload) =>
    call("attach_document", upload.bytes, {
      "x-field": upload.field,
      "x-format": upload.format,
      "x-type": upload.typeCode,
    }),
  discoverDevices: () => call("discover_devices"),
  previewStream: (device, deviceSubId, onFrame) => {
    // Frames come as base64 text: Tauri's IPC on Linux would send raw bytes as a JSON number array.
    const frames = new Channel<string>();
    frames.onmessage = (jpeg) => onFrame(bytesOfBase64(jpeg));
    return call("preview_stream", { port: device.port, deviceId: device.deviceId, deviceSubId, frames });
  },
  captureBiometrics: (request) => call("capture_biometrics", { request }),
  markException: (field, attribute, reason) => call("mark_exception", { field, attribute, reason }),
  removeException: (field, attribute) => call("remove_exception", { field, attribute }),
  previewRegistration: () => call("preview_registration"),
  signOff: (password, supervisor) => call("sign_off", { password, supervisor: supervisor ?? null }),
  discardRegistration: () => call("discard_registration"),
  syncOverview: () => call("sync_overview"),
  serverHealth: () => call("server_health"),
  pendingApprovals: () => call("pending_approvals"),
  approvalReview: (rid) => call("approval_review", { rid }),
  decide: (decisions, password) => call("decide", { decisions, password }),
  sync: (onProgress) => {
    const progress = new Channel<SyncProgress>();
    progress.onmessage = onProgress;
    return call("sync", { progress });
  },
  packetStatuses: () => call("packet_statuses"),
  exportBundle: (folder) => call("export_bundle", { folder }),
  importReceipts: (folder) => call("import_receipts", { folder }),
  machineInfo: () => call("machine_info"),
  setServerUrl: (url) => call("set_server_url", { url }),
  changePassword: (oldPassword, newPassword) => call("change_password", { oldPassword, newPassword }),
  recentAudit: (limit) => call("recent_audit", { limit }),
  verifyAudit: () => call("verify_audit"),
};
