// What the page asks of the core instead of parsing BED itself: the regions' summary (count,
// contigs, first region, the line of each) and the contigs a source lacks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRegions, unmatchedContigs } from '../pkg/index.js';

test('parseRegions summarises regions with the line of each, any line ending', async () => {
  const s = await parseRegions('track name=x\r# c\rchr2\t5\t9\rchr1 1 2\r\n\nchr2\t0\t1\tname\t0\t-\n');
  assert.equal(s.count, 3);
  assert.deepEqual(s.contigs, [{ name: 'chr2', regions: 2 }, { name: 'chr1', regions: 1 }]);
  assert.deepEqual(s.first, { contig: 'chr2', start: 5, end: 9 });
  assert.deepEqual(Array.from(s.lines), [3, 4, 6]);
  const a = await parseRegions({ contigs: ['1', '1'], starts: [0, 5], ends: [3, 9] });
  assert.deepEqual(Array.from(a.lines), [1, 2]);
  await assert.rejects(parseRegions('chr1\t5\t1\n'), /regions line 1: start 5 is greater than end 1/);
});

test('unmatchedContigs applies the export rule: the name or chr + name, exactly once', async () => {
  assert.deepEqual(await unmatchedContigs(['1', 'chr2', 'chrZ', '3'], ['chr1', 'chr2', '3', 'chr3']), ['chrZ', '3']);
  assert.deepEqual(await unmatchedContigs(new Set(['ctgA']), ['ctgA', 'ctgB']), []);
});
