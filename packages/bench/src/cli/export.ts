/** `zoo export`: a trained tokenizer's checkpoint -> encode.onnx, decode.onnx, tokenizer.json. */
import type { Argv } from 'yargs';
import { exportPretrained, exportTokenizer } from '../run/onnx-export.js';
import { PRETRAINED_KINDS } from '../pretrained/load.js';
import type { CliIo } from './io.js';

export function exportCommand(y: Argv, io: CliIo): Argv {
  return y.command(
    'export',
    'Write encode.onnx and decode.onnx (weights inside) of a trained tokenizer checkpoint or a published one',
    (b) =>
      b
        .option('checkpoint', { type: 'string', describe: 'checkpoints folder of a tokenizer (OUT/checkpoints/NAME) or one step-NNNNNNN folder (required unless --pretrained)' })
        .option('pretrained', { type: 'string', describe: `instead of --checkpoint: a published checkpoint as KIND:PATH, KIND one of ${Object.keys(PRETRAINED_KINDS).join(', ')} (default: none)` })
        .option('frames', { type: 'number', describe: 'with --pretrained: frames per clip of the graphs (default 1)' })
        .option('resolution', { type: 'number', describe: 'with --pretrained: height and width of the graphs (default 256)' })
        .option('out', { type: 'string', demandOption: true, describe: 'folder for encode.onnx, decode.onnx and tokenizer.json' })
        .option('batch', { type: 'number', describe: 'fixed batch size of the graphs (default: the training batch; 1 with --pretrained)' })
        .check((a) => {
          if (!a.checkpoint === !a.pretrained) throw new Error('give exactly one of --checkpoint (a trained tokenizer) or --pretrained KIND:PATH (a published checkpoint)');
          return true;
        })
        .example('$0 export --pretrained taming-vqgan:last.ckpt --resolution 256 --out export/', 'a published checkpoint')
        .example('$0 export --checkpoint bench-out/checkpoints/vqgan+lfq --out export/', 'then: zoo tokenizers --tokenizers onnx:export/encode.onnx,export/decode.onnx')
        .epilog(
          'Contract (also for tokenizers exported from PyTorch): encode.onnx takes float32 [B, 3, T, H, W] RGB in [-1, 1] ' +
            'and returns int32/int64 indices [B, ...grid(, levels)]; decode.onnx takes those indices and returns float32 ' +
            '[B, 3, T, H, W] in [-1, 1]. tokenizer.json beside them gives name, codebookSize, levels and the fixed batch.',
        ),
    async (args) => {
      const batch = args.batch ? { batch: args.batch } : {};
      const r = args.pretrained
        ? await exportPretrained({ pretrained: args.pretrained, out: args.out, ...batch, ...(args.frames ? { frames: args.frames } : {}), ...(args.resolution ? { resolution: args.resolution } : {}) })
        : await exportTokenizer({ checkpoint: args.checkpoint!, out: args.out, ...batch });
      io.out(`wrote ${r.encode}, ${r.decode} (${r.info.name}: batch ${r.info.batch}, ${r.info.frames}x${r.info.resolution}x${r.info.resolution}, codebook ${r.info.codebookSize})`);
    },
  );
}
