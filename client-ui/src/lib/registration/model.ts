// The registration form as the screens read it: what control each UI-spec field gets, the
// languages values are entered in, dropdown options from dynamic fields and the location
// hierarchy, document types, biometric captures for the age group, and the identity's values
// in MOSIP's shapes. Pure functions over the core's `FormView`; rules and validation stay in
// the core (see `Backend.checkRegistration`).

import type {
  BiometricException,
  CapturedBiometric,
  FormCheck,
  FormView,
  Labels,
  PlannedGroup,
  Screen,
  UiField,
  ValidationError,
} from "../backend";
import type { LanguageCode } from "../i18n";

/** The control a field is rendered with. */
export type FieldKind =
  | "text"
  | "choice"
  | "buttons"
  | "date"
  | "ageDate"
  | "checkbox"
  | "html"
  | "document"
  | "biometrics"
  | "none";

export function fieldKind(field: UiField): FieldKind {
  if (!field.inputRequired) return "none";
  switch (field.controlType) {
    case "textbox":
      return "text";
    case "dropdown":
      return "choice";
    case "button":
      return "buttons";
    case "date":
      return "date";
    case "ageDate":
      return "ageDate";
    case "checkbox":
      return "checkbox";
    case "html":
      return "html";
    case "fileupload":
      return "document";
    case "biometrics":
      return "biometrics";
    default:
      return "none";
  }
}

/** A language values are entered in. */
export interface EntryLanguage {
  code: string;
  name: string;
  rtl: boolean;
  /** BCP 47 tag for `lang` attributes. */
  tag: string;
}

const TAGS: Record<string, string> = { eng: "en", fra: "fr", ara: "ar" };

/** The master data's active languages: every multilingual value is entered in each. */
export function entryLanguages(form: FormView): EntryLanguage[] {
  return form.master.languages
    .filter((language) => language.isActive)
    .map((language) => ({
      code: language.code,
      name: language.nativeName || language.name,
      rtl: language.rightToLeft,
      tag: TAGS[language.code] ?? language.code,
    }));
}

/** A label in the operator's language, else English, else the first one given. */
export function labelOf(labels: Labels | undefined, language: LanguageCode, fallback = ""): string {
  if (!labels) return fallback;
  return labels[language] ?? labels.eng ?? Object.values(labels)[0] ?? fallback;
}

export function isMultilingual(form: FormView, field: UiField): boolean {
  return (form.value_types[field.id] ?? field.type) === "simpleType";
}

export function isDemographic(form: FormView, field: UiField): boolean {
  const kind = form.value_types[field.id] ?? field.type;
  return kind !== "documentType" && kind !== "biometricsType";
}

/** The spec's screens in their order. */
export function screensOf(form: FormView): Screen[] {
  return [...form.spec.screens].sort((a, b) => a.order - b.order);
}

export interface Option {
  code: string;
  label: string;
}

function isLocationField(form: FormView, field: UiField): boolean {
  return field.fieldType !== "dynamic" && locationLevel(form, field) !== undefined;
}

function locationLevel(form: FormView, field: UiField): number | undefined {
  const name = field.subType?.toLowerCase();
  if (!name) return undefined;
  return (
    form.master.locationHierarchy.find((level) => level.hierarchyLevelName.toLowerCase() === name)?.hierarchyLevel ??
    form.master.locations.find((location) => location.hierarchyName.toLowerCase() === name)?.hierarchyLevel
  );
}

/** The code a field holds, whatever its shape (a string or one value per language). */
export function codeOf(value: unknown): string {
  if (typeof value === "string") return value;
  if (Array.isArray(value)) {
    const first = value.find((entry) => typeof entry?.value === "string" && entry.value !== "");
    return typeof first?.value === "string" ? first.value : "";
  }
  return "";
}

/**
 * A choice field's options in the operator's language: dynamic-field values, or the locations
 * at the field's level inside the location chosen one level up.
 */
export function optionsOf(
  form: FormView,
  field: UiField,
  identity: Record<string, unknown>,
  language: LanguageCode,
): Option[] {
  const inLanguage = <T extends { langCode: string }>(rows: T[]): T[] => {
    const own = rows.filter((row) => row.langCode === language);
    return own.length ? own : rows.filter((row) => row.langCode === "eng");
  };
  if (field.fieldType === "dynamic") {
    const name = field.subType ?? field.id;
    const lists = form.master.dynamicFields.filter((list) => list.isActive && (list.name === name || list.name === field.id));
    return inLanguage(lists)
      .flatMap((list) => list.fieldVal.filter((value) => value.active))
      .map((value) => ({ code: value.code, label: value.value }));
  }
  const level = locationLevel(form, field);
  if (level === undefined) return [];
  const parentField = locationFields(form).find((other) => locationLevel(form, other) === level - 1);
  const parentCode = parentField ? codeOf(identity[parentField.id]) : "";
  return inLanguage(form.master.locations.filter((location) => location.isActive && location.hierarchyLevel === level))
    .filter((location) => !parentField || location.parentLocCode === parentCode)
    .map((location) => ({ code: location.code, label: location.name }));
}

