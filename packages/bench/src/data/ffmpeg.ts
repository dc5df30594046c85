/**
 * Locating ffmpeg and decoding a video file to square RGB frames.
 *
 * Decoding goes through the ffmpeg binary as a child process (one per video,
 * so parallel decodes use all cores) rather than a JS/wasm decoder: UCF-101 is
 * XviD in AVI and Kinetics-style sets are H.264, which only ffmpeg reads
 * everywhere.
 */
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';

export type FfmpegSource = 'option' | 'env:ZOO_FFMPEG' | '@ffmpeg-installer/ffmpeg' | 'PATH';

export interface FfmpegInfo {
  path: string;
  source: FfmpegSource;
  /** First line of `ffmpeg -version`, e.g. "ffmpeg version 4.1 ...". */
  version: string;
}

export class FfmpegNotFoundError extends Error {
  constructor(readonly tried: readonly string[]) {
    super(
      `ffmpeg not found (tried: ${tried.join('; ')}). Install it with your package manager ` +
        '(apt-get install ffmpeg, brew install ffmpeg), reinstall @ffmpeg-installer/ffmpeg, ' +
        'or point ZOO_FFMPEG at an ffmpeg binary.',
    );
    this.name = 'FfmpegNotFoundError';
  }
}

/** A video that ffmpeg could not decode cleanly (missing, truncated, corrupt, unsupported). */
export class VideoDecodeError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`cannot decode ${path}: ${reason}`);
    this.name = 'VideoDecodeError';
  }
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function installerPath(): string | undefined {
  try {
    // CJS package that throws on unsupported platforms; resolved lazily so a
    // missing optional binary only matters when no other ffmpeg exists.
    const req = createRequire(import.meta.url);
    const mod = req('@ffmpeg-installer/ffmpeg') as { path?: unknown };
    return typeof mod.path === 'string' ? mod.path : undefined;
  } catch {
    return undefined;
  }
}

function onPath(): string | undefined {
  const exe = process.platform === 'win32' ? 'ffmpeg.exe' : 'ffmpeg';
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, exe))) return join(dir, exe);
  }
  return undefined;
}

const resolved = new Map<string, { path: string; source: FfmpegSource }>();

/**
 * The ffmpeg binary to use, in order: `explicit` (a --ffmpeg option), the
 * ZOO_FFMPEG environment variable, the binary shipped by
 * @ffmpeg-installer/ffmpeg, then `ffmpeg` on PATH. Synchronous and cached;
 * throws {@link FfmpegNotFoundError} listing what was tried.
 */
export function resolveFfmpeg(explicit?: string): { path: string; source: FfmpegSource } {
  const key = explicit ?? '';
  const hit = resolved.get(key);
  if (hit) return hit;
  const tried: string[] = [];
  const candidates: [string | undefined, FfmpegSource][] = [
    [explicit, 'option'],
    [process.env.ZOO_FFMPEG, 'env:ZOO_FFMPEG'],
    [installerPath(), '@ffmpeg-installer/ffmpeg'],
    [onPath(), 'PATH'],
  ];
  for (const [path, source] of candidates) {
    if (!path) {
      tried.push(`${source}: not set`);
      continue;
    }
    if (isExecutable(path)) {
      const found = { path, source };
      resolved.set(key, found);
      return found;
    }
    tried.push(`${source}: ${path} is not an executable file`);
  }
  throw new FfmpegNotFoundError(tried);
}

/** For `zoo env`: which ffmpeg the bench will use, where it came from, and its version. */
export function findFfmpeg(explicit?: string): FfmpegInfo {
  const { path, source } = resolveFfmpeg(explicit);
  const run = spawnSync(path, ['-hide_banner', '-version'], { encoding: 'utf8', timeout: 10_000 });
  const version = (run.stdout ?? '').split('\n')[0]?.trim() || 'unknown';
  return { path, source, version };
}

export interface DecodeOptions {
  /** Output frames are resolution x resolution: short side scaled to it, then center-cropped. */
  resolution: number;
  /** ffmpeg binary (default: {@link resolveFfmpeg}). */
  ffmpegPath?: string;
  /**
   * Treat decoder error messages as a corrupt file even when ffmpeg still
   * produced frames (a truncated AVI decodes "successfully" up to the cut).
   * Default true.
   */
  strict?: boolean;
}

export interface DecodedVideo {
  /** uint8 RGB, [frames, resolution, resolution, 3], row-major. */
  data: Uint8Array;
  frames: number;
  resolution: number;
}

/**
 * The scale filter: short side to R keeping the aspect ratio (-2 keeps the
 * other side even, which yuv pipelines need), area averaging when shrinking
 * (what a box-filter downsample of 320x240 to 64 should be; bicubic aliases),
 * then a centered RxR crop. Works for 4:3 (320x240) and the odd 400x226 videos.
 */
export function scaleCropFilter(r: number): string {
  return `scale=w='if(lt(iw,ih),${r},-2)':h='if(lt(iw,ih),-2,${r})':flags=area,crop=${r}:${r}`;
}

/**
 * Decodes every frame of `path` at RxR. Frames are taken as stored
 * (`-vsync passthrough`: no duplication or dropping to a nominal rate), so
 * clip selection by frame index works the same for 25 and 29.97 fps files.
 * Rejects with {@link VideoDecodeError} for a non-zero exit, no frames, a
 * partial last frame, or (strict) any decoder error on stderr.
 */
export function decodeVideo(path: string, opts: DecodeOptions): Promise<DecodedVideo> {
  const r = opts.resolution;
  const ffmpeg = opts.ffmpegPath ?? resolveFfmpeg().path;
  const args = [
    '-nostdin', '-hide_banner', '-v', 'error', '-i', path,
    '-map', '0:v:0', '-an', '-sn', '-vf', scaleCropFilter(r),
    '-vsync', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1',
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(ffmpeg, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => {
      if (stderr.length < 4000) stderr += c.toString('utf8');
    });
    child.on('error', (e) => reject(new VideoDecodeError(path, `failed to run ${ffmpeg}: ${e.message}`)));
    child.on('close', (code) => {
      const firstError = stderr.trim().split('\n')[0] ?? '';
      if (code !== 0) {
        reject(new VideoDecodeError(path, `ffmpeg exited with code ${code}${firstError ? `: ${firstError}` : ''}`));
        return;
      }
      const data = Buffer.concat(chunks);
      const frameBytes = r * r * 3;
      const frames = Math.floor(data.length / frameBytes);
      if (frames === 0) {
        reject(new VideoDecodeError(path, `no video frames decoded${firstError ? `: ${firstError}` : ''}`));
      } else if (data.length % frameBytes !== 0) {
        reject(new VideoDecodeError(path, `partial frame at the end (${data.length} bytes)`));
      } else if ((opts.strict ?? true) && firstError) {
        reject(new VideoDecodeError(path, `decoder errors (truncated or corrupt file?): ${firstError}`));
      } else {
        resolve({ data: new Uint8Array(data.buffer, data.byteOffset, data.length), frames, resolution: r });
      }
    });
  });
}
