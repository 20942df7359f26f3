// The Tauri implementation of `Backend`: the only module that imports `@tauri-apps/*`. Each
// method invokes one command of `enrol-desktop` and turns its `{code, message}` into a
// `BackendError`.

import { invoke } from "@tauri-apps/api/core";
import { BackendError, type Backend, type FreezeReason } from "./types";

interface CommandError {
  code: string;
  message: string;
  until?: string;
  freeze?: FreezeReason;
}

function isCommandError(value: unknown): value is CommandError {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as CommandError).code === "string" &&
    typeof (value as CommandError).message === "string"
  );
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (error) {
    if (isCommandError(error)) {
      throw new BackendError(error.code, error.message, error.until, error.freeze);
    }
    throw new BackendError("IPC", String(error));
  }
}

export const tauriBackend: Backend = {
  dataDirState: () => call("data_dir_state"),
  initMachine: (form) => call("init_machine", { form }),
  login: (operator, password) => call("login", { operator, password }),
  logout: () => call("logout"),
  homeFacts: () => call("home_facts"),
  freezeStatus: () => call("freeze_status"),
};
