/**
 * Times for people: how long ago within the last day ("3 min ago"), else the local date and time.
 * Files and JSON keep ISO 8601 in UTC; this is for the terminal only.
 */

export function formatWhen(iso: string, now: number = Date.now()): string {
  const time = Date.parse(iso);
  if (Number.isNaN(time)) return iso === '' ? '-' : iso;
  const s = Math.round((now - time) / 1000);
  if (s >= 0 && s < 60) return 'just now';
  if (s >= 0 && s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s >= 0 && s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return localTime(time);
}

/** `2026-12-07 22:49` in this machine's time zone. */
export function localTime(time: number): string {
  const d = new Date(time);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`;
}
