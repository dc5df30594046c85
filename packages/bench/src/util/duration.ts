/**
 * Human-readable durations for logs, progress lines and reports.
 *
 *   formatDuration(0.25)   -> '250ms'
 *   formatDuration(12.34e3)-> '12.3s'
 *   formatDuration(258e3)  -> '4m18s'
 *   formatDuration(3723e3) -> '1h02m03s'
 *   formatDuration(90061e3)-> '1d01h01m'
 */

/** Formats a duration given in milliseconds. Non-finite or negative input gives '?'. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  if (Math.round(ms) < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) {
    // one decimal below a minute, but never print '60.0s'
    const s = Math.round(ms / 100) / 10;
    if (s < 60) return `${s.toFixed(1)}s`;
  }
  const totalSec = Math.round(ms / 1000);
  const days = Math.floor(totalSec / 86_400);
  const hours = Math.floor((totalSec % 86_400) / 3600);
  const minutes = Math.floor((totalSec % 3600) / 60);
  const seconds = totalSec % 60;
  const pad = (n: number): string => String(n).padStart(2, '0');
  if (days > 0) return `${days}d${pad(hours)}h${pad(minutes)}m`;
  if (hours > 0) return `${hours}h${pad(minutes)}m${pad(seconds)}s`;
  return `${minutes}m${pad(seconds)}s`;
}
