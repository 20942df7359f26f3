// Architecture invariant: one module, the Tauri backend adapter, imports `@tauri-apps/*`.

import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { expect, it } from "vitest";

const root = join(import.meta.dirname, "..");

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

it("only src/lib/backend/tauri.ts imports @tauri-apps", () => {
  const importers = files(join(root, "src"))
    .filter((path) => /\.(ts|js|svelte)$/.test(path))
    .filter((path) => readFileSync(path, "utf8").includes("@tauri-apps/"))
    .map((path) => relative(root, path));
  expect(importers).toEqual(["src/lib/backend/tauri.ts"]);
});
