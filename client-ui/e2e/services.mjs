// What the end-to-end tests and the benchmark need beside the app: the real `enrol-bridge`
// simulator and the real `enrol-sync` server on free ports (provisioned with its admin CLI), a
// pipeline key pair made with openssl, and the files a resident brings.

import { execFileSync, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { freePort } from "./webdriver.mjs";

/** Starts `enrol-bridge --simulate devices --port 0` with its own data dir; resolves with its port. */
export async function startBridge(bin, dataDir, devices) {
  const child = spawn(
    join(bin, "enrol-bridge"),
    ["--simulate", devices, "--port", "0", "--latency-ms", "20", "--data-dir", dataDir],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const port = await new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.on("line", (line) => {
      const found = line.match(/^enrol-bridge listening on http:\/\/127\.0\.0\.1:(\d+)\//);
      if (found) resolve(Number(found[1]));
    });
    child.once("exit", (code) => reject(new Error(`enrol-bridge exited with ${code}: ${stderr}`)));
  });
  return { child, port, caPem: execFileSync(join(bin, "enrol-bridge"), ["ca-cert", "--data-dir", dataDir], { encoding: "utf8" }) };
}

/** The bridge's simulator control (not part of SBI): quality, faults, replug. */
export async function bridgeAdmin(port, path, body) {
  const response = await fetch(`http://127.0.0.1:${port}/admin/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`bridge admin ${path}: ${response.status}`);
}

/** A pipeline key pair (the certificate is what the client encrypts packets to). */
export function pipelineCertificate(dir) {
  const cert = join(dir, "pipeline-cert.pem");
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30", "-subj", "/CN=Enrol e2e pipeline",
    "-keyout", join(dir, "pipeline-key.pem"), "-out", cert,
  ], { stdio: "ignore" });
  return cert;
}

/** Scans a resident brings: two PDFs, a JPEG photo and a GIF no form accepts (magic bytes and
 * some body). */
export function residentFiles(dir) {
  const file = (name, head) => {
    const path = join(dir, name);
    writeFileSync(path, Buffer.concat([Buffer.from(head, "latin1"), Buffer.alloc(4000, 0x20)]));
    return path;
  };
  return {
    bill: file("electricity-bill.pdf", "%PDF-1.4\n"),
    passport: file("passport.pdf", "%PDF-1.4\n"),
    photo: file("missing-finger.jpg", "\xff\xd8\xff\xe0\x00\x10JFIF"),
    gif: file("scan.gif", "GIF89a"),
  };
}

/**
 * Starts the real `enrol-sync` on its embedded defaults (SQLite in `dataDir`) on a free port and
 * provisions with its admin CLI what a server administrator would: centre 10001, the supervisor
 * with their password, the pipeline certificate, the bridge's device-provider CA, machine 10011
 * and a one-time onboarding code for it.
 */
export async function startServer(bin, dataDir, { supervisor, password, pipelineCert, deviceCaPem }) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(join(bin, "enrol-sync"), ["serve", "--data-dir", dataDir, "--listen", `127.0.0.1:${port}`], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`enrol-sync exited with ${child.exitCode}: ${stderr}`);
    const healthy = await fetch(`${url}/healthz`).then((r) => r.ok, () => false);
    if (healthy) break;
    if (Date.now() > deadline) throw new Error(`enrol-sync did not answer /healthz: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const admin = (args, input = "") =>
    execFileSync(join(bin, "enrol-sync"), ["admin", "--data-dir", dataDir, ...args], { input, encoding: "utf8", stdio: ["pipe", "pipe", "pipe"] });
  admin(["centre", "10001", "E2E centre"]);
  admin(["operator", supervisor, "--name", "Amina Supervisor", "--centre", "10001", "--role", "supervisor",
    "--role", "operator", "--password-stdin"], `${password}\n`);
  admin(["publish", "--kind", "pipeline-certificate", "--name", "pipeline", pipelineCert]);
  const caFile = join(dataDir, "..", "device-provider-ca.pem");
  writeFileSync(caFile, deviceCaPem);
  admin(["publish", "--kind", "device-ca", "--name", "e2e-bridge", caFile]);
  admin(["register-machine", "10011", "--centre", "10001", "--name", "E2E laptop"]);
  const code = admin(["onboarding-code", "10011"]).trim();
  return { child, url, code, pipelineToken: admin(["pipeline-token"]).trim() };
}

/** The packets the server has received and offers the pipeline (its feed): `[{rid, packetHash, download, …}]`. */
export async function receivedPackets(server) {
  const response = await fetch(`${server.url}/v1/pipeline/feed`, {
    headers: { authorization: `Bearer ${server.pipelineToken}` },
  });
  if (!response.ok) throw new Error(`pipeline feed: ${response.status} ${await response.text()}`);
  return (await response.json()).items;
}
