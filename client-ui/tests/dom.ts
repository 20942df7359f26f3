// DOM helpers shared by the component tests: let Svelte and the fake backend's promises settle,
// find elements, type and choose as an operator does, and check every control is named.

import { expect } from "vitest";
import { flushSync } from "svelte";

/** Lets pending promises resolve and Svelte apply what they changed, a few rounds deep. */
export async function settle() {
  for (let round = 0; round < 8; round++) {
    await new Promise((resolve) => setTimeout(resolve, 0));
    flushSync();
  }
}

export function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`no element #${id}`);
  return element as T;
}

/** Types `value` into the input `#id` (an `input` event, as a keyboard would send). */
export function type(id: string, value: string) {
  const input = byId<HTMLInputElement>(id);
  input.value = value;
  input.dispatchEvent(new Event("input", { bubbles: true }));
  flushSync();
}

/** Chooses the option `value` of the dropdown `#id`. */
export function choose(id: string, value: string) {
  const select = byId<HTMLSelectElement>(id);
  select.value = value;
  select.dispatchEvent(new Event("change", { bubbles: true }));
}

/** The page's main heading. */
export function heading(): string {
  return document.querySelector("h1")?.textContent?.trim() ?? "";
}

/** Every input and select is named by a label, and every button has text. */
export function expectLabelledControls() {
  for (const control of document.querySelectorAll("input, select")) {
    const label = document.querySelector(`label[for="${control.id}"]`);
    expect(label?.textContent?.trim(), `label for #${control.id}`).toBeTruthy();
  }
  for (const button of document.querySelectorAll("button")) {
    expect(button.textContent?.trim(), "button text").toBeTruthy();
  }
}
