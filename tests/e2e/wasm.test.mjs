// The built wasm (pkg/ganzoo_bg.wasm), read as a binary: its static constructors run once, from
// the start function, not again on every call into the module. A module that never calls the
// linker's `__wasm_call_ctors` itself is linked as a "command", and the linker then wraps every
// exported function as `call __wasm_call_ctors; call <the function>`: each `generate` and each
// promise callback re-ran every registration of cubecl's and burn's registries, which made a
// StyleGAN face ~10× slower on WebGPU (src/web.rs `start`).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

/** Reads an unsigned LEB128 at `at`: [value, next offset]. */
function leb(bytes, at) {
  let value = 0, shift = 0, b;
  do {
    b = bytes[at++];
    value += (b & 0x7f) * 2 ** shift;
    shift += 7;
  } while (b & 0x80);
  return [value, at];
}

/** For each exported function: the function its body calls first, if its first instruction is a call. */
export function firstCallsOfExports(bytes) {
  assert.deepEqual([...bytes.subarray(0, 4)], [0, 0x61, 0x73, 0x6d], "a wasm binary");
  let importedFuncs = 0;
  const exported = []; // function indices
  const firstCall = new Map(); // function index → index of the function its first instruction calls
  for (let at = 8; at < bytes.length;) {
    const id = bytes[at];
    let size;
    [size, at] = leb(bytes, at + 1);
    const end = at + size;
    let n, p = at;
    if (id === 2) { // imports: count the functions (they come first in the function index space)
      [n, p] = leb(bytes, p);
      for (let i = 0; i < n; i++) {
        for (let s = 0; s < 2; s++) { let len; [len, p] = leb(bytes, p); p += len; } // module, name
        const kind = bytes[p++];
        if (kind === 0) { importedFuncs++; [, p] = leb(bytes, p); }
        else if (kind === 1) { p++; const flags = bytes[p++]; [, p] = leb(bytes, p); if (flags & 1) [, p] = leb(bytes, p); }
        else if (kind === 2) { const flags = bytes[p++]; [, p] = leb(bytes, p); if (flags & 1) [, p] = leb(bytes, p); }
        else if (kind === 3) p += 2;
        else if (kind === 4) { p++; [, p] = leb(bytes, p); }
        else throw new Error(`import kind ${kind}`);
      }
    } else if (id === 7) { // exports
      [n, p] = leb(bytes, p);
      for (let i = 0; i < n; i++) {
        let len, index;
        [len, p] = leb(bytes, p);
        p += len;
        const kind = bytes[p++];
        [index, p] = leb(bytes, p);
        if (kind === 0) exported.push(index);
      }
    } else if (id === 10) { // code: each body's locals, then its first instruction
      [n, p] = leb(bytes, p);
      for (let i = 0; i < n; i++) {
        let bodySize, groups;
        [bodySize, p] = leb(bytes, p);
        const next = p + bodySize;
        [groups, p] = leb(bytes, p);
        for (let g = 0; g < groups; g++) { [, p] = leb(bytes, p); p++; }
        if (bytes[p] === 0x10) firstCall.set(importedFuncs + i, leb(bytes, p + 1)[0]);
        p = next;
      }
    }
    at = end;
  }
  return exported.map((f) => firstCall.get(f));
}

test("the wasm's exports are not each wrapped in a call to the static constructors", () => {
  const calls = firstCallsOfExports(readFileSync("pkg/ganzoo_bg.wasm"));
  assert.ok(calls.length >= 40, `the module exports the API (${calls.length} functions)`);
  const counts = new Map();
  for (const c of calls) if (c !== undefined) counts.set(c, (counts.get(c) ?? 0) + 1);
  const most = Math.max(0, ...counts.values());
  // measured: 1 of 46 here; in a command-linked build 15 of 46 start with the constructors (the
  // others begin with wasm-bindgen's adapter code, which then calls the wrapped function)
  assert.ok(most <= calls.length / 10, `${most} of ${calls.length} exported functions start by calling the same function: the constructors run on every call (is __wasm_call_ctors called in src/web.rs start()?)`);
});
