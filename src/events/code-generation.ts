// The decoders' hot paths build objects and checks with code generated from fixed key lists and from the .avsc
// (new Function): one object literal per key sequence, one generated check per type. A runtime started with
// --disallow-code-generation-from-strings (a hardening flag) throws EvalError there; each of those places then
// takes its plain-closure equivalent, which gives the same results more slowly, instead of failing every message.

/** Whether `new Function` works in this runtime. */
export const CODE_GENERATION_ALLOWED: boolean = canGenerateCode();

function canGenerateCode(): boolean {
  try {
    return (new Function("return 1") as () => number)() === 1;
  } catch {
    return false;
  }
}
