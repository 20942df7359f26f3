// Translation: the three catalogues, the languages offered, and a `Translator` per language
// that formats messages, dates, numbers and backend errors (from their stable codes).

import { BackendError } from "../backend";
import { ara } from "./ara";
import { eng, type Catalogue, type MessageKey } from "./eng";
import { fra } from "./fra";

export type { Catalogue, MessageKey };

export type LanguageCode = "eng" | "fra" | "ara";

export interface Language {
  code: LanguageCode;
  /** The language's own name, as shown in the picker. */
  name: string;
  /** BCP 47 tag for `lang` attributes and `Intl`. */
  tag: string;
  dir: "ltr" | "rtl";
}

export const languages: readonly Language[] = [
  { code: "eng", name: "English", tag: "en-GB", dir: "ltr" },
  { code: "fra", name: "Français", tag: "fr-FR", dir: "ltr" },
  { code: "ara", name: "العربية", tag: "ar", dir: "rtl" },
];

export const catalogues: Record<LanguageCode, Catalogue> = { eng, fra, ara };

export function isLanguageCode(value: unknown): value is LanguageCode {
  return languages.some((language) => language.code === value);
}

/** Replaces each `{name}` with its parameter; unknown placeholders stay visible. */
export function interpolate(template: string, params: Record<string, string | number> = {}): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}

/** An error as the operator sees it: a translated sentence and, for technical failures, the
 * core's own (English) detail. */
export interface ShownError {
  code: string;
  message: string;
  detail?: string;
}

/** Codes whose translated sentence is generic, so the core's detail is worth showing too. */
const DETAILED_CODES = new Set([
  "INVALID_INPUT",
  "IO",
  "STORE_DATABASE",
  "STORE_CORRUPT",
  "KEYRING_MALFORMED",
  "ENROLMENT_FILE",
  "CRYPTO",
  "IPC",
  "SERVER_REFUSED",
  "SYNC_REFUSED",
  "SYNC_PROTOCOL",
  "SYNC_RECEIPT_INVALID",
  "SYNC_FORGED",
]);

export class Translator {
  readonly language: Language;
  private readonly catalogue: Catalogue;

  constructor(code: LanguageCode) {
    this.language = languages.find((language) => language.code === code) ?? languages[0];
    this.catalogue = catalogues[this.language.code];
  }

  t(key: MessageKey, params?: Record<string, string | number>): string {
    return interpolate(this.catalogue[key], params);
  }

  number(value: number): string {
    return new Intl.NumberFormat(this.language.tag).format(value);
  }

  /** A date and time from seconds since the epoch. */
  dateTime(seconds: number): string {
    return new Intl.DateTimeFormat(this.language.tag, { dateStyle: "medium", timeStyle: "short" }).format(
      new Date(seconds * 1000),
    );
  }

  /** The name of a code in a family of keys (`attribute.leftThumb`, `process.NEW`, …); the
   * code itself when the catalogue has no name for it. */
  term(
    family: "attribute" | "captureGroup" | "modality" | "process" | "phase" | "serverStatus",
    code: string,
  ): string {
    const key = `${family}.${code}`;
    return this.has(key) ? this.t(key) : code;
  }

  /** A field refused by the core's validator, by its code (REQUIRED, PATTERN, …). */
  validation(code: string): string {
    const key = `validation.${code}`;
    return this.has(key) ? this.t(key) : this.t("validation.other", { code });
  }

  /** A size in bytes as the operator reads it (kB or MB). */
  bytes(size: number): string {
    const megabytes = size >= 1_000_000;
    const value = megabytes ? size / 1_000_000 : size === 0 ? 0 : Math.max(1, Math.round(size / 1000));
    const text = new Intl.NumberFormat(this.language.tag, { maximumFractionDigits: 1 }).format(value);
    return this.t(megabytes ? "units.megabytes" : "units.kilobytes", { value: text });
  }

  /** The message for a stable error code recorded earlier (a sync failure, a packet's outcome). */
  code(code: string): string {
    return this.codeMessage(new BackendError(code, ""));
  }

  /** Any thrown value as the operator should read it. */
  error(error: unknown): ShownError {
    if (!(error instanceof BackendError)) {
      return { code: "UNKNOWN", message: this.t("error.UNKNOWN", { code: "UNKNOWN" }), detail: String(error) };
    }
    const code = error.code;
    const shown: ShownError = { code, message: this.codeMessage(error) };
    if (DETAILED_CODES.has(code) || !this.has(`error.${code}`)) {
      shown.detail = error.message;
    }
    return shown;
  }

  private codeMessage(error: BackendError): string {
    if (error.freeze?.length) {
      return error.freeze
        .map(({ reason, ...figures }) => {
          const numbers = Object.fromEntries(
            Object.entries(figures).map(([name, value]) => [name, this.number(value)]),
          );
          return this.t(`freeze.${reason}`, numbers);
        })
        .join(" ");
    }
    if (error.code === "AUTH_LOCKED" && error.until) {
      const until = Date.parse(error.until);
      return this.t("error.AUTH_LOCKED", {
        until: Number.isNaN(until) ? error.until : this.dateTime(until / 1000),
      });
    }
    const key = `error.${error.code}`;
    return this.has(key) ? this.t(key) : this.t("error.UNKNOWN", { code: error.code });
  }

  private has(key: string): key is MessageKey {
    return key in this.catalogue;
  }
}
