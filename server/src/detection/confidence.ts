// Formatting a confidence for humans and log lines.

/** Two decimals, as in `✓ Detected framework from WandB: primus (confidence: 0.80)`. */
export function confidenceLabel(c: number): string {
  const safe = Number.isFinite(c) ? Math.min(1, Math.max(0, c)) : 0;
  return (Math.round(safe * 100) / 100).toFixed(2);
}
