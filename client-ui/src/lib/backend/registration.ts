// The registration part of the backend: the shapes the core sends for a registration (its
// form — UI spec, master data, settings — the draft, live checks, device captures) and the
// calls the registration screens make. Field names follow the core's serialisation.

export type Process = "NEW" | "UPDATE" | "LOST" | "BIOMETRIC_CORRECTION";
export const processes: readonly Process[] = ["NEW", "UPDATE", "LOST", "BIOMETRIC_CORRECTION"];

/** Language code → text. */
export type Labels = Record<string, string>;

export interface Rule {
  engine: string;
  expr: string;
}

export interface ValidatorSpec {
  type: string;
  validator: string;
  arguments?: unknown[];
  langCode?: string | null;
}

export interface ConditionalBioAttributes {
  ageGroup: string;
  process: string;
  validationExpr: string;
  bioAttributes: string[];
}

export interface UiField {
  id: string;
  inputRequired: boolean;
  type?: string | null;
  label: Labels;
  controlType?: string | null;
  fieldType?: string | null;
  validators: ValidatorSpec[];
  visible?: Rule | null;
  requiredOn: Rule[];
  required: boolean;
  group?: string | null;
  subType?: string | null;
  bioAttributes: string[];
  conditionalBioAttributes: ConditionalBioAttributes[];
  exceptionPhotoRequired: boolean;
}

export interface Screen {
  order: number;
  name: string;
  label: Labels;
  fields: UiField[];
}

export interface ProcessSpec {
  id: string;
  flow: string;
  label: Labels;
  autoSelectedGroups: string[];
  screens: Screen[];
}

export interface DynamicValue {
  code: string;
  value: string;
  active: boolean;
}

export interface MasterData {
  locationHierarchy: { hierarchyLevel: number; hierarchyLevelName: string; langCode: string }[];
  locations: {
    code: string;
    name: string;
    hierarchyLevel: number;
    hierarchyName: string;
    parentLocCode: string | null;
    langCode: string;
    isActive: boolean;
  }[];
  documentTypes: { code: string; name: string; langCode: string; isActive: boolean }[];
  validDocuments: { docTypeCode: string; docCategoryCode: string; isActive: boolean }[];
  dynamicFields: { name: string; langCode: string; isActive: boolean; fieldVal: DynamicValue[] }[];
  languages: { code: string; name: string; nativeName: string; rightToLeft: boolean; isActive: boolean }[];
}

export interface RegistrationSettings {
  quality: { slap: number; thumb: number; iris: number; face: number };
  retries: { finger: number; iris: number; face: number };
  max_document_size_bytes: number;
}

export type BioType = "Finger" | "Iris" | "Face";

export interface PlannedGroup {
  bio_type: BioType;
  /** 1 left slap, 2 right slap, 3 thumbs or both irises, 0 face. */
  device_sub_id: number;
  attributes: { attribute: string; threshold: number; max_attempts: number }[];
}

/** Everything a registration screen renders from. */
export interface FormView {
  process: Process;
  schema_version: number;
  spec: ProcessSpec;
  master: MasterData;
  settings: RegistrationSettings;
  /** Field id → the schema's value type (`simpleType` is entered in every language). */
  value_types: Record<string, string>;
  /** Biometrics field id → its device captures. */
  capture_plans: Record<string, PlannedGroup[]>;
}

export interface CapturedDocument {
  field: string;
  category: string;
  type_code: string;
  format: string;
}

export interface CapturedBiometric {
  field: string;
  attribute: string;
  quality: number;
  retries: number;
  forced: boolean;
  captured_at: number;
}

export interface BiometricException {
  field: string;
  attribute: string;
  reason: string;
}

/** A registration in progress, as its draft holds it (captures without their bytes). */
export interface Registration {
  id: string;
  process: Process;
  operator_id: string;
  started_at: number;
  step: "started" | "demographics" | "documents" | "biometrics" | "previewed";
  identity: Record<string, unknown>;
  selected_groups: string[];
  documents: CapturedDocument[];
  biometrics: CapturedBiometric[];
  exceptions: BiometricException[];
}

export interface Opened {
  registration: Registration;
  form: FormView;
}

export interface DraftSummary {
  id: string;
  process: string;
  updated_at: number;
}

/** One field the validator refused (codes: REQUIRED, PATTERN, NOT_IN_LIST, …). */
export interface ValidationError {
  field: string;
  language?: string;
  code: string;
  message: string;
}

export interface FieldState {
  id: string;
  visible: boolean;
  required: boolean;
}

/** The form's state for the values entered so far. */
export interface FormCheck {
  age_group: string | null;
  fields: FieldState[];
  errors: ValidationError[];
}

export interface DocumentUpload {
  field: string;
  /** The file's extension (pdf, jpg, png): the core checks it against the bytes. */
  format: string;
  typeCode: string;
  bytes: Uint8Array;
}

/** An SBI device found by discovery. */
export interface Device {
  port: number;
  deviceId: string;
  bioType: BioType | null;
  deviceSubType: string;
  subIds: number[];
  status: string;
  make: string;
  model: string;
  serialNo: string;
  trusted: boolean;
  /** Why an untrusted device may not be used (an `SBI_*` code). */
  refusal: string | null;
}

export interface CaptureRequest {
  field: string;
  bioType: BioType;
  deviceSubId: number;
  port: number;
  deviceId: string;
  /** 1 for a group's first capture, one more for each capture again. */
  attempt: number;
  previewOpen: boolean;
}

export interface AttributeQuality {
  attribute: string;
  quality: number;
  threshold: number;
  max_attempts: number;
}

export interface Captured {
  outcome: { attempt: number; kept: boolean; qualities: AttributeQuality[] };
  registration: Registration;
}

export interface Preview {
  process: Process;
  age_group: string | null;
  fields: string[];
  documents: string[];
  captured: string[];
  exceptions: string[];
}

export interface SignedOff {
  rid: string;
  packet_id: string;
  created_at: number;
}

export interface RegistrationBackend {
  registrationDrafts(): Promise<DraftSummary[]>;
  /** Rejects with a `FREEZE_*` error while a freeze rule is broken. */
  startRegistration(process: Process): Promise<Opened>;
  resumeRegistration(id: string): Promise<Opened>;
  checkRegistration(identity: Record<string, unknown>, selectedGroups: string[]): Promise<FormCheck>;
  enterDemographics(identity: Record<string, unknown>, selectedGroups: string[]): Promise<Registration>;
  attachDocument(upload: DocumentUpload): Promise<Registration>;
  discoverDevices(): Promise<Device[]>;
  /** Streams a device's preview frames (each a JPEG file's bytes) until a capture ends it. */
  previewStream(device: Device, deviceSubId: number, onFrame: (jpeg: ArrayBuffer) => void): Promise<void>;
  captureBiometrics(request: CaptureRequest): Promise<Captured>;
  markException(field: string, attribute: string, reason: string): Promise<Registration>;
  removeException(field: string, attribute: string): Promise<Registration>;
  previewRegistration(): Promise<Preview>;
  signOff(password: string, supervisor?: { id: string; password: string }): Promise<SignedOff>;
  discardRegistration(): Promise<void>;
}
