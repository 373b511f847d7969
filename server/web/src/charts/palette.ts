// Series colours: distinguishable on the dark background and for common colour-vision deficiencies.
const COLORS = ['#4e9af1', '#f28e2b', '#59c36a', '#d37cf0', '#edc948', '#76d7d0', '#ff9da7', '#b5a36b', '#9aa7ff', '#c7e36b'];

export function colorFor(index: number): string {
  return COLORS[index % COLORS.length] as string;
}

/** The faint version drawn for raw values under the smoothed line. */
export function faint(color: string, alpha = 0.3): string {
  const hex = color.replace('#', '');
  const r = parseInt(hex.slice(0, 2), 16);
  const g = parseInt(hex.slice(2, 4), 16);
  const b = parseInt(hex.slice(4, 6), 16);
  return `rgba(${r}, ${g}, ${b}, ${alpha})`;
}