function locationFields(form: FormView): UiField[] {
  return form.spec.screens.flatMap((screen) => screen.fields).filter((field) => isLocationField(form, field));
}

/** Location fields below `field` (to clear when it changes). */
export function dependentLocations(form: FormView, field: UiField): string[] {
  const level = locationLevel(form, field);
  if (level === undefined || field.fieldType === "dynamic") return [];
  return locationFields(form)
    .filter((other) => (locationLevel(form, other) ?? -1) > level)
    .map((other) => other.id);
}

/** The value a choice field stores: the code, once per language for multilingual fields. */
export function choiceValue(form: FormView, field: UiField, code: string): unknown {
  if (code === "") return undefined;
  if (!isMultilingual(form, field)) return code;
  return entryLanguages(form).map((language) => ({ language: language.code, value: code }));
}

/** The text of a multilingual value in one language. */
export function textIn(value: unknown, language: string): string {
  if (!Array.isArray(value)) return "";
  const entry = value.find((item) => item?.language === language);
  return typeof entry?.value === "string" ? entry.value : "";
}

/** A multilingual value with one language's text replaced; blank languages are left out. */
export function withText(value: unknown, language: string, text: string): unknown {
  const others = Array.isArray(value) ? value.filter((item) => item?.language !== language) : [];
  const next = text.trim() === "" ? others : [...others, { language, value: text }];
  return next.length ? next : undefined;
}

/** Document type options of a document field's category, in the operator's language. */
export function documentTypes(form: FormView, field: UiField, language: LanguageCode): Option[] {
  const category = field.subType ?? "";
  const names = form.master.documentTypes.filter((type) => type.isActive);
  return form.master.validDocuments
    .filter((valid) => valid.isActive && valid.docCategoryCode === category)
    .map((valid) => {
      const named =
        names.find((type) => type.code === valid.docTypeCode && type.langCode === language) ??
        names.find((type) => type.code === valid.docTypeCode && type.langCode === "eng");
      return { code: valid.docTypeCode, label: named?.name ?? valid.docTypeCode };
    });
}

/** The file formats a document may have, by extension. */
export const DOCUMENT_FORMATS = ["pdf", "jpg", "jpeg", "png"];

/** The attributes a biometrics field asks for at this age group (its conditional set, if any). */
export function wantedAttributes(form: FormView, field: UiField, ageGroup: string | null): string[] {
  const conditional = field.conditionalBioAttributes.find(
    (rule) =>
      (rule.ageGroup.toUpperCase() === "ALL" || rule.ageGroup === ageGroup) &&
      (rule.process.toUpperCase() === "ALL" || rule.process.toUpperCase() === form.process),
  );
  return conditional ? conditional.bioAttributes : field.bioAttributes;
}

/** The field's device captures, keeping only the attributes asked for at this age group. */
export function captureGroups(form: FormView, field: UiField, ageGroup: string | null): PlannedGroup[] {
  const wanted = new Set(wantedAttributes(form, field, ageGroup));
  return (form.capture_plans[field.id] ?? [])
    .map((group) => ({ ...group, attributes: group.attributes.filter((a) => wanted.has(a.attribute)) }))
    .filter((group) => group.attributes.length > 0);
}

/** A capture group's stable key (also used in element ids). */
export function groupKey(group: PlannedGroup): string {
  return `${group.bio_type}-${group.device_sub_id}`;
}

/** What the draft holds for one attribute of a field. */
export type AttributeState =
  | { state: "missing" }
  | { state: "captured"; capture: CapturedBiometric }
  | { state: "exception"; exception: BiometricException };

export function attributeState(
  biometrics: CapturedBiometric[],
  exceptions: BiometricException[],
  field: string,
  attribute: string,
): AttributeState {
  const exception = exceptions.find((e) => e.field === field && e.attribute === attribute);
  if (exception) return { state: "exception", exception };
  const capture = biometrics.find((b) => b.field === field && b.attribute === attribute);
  return capture ? { state: "captured", capture } : { state: "missing" };
}

/** Shown / required state of a field; shown and optional until the core has answered. */
export function stateOf(check: FormCheck | undefined, id: string): { visible: boolean; required: boolean } {
  return check?.fields.find((field) => field.id === id) ?? { visible: true, required: false };
}

/** The refusals that belong to one field. */
export function errorsOf(errors: ValidationError[], id: string): ValidationError[] {
  return errors.filter((error) => error.field === id);
}

/** A date `yyyy/MM/dd` (MOSIP) from an `<input type=date>` value `yyyy-MM-dd`, and back. */
export function toMosipDate(isoDate: string): string {
  return isoDate.replaceAll("-", "/");
}

export function toInputDate(mosipDate: unknown): string {
  return typeof mosipDate === "string" ? mosipDate.replaceAll("/", "-") : "";
}

/** The date of birth for an age in whole years on `today` (as MOSIP's age entry does). */
export function birthDateForAge(years: number, today: Date): string {
  const year = today.getUTCFullYear() - years;
  const month = String(today.getUTCMonth() + 1).padStart(2, "0");
  const day = String(today.getUTCDate()).padStart(2, "0");
  return `${year}/${month}/${day}`;
}
