// @ts-check
// The export page: sources (files or URLs), regions (BED), options; the export runs in Web
// Workers over contiguous region shards, merged in order into the bytes one export gives.
import { inspectSource, parseRegions, mergeShards, unmatchedContigs } from '/pkg/index.js';
import { renderPlots, sizeOf } from './plot.js';
import { zipBlob } from './zip.js';
import { workers, retire, runJob } from './pool.js';
import { datasetControls, sampleSources, runDataset } from './dataset.js';

/** The page's elements by id; their kinds (input, select, button, progress) are index.html's.
 * @type {(id: string) => any} */
const $ = (id) => document.getElementById(id);
const state = {
  sources: [], // { id, value: File | string, label, contigs: [{name,length}] | null, error: string | null, sample, annot }
  regionsText: '',
  regionCount: 0,
  regionContigs: new Map(), // contig -> number of regions
  firstRegion: null,
  running: null, // { workers, cancelled }
  result: null,
};
let nextId = 1;

// ---------------------------------------------------------------------------------------
// Sources

function addSources(values) {
  for (const value of values) {
    const label = typeof value === 'string' ? value : value.name;
    const src = { id: nextId++, value, label, contigs: null, error: null, inspected: null };
    state.sources.push(src);
    inspectSource(value)
      // `info` carries the header and index bytes just read: workers start from them.
      .then(async (info) => {
        src.contigs = info.contigs;
        src.inspected = info;
        await checkContigs(src);
      })
      .catch((e) => { src.error = e.message; })
      .finally(renderSources);
  }
  renderSources();
}

/** Bytes of source heads (header + index, read when a source was added) sent to each
 * worker; past this the largest go without theirs and workers read them themselves. */
const HEAD_BUDGET = 64 << 20;

function withHeads(sources) {
  const size = (s) => (s.inspected?.head?.ranges ?? []).reduce((n, [, b]) => n + b.length, 0);
  let total = sources.reduce((n, s) => n + size(s), 0);
  const drop = new Set();
  for (const s of [...sources].sort((a, b) => size(b) - size(a))) {
    if (total <= HEAD_BUDGET) break;
    drop.add(s);
    total -= size(s);
  }
  return sources.map((s) => (s.inspected && !drop.has(s) ? s.inspected : s.value));
}

