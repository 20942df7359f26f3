// What the end-to-end registration needs beside the app: the real `enrol-bridge` simulator on
// a free port, the `enrol` CLI for the supervisor's set-up (pipeline certificate, trusted device
// provider), and the files a resident brings (a pipeline key pair made with openssl, scans).

import { execFileSync, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";

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

/**
 * Runs `enrol` commands as a supervisor in the app's data directory: logs in with `password`,
 * runs each command with that session, logs out.
 */
export function asSupervisor(bin, enrolHome, runtimeDir, user, password, commands) {
  const enrol = (args, input, env = {}) =>
    execFileSync(join(bin, "enrol"), args, {
      input,
      encoding: "utf8",
      env: { ...process.env, ENROL_HOME: enrolHome, XDG_RUNTIME_DIR: runtimeDir, ...env },
    });
  const printed = enrol(["login", "--user", user, "--password-stdin"], `${password}\n`);
  const token = printed.match(/ENROL_SESSION=(\S+)/)?.[1];
  if (!token) throw new Error(`enrol login printed no session: ${printed}`);
  try {
    for (const args of commands) enrol(args, "", { ENROL_SESSION: token });
  } finally {
    enrol(["logout"], "", { ENROL_SESSION: token });
  }
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
