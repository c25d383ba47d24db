import { afterEach, describe, expect, it, vi } from 'vitest';
import { processWide } from '../../src/policies/processWide.js';

describe('processWide', () => {
  afterEach(() => {
    vi.resetModules();
  });

  it('builds an instance once per name and hands the same one out again', () => {
    const create = vi.fn(() => ({ id: Math.random() }));
    const first = processWide('test:processWide', create);
    expect(processWide('test:processWide', create)).toBe(first);
    expect(create).toHaveBeenCalledTimes(1);
    expect(processWide('test:processWide:other', () => 'other')).toBe('other');
  });

  it('keeps it out of sight: not an enumerable property of globalThis', () => {
    processWide('test:hidden', () => 1);
    const key = Symbol.for('llm-resilience.presets.v0.1');
    expect(Object.keys(globalThis)).not.toContain(key.toString());
    expect(Object.getOwnPropertyDescriptor(globalThis, key)?.enumerable).toBe(false);
  });

  it('gives a second copy of the presets module the same preset instances', async () => {
    const first = await import('../../src/policies/index.js');
    vi.resetModules();
    const second = await import('../../src/policies/index.js');
    // A fresh evaluation of the module: its own functions, the same process-wide presets.
    expect(second.createChatPolicy).not.toBe(first.createChatPolicy);
    expect(second.chatPolicy).toBe(first.chatPolicy);
    expect(second.embeddingsPolicy).toBe(first.embeddingsPolicy);
    expect(second.streamPolicy).toBe(first.streamPolicy);
  });

  it('registers each preset under its own name, where another copy of the package looks it up', async () => {
    const presets = await import('../../src/policies/index.js');
    const build = vi.fn(() => 'a second instance');
    expect(processWide('chatPolicy', build)).toBe(presets.chatPolicy);
    expect(processWide('embeddingsPolicy', build)).toBe(presets.embeddingsPolicy);
    expect(processWide('streamPolicy', build)).toBe(presets.streamPolicy);
    expect(build).not.toHaveBeenCalled();
  });
});
