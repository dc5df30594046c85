/**
 * Registry entries: `create('encoder', 'causal3d', {...})` etc., an encoder
 * and a decoder for every family in FAMILIES (families/), with the family's
 * schema and registration text.
 */
import { registry as defaultRegistry, type Registry } from '@zoo/core';
import { VideoDecoder, VideoEncoder } from './autoencoder.js';
import { FAMILIES, familyNames, type EncoderFamily, type FamilyConfigs, type FamilyInput } from './families/index.js';
import { familyClasses } from './models.js';

type ClassOf<F extends EncoderFamily, P extends 'encoder' | 'decoder'> = F extends keyof typeof familyClasses
  ? InstanceType<(typeof familyClasses)[F][P]>
  : P extends 'encoder'
    ? VideoEncoder<F>
    : VideoDecoder<F>;

/** `encoder:<family>` and `decoder:<family>` for every family in the table. */
export type EncoderComponentTypes = {
  [F in EncoderFamily as `encoder:${F}`]: { config: FamilyConfigs[F]; instance: ClassOf<F, 'encoder'> };
} & {
  [F in EncoderFamily as `decoder:${F}`]: { config: FamilyConfigs[F]; instance: ClassOf<F, 'decoder'> };
};

declare module '@zoo/core' {
  // eslint-disable-next-line @typescript-eslint/no-empty-interface
  interface ComponentTypes extends EncoderComponentTypes {}
}

function registerFamily(registry: Registry, family: EncoderFamily): void {
  const spec = FAMILIES[family];
  const classes = (familyClasses as Partial<Record<EncoderFamily, { encoder: new (c?: FamilyInput<EncoderFamily>) => VideoEncoder; decoder: new (c?: FamilyInput<EncoderFamily>) => VideoDecoder }>>)[family];
  const makeEncoder = (c: FamilyInput<EncoderFamily>) => (classes ? new classes.encoder(c) : new VideoEncoder(family, c));
  const makeDecoder = (c: FamilyInput<EncoderFamily>) => (classes ? new classes.decoder(c) : new VideoDecoder(family, c));
  const { encoder, decoder, reference } = spec.registration;
  // The registry's per-name typing cannot follow a loop variable; the schema checks the config at run time.
  const r = registry as unknown as {
    register(kind: string, name: string, factory: (c: never) => unknown, spec: { schema: unknown; description: string; reference: string }): void;
  };
  r.register('encoder', family, makeEncoder, { schema: spec.schema, description: encoder, reference });
  r.register('decoder', family, makeDecoder, { schema: spec.schema, description: decoder, reference });
}

/**
 * Registers the encoder and decoder of every family into `registry` (default:
 * the process-wide one). Idempotent: families already there are skipped, so
 * a second copy of the module (e.g. in jest) does not throw.
 */
export function registerEncoders(registry: Registry = defaultRegistry): void {
  for (const family of familyNames()) if (!registry.has('encoder', family)) registerFamily(registry, family);
}
