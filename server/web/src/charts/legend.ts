// Clickable legend: one chip per (run, rank). Clicking toggles that series' raw and smoothed lines.
export interface LegendEntry {
  key: string;
  label: string;
  color: string;
}

export function renderLegend(
  container: HTMLElement,
  entries: LegendEntry[],
  hidden: ReadonlySet<string>,
  onToggle: (key: string) => void,
): void {
  const chips = entries.map((entry) => {
    const chip = document.createElement('button');
    chip.type = 'button';
    chip.className = hidden.has(entry.key) ? 'legend-chip off' : 'legend-chip';
    chip.dataset.seriesKey = entry.key;
    chip.setAttribute('aria-pressed', hidden.has(entry.key) ? 'false' : 'true');
    chip.title = hidden.has(entry.key) ? 'Show this series' : 'Hide this series';
    const swatch = document.createElement('span');
    swatch.className = 'swatch';
    swatch.style.background = entry.color;
    chip.append(swatch, entry.label);
    chip.addEventListener('click', () => onToggle(entry.key));
    return chip;
  });
  container.replaceChildren(...chips);
}
