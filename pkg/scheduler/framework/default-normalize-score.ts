// helper.DefaultNormalizeScore: scales scores to [0, maxPriority] by the highest one,
// optionally reversed (fewer is better); integer arithmetic as upstream.
import type { NodeScore } from './types.js';

export function defaultNormalizeScore(maxPriority: number, reverse: boolean, scores: NodeScore[]): void {
  const maxCount = scores.reduce((m, s) => Math.max(m, s.score), 0);
  if (maxCount === 0) {
    if (reverse) for (const s of scores) s.score = maxPriority;
    return;
  }
  for (const s of scores) {
    let score = Math.trunc((maxPriority * s.score) / maxCount);
    if (reverse) score = maxPriority - score;
    s.score = score;
  }
}
