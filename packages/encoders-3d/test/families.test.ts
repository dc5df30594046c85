/**
 * The FAMILIES table is the one place a family is defined: registration,
 * classes, frame rules and the bench preset must all follow it.
 */
import { Registry } from '@zoo/core';
import {
  EncoderConfigError,
  FAMILIES,
  VideoDecoder,
  VideoEncoder,
  causalFrames,
  divisibleFrames,
  familyNames,
  getPreset,
  registerEncoders,
  resolveConfig,
  type EncoderFamily,
} from '../src/index.js';

describe('FAMILIES table', () => {
  test('registerEncoders puts an encoder and a decoder of every family, with its text, into the registry it is given', () => {
    const reg = new Registry();
    registerEncoders(reg);
    expect(reg.names('encoder')).toEqual([...familyNames()].sort());
    expect(reg.names('decoder')).toEqual([...familyNames()].sort());
    for (const f of familyNames()) {
      const enc = reg.list('encoder').find((e) => e.name === f)!;
      expect(enc.description).toBe(FAMILIES[f].registration.encoder);
      expect(enc.reference).toBe(FAMILIES[f].registration.reference);
    }
    registerEncoders(reg); // idempotent
    expect(reg.names('encoder')).toHaveLength(familyNames().length);
  });

  test.each(familyNames())('%s: created instances are its Video classes and report its compression', (f: EncoderFamily) => {
    const reg = new Registry();
    registerEncoders(reg);
    const cfg = { ch: 4, chMult: [1, 2, 2], numResBlocks: 1, zChannels: 2, normGroups: 2 };
    const enc = reg.createDynamic('encoder', f, cfg);
    const dec = reg.createDynamic('decoder', f, cfg);
    expect(enc).toBeInstanceOf(VideoEncoder);
    expect(dec).toBeInstanceOf(VideoDecoder);
    const parsed = resolveConfig(f, cfg);
    expect((enc as VideoEncoder).compression.time).toBe(FAMILIES[f].temporalCompression(parsed as never));
  });

  test.each(familyNames())('%s: its bench preset is one of its presets', (f: EncoderFamily) => {
    expect(getPreset(FAMILIES[f].benchPreset).family).toBe(f);
  });

  test('frame rules invert: decoding the latent of an accepted length gives that length back', () => {
    for (const rule of [divisibleFrames, causalFrames]) {
      for (const tc of [2, 4]) {
        let accepted = 0;
        for (let frames = 1; frames <= 17; frames++) {
          const t = rule.latentFrames(tc, frames);
          if (t === undefined) continue;
          accepted++;
          expect(rule.decodedFrames(tc, t)).toBe(frames);
        }
        expect(accepted).toBeGreaterThan(1);
      }
    }
    expect(causalFrames.latentFrames(4, 17)).toBe(5);
    expect(divisibleFrames.latentFrames(4, 17)).toBeUndefined();
  });

  test('an unknown family names the valid ones', () => {
    expect(() => new VideoEncoder('nope' as EncoderFamily)).toThrow(EncoderConfigError);
    expect(() => new VideoEncoder('nope' as EncoderFamily)).toThrow(/unknown encoder family 'nope'.*conv2d, inflated3d, causal3d/);
  });
});
