/**
 * What every failure of this package rejects with: a one-line `message` naming the input
 * (file, URL, BED line, option, output path). An aborted call rejects with its signal's
 * reason instead (a `DOMException` named `AbortError` for a plain `abort()`).
 */
export class BigwigNpyError extends Error {
  /** `'MaxMemError'` for a region over `maxMem`, `'BigwigNpyError'` otherwise. */
  readonly name: 'BigwigNpyError' | 'MaxMemError';
  /**
   * `InputError`: a source, the regions or an option (a corrupt file, a bad URL answer, a
   * BED line, a header the rules refuse). `MaxMemError`: a region needs more than
   * `maxMem`. `OutputError`: the output directory or a file in it. `InternalError`: a bug
   * (the module was reset and can be used again).
   */
  readonly kind: 'InputError' | 'MaxMemError' | 'OutputError' | 'InternalError';
}

/** One bigWig per sample, in sample order. */
export type SourceInput =
  | Uint8Array
  | ArrayBuffer
  | ArrayBufferView
  /** Read by slices: a 4 GB File is never read whole. */
  | Blob
  /**
   * Read with HTTP range requests through `fetch`. Short bodies are continued, longer ones
   * cut to what was asked; a file whose ETag/Last-Modified or size changes mid-export fails
   * it ("changed while reading"); network errors, timeouts and cut-off bodies are retried
   * twice (100 and 400 ms apart).
   */
  | URL
  /** An http(s) URL; in Node, anything else is a file path (read by ranges). */
  | string
  /** What `inspectSource` returned: the export starts from the bytes it already read. */
  | InspectedSource;

export interface InspectedSource {
  name: string;
  contigs: { name: string; length: number }[];
  /** The source as given to `inspectSource`. */
  source: Exclude<SourceInput, InspectedSource>;
  /**
   * The bytes its header, chrom tree and (small) index took (null for in-memory bytes, or over
   * 8 MiB). Structured-cloneable: post it to workers so none of them reads these again.
   * Ignored when the source's size no longer matches; for a URL, whose size is known only
   * from its responses, an export finding another size or validator fails instead.
   */
  head: {
    size: number;
    ranges: [number, Uint8Array][];
    /** A URL's validators as inspectSource saw them. */
    version?: { etag: string | null; lastModified: string | null };
  } | null;
}

export type RegionsInput =
  /** BED text: tab or space separated, extra columns, `#`, track/browser lines, CRLF. */
  | string
  /** BED bytes, plain or gzip. */
  | Uint8Array
  | ArrayBuffer
  /** Integers only (numbers or bigints): strings, null or fractions are errors naming the index. */
  | { contigs: ArrayLike<string>; starts: ArrayLike<number | bigint>; ends: ArrayLike<number | bigint> };

export interface Progress {
  regionsDone: number;
  regionsTotal: number;
  intervals: number;
  bytesFetched: number;
}

export interface ExportOptions {
  sources: SourceInput[];
  regions: RegionsInput;
  /** `npy` (default): NPY 1.0 files; `raw`: header-less bytes as GenVarLoader's memmaps. */
  format?: 'npy' | 'raw';
  /** `aos` (default): intervals.npy; `soa`: starts.npy, ends.npy, values.npy. */
  layout?: 'aos' | 'soa';
  /**
   * Most bytes (12 per record) one region may need over all samples. Default 4 GiB.
   * This and the other sizes and times here must be non-negative integers.
   */
  maxMem?: number;
  /** Replaces the global fetch for URL sources (auth headers); it must resolve with a Response. */
  fetch?: typeof fetch;
  /** Largest file read whole from a server that ignores Range (checked as it streams in). Default 256 MiB. */
  wholeFileLimit?: number;
  /**
   * An HTTP request with no bytes arriving for this long (before the headers or between
   * body chunks) is aborted and retried, then fails the export. Default 60000; 0: none.
   */
  timeoutMs?: number;
  /**
   * Request headers for URL sources, sent with every request (indexes and data blocks
   * alike), e.g. `{ Authorization: 'Bearer TOKEN' }`. Headers the network rules own
   * (`Range`, `Accept-Encoding`, `Host`, ...) are refused. On a redirect to another origin,
   * fetch drops `Authorization` (other headers go along). In browsers a header beyond the
   * CORS-safelisted ones makes a preflight: the server must allow it
   * (`Access-Control-Allow-Headers`).
   */
  headers?: Record<string, string> | [string, string][] | Headers;
  /**
   * Decoded blocks kept in wasm memory, default 16 MiB. When the blocks the regions touch
   * do not fit and the regions are not in genome order, they are decoded in genome order
   * (each block fetched and inflated once) and put back in input order. A quarter of it
   * bounds the raw bytes kept beyond the read-ahead window (so small files are read once).
   */
  blockCacheBytes?: number;
  /** `blob` (default): files as Blobs; `chunks`: as `Uint8Array[]` (no Blob copy). */
  output?: 'blob' | 'chunks';
  onProgress?: (p: Progress) => void;
  /**
   * Aborting rejects with the signal's reason (an AbortError for a plain `abort()`), as
   * fetch does; reads in flight are aborted and no further reads start.
   */
  signal?: AbortSignal;
  /**
   * Node: threads the export runs on, the calling one and `workers - 1` worker threads,
   * one contiguous shard of the regions each (each with its own wasm instance, one region
   * at a time), merged in order into exactly the files one thread writes. Default
   * `os.availableParallelism()`, but 1 when a source is a URL (each thread would read the
   * headers and indexes again, and a remote export waits on the network); ignored in browsers (the export page runs its own Web
   * Workers with `shard`). Worker threads are shared by concurrent calls (at most the
   * machine's parallelism minus one, or this many if more): a call finding none free, or
   * exporting one region, or given a `fetch` function (functions cannot cross to a
   * thread) runs in the calling thread alone. Each thread opens
   * every source itself, so `bytesFetched` and `requests` count headers and indexes once
   * per thread. Bytes sources are copied once into a SharedArrayBuffer all threads read
   * (none when they already are on one); Blobs and Files are shared, not copied.
   */
  workers?: number;
  /**
   * Export only part `index` (from 0) of `count` contiguous, even parts of the regions (the
   * rule of the CLI's `dataset --shard`): what each of the page's Web Workers does;
   * `mergeShards` merges the parts' raw exports, in order, into the whole export's files.
   * Messages still name the regions' own lines.
   */
  shard?: { index: number; count: number };
}

