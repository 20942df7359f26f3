// The coalesced form check: one call in flight, the newest input next, unchanged results dropped.

import { expect, it } from "vitest";
import { coalescedCheck } from "../src/lib/registration/checker";

type Step = { input: string } | { settle: "ok" | "fail" };

/** Feeds inputs and settles the oldest call in flight, in the order given; the check's result is
 * the input upper-cased (or "same" for inputs starting with "same"). Returns the inputs the
 * check ran with, the results applied and the errors reported. */
async function check(steps: Step[], expected: { ran: string[]; applied: string[]; failed: string[] }) {
  const ran: string[] = [];
  const applied: string[] = [];
  const failed: string[] = [];
  const calls: { resolve: () => void; reject: () => void }[] = [];
  const request = coalescedCheck(
    (input: string) =>
      new Promise<string>((resolve, reject) => {
        ran.push(input);
        calls.push({
          resolve: () => resolve(input.startsWith("same") ? "same" : input.toUpperCase()),
          reject: () => reject(new Error(`check of ${input} failed`)),
        });
      }),
    (result) => applied.push(result),
    (error) => failed.push((error as Error).message),
  );
  for (const step of steps) {
    if ("input" in step) request(step.input);
    else {
      const call = calls.shift();
      if (step.settle === "ok") call?.resolve();
      else call?.reject();
      // Let the promise chain run: then, finally, and the next call's start.
      for (let i = 0; i < 5; i++) await Promise.resolve();
    }
  }
  expect({ ran, applied, failed }).toEqual(expected);
}

it("checks once at a time and only the newest input that waited", async () => {
  await check([{ input: "a" }, { settle: "ok" }], { ran: ["a"], applied: ["A"], failed: [] });
  await check(
    [{ input: "a" }, { input: "ab" }, { input: "abc" }, { settle: "ok" }, { settle: "ok" }],
    { ran: ["a", "abc"], applied: ["ABC"], failed: [] },
  );
});

it("applies a result only when it changed", async () => {
  await check(
    [{ input: "same1" }, { settle: "ok" }, { input: "same2" }, { settle: "ok" }, { input: "x" }, { settle: "ok" }],
    { ran: ["same1", "same2", "x"], applied: ["same", "X"], failed: [] },
  );
});

it("reports a failed check and goes on with the next input", async () => {
  await check(
    [{ input: "a" }, { input: "b" }, { settle: "fail" }, { settle: "ok" }],
    { ran: ["a", "b"], applied: ["B"], failed: ["check of a failed"] },
  );
  await check(
    [{ input: "a" }, { settle: "fail" }, { input: "b" }, { settle: "ok" }],
    { ran: ["a", "b"], applied: ["B"], failed: ["check of a failed"] },
  );
});