function formatBytes(n) {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${n} B`;
}

/** Which region contigs `src` lacks, as the exporter matches them (asked of the core). */
async function checkContigs(src) {
  src.lacking = src.contigs && state.regionContigs.size
    ? await unmatchedContigs(state.regionContigs.keys(), src.contigs.map((c) => c.name))
    : [];
}

/** Regions whose contig this source lacks: [contig, number of regions]. */
function lacking(src) {
  return (src.lacking ?? []).map((c) => [c, state.regionContigs.get(c) ?? 0]);
}

function renderSources() {
  const list = $('source-list');
  list.replaceChildren();
  state.sources.forEach((src, i) => {
    const li = document.createElement('li');
    li.dataset.id = src.id;
    const name = Object.assign(document.createElement('span'), { className: 'name', textContent: src.label });
    const size = typeof src.value === 'string' ? 'URL' : formatBytes(src.value.size);
    const meta = Object.assign(document.createElement('div'), { className: 'meta' });
    if (src.error) {
      meta.className = 'bad';
      meta.textContent = src.error;
    } else if (!src.contigs) {
      meta.textContent = `${size} · reading header…`;
    } else {
      const shown = src.contigs.slice(0, 6).map((c) => `${c.name} (${c.length.toLocaleString()} bp)`).join(', ');
      const more = src.contigs.length > 6 ? ` and ${src.contigs.length - 6} more` : '';
      meta.textContent = `${size} · ${src.contigs.length} contig${src.contigs.length === 1 ? '' : 's'}: ${shown}${more}`;
    }
    li.append(name, datasetControls(src), buttons(i), meta);
    const miss = lacking(src);
    if (miss.length) {
      const n = miss.reduce((t, [, k]) => t + k, 0);
      const warn = Object.assign(document.createElement('div'), { className: 'warn' });
      warn.textContent = `⚠ lacks the contig of ${n} region${n === 1 ? '' : 's'}: ${miss.slice(0, 5).map(([c]) => c).join(', ')}${miss.length > 5 ? ', …' : ''}`;
      li.append(warn);
    }
    list.append(li);
  });
}

function buttons(i) {
  const span = document.createElement('span');
  const mk = (text, title, fn, disabled) => {
    const b = Object.assign(document.createElement('button'), { type: 'button', textContent: text, title, disabled });
    b.addEventListener('click', () => { fn(); renderSources(); });
    return b;
  };
  const swap = (a, b) => { [state.sources[a], state.sources[b]] = [state.sources[b], state.sources[a]]; };
  span.append(
    mk('↑', 'move up', () => swap(i, i - 1), i === 0),
    mk('↓', 'move down', () => swap(i, i + 1), i === state.sources.length - 1),
    mk('✕', 'remove', () => state.sources.splice(i, 1), false),
  );
  return span;
}

// ---------------------------------------------------------------------------------------
// Regions

async function bedText(file) {
  const head = new Uint8Array(await file.slice(0, 2).arrayBuffer());
  if (head[0] === 0x1f && head[1] === 0x8b) {
    return new Response(file.stream().pipeThrough(new DecompressionStream('gzip'))).text();
  }
  return file.text();
}

/** Lines of BED text ending in \r\n, \r (classic Mac) or \n. */
const splitLines = (text) => text.split(/\r\n|\r|\n/);

async function setRegions(raw) {
  // One line ending from here on (workers, previews): \r-only files lose no line, and
  // line numbers in messages stay those of the user's file.
  const text = splitLines(raw).join('\n');
  state.regionsText = text;
  state.regionCount = 0;
  state.regionContigs = new Map();
  state.firstRegion = null;
  const info = $('bed-info');
  info.classList.remove('bad');
  if (!text.trim()) {
    info.textContent = '';
    renderSources();
    return;
  }
  try {
    // The core parses the BED (one owner for its rules); the page only splits lines.
    const { count, contigs, first, lines } = await parseRegions(text);
    for (const c of contigs) state.regionContigs.set(c.name, c.regions);
    state.firstRegion = first;
    state.regionCount = count;
    const all = text.split('\n');
    const preview = Array.from(lines.subarray(0, 4), (n) => all[n - 1]);
    info.textContent = `${count.toLocaleString()} region${count === 1 ? '' : 's'}; first lines:\n${preview.join('\n')}`;
  } catch (e) {
    info.classList.add('bad');
    info.textContent = e.message;
  }
  await Promise.all(state.sources.map(checkContigs));
  renderSources();
}

// ---------------------------------------------------------------------------------------
// Export

function showError(message) {
  const box = $('error');
  box.hidden = !message;
  box.textContent = message ?? '';
}

function setRunning(on) {
  $('export').disabled = on;
  $('export-dataset').disabled = on;
  $('cancel').hidden = !on;
  $('progress').hidden = false;
}

async function runExport() {
  showError(null);
  // Annotation tracks are the dataset's only: an export reads the samples.
  const picked = sampleSources(state.sources);
  if (!picked.length) return showError(state.sources.length ? 'Every source is ticked "annotation": Export reads samples only.' : 'Add at least one bigWig source.');
  if (!state.regionCount) return showError($('bed-info').classList.contains('bad') ? $('bed-info').textContent : 'Add regions (a BED file or pasted BED).');
  const format = $('format').value;
  const layout = $('layout').value;
  const maxMem = Math.floor(Math.max(1, Number($('max-mem').value) || 4096) * 2 ** 20);
  // One contiguous shard of the regions per worker (the package's `shard` option: the
  // split is the core's); every worker gets the whole BED, so messages name its lines.
  const count = Math.max(1, Math.min(16, Number($('workers').value) || 1, state.regionCount));
  const parts = Array.from({ length: count }, (_, index) => ({ index, count }));
  const sources = withHeads(picked);
  const labels = picked.map((s) => s.label);
  const t0 = performance.now();
  const progress = parts.map(() => ({ regionsDone: 0, intervals: 0, bytesFetched: 0 }));
  const results = new Array(parts.length);
  const run = { workers: [], cancelled: false };
  state.running = run;
  state.result = null;
  $('results').hidden = true;
  setRunning(true);
  const tick = () => {
    const done = progress.reduce((t, p) => t + p.regionsDone, 0);
    const total = state.regionCount;
    const secs = (performance.now() - t0) / 1000;
    const eta = done > 0 ? (secs * (total - done)) / done : NaN;
    $('bar').value = total ? done / total : 0;
    $('progress-text').textContent = `${done.toLocaleString()} / ${total.toLocaleString()} regions · `
      + `${progress.reduce((t, p) => t + p.intervals, 0).toLocaleString()} intervals · `
      + `${formatBytes(progress.reduce((t, p) => t + p.bytesFetched, 0))} read · ${secs.toFixed(1)} s`
      + (done < total && Number.isFinite(eta) ? ` · ETA ${eta.toFixed(1)} s` : '');
  };
  tick();
  try {
    run.workers = workers(parts.length);
    await Promise.all(parts.map(async (part, shard) => {
      const job = { shard, part, sources, regions: state.regionsText, layout, maxMem };
      results[shard] = await runJob(run.workers[shard], job, (p) => { progress[shard] = p; tick(); });
      progress[shard].regionsDone = results[shard].nRegions;
      tick();
    }));
    if (run.cancelled) return;
    const raw = await mergeShards(results, { format: 'raw' });
    const merged = format === 'raw' ? raw : await mergeShards(results, { format });
    state.result = { ...merged, raw, layout, format, labels, seconds: (performance.now() - t0) / 1000, workers: parts.length };
    tick();
    await renderResults();
  } catch (e) {
    if (!run.cancelled) showError(e.message);
  } finally {
    // On failure, other shards may still be running: stop them (fresh workers next time).
    if (!state.result) run.workers.forEach(retire);
    if (state.running === run) state.running = null;
    setRunning(false);
  }
}

function cancel() {
  const run = state.running;
  if (!run) return;
  run.cancelled = true;
  run.workers.forEach(retire);
  state.running = null;
  setRunning(false);
  $('progress-text').textContent += ' · cancelled';
  showError('Export cancelled.');
}

// ---------------------------------------------------------------------------------------
// Results

/** The track name as a file and directory name. */
function trackName() {
  return ($('track').value.trim() || 'signal').replace(/[^\w.-]+/g, '_').replace(/^\.+$/, '_');
}

function download(blob, name) {
  const a = Object.assign(document.createElement('a'), { href: URL.createObjectURL(blob), download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 60_000);
}

async function renderResults() {
  const r = state.result;
  $('results').hidden = false;
  document.body.dataset.exportMs = (r.seconds * 1000).toFixed(1);
  $('summary').textContent = `${r.nRegions.toLocaleString()} regions × ${r.nSamples} samples: `
    + `${r.nIntervals.toLocaleString()} intervals in ${r.seconds.toFixed(2)} s with ${r.workers} worker${r.workers === 1 ? '' : 's'}.`;
  const list = $('file-list');
  list.replaceChildren();
  for (const [name, chunks] of Object.entries(r.files)) {
    const li = document.createElement('li');
    const b = Object.assign(document.createElement('button'), { type: 'button', textContent: 'Download' });
    b.dataset.file = name;
    // The Blob (a copy into browser storage) is made only when it is asked for.
    b.addEventListener('click', () => download(new Blob(chunks, { type: 'application/octet-stream' }), name));
    li.append(`${name} (${formatBytes(sizeOf(chunks))}) `, b);
    list.append(li);
  }
  renderPlots($('plots'), r, state.firstRegion, r.labels);
}

/** The files as listed, in the chosen format, under `<track>/`: plain arrays (npy files
 * are numpy's; GenVarLoader reads datasets, which the dataset download makes). */
async function downloadAll() {
  const r = state.result;
  if (!r) return;
  const track = trackName();
  const blob = await zipBlob(Object.entries(r.files).map(([name, chunks]) => [`${track}/${name}`, chunks]));
  download(blob, `${track}.zip`);
}

// ---------------------------------------------------------------------------------------
// Wiring

const drop = $('drop');
$('files').addEventListener('change', (e) => {
  const input = /** @type {HTMLInputElement} */ (e.target);
  addSources([...input.files]);
  input.value = '';
});
drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => { e.preventDefault(); drop.classList.remove('over'); addSources([...e.dataTransfer.files]); });
$('add-urls').addEventListener('click', () => {
  const urls = splitLines($('urls').value).map((u) => u.trim()).filter(Boolean).map((u) => new URL(u, location.href).href);
  $('urls').value = '';
  addSources(urls);
});
$('bed-file').addEventListener('change', async (e) => {
  const f = /** @type {HTMLInputElement} */ (e.target).files[0];
  if (!f) return;
  try {
    const text = await bedText(f);
    $('bed-text').value = text.length > 200_000 ? '' : text;
    $('bed-text').placeholder = text.length > 200_000 ? `${f.name} loaded (too large to show)` : $('bed-text').placeholder;
    await setRegions(text);
  } catch (err) {
    $('bed-info').classList.add('bad');
    $('bed-info').textContent = `${f.name}: cannot read: ${err.message}`;
  }
});
let typing;
$('bed-text').addEventListener('input', () => {
  clearTimeout(typing);
  typing = setTimeout(() => setRegions($('bed-text').value), 250);
});
$('export').addEventListener('click', runExport);
$('cancel').addEventListener('click', cancel);
$('download-all').addEventListener('click', downloadAll);
$('export-dataset').addEventListener('click', () => runDataset({
  state, $, setRunning, showError, download, formatBytes, withHeads, trackName,
}));
workers(Math.max(1, Math.min(16, Number($('workers').value) || 1)));
$('workers').addEventListener('change', () => workers(Math.max(1, Math.min(16, Number($('workers').value) || 1))));
document.title = 'bigwig-npy';
document.body.dataset.ready = 'true';
