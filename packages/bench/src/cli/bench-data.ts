/** `zoo data` (`pnpm bench data`): video decoding throughput, clips/s. */
import type { Argv } from 'yargs';
import { benchDataDecode } from '../data/bench-decode.js';
import { formatTable, type CliIo } from './io.js';

export function benchDataCommand(y: Argv, io: CliIo): Argv {
  return y.command(
    'data',
    'Time decoding video clips (ffmpeg decode, resize, crop, frame selection) with the cache off',
    (b) =>
      b
        .option('data-dir', {
          type: 'string',
          default: process.env.ZOO_UCF101_ROOT ?? 'data/ucf101',
          describe: 'UCF-101 root (UCF-101/ and ucfTrainTestlist/) or, with --layout videos, any folder of videos',
        })
        .option('layout', { choices: ['ucf101', 'videos'] as const, default: 'ucf101' as const, describe: 'how --data-dir is read: the UCF-101 layout (split lists) or any folder of videos' })
        .option('resolutions', { type: 'string', default: '64,128', describe: 'output sides, comma-separated' })
        .option('frames', { type: 'number', default: 17, describe: 'frames per decoded clip' })
        .option('repeats', { type: 'number', default: 3, describe: 'passes over the videos per resolution' })
        .option('limit', { type: 'number', describe: 'at most this many videos per pass (default: all present)' })
        .option('concurrency', { type: 'number', describe: 'parallel ffmpeg processes (default: one per core)' })
        .option('json', { type: 'boolean', default: false, describe: 'print JSON rows instead of a table' })
        .example('$0 data --data-dir packages/bench/test/fixtures/ucf101', 'the two-clip copy shipped with the tests'),
    async (args) => {
      const resolutions = args.resolutions.split(',').map((s) => Number(s.trim()));
      if (resolutions.some((r) => !Number.isInteger(r) || r <= 0)) {
        throw new Error(`--resolutions: expected positive integers like 64,128, got '${args.resolutions}'`);
      }
      const rows = await benchDataDecode({
        root: args['data-dir'],
        layout: args.layout,
        resolutions,
        frames: args.frames,
        repeats: args.repeats,
        ...(args.limit !== undefined ? { limit: args.limit } : {}),
        ...(args.concurrency !== undefined ? { concurrency: args.concurrency } : {}),
      });
      if (args.json) {
        io.out(JSON.stringify(rows, null, 2));
        return;
      }
      io.out(
        formatTable(
          ['clip', 'clips', 'seconds', 'clips/s', 'ffmpeg processes'],
          rows.map((r) => [
            `${r.frames}x${r.resolution}x${r.resolution}`,
            String(r.clips),
            r.seconds.toFixed(2),
            r.clipsPerSecond.toFixed(1),
            String(r.concurrency),
          ]),
        ),
      );
    },
  );
}
