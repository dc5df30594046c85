/**
 * Defaults of `zoo tokenizers` that the default run's acceptance depends on:
 * the CPU budget, and no GAN phase in runs too short to train one.
 */
import { DEFAULT_PRIOR_STEPS, defaultDiscStart, GAN_MIN_STEPS, parseRunOptions, priorConfigOf, RunOptionsError } from '../src/run/options.js';

describe('run options', () => {
  it('defaults to the measured CPU budget on synthetic clips', () => {
    const o = parseRunOptions({});
    expect(o).toMatchObject({ dataset: 'synthetic', tokenizers: ['vqgan'], frames: 17, resolution: 16, batch: 2, steps: 1300, lr: 2e-3, codebookSize: 256 });
  });

  it('leaves the GAN off in short preset runs and starts it at 3/4 of long ones', () => {
    expect(parseRunOptions({}).discStart).toBe(1300);
    expect(parseRunOptions({ steps: GAN_MIN_STEPS }).discStart).toBe(GAN_MIN_STEPS * 0.75);
    expect(defaultDiscStart(GAN_MIN_STEPS - 1)).toBe(GAN_MIN_STEPS - 1);
    expect(parseRunOptions({ discStart: 7 }).discStart).toBe(7);
  });

  it("keeps a JSON config's own discStart unless --disc-start is given", () => {
    expect(parseRunOptions({ config: 'specs.json' }).discStart).toBeUndefined();
    expect(parseRunOptions({ config: 'specs.json', discStart: 5 }).discStart).toBe(5);
  });

  it('rejects a bad shard naming the option', () => {
    expect(() => parseRunOptions({ shard: '2/2' })).toThrow(RunOptionsError);
  });

  it('trains the token prior by default, 0 turns it off, and a bad prior config names the key and what is valid', () => {
    expect(parseRunOptions({}).priorSteps).toBe(DEFAULT_PRIOR_STEPS);
    expect(priorConfigOf(parseRunOptions({}))).toMatchObject({ dim: 64, layers: 2, heads: 2, batch: 4, position: 'factorized' });
    expect(parseRunOptions({ priorSteps: 0 }).priorSteps).toBe(0);
    expect(() => parseRunOptions({ priorSteps: -1 })).toThrow(/--prior-steps/);
    expect(() => parseRunOptions({ prior: { dims: 32 } as never })).toThrow(/dims.*did you mean.*dim/);
    expect(() => parseRunOptions({ prior: { dim: 30, heads: 4 } })).toThrow(/heads \(4\) must divide dim \(30\)/);
    expect(() => parseRunOptions({ prior: { position: 'rope' as never } })).toThrow(/factorized.*learned/);
  });
});

test('--device webgpu is accepted on the onnx engine and refused on tfjs before any work', () => {
  expect(parseRunOptions({ device: 'webgpu' }).device).toBe('webgpu');
  expect(() => parseRunOptions({ engine: 'tfjs', device: 'webgpu' })).toThrow(/--device webgpu runs on --engine onnx only/);
  expect(() => parseRunOptions({ device: 'metal' as never })).toThrow(/--device/);
});
