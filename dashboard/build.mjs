// Builds the dashboard into ../dashboard_static (the folder pybase serves at /_/).
//
//   node build.mjs          build (replaces dashboard_static/ entirely)
//   node build.mjs --check  build into a temp folder and fail if dashboard_static/ differs
//                           (the committed build is stale: run scripts/build_dashboard.sh)
//
// Output: index.html plus assets/app-<hash>.js and assets/app-<hash>.css. The hashed names let
// pybase cache the assets for two weeks while index.html is never cached.
import * as esbuild from "esbuild";
import { createHash } from "node:crypto";
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const target = join(here, "..", "dashboard_static");
const check = process.argv.includes("--check");
const outDir = check ? mkdtempSync(join(tmpdir(), "pybase-dashboard-")) : target;

const result = await esbuild.build({
  entryPoints: { app: join(here, "src", "main.jsx") },
  bundle: true,
  minify: true,
  format: "esm",
  target: ["es2020"],
  jsx: "automatic",
  jsxImportSource: "preact",
  legalComments: "none",
  charset: "utf8",
  write: false,
  outdir: "assets",
  loader: { ".svg": "text" },
  logLevel: "warning",
});

const files = {};
for (const file of result.outputFiles) {
  const ext = file.path.endsWith(".css") ? "css" : "js";
  const hash = createHash("sha256").update(file.contents).digest("hex").slice(0, 10);
  files[`assets/app-${hash}.${ext}`] = file.contents;
  files[ext] = `assets/app-${hash}.${ext}`;
}
const html = readFileSync(join(here, "index.html"), "utf8")
  .replace("%APP_JS%", "./" + files.js)
  .replace("%APP_CSS%", "./" + files.css);
const outputs = { "index.html": Buffer.from(html), [files.js]: files[files.js], [files.css]: files[files.css] };
outputs["favicon.svg"] = readFileSync(join(here, "favicon.svg"));

rmSync(outDir, { recursive: true, force: true });
for (const [name, data] of Object.entries(outputs)) {
  mkdirSync(dirname(join(outDir, name)), { recursive: true });
  writeFileSync(join(outDir, name), data);
}

function listing(dir) {
  const out = {};
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(dir, p)] = readFileSync(p).toString("base64");
    }
  };
  walk(dir);
  return out;
}

if (check) {
  const built = listing(outDir);
  let committed = {};
  try {
    committed = listing(target);
  } catch {}
  rmSync(outDir, { recursive: true, force: true });
  const names = new Set([...Object.keys(built), ...Object.keys(committed)]);
  const stale = [...names].filter((n) => built[n] !== committed[n]).sort();
  if (stale.length) {
    console.error(`dashboard_static/ is stale (${stale.join(", ")}): run scripts/build_dashboard.sh and commit it`);
    process.exit(1);
  }
  console.log("dashboard_static/ matches the dashboard sources");
} else {
  const sizes = Object.entries(outputs).map(([n, d]) => `${n} ${(d.length / 1024).toFixed(1)} KB`);
  console.log(`built dashboard_static/: ${sizes.join(", ")}`);
}
