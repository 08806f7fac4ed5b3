import { readFileSync } from 'node:fs';
const p = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const target = process.argv[3];
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const counts = new Map();
for (let i = 0; i < p.samples.length; i++) counts.set(p.samples[i], (counts.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
const name = (n) => `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').slice(-2).join('/')}:${n.callFrame.lineNumber + 1}`;
// total time of subtree per node
const sub = new Map();
const total = (id) => { if (sub.has(id)) return sub.get(id); const n = byId.get(id); let t = counts.get(id) ?? 0; for (const c of n.children ?? []) t += total(c); sub.set(id, t); return t; };
const agg = new Map(); const kids = new Map();
for (const n of p.nodes) if (name(n).startsWith(target)) {
  const par = parent.get(n.id); const k = par ? name(byId.get(par)) : '-'; agg.set(k, (agg.get(k) ?? 0) + total(n.id));
  for (const c of n.children ?? []) { const kk = name(byId.get(c)); kids.set(kk, (kids.get(kk) ?? 0) + total(c)); }
}
console.log('callers:'); for (const [k, v] of [...agg].sort((a, b) => b[1] - a[1]).slice(0, 10)) console.log((v / 1000).toFixed(0).padStart(6), k);
console.log('children:'); for (const [k, v] of [...kids].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log((v / 1000).toFixed(0).padStart(6), k);
