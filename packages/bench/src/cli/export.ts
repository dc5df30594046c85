/** `zoo export`: a trained tokenizer's checkpoint -> encode.onnx, decode.onnx, tokenizer.json. */
import type { Argv } from 'yargs';
import { exportTokenizer } from '../run/onnx-export.js';
import type { CliIo } from './io.js';

export function exportCommand(y: Argv, io: CliIo): Argv {
  return y.command(
    'export',
    'Write encode.onnx and decode.onnx (weights inside) of a trained tokenizer checkpoint',
    (b) =>
      b
        .option('checkpoint', { type: 'string', demandOption: true, describe: 'checkpoints folder of a tokenizer (OUT/checkpoints/NAME) or one step-NNNNNNN folder' })
        .option('out', { type: 'string', demandOption: true, describe: 'folder for encode.onnx, decode.onnx and tokenizer.json' })
        .option('batch', { type: 'number', describe: 'fixed batch size of the graphs (default: the training batch)' })
        .example('$0 export --checkpoint bench-out/checkpoints/vqgan+lfq --out export/', 'then: zoo tokenizers --tokenizers onnx:export/encode.onnx,export/decode.onnx')
        .epilog(
          'Contract (also for tokenizers exported from PyTorch): encode.onnx takes float32 [B, 3, T, H, W] RGB in [-1, 1] ' +
            'and returns int32/int64 indices [B, ...grid(, levels)]; decode.onnx takes those indices and returns float32 ' +
            '[B, 3, T, H, W] in [-1, 1]. tokenizer.json beside them gives name, codebookSize, levels and the fixed batch.',
        ),
    async (args) => {
      const r = await exportTokenizer({ checkpoint: args.checkpoint, out: args.out, ...(args.batch ? { batch: args.batch } : {}) });
      io.out(`wrote ${r.encode}, ${r.decode} (${r.info.name}: batch ${r.info.batch}, ${r.info.frames}x${r.info.resolution}x${r.info.resolution}, codebook ${r.info.codebookSize})`);
    },
  );
}
