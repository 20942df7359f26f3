// Errors as the operator reads them: translated from the stable code, with figures and dates,
// and the core's detail only where the sentence is generic.

import { expect, it } from "vitest";
import { BackendError, type FreezeReason } from "../src/lib/backend";
import { Translator, type LanguageCode, type ShownError } from "../src/lib/i18n";

function check(language: LanguageCode, error: unknown, expected: ShownError) {
  expect(new Translator(language).error(error)).toEqual(expected);
}

const tooMany: FreezeReason = { reason: "too_many_pending_approval", count: 12, limit: 10 };

it("translates errors from their codes", () => {
  check("eng", new BackendError("AUTH_WRONG_PASSWORD", "wrong user id or password"), {
    code: "AUTH_WRONG_PASSWORD",
    message: "Wrong user ID or password.",
  });
  check("fra", new BackendError("AUTH_WRONG_PASSWORD", "wrong user id or password"), {
    code: "AUTH_WRONG_PASSWORD",
    message: "Identifiant ou mot de passe incorrect.",
  });
  check("ara", new BackendError("AUTH_DEACTIVATED", "operator X is deactivated"), {
    code: "AUTH_DEACTIVATED",
    message: "هذا الحساب معطّل. راجع أحد المشرفين.",
  });
  check("eng", new BackendError("AUTH_LOCKED", "operator X is locked", "2026-11-28T14:30:00Z"), {
    code: "AUTH_LOCKED",
    message: "Too many failed attempts: this account is locked until 28 Nov 2026, 14:30.",
  });
  check("fra", new BackendError("FREEZE_PENDING_APPROVAL_COUNT", "12 registrations await approval", undefined, [tooMany]), {
    code: "FREEZE_PENDING_APPROVAL_COUNT",
    message:
      "12 enregistrements attendent une approbation (limite 10). Un superviseur doit les approuver ou les rejeter.",
  });
  check("eng", new BackendError("INVALID_INPUT", "invalid machine id: use 5 digits (MOSIP RID layout)"), {
    code: "INVALID_INPUT",
    message: "A value was not accepted.",
    detail: "invalid machine id: use 5 digits (MOSIP RID layout)",
  });
  check("eng", new BackendError("SOMETHING_NEW", "a future failure"), {
    code: "SOMETHING_NEW",
    message: "Something went wrong (code SOMETHING_NEW).",
    detail: "a future failure",
  });
  check("eng", new TypeError("boom"), {
    code: "UNKNOWN",
    message: "Something went wrong (code UNKNOWN).",
    detail: "TypeError: boom",
  });
});

it("formats Arabic figures and lockout times in Arabic", () => {
  const shown = new Translator("ara").error(
    new BackendError("AUTH_LOCKED", "operator X is locked", "2026-11-28T14:30:00Z"),
  );
  expect(shown.message.startsWith("محاولات فاشلة كثيرة")).toBe(true);
  expect(shown.message).not.toContain("{until}");
  expect(shown.message).not.toContain("2026-11-28");
});
