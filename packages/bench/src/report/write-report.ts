/**
 * Rewrites the human-readable outputs of an output directory from its rows:
 * leaderboard.md and index.html (both atomically, so a reader never sees a
 * half-written page). Images referenced by `grids` must already be written
 * in `outDir` (see writeReconstructionGrid).
 */
import { join } from 'node:path';
import { writeFileAtomic } from '@zoo/core';
import { renderHtml, type HtmlReportInput } from './html.js';
import { LEADERBOARD_MD, REPORT_HTML } from './leaderboard-file.js';
import { renderMarkdown } from './markdown.js';

export interface WrittenReport {
  markdownPath: string;
  htmlPath: string;
}

export async function writeReport(outDir: string, input: HtmlReportInput): Promise<WrittenReport> {
  const markdownPath = join(outDir, LEADERBOARD_MD);
  const htmlPath = join(outDir, REPORT_HTML);
  const title = input.meta?.title;
  await writeFileAtomic(markdownPath, renderMarkdown(input.rows, { ...input.table, ...(title ? { title } : {}) }));
  await writeFileAtomic(htmlPath, renderHtml(input));
  return { markdownPath, htmlPath };
}
