// The operational part of the backend: the shapes the core sends for the dashboard, supervisor
// approval, sync and export, settings and the audit log, and the calls those screens make.
// Field names follow the core's serialisation.

import type { Process } from "./registration";

/** Packets counted by their true state, and when the last sync and the last receipt happened
 * (seconds since the epoch). */
export interface SyncOverview {
  /** PENDING_APPROVAL, REJECTED, APPROVED, META_SENT, UPLOADING, RECEIVED → count. */
  by_phase: Record<string, number>;
  last_success_at: number | null;
  last_attempt_at: number | null;
  /** The code of the last run's first failure, when it failed. */
  last_error: string | null;
  last_receipt_at: number | null;
}

/** Whether the configured sync server answers its health check. */
export interface ServerHealth {
  server_url: string | null;
  online: boolean;
}

/** A registration awaiting a supervisor's decision. */
export interface PendingApproval {
  rid: string;
  registration_id: string;
  process: Process;
  operator_id: string;
  /** The supervisor who authorised biometric exceptions at sign-off, if there were any. */
  exceptions_authorised_by: string | null;
  created_at: number;
}

export interface StatusChange {
  status: string;
  actor: string;
  reason: string | null;
  at: number;
}

/** One demographic field as entered: each value with its language (none for plain values). */
export interface ReviewField {
  id: string;
  /** Language code → the field's label. */
  label: Record<string, string>;
  /** `names`: for a code chosen from a list, its name per language. */
  values: { language: string | null; value: string; names?: Record<string, string> }[];
}

/** A document as reviewed: its field's label and its type's names per language (when known). */
export interface ReviewDocument {
  field: string;
  label?: Record<string, string>;
  type_code: string;
  type_names?: Record<string, string>;
  format: string;
}

/** What a supervisor reviews: the registration's summary kept at sign-off (no biometric or
 * document bytes), its exceptions with who authorised them, and its status history. */
export interface ApprovalReview {
  pending: PendingApproval;
  age_group: string | null;
  fields: ReviewField[];
  documents: ReviewDocument[];
  biometrics: { field: string; attribute: string; quality: number; threshold: number; retries: number; forced: boolean }[];
  exceptions: { field: string; attribute: string; reason: string }[];
  history: StatusChange[];
}

export type Decision = { rid: string; decision: "approve" } | { rid: string; decision: "reject"; reason: string };

/** A packet's progress in a sync run. */
export interface SyncProgress {
  rid: string;
  phase: string;
  offset: number;
  size: number;
}

export interface PacketOutcome {
  rid: string;
  phase: string;
  resumed_from: number[];
  bytes_sent: number;
  /** Stable code and message when the packet was left for a later run. */
  error: [string, string] | null;
}

/** What a sync run did (publications and operators first, then packets). */
export interface SyncReport {
  publications: { changes: { kind: string; name: string; version: number; skipped?: string }[]; cursor: number };
  operators: {
    added: string[];
    updated: string[];
    deactivated: string[];
    first_login_ready: string[];
    skipped: [string, string][];
  };
  packets: PacketOutcome[];
  statuses_changed: number;
  deleted: string[];
  audit_entries_removed: number;
}

/** A packet's true state: approval, sync phase, server status. */
export interface PacketSyncStatus {
  rid: string;
  approval: string;
  phase: string;
  uploaded_bytes: number;
  size: number;
  server_status: string | null;
  receipt_sequence: number | null;
  last_error: string | null;
  deleted: boolean;
}

export interface ExportReport {
  folder: string;
  rids: string[];
  bytes: number;
}

export interface ReceiptsReport {
  received: string[];
  already: number;
  /** RID and reason. */
  refused: [string, string][];
}

export interface MachineInfo {
  machine_id: string;
  centre_id: string;
  centre_name: string;
  server_url: string | null;
  created_at: number;
}

export interface AuditEntry {
  seq: number;
  at: number;
  actor: string;
  action: string;
  subject: string;
}

/** A verified audit chain. */
export interface AuditReport {
  entries: number;
  head: { seq: number; hash: string } | null;
  unanchored: number;
}

export interface OperationsBackend {
  syncOverview(): Promise<SyncOverview>;
  /** Asks the configured server's health check, with a short timeout. */
  serverHealth(): Promise<ServerHealth>;
  pendingApprovals(): Promise<PendingApproval[]>;
  approvalReview(rid: string): Promise<ApprovalReview>;
  /** Records every decision after one check of the supervisor's password: all or none. */
  decide(decisions: Decision[], password: string): Promise<string[]>;
  /** Runs a whole sync, reporting each packet's progress. */
  sync(onProgress: (progress: SyncProgress) => void): Promise<SyncReport>;
  packetStatuses(): Promise<PacketSyncStatus[]>;
  exportBundle(folder: string): Promise<ExportReport>;
  importReceipts(folder: string): Promise<ReceiptsReport>;
  machineInfo(): Promise<MachineInfo>;
  setServerUrl(url: string): Promise<MachineInfo>;
  changePassword(oldPassword: string, newPassword: string): Promise<void>;
  recentAudit(limit: number): Promise<AuditEntry[]>;
  verifyAudit(): Promise<AuditReport>;
}
