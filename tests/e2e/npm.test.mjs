// The npm package as a user gets it: `npm pack` of pkg/ (scripts/build-web.sh), installed into a
// fresh project with TypeScript; the README's example must type-check (strict) against the
// package's "types", and importing the package in Node must give what index.d.ts declares.
// Loading a bundle needs fetch and a browser (the other e2e files do that), so Node stops at
// the import. Needs the npm registry (for typescript).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const TYPESCRIPT = "typescript@5.6.3";
const EXPORTS = ["Completions", "Generator", "encodeGif", "fetchBundle", "initGanzoo", "latentForSeed", "loadGenerator"];
const pkg = resolve("pkg");

/** The first ```js block after the README's "As an npm package" heading. */
function readmeExample() {
  const readme = readFileSync("README.md", "utf8");
  const section = readme.slice(readme.indexOf("### As an npm package"));
  const block = section.match(/```js\n([\s\S]*?)```/);
  assert.ok(block, "README.md has a ```js example under \"### As an npm package\"");
  return block[1];
}

const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

test("npm package: packs, installs, the README example type-checks (strict) and the import resolves in Node", () => {
  assert.ok(existsSync(join(pkg, "package.json")), "pkg/ is missing: run scripts/build-web.sh first");
  const manifest = JSON.parse(readFileSync(join(pkg, "package.json"), "utf8"));
  assert.equal(manifest.types, "index.d.ts");
  for (const f of [manifest.main, manifest.types]) assert.ok(manifest.files.includes(f), `package.json "files" lists ${f}`);

  const dir = mkdtempSync(join(tmpdir(), "ganzoo-npm-"));
  try {
    const [packed] = JSON.parse(run("npm", ["pack", "--json", "--pack-destination", dir], pkg));
    for (const f of ["index.js", "index.d.ts", "ganzoo.js", "ganzoo.d.ts", "ganzoo_bg.wasm"]) {
      assert.ok(packed.files.some((p) => p.path === f), `the tarball holds ${f}`);
    }
    const project = join(dir, "project");
    mkdirSync(project);
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "ganzoo-npm-check", private: true, type: "module" }));
    run("npm", ["install", "--no-audit", "--no-fund", "--silent", join(dir, packed.filename), TYPESCRIPT], project);

    // the README's example as a user's module: `ctx` is the page's canvas context there
    const example = readmeExample();
    assert.match(example, /import \{[^}]*loadGenerator[^}]*\} from "ganzoo"/);
    writeFileSync(join(project, "example.ts"), `declare const ctx: CanvasRenderingContext2D;\n${example}`);
    // and every export, so that index.d.ts declares all that index.js has
    writeFileSync(join(project, "exports.ts"), `import { ${EXPORTS.join(", ")} } from "ganzoo";\nexport const all = [${EXPORTS.join(", ")}];\n`);
    // the package's .d.ts files are checked too (no skipLibCheck); wasm-bindgen's classes declare
    // [Symbol.dispose], which TypeScript has in its esnext.disposable lib
    writeFileSync(join(project, "tsconfig.json"), JSON.stringify({
      compilerOptions: {
        strict: true, noEmit: true, skipLibCheck: false, target: "es2022", module: "nodenext", moduleResolution: "nodenext",
        lib: ["es2022", "esnext.disposable", "dom"], types: [],
      },
      files: ["example.ts", "exports.ts"],
    }));
    try {
      run(process.execPath, [join(project, "node_modules/typescript/bin/tsc"), "-p", "."], project);
    } catch (e) {
      assert.fail(`tsc --noEmit (strict) on the README example failed:\n${e.stdout}${e.stderr}`);
    }

    const imported = JSON.parse(run(process.execPath, ["--input-type=module", "-e", `
      import * as ganzoo from "ganzoo";
      import { loadGenerator } from "ganzoo";
      console.log(JSON.stringify({ loadGenerator: typeof loadGenerator, exports: Object.fromEntries(Object.entries(ganzoo).map(([k, v]) => [k, typeof v])) }));
    `], project));
    assert.equal(imported.loadGenerator, "function");
    assert.deepEqual(Object.keys(imported.exports).sort(), EXPORTS, "index.js exports what index.d.ts declares");
    for (const name of EXPORTS) assert.equal(imported.exports[name], "function", `${name} is a function`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
