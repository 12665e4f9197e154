// Order statistics for the benchmark samples. Percentiles are nearest-rank on the sorted samples.
export function summarize(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return { n: 0 };
  const rank = (p) => s[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))];
  const mean = s.reduce((a, b) => a + b, 0) / n;
  return { n, median: rank(50), p99: rank(99), min: s[0], max: s[n - 1], mean };
}

/** Fisher-Yates on a copy. */
export function shuffled(list) {
  const a = [...list];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

export function fmtMs(v) {
  if (v === undefined || v === null || Number.isNaN(v)) return '–';
  if (v >= 100) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  if (v >= 1) return v.toFixed(2);
  return v.toFixed(3);
}

export function ratio(a, b) {
  return b > 0 ? a / b : NaN;
}
