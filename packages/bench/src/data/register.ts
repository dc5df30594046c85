/**
 * Registers the datasets under kind `dataset` (side effect of importing
 * data/index.ts), with their zod schemas so `zoo` flags and JSON configs get
 * defaults and clear errors.
 */
import { registry, type Registry } from '@zoo/core';
import { ImageFolderDataset, imageFolderSchema, type ImageFolderConfig } from './image-folder.js';
import { SyntheticDataset, syntheticSchema, type SyntheticConfig } from './synthetic.js';
import { Ucf101Dataset, ucf101Schema, type Ucf101Config } from './ucf101.js';
import { VideoFolderDataset, videoFolderSchema, type VideoFolderConfig } from './video-folder.js';

declare module '@zoo/core' {
  interface ComponentTypes {
    'dataset:ucf101': { config: Ucf101Config; instance: Ucf101Dataset };
    'dataset:synthetic': { config: SyntheticConfig; instance: SyntheticDataset };
    'dataset:videos': { config: VideoFolderConfig; instance: VideoFolderDataset };
    'dataset:images': { config: ImageFolderConfig; instance: ImageFolderDataset };
  }
}

/** Registers the `dataset` kinds into `target` (default: the process-wide registry). Idempotent per component (`Registry.ensure`). */
export function registerDatasets(target: Registry = registry): void {
  target.ensure('dataset', 'ucf101', (c) => new Ucf101Dataset(c), {
    schema: ucf101Schema,
    description: 'UCF-101 from its real layout (UCF-101/ + ucfTrainTestlist/), decoded with ffmpeg, cached',
    reference: 'Soomro et al. 2012, UCF101; clip protocol of MAGVIT-v2 (Yu et al. 2024): 17 frames, 64/128 px',
  });
  target.ensure('dataset', 'synthetic', (c) => new SyntheticDataset(c), {
    schema: syntheticSchema,
    description: 'generated videos of moving, textured, occluding shapes on a panning background (no download)',
  });
  target.ensure('dataset', 'videos', (c) => new VideoFolderDataset(c), {
    schema: videoFolderSchema,
    description: 'any folder of mp4/avi/webm/mkv/mov videos, decoded with ffmpeg',
  });
  target.ensure('dataset', 'images', (c) => new ImageFolderDataset(c), {
    schema: imageFolderSchema,
    description: 'a folder of PNG/JPEG images (sharp), as single-frame clips',
  });
}
