// Kubernetes resource quantities ("500m", "1Gi", "4", "1.5", "2e3", "128974848") -> numbers,
// so that quota usage can be compared with its limit.

const BINARY = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/** The quantity in base units (cores, bytes, count), or NaN when it is not a quantity. */
export function parseQuantity(q) {
  if (typeof q === 'number') return q;
  const m = String(q ?? '').trim().match(/^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$/);
  if (!m) return NaN;
  const n = Number(m[1]);
  if (m[2]) return n * 10 ** Number(m[2].slice(1));
  const suffix = m[3] || '';
  return n * (BINARY[suffix] ?? DECIMAL[suffix]);
}

/** Used against hard: {ratio (0..n, NaN when unknown), percent (rounded, capped at 999)}. */
export function usage(used, hard) {
  const u = parseQuantity(used === undefined || used === null || used === '' ? '0' : used);
  const h = parseQuantity(hard);
  if (Number.isNaN(u) || Number.isNaN(h)) return { ratio: NaN, percent: NaN };
  if (h === 0) return { ratio: u > 0 ? Infinity : 0, percent: u > 0 ? 999 : 0 };
  const ratio = u / h;
  return { ratio, percent: Math.min(999, Math.round(ratio * 100)) };
}

/** A friendlier label for a quota key: "requests.cpu" -> "CPU requests". */
export function quotaLabel(key) {
  const known = {
    'requests.cpu': 'CPU requests', 'limits.cpu': 'CPU limits', cpu: 'CPU',
    'requests.memory': 'Memory requests', 'limits.memory': 'Memory limits', memory: 'Memory',
    'requests.storage': 'Storage requests', 'requests.ephemeral-storage': 'Ephemeral storage requests',
    'limits.ephemeral-storage': 'Ephemeral storage limits', pods: 'Pods', services: 'Services',
    secrets: 'Secrets', configmaps: 'Config maps', persistentvolumeclaims: 'Volume claims',
    'count/deployments.apps': 'Deployments', 'count/jobs.batch': 'Jobs', 'count/cronjobs.batch': 'Cron jobs',
    'services.loadbalancers': 'Load balancers', 'services.nodeports': 'Node ports',
  };
  return known[key] || key;
}

/** Bytes as people read them: "256 MiB", "2 GiB". */
export function bytesText(n) {
  if (!Number.isFinite(n)) return '?';
  const units = [['GiB', 2 ** 30], ['MiB', 2 ** 20], ['KiB', 2 ** 10]];
  for (const [unit, size] of units) {
    if (n >= size) return `${Number((n / size).toFixed(1))} ${unit}`;
  }
  return `${n} bytes`;
}

const plainNumber = (n) => (Number.isFinite(n) ? String(Number(n.toFixed(2))) : '?');

/** What each quota line means to someone who does not run Kubernetes, and its unit. */
const PLAIN = {
  pods: ['Copies of your apps running', 'count'],
  'count/deployments.apps': ['Apps', 'count'],
  'requests.cpu': ['Processor reserved', 'cores'], cpu: ['Processor reserved', 'cores'],
  'limits.cpu': ['Processor at most', 'cores'],
  'requests.memory': ['Memory reserved', 'bytes'], memory: ['Memory reserved', 'bytes'],
  'limits.memory': ['Memory at most', 'bytes'],
  'requests.storage': ['Disk space', 'bytes'], persistentvolumeclaims: ['Disks', 'count'],
  'requests.ephemeral-storage': ['Scratch space reserved', 'bytes'], 'limits.ephemeral-storage': ['Scratch space at most', 'bytes'],
  services: ['Services', 'count'], secrets: ['Secrets', 'count'], configmaps: ['Settings files', 'count'],
  'count/jobs.batch': ['One-off jobs', 'count'], 'count/cronjobs.batch': ['Scheduled jobs', 'count'],
  'services.loadbalancers': ['Load balancers', 'count'], 'services.nodeports': ['Node ports', 'count'],
};

/** Quota keys in the order a person asks about them (apps first); unknown keys go last. */
export function quotaOrder(a, b) {
  const keys = Object.keys(PLAIN);
  const rank = (k) => (keys.includes(k) ? keys.indexOf(k) : keys.length);
  return rank(a) - rank(b) || a.localeCompare(b);
}

/** {label, text} for one quota line: "Processor reserved", "0.5 of 2 cores". */
export function quotaWords(key, used, hard) {
  const [label, unit] = PLAIN[key] || [quotaLabel(key), 'count'];
  const u = parseQuantity(used === undefined || used === null || used === '' ? '0' : used);
  const h = parseQuantity(hard);
  if (unit === 'bytes') return { label, text: `${bytesText(u)} of ${bytesText(h)}` };
  if (unit === 'cores') return { label, text: `${plainNumber(u)} of ${plainNumber(h)} ${h === 1 ? 'core' : 'cores'}` };
  return { label, text: `${plainNumber(u)} of ${plainNumber(h)}` };
}
