/**
 * Where the process-wide presets live on `globalThis`: a `Symbol.for` key, so every copy of the
 * package of this release line (its ESM and its CommonJS build) finds the same registry.
 */
const REGISTRY = Symbol.for('llm-resilience.presets.v0.1');

type Holder = { [REGISTRY]?: Map<string, unknown> };

/**
 * The process-wide instance named `name`: built by `create` the first time any copy of the
 * package (its ESM or its CommonJS build, loaded side by side) asks for it, then handed out to
 * every copy, so a process has one breaker, one bulkhead and one gate per preset.
 */
export function processWide<T>(name: string, create: () => T): T {
  const holder = globalThis as Holder;
  let registry = holder[REGISTRY];
  if (registry === undefined) {
    registry = new Map();
    Object.defineProperty(globalThis, REGISTRY, { value: registry });
  }
  if (!registry.has(name)) registry.set(name, create());
  return registry.get(name) as T;
}
