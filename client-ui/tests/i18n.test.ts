// Catalogue completeness: every language has every key with the same placeholders, every error
// code the core can return has a message, and no key is dead.

import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { catalogues, languages, type MessageKey } from "../src/lib/i18n";
import { eng } from "../src/lib/i18n/eng";

const root = join(import.meta.dirname, "..");
const repo = join(root, "..");
const referenceKeys = Object.keys(eng).sort() as MessageKey[];

function placeholders(text: string): string[] {
  return [...text.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : [path];
  });
}

/** The stable codes `enrol_client::Error::code` can return, with those of the registration
 * workflow and the SBI client it delegates to, `FreezeReason::code`, `SyncError::code` and
 * `ChainBreak::code` (a broken audit log). */
function coreErrorCodes(): string[] {
  const files = [
    "client/src/error.rs",
    "client/src/freeze.rs",
    "client/src/registration/error.rs",
    "client/src/sbi/error.rs",
    "client/src/sync/mod.rs",
    "client/src/audit.rs",
  ];
  const codes = files.flatMap((file) =>
    [...readFileSync(join(repo, file), "utf8").matchAll(/=> "([A-Z][A-Z0-9_]+)"/g)].map((match) => match[1]),
  );
  return [...new Set(codes)].sort();
}

/** The validator's refusal codes (`enrol_schema::validate::ErrorCode`). */
function validationCodes(): string[] {
  const source = readFileSync(join(repo, "schema/src/validate.rs"), "utf8");
  return [...source.matchAll(/ErrorCode::\w+ => "([A-Z_]+)"/g)].map((match) => match[1]);
}

/** The pipeline states the server reports (`enrol_schema::sync::PacketState`, SCREAMING_SNAKE). */
function serverStates(): string[] {
  const source = readFileSync(join(repo, "schema/src/sync.rs"), "utf8");
  const body = source.match(/pub enum PacketState \{([^}]*)\}/)?.[1] ?? "";
  return [...body.matchAll(/^\s+([A-Z]\w*),/gm)].map((match) =>
    match[1].replace(/[A-Z]/g, (letter, offset: number) => (offset ? "_" : "") + letter).toUpperCase(),
  );
}

/** `FreezeReason`'s variants as serialised (snake_case `reason` tags). */
function freezeReasons(): string[] {
  const source = readFileSync(join(repo, "client/src/freeze.rs"), "utf8");
  const body = source.match(/pub enum FreezeReason \{([^}]*(?:\}[^}]*)*?)\n\}/)?.[1] ?? "";
  return [...body.matchAll(/^\s+([A-Z]\w*)\s*\{/gm)].map((match) =>
    match[1].replace(/[A-Z]/g, (letter, offset: number) => (offset ? "_" : "") + letter.toLowerCase()),
  );
}

describe("catalogues", () => {
  for (const language of languages) {
    it(`${language.code} has exactly the reference keys, none empty, same placeholders`, () => {
      const catalogue = catalogues[language.code];
      expect(Object.keys(catalogue).sort()).toEqual(referenceKeys);
      for (const key of referenceKeys) {
        expect(catalogue[key].trim(), `${language.code} ${key}`).not.toBe("");
        expect(placeholders(catalogue[key]), `${language.code} ${key}`).toEqual(placeholders(eng[key]));
      }
    });
  }

  it("translations differ from English where words are involved", () => {
    // The name, a pure layout of placeholders, and a word French shares with English.
    const shared = new Set(["app.name", "field.languageLabel", "modality.Iris"]);
    const same = referenceKeys.filter((key) => !shared.has(key) && catalogues.fra[key] === eng[key]);
    expect(same).toEqual([]);
  });

  it("every error code of the core has a message", () => {
    const codes = coreErrorCodes();
    expect(codes.length).toBeGreaterThan(20);
    const missing = codes.filter((code) => !(`error.${code}` in eng));
    expect(missing).toEqual([]);
  });

  it("every refusal code of the validator has a field message", () => {
    const codes = validationCodes();
    expect(codes).toContain("LOCATION_MISMATCH");
    const missing = codes.filter((code) => !(`validation.${code}` in eng));
    expect(missing).toEqual([]);
  });

  it("every freeze reason of the core has a message with its figures", () => {
    const reasons = freezeReasons();
    expect(reasons).toContain("sync_overdue");
    expect(reasons.length).toBe(5);
    const missing = reasons.filter((reason) => !(`freeze.${reason}` in eng));
    expect(missing).toEqual([]);
  });

  it("every server status of a packet has a name", () => {
    const states = serverStates();
    expect(states).toContain("UPLOAD_PENDING");
    const missing = states.filter((state) => !(`serverStatus.${state}` in eng));
    expect(missing).toEqual([]);
  });

  it("every key is used by the sources", () => {
    const text = sources(join(root, "src"))
      .filter((path) => !path.includes(join("lib", "i18n")))
      .map((path) => readFileSync(path, "utf8"))
      .join("\n");
    const dynamic = [
      "error.",
      "freeze.",
      "role.",
      "validation.",
      "units.",
      "process.",
      "attribute.",
      "captureGroup.",
      "modality.",
      "phase.",
      "serverStatus.",
    ];
    const unused = referenceKeys.filter(
      (key) => !text.includes(`"${key}"`) && !dynamic.some((prefix) => key.startsWith(prefix)),
    );
    expect(unused).toEqual([]);
  });
});
