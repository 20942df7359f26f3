// The backend interface the UI depends on, and the shapes it exchanges. Nothing here knows
// about Tauri: screens receive a `Backend` and tests pass their own.

import type { OperationsBackend } from "./operations";
import type { RegistrationBackend, ValidationError } from "./registration";

export * from "./operations";
export * from "./registration";

export type Role = "operator" | "supervisor" | "administrator";

export interface Operator {
  id: string;
  name: string;
  roles: Role[];
  status: string;
}

export interface InitForm {
  machineId: string;
  centreId: string;
  centreName: string;
  supervisorId: string;
  supervisorName: string;
  password: string;
}

/** Online onboarding: the server, this machine, the administrator's one-time code and the
 * supervisor the server knows. */
export interface OnboardForm {
  serverUrl: string;
  machineId: string;
  onboardingCode: string;
  supervisorId: string;
  password: string;
}

/** A machine onboarded online; `firstSyncError` when pulling the centre's data failed. */
export interface Onboarded {
  operator: Operator;
  firstSyncError?: BackendError;
}

/** The counts and dates the core's freeze rules look at (seconds since the epoch). */
export interface HomeFacts {
  last_sync_at: number;
  pending_approval: number;
  oldest_pending_at: number | null;
  unexported_approved: number;
  last_export_at: number | null;
}

/** A broken freeze rule with its figures, as the core serialises it. */
export type FreezeReason =
  | { reason: "sync_overdue"; days: number; limit: number }
  | { reason: "too_many_pending_approval"; count: number; limit: number }
  | { reason: "pending_approval_too_old"; days: number; limit: number }
  | { reason: "too_many_unexported"; count: number; limit: number }
  | { reason: "export_overdue"; days: number; limit: number };

/** A refused or failed call: the core's stable code plus what a translation needs. */
export class BackendError extends Error {
  readonly code: string;
  readonly until?: string;
  /** Every broken freeze rule, in the core's order (the first names the code). */
  readonly freeze?: FreezeReason[];
  /** Every field the validator refused, for a message beside each one. */
  readonly errors?: ValidationError[];

  constructor(code: string, message: string, until?: string, freeze?: FreezeReason[], errors?: ValidationError[]) {
    super(message);
    this.name = "BackendError";
    this.code = code;
    this.until = until;
    this.freeze = freeze;
    this.errors = errors;
  }
}

export interface Backend extends RegistrationBackend, OperationsBackend {
  /** Resolves when the data directory is initialised; rejects with `NOT_INITIALISED` on first run. */
  dataDirState(): Promise<void>;
  /** Creates the machine and the first supervisor, who is then logged in. */
  initMachine(form: InitForm): Promise<Operator>;
  /** Onboards the machine online with a one-time code; the supervisor is then logged in. */
  onboardMachine(form: OnboardForm): Promise<Onboarded>;
  /** Sets the machine up from a machine enrolment file's text, installed by a supervisor it lists. */
  initFromEnrolment(enrolment: string, supervisorId: string, password: string): Promise<Operator>;
  login(operator: string, password: string): Promise<Operator>;
  logout(): Promise<void>;
  homeFacts(): Promise<HomeFacts>;
  /** Resolves when registrations are allowed; rejects with a `FREEZE_*` error otherwise. */
  freezeStatus(): Promise<void>;
}