export interface ExportResult<F> {
  /** Keyed by file name: intervals.npy + offsets.npy, or starts/ends/values.npy + offsets.npy. */
  files: Record<string, F>;
  nRegions: number;
  nSamples: number;
  nIntervals: number;
  /** Bytes read from the sources. */
  bytesFetched: number;
  /** Reads (HTTP requests for URL sources). */
  requests: number;
  /** `genome` when shuffled regions were decoded in genome order and put back in order. */
  decodeOrder: 'input' | 'genome';
}

/** Export every (region, sample) into GenVarLoader's ragged arrays, as Blobs. */
export function exportTrack(options: ExportOptions & { output?: 'blob' }): Promise<ExportResult<Blob>>;
export function exportTrack(options: ExportOptions & { output: 'chunks' }): Promise<ExportResult<Uint8Array[]>>;

/**
 * Node only: stream the export into `outDir` (a path, or a `file:` URL; temp names
 * `.<file>.partial-<pid>-<tag>`, renamed on success); paths by name. On failure or abort its
 * temporary files and the directories it made (if empty) are removed; temporaries of dead
 * processes are removed when an export starts. File system errors are `OutputError`s naming
 * the path; another URL scheme is an `InputError`.
 */
export function exportTrackToDir(options: ExportOptions & { outDir: string | URL }): Promise<ExportResult<string>>;

/**
 * The current size of the module's linear memory in bytes. Memory never shrinks, so once
 * nothing has used the module for half a second and it is over 64 MiB, the instance is
 * dropped (0 here) and the next call makes a new one.
 */
export function wasmMemoryBytes(): number;

/**
 * A source's name and chromosomes, reading only its header, chrom tree and (at most 64 KiB) index. Pass the
 * result as a source to `exportTrack` to skip reading those again.
 */
export function inspectSource(source: SourceInput, options?: Pick<ExportOptions, 'fetch' | 'signal' | 'wholeFileLimit' | 'timeoutMs' | 'headers'>): Promise<InspectedSource>;

/** Check regions as an export reads them: the count, or an error naming the BED line. */
export interface RegionsSummary {
  count: number;
  /** Contigs in order of first appearance, with their number of regions. */
  contigs: { name: string; regions: number }[];
  first: { contig: string; start: number; end: number } | null;
  /** The 1-based BED line (or array index + 1) of each region. */
  lines: Uint32Array;
}
export function parseRegions(regions: RegionsInput, options?: { signal?: AbortSignal }): Promise<RegionsSummary>;
/** The region contigs a source lacks, by the export's matching rule. */
export function unmatchedContigs(contigs: Iterable<string>, chroms: Iterable<string>): Promise<string[]>;

/**
 * Merge `format: 'raw'` exports of contiguous region shards (in region order, same
 * sources) into the files one export writes, in `format` (default npy).
 */
export function mergeShards(shards: ExportResult<Blob>[], options?: { format?: 'npy' | 'raw' }): Promise<ExportResult<Blob>>;
export function mergeShards(shards: ExportResult<Uint8Array[]>[], options?: { format?: 'npy' | 'raw' }): Promise<ExportResult<Uint8Array[]>>;

