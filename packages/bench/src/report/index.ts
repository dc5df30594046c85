/** Run outputs of the bench: leaderboard rows and files, Markdown, HTML, grids and curves. */
export * from './leaderboard-row.js';
export * from './leaderboard-file.js';
export * from './table.js';
export * from './markdown.js';
export * from './curves-svg.js';
export * from './reconstruction-grid.js';
export * from './html.js';
export * from './write-report.js';
export { escapeXml } from './escape.js';
export * from './sweep.js';
