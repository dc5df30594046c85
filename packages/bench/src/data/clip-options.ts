/**
 * Config fields shared by the video datasets (zod, defaults in the schema so
 * `zoo` flags and JSON configs resolve the same way).
 *
 * Defaults follow the MAGVIT / MAGVIT-v2 UCF-101 protocol: 17-frame clips
 * (1 + 16, what a causal 4x-temporal tokenizer maps to 5 latent frames), frame
 * stride 1, 64x64 (128x128 is the other common size).
 */
import { z } from 'zod';

export const clipOptionFields = {
  /** Frames per clip T (default 17, MAGVIT-v2). */
  frames: z.number().int().min(1).max(1024).default(17),
  /** Step between clip frames in source frames (default 1: consecutive frames). */
  stride: z.number().int().min(1).max(64).default(1),
  /** Output side R; short side resized to R then center-cropped (default 64; 128 also common). */
  resolution: z.number().int().min(8).max(2048).default(64),
  /** `eval`: centered clip per video, listed order; `train`: random clip, shuffled per epoch (default eval). */
  sampling: z.enum(['eval', 'train']).default('eval'),
  /** Seed for train shuffling and clip offsets (default 0). */
  seed: z.number().int().min(0).default(0),
  /** Decode cache root (default $ZOO_CACHE_DIR or ~/.cache/tokenizer-zoo). */
  cacheDir: z.string().min(1).optional(),
  /** Read and write the decode cache (default true). */
  cache: z.boolean().default(true),
  /** Parallel ffmpeg processes (default: one per core). */
  concurrency: z.number().int().min(1).max(256).optional(),
  /** ffmpeg binary (default: $ZOO_FFMPEG, @ffmpeg-installer/ffmpeg, then ffmpeg on PATH). */
  ffmpegPath: z.string().min(1).optional(),
  /**
   * Count a video as corrupt when ffmpeg reports decoder errors even if it
   * produced frames (a truncated AVI decodes up to the cut). Default true.
   */
  strictDecode: z.boolean().default(true),
  /**
   * A video shorter than one clip span: false (default) skips it and counts it
   * as short; true repeats its last frame to fill the clip (the leaderboard
   * marks runs that did).
   */
  padShort: z.boolean().default(false),
  /** Use only the first N usable entries of the list (default: all). */
  limit: z.number().int().min(1).optional(),
};