/** A track's samples: `{ sample: source }`, a Map, or `[sample, source]` pairs. */
export type DatasetSamples =
  | Record<string, SourceInput>
  | Map<string, SourceInput>
  | [string, SourceInput][];

export interface DatasetProgress extends Progress {
  /**
   * The track being exported (a per-sample or an annotation track); regions count over all
   * tracks (regions x tracks in all, annotation tracks included).
   */
  track: string;
}

/** Where each (region, sample) lands in a track directory, by dataset format. */
export type GvlFormat =
  /** Format 1.0 (GenVarLoader 0.35): `intervals.npy` (start, end, value records) + `offsets.npy`. */
  | 1
  /** Format 2.0 (GenVarLoader >= 0.36): `starts.npy`, `ends.npy`, `values.npy` + `offsets.npy`. */
  | 2;

export interface DatasetOptions extends Pick<ExportOptions, 'regions' | 'maxMem' | 'fetch' | 'wholeFileLimit' | 'timeoutMs' | 'headers' | 'blockCacheBytes' | 'output' | 'signal' | 'workers'> {
  /**
   * `{ trackName: { sample: source } }` (or a Map, or `[name, samples]` pairs): a track
   * per name under `intervals/<name>/`. Every track must have the same samples; the
   * dataset's order is by code point (`Normal < blood < tumor`), whatever order they are given in.
   */
  tracks: Record<string, DatasetSamples> | Map<string, DatasetSamples> | [string, DatasetSamples][];
  /**
   * Annotation tracks (`gvl.write`'s `annot_tracks`): `{ name: source }` (or a Map, or
   * `[name, source]` pairs), one bigWig for all samples, each under `annot_intervals/<name>/`
   * with offsets of length regions + 1. Names differ from each other and from the tracks'.
   */
  annot?: Record<string, SourceInput> | Map<string, SourceInput> | [string, SourceInput][];
  /** Every region is widened by this on both sides (`gvl.write`'s `max_jitter`). Default 0. */
  maxJitter?: number;
  /**
   * The dataset format: 2 (default) for GenVarLoader >= 0.36 (`pip install genvarloader`),
   * 1 for GenVarLoader 0.35. Each version opens only its own format.
   */
  gvlFormat?: GvlFormat;
  onProgress?: (p: DatasetProgress) => void;
}

export interface DatasetResult<F> {
  /**
   * Every file of the dataset directory by relative path: `metadata.json`, `regions.npy`,
   * `input_regions.arrow`, then per track `intervals/<track>/` and per annotation track
   * `annot_intervals/<name>/`, each with `starts.npy`, `ends.npy`, `values.npy`,
   * `offsets.npy` (format 2) or `intervals.npy`, `offsets.npy` (format 1).
   */
  files: Record<string, F>;
  /** The format written. */
  gvlFormat: GvlFormat;
  nRegions: number;
  nSamples: number;
  /** Per-sample tracks. */
  nTracks: number;
  /** Annotation tracks. */
  nAnnot: number;
  /** The dataset's samples, in its order (metadata.json `samples`). */
  samples: string[];
  /** Over all tracks, annotation tracks included. */
  nIntervals: number;
  bytesFetched: number;
  requests: number;
}

/**
 * A GenVarLoader dataset, the files `gvl.write(path, bed, tracks=[gvl.BigWigs(...)],
 * annot_tracks={...}, max_jitter=...)` writes (GenVarLoader 0.43.1 in format 2, 0.35 in
 * format 1), byte for byte as the CLI's `dataset`. Open the directory with
 * `genvarloader.Dataset.open`.
 */
export function exportDataset(options: DatasetOptions & { output?: 'blob' }): Promise<DatasetResult<Blob>>;
export function exportDataset(options: DatasetOptions & { output: 'chunks' }): Promise<DatasetResult<Uint8Array[]>>;

/**
 * Node only: write the dataset to `outDir` (a path, or a `file:` URL) as the CLI's `dataset`
 * does: through a hidden staging directory next to it (`.<name>.partial-<pid>-<tag>`, with an
 * owner record `.<name>.partial-<pid>-<tag>.owner` beside it) moved into place when complete:
 * it appears whole or not at all, and a failure or abort leaves nothing. An existing `outDir`
 * is an error unless `overwrite`, and even then only a dataset (with `metadata.json`) or an
 * empty directory is replaced, once the new one is complete and if it still is one then
 * (else an `OutputError` says it changed; nothing is replaced). Concurrent exports to one
 * `outDir` all end whole, the last one in place. Leftovers of killed exports (the CLI's too)
 * are removed once their owner is known gone. Errors name `outDir`, never the staging
 * directory. Paths by relative path.
 */
export function exportDatasetToDir(options: DatasetOptions & { outDir: string | URL; overwrite?: boolean }): Promise<DatasetResult<string>>;
