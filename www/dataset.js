// @ts-check
// The page's GenVarLoader dataset: one sample name per source (default: the file name
// without its extension), or a source ticked "annotation" is an annotation track of that
// name (one bigWig for all samples); the track name, max jitter and dataset format.
// exportDataset runs in one worker (the core sorts the regions, checks the names and writes
// every file, as the CLI's `dataset`), and the download is a zip holding `<track>.gvl/`,
// ready for genvarloader.Dataset.open.
import { zipBlob } from './zip.js';
import { workers, retire, runJob } from './pool.js';

/** A source's default sample name: its file name (a URL's last path segment) without the
 * extension. */
export function defaultSampleName(src) {
  let base = typeof src.value === 'string' ? src.value : src.label;
  try { base = new URL(base).pathname; } catch { /* a file name */ }
  base = decodeURIComponent(base.split('/').pop() || base);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}

export const sampleName = (src) => src.sample ?? defaultSampleName(src);

/** The sources that are samples (not annotation tracks): what every export reads. */
export const sampleSources = (sources) => sources.filter((s) => !s.annot);

/** A source's dataset controls: its editable name (a sample's, or an annotation track's
 * when ticked "annotation"), kept on the source so that reordering keeps them. */
export function datasetControls(src) {
  const input = Object.assign(document.createElement('input'), {
    type: 'text', className: 'sample', value: sampleName(src),
  });
  input.addEventListener('input', () => { src.sample = input.value; });
  const box = Object.assign(document.createElement('input'), { type: 'checkbox', className: 'annot', checked: !!src.annot });
  const label = Object.assign(document.createElement('label'), {
    className: 'annot', title: 'an annotation track of the GenVarLoader dataset: one bigWig for all samples, named by the box (not a sample: Export skips it)',
  });
  label.append(box, ' annotation');
  const show = () => {
    input.title = src.annot ? 'annotation track name in the GenVarLoader dataset' : 'sample name in the GenVarLoader dataset';
  };
  box.addEventListener('change', () => { src.annot = box.checked; show(); });
  show();
  const span = document.createElement('span');
  span.append(input, label);
  return span;
}

/**
 * Export the dataset and download its zip. `page`: what the page shares (state,
 * setRunning, showError, download, formatBytes, withHeads, trackName, $).
 */
export async function runDataset(page) {
  const { state, $ } = page;
  page.showError(null);
  if (!state.sources.length) return page.showError('Add at least one bigWig source.');
  if (!state.regionCount) return page.showError($('bed-info').classList.contains('bad') ? $('bed-info').textContent : 'Add regions (a BED file or pasted BED).');
  const track = page.trackName();
  const jitterText = $('max-jitter').value.trim();
  // The core checks these (a non-negative integer; 1 or 2); the page only turns text into numbers.
  const maxJitter = jitterText === '' ? 0 : Number(jitterText);
  const gvlFormat = Number($('gvl-format').value);
  const maxMem = Math.floor(Math.max(1, Number($('max-mem').value) || 4096) * 2 ** 20);
  const sources = page.withHeads(state.sources);
  const rows = [];
  const annot = [];
  state.sources.forEach((s, i) => (s.annot ? annot : rows).push([sampleName(s), sources[i]]));
  const t0 = performance.now();
  const run = { workers: workers(1), cancelled: false };
  state.running = run;
  page.setRunning(true);
  $('dataset-info').textContent = '';
  const show = (p) => {
    $('bar').value = p.regionsTotal ? p.regionsDone / p.regionsTotal : 0;
    $('progress-text').textContent = `dataset, track ${p.track}: ${p.regionsDone.toLocaleString()} / ${p.regionsTotal.toLocaleString()} regions · `
      + `${p.intervals.toLocaleString()} intervals · ${page.formatBytes(p.bytesFetched)} read · ${((performance.now() - t0) / 1000).toFixed(1)} s`;
  };
  let ok = false;
  try {
    const job = { type: 'dataset', regions: state.regionsText, tracks: [[track, rows]], annot, maxJitter, gvlFormat, maxMem };
    const result = await runJob(run.workers[0], job, show);
    if (run.cancelled) return;
    ok = true;
    const name = `${track}.gvl`;
    const size = Object.values(result.files).reduce((n, chunks) => n + chunks.reduce((k, c) => k + c.length, 0), 0);
    const annotText = annot.length ? `, annotation track${annot.length === 1 ? '' : 's'} ${annot.map(([n]) => n).join(', ')}` : '';
    $('dataset-info').textContent = `Dataset ${name}: ${result.nRegions.toLocaleString()} regions × ${result.nSamples} samples `
      + `(${result.samples.join(', ')})${annotText}, ${result.nIntervals.toLocaleString()} intervals, ${page.formatBytes(size)} in `
      + `${((performance.now() - t0) / 1000).toFixed(2)} s. Open it with genvarloader.Dataset.open("${name}") `
      + `(format ${$('gvl-format').selectedOptions[0].textContent}).`;
    // The worker's buffers go into the zip one by one and are dropped there.
    const blob = await zipBlob(Object.entries(result.files).map(([rel, chunks]) => [`${name}/${rel}`, chunks]), { consume: true });
    page.download(blob, `${name}.zip`);
  } catch (e) {
    if (!run.cancelled) page.showError(e.message);
  } finally {
    if (!ok) run.workers.forEach(retire);
    if (state.running === run) state.running = null;
    page.setRunning(false);
  }
}
