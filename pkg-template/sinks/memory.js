// @ts-check
// The in-memory sink of `exportTrack`.

/** Output kept in memory: Blobs keyed by file name, or chunk lists (`output: 'chunks'`). */
export function memorySink(opts) {
  const parts = [];
  const sink = {
    begin(names) { for (const name of names) parts.push({ name, chunks: [] }); },
    write(i, bytes) { parts[i].chunks.push(bytes); },
    finish(headers) {
      const files = {};
      parts.forEach((p, i) => {
        const chunks = headers[i].length ? [headers[i], ...p.chunks] : p.chunks;
        // Blobs cost a copy into browser storage; `chunks` leaves that to the caller (e.g.
        // to transfer the buffers out of a worker and build a Blob only on download).
        files[p.name] = opts.output === 'chunks' ? chunks : new Blob(chunks, { type: 'application/octet-stream' });
      });
      return files;
    },
  };
  return sink;
}
