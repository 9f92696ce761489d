// The hot/cold partition, fill stripping, layouts, blocks and the held-out
// replay, on a vmlinux built in code (and on the real Debian kernel when
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
// it is cached).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readKernelImage } from '../src/image/index.js';
import { indexBytes, planBlocks, replay, INDEX_BLOCK_ENTRY_BYTES, INDEX_FUNCTION_ENTRY_BYTES } from '../src/partition/blocks.js';
import { codeLength } from '../src/partition/fill.js';
import { LAYOUTS, layoutCold } from '../src/partition/layout.js';
import { codeMap, hotBytes, partition, type Partition } from '../src/partition/partition.js';
import { coldKernel, hotSet, nopPad, INIT_FUNCTIONS, TEXT_FUNCTIONS } from './fixtures/cold-kernel.js';
import { realKernel } from './corpus.js';
import { mapTrace } from '../src/partition/trace-map.js';
import { mergeTraces, readTraceFile } from '../src/partition/traces.js';
import { projectPath } from '../src/project.js';

const sized = coldKernel(true);
const unsized = coldKernel(false);
const imgSized = readKernelImage(sized.elf, 'sized.elf', { findBeside: false });
const imgUnsized = readKernelImage(unsized.elf, 'unsized.elf', { findBeside: false });
const RAN = ['start_kernel', 'schedule', 'vfs_read', 'init_b'];

function checkInvariants(p: Partition): void {
  const t = p.totals;
  assert.equal(t.hotBytes + t.coldBytes + t.holeBytes + t.unstoredBytes, t.extentBytes, 'hot + cold + holes (+ unstored) = extent');
  const sumExtent = p.code.ranges.reduce((n, r) => n + r.extent, 0);
  assert.equal(t.extentBytes, sumExtent);
  for (const s of p.sections) assert.equal(s.hotBytes + s.coldBytes + s.holeBytes + s.unstoredBytes, s.extentBytes, s.section);
  assert.equal(
    p.sections.reduce((n, s) => n + s.extentBytes, 0),
    t.extentBytes,
  );
  const cold = new Set(p.coldRanges);
  for (const h of p.hotRanges) assert.ok(!cold.has(h), `hot range ${p.code.ranges[h]!.name} is not cold`);
  assert.equal(p.hotRanges.length + p.coldRanges.length + t.unstoredFunctions, p.code.ranges.length);
  assert.equal(
    p.hotRanges.reduce((n, i) => n + p.code.ranges[i]!.code, 0),
    t.hotBytes,
  );
  assert.equal(
    p.coldRanges.reduce((n, i) => n + p.code.ranges[i]!.code, 0),
    t.coldBytes,
  );
}

describe('fill stripping', () => {
  const x86 = (bytes: number[]) => codeLength(Uint8Array.from(bytes), 'x86');
  it('x86: NOP padding, int3 fill and the SLS int3 are fill; a call whose rel32 ends in zeros is code', () => {
    assert.equal(x86([0x55, 0xc3, ...nopPad(14)]), 2);
    for (let n = 1; n <= 15; n++) assert.equal(x86([0x48, 0x89, 0xc3, ...nopPad(n)]), 3, `${n} bytes of NOP`);
    assert.equal(x86([0x55, 0xc3, 0xcc, 0xcc, 0xcc]), 2);
    assert.equal(x86([0x55, 0xe9, 1, 2, 3, 4, 0xcc, 0x90]), 6);
    assert.equal(x86([0x55, 0xe8, 0x10, 0x20, 0x00, 0x00, 0x90]), 6, 'rel32 high zero bytes kept');
    assert.equal(x86([0x55, 0xe8, 0x10, 0x00, 0x00, 0x00]), 6, 'three zeros are not a hole');
    assert.equal(x86([0x55, 0xc3, 0, 0, 0, 0, 0, 0, 0xcc]), 2, 'a run of 4+ zeros is');
  });
  it('never strips everything: at least one byte stays', () => {
    assert.equal(x86([0xcc, 0xcc, 0xcc]), 1);
    assert.equal(x86([0x90]), 1);
    assert.equal(codeLength(new Uint8Array(64), 'arm64'), 4);
    assert.equal(codeLength(new Uint8Array(0), 'x86'), 0);
  });
  it('arm64: zero words and NOP words at 4-byte offsets; arm and Thumb-2 likewise', () => {
    const ret = [0xc0, 0x03, 0x5f, 0xd6];
    const nop = [0x1f, 0x20, 0x03, 0xd5];
    assert.equal(codeLength(Uint8Array.from([...ret, ...ret, ...nop, ...nop, 0, 0, 0, 0]), 'arm64'), 8);
    assert.equal(codeLength(Uint8Array.from([...ret, 0, 0, 0x1f, 0x20, 0, 0]), 'arm64'), 10, 'misaligned: kept');
    assert.equal(codeLength(Uint8Array.from([0x1e, 0xff, 0x2f, 0xe1, 0x00, 0x00, 0xa0, 0xe1, 0, 0, 0, 0]), 'arm'), 4);
    assert.equal(codeLength(Uint8Array.from([0x70, 0x47, 0x00, 0xbf, 0, 0]), 'arm-thumb2'), 2);
  });
});

describe('partition', () => {
  it('with symbol sizes: code = st_size, holes = the rest, every byte accounted for', () => {
    const p = partition(imgSized, hotSet(imgSized, 'boot', RAN));
    checkInvariants(p);
    const code = new Map(p.code.ranges.map((r) => [r.name, r.code]));
    for (const [name, n] of [...sized.text.code, ...sized.init.code]) assert.equal(code.get(name), n, name);
    assert.equal(p.code.sized, TEXT_FUNCTIONS.length + INIT_FUNCTIONS.length);
    assert.equal(p.totals.functions, TEXT_FUNCTIONS.length + INIT_FUNCTIONS.length, 'the alias is one range');
    assert.equal(p.totals.extentBytes, sized.text.bytes.length + sized.init.bytes.length);
    assert.equal(p.totals.hotFunctions, RAN.length);
    assert.deepEqual(p.sections.map((s) => s.section).sort(), ['.init.text', '.text']);
  });

  it('without sizes: stripping the fill finds the same code ends on this fixture', () => {
    const a = codeMap(imgSized);
    const b = codeMap(imgUnsized);
    assert.equal(b.stripped, b.ranges.length);
    assert.deepEqual(
      b.ranges.map((r) => [r.name, r.code, r.hole]),
      a.ranges.map((r) => [r.name, r.code, r.hole]),
    );
    checkInvariants(partition(imgUnsized, hotSet(imgUnsized, 'boot', RAN)));
  });

  it('an alias that ran makes its range hot; hot bytes are the hot code', () => {
    const p = partition(imgUnsized, hotSet(imgUnsized, 'boot', ['startup_alias']));
    assert.equal(p.totals.hotFunctions, 1);
    assert.equal(p.code.ranges[p.hotRanges[0]!]!.name, 'start_kernel');
    const hot = hotBytes(imgUnsized, p);
    assert.equal(hot.length, unsized.text.code.get('start_kernel'));
    assert.deepEqual(hot, unsized.text.bytes.subarray(0, hot.length));
  });

  it('refuses function indices of another image', () => {
    assert.throws(
      () => partition(imgSized, { trace: 'x', hot: new Set([10_000]), order: [10_000], matched: 1, unmatched: [], ambiguous: 0 }),
      /not a function of this image/,
    );
  });
});

function coldNames(p: Partition, order: number[]): string[] {
  return order.map((i) => p.code.ranges[i]!.name);
}

describe('layouts', () => {
  const p = partition(imgSized, hotSet(imgSized, 'boot', RAN));
  it('hold exactly the cold code, no hot function, and are deterministic', () => {
    const layoutTrace = hotSet(imgSized, 'layout', ['cold_f', 'schedule', 'cold_b']);
    for (const name of LAYOUTS) {
      const a = layoutCold(imgSized, p, name, layoutTrace);
      const b = layoutCold(imgSized, p, name, layoutTrace);
      assert.deepEqual(a.order, b.order, name);
      assert.deepEqual(a.bytes, b.bytes, name);
      assert.deepEqual(
        [...a.order].sort((x, y) => x - y),
        p.coldRanges,
        name,
      );
      assert.equal(a.bytes.length, p.totals.coldBytes);
      assert.ok(a.bytes.buffer instanceof SharedArrayBuffer);
      for (const [k, i] of a.order.entries()) {
        const r = p.code.ranges[i]!;
        assert.ok(!p.hot[i], `${r.name} ran, it is not laid out`);
        assert.deepEqual(a.bytes.subarray(a.starts[k]!, a.starts[k + 1]!), imgSized.kernel.subarray(r.offset!, r.offset! + r.code));
      }
    }
  });
  it('address, neighbour and trace orders', () => {
    const names = (n: (typeof LAYOUTS)[number]) => coldNames(p, layoutCold(imgSized, p, n, hotSet(imgSized, 'layout', ['cold_f', 'schedule', 'cold_b'])).order);
    assert.deepEqual(names('address'), ['do_one_initcall', 'vfs_write', 'cold_a', 'cold_b', 'cold_c', 'cold_d', 'cold_e', 'cold_f', 'cold_g', 'init_a']);
    // distance to the nearest hot function within its section, then address
    assert.deepEqual(names('neighbour'), ['do_one_initcall', 'vfs_write', 'init_a', 'cold_a', 'cold_b', 'cold_c', 'cold_d', 'cold_e', 'cold_f', 'cold_g']);
    assert.deepEqual(names('trace'), ['cold_f', 'cold_b', 'do_one_initcall', 'vfs_write', 'cold_a', 'cold_c', 'cold_d', 'cold_e', 'cold_g', 'init_a']);
    assert.throws(() => layoutCold(imgSized, p, 'trace'), /needs a layout trace/);
  });
});

describe('blocks', () => {
  const p = partition(imgSized, hotSet(imgSized, 'boot', RAN));
  const layout = layoutCold(imgSized, p, 'address');
  for (const size of [256, 1024, 4096, 16384, 1 << 20]) {
    it(`are function-aligned and at most ${size} bytes, the index counted`, () => {
      const plan = planBlocks(layout, size);
      assert.equal(plan.ends.at(-1), layout.bytes.length);
      let lo = 0;
      for (const end of plan.ends) {
        assert.ok(end > lo && end - lo <= size, `block [${lo}, ${end})`);
        lo = end;
      }
      const blockStart = (b: number) => (b === 0 ? 0 : plan.ends[b - 1]!);
      for (let k = 0; k < layout.order.length; k++) {
        const [s, e] = [layout.starts[k]!, layout.starts[k + 1]!];
        const [f, l] = [plan.firstBlock[k]!, plan.lastBlock[k]!];
        assert.ok(blockStart(f) <= s && s < plan.ends[f]!, 'first block holds its start');
        assert.ok(blockStart(l) < e && e <= plan.ends[l]!, 'last block holds its end');
        if (e - s <= size) assert.equal(f, l, 'a function that fits a block is in one block');
        else assert.equal(s, blockStart(f), 'a bigger function starts a block');
      }
      assert.equal(plan.indexBytes, INDEX_BLOCK_ENTRY_BYTES * (plan.ends.length + 1) + INDEX_FUNCTION_ENTRY_BYTES * layout.order.length);
      assert.equal(plan.indexBytes, indexBytes(plan.ends.length, layout.order.length));
      const largestBlock = Math.max(...plan.ends.map((e, b) => e - blockStart(b)));
      assert.ok(plan.maxSpanBytes >= largestBlock, "every block is in some function's span");
    });
  }
  it('a function bigger than a block fills whole blocks', () => {
    const plan = planBlocks(layout, 4096);
    const k = layout.order.findIndex((i) => p.code.ranges[i]!.name === 'cold_e');
    assert.equal(plan.lastBlock[k]! - plan.firstBlock[k]! + 1, Math.ceil(12_000 / 4096));
    assert.equal(plan.maxSpanBytes, 12_000);
  });
});

describe('holdout replay', () => {
  it('counts distinct cold blocks of functions that ran in the holdout and are cold here', () => {
    const p = partition(imgSized, hotSet(imgSized, 'boot', RAN));
    const layout = layoutCold(imgSized, p, 'address');
    const plan = planBlocks(layout, 4096);
    const blockOf = (name: string) => {
      const k = layout.order.findIndex((i) => p.code.ranges[i]!.name === name);
      return [plan.firstBlock[k]!, plan.lastBlock[k]!] as const;
    };
    // do_one_initcall and vfs_write are in block 0; cold_c in a later one; schedule is hot (no miss).
    assert.deepEqual(blockOf('do_one_initcall'), [0, 0]);
    assert.deepEqual(blockOf('vfs_write'), [0, 0]);
    const [cb] = blockOf('cold_c');
    assert.ok(cb > 0);
    const r = replay(p, layout, plan, hotSet(imgSized, 'holdout', ['schedule', 'do_one_initcall', 'vfs_write', 'cold_c', 'start_kernel']));
    assert.equal(r.functions, 3);
    assert.deepEqual(r.blocks, [0, cb]);
    const raw = (b: number) => plan.ends[b]! - (b === 0 ? 0 : plan.ends[b - 1]!);
    assert.equal(r.rawBytes, raw(0) + raw(cb));
    const none = replay(p, layout, plan, hotSet(imgSized, 'holdout', ['schedule']));
    assert.deepEqual([none.functions, none.blocks.length, none.rawBytes], [0, 0, 0]);
    const big = replay(p, layout, plan, hotSet(imgSized, 'holdout', ['cold_e']));
    assert.equal(big.blocks.length, 3, 'a function spanning three blocks needs all three');
  });
});

describe('on the real Debian amd64 kernel', () => {
  const real = realKernel('amd64');
  it(
    'partitions with a synthetic HotSet, every byte accounted for',
    { skip: real ? false : 'the Debian amd64 kernel is not cached (scripts/fetch-test-kernels)', timeout: 60_000 },
    () => {
      const img = real!.image;
      const order = img.functions.map((_, i) => i).filter((i) => i % 9 === 0);
      const set = { trace: 'synthetic', hot: new Set(order), order, matched: order.length, unmatched: [], ambiguous: 0 };
      const p = partition(img, set);
      checkInvariants(p);
      // REFERENCE.md section 6: megabytes of alignment holes in an x86 .text
      const text = p.sections.find((s) => s.section === '.text')!;
      assert.ok(text.holeBytes > 3_000_000, `holes ${text.holeBytes}`);
      assert.ok(p.totals.coldBytes > 5_000_000);
      for (const i of p.coldRanges) assert.ok(!p.hot[i]);
      const layout = layoutCold(img, p, 'neighbour');
      const plan = planBlocks(layout, 65536);
      assert.equal(plan.ends.at(-1), p.totals.coldBytes);
    },
  );

  // The traces were made on one build (data/traces/*/README.md records its release and sha256);
  // the cache holds whatever build Debian serves today. On that exact build the match is exact;
  // on another build of the same series (same upstream version and flavour) what must hold for
  // any build is checked: the names still match and a sixth of .text still ran.
  it(
    'the committed boot traces match the kernel series they were made on: names matched, a sixth of .text ran',
    { skip: real ? false : 'the Debian amd64 kernel is not cached (scripts/fetch-test-kernels)', timeout: 60_000 },
    () => {
      const img = real!.image;
      const dir = projectPath('data', 'traces', 'debian-amd64-6.1.0-56');
      const boot = mergeTraces(['boot.ftrace.txt', 'boot.qemu-tb.txt'].map((f) => readTraceFile(`${dir}/${f}`)));
      const traced = boot.provenance['image_sha256'];
      assert.match(traced ?? '', /^[0-9a-f]{64}$/, 'the traces record the sha256 of the image they were made on');
      const sameBuild = traced === createHash('sha256').update(readFileSync(real!.path)).digest('hex');
      if (sameBuild) assert.equal(`${boot.provenance['release'] ?? ''}`, img.release, 'the trace names the kernel it was made on');
      else
        assert.equal(
          seriesOf(img.release),
          seriesOf(boot.provenance['release']),
          `the cached kernel ${img.release} is another series than the traces' ${boot.provenance['release']}`,
        );
      const set = mapTrace(boot, img.functions);
      if (sameBuild) assert.deepEqual(set.unmatched, []);
      else
        assert.ok(
          set.unmatched.length <= boot.entries.length * 0.01,
          `${set.unmatched.length} of ${boot.entries.length} trace entries unmatched on another build`,
        );
      const p = partition(img, set);
      checkInvariants(p);
      const text = p.sections.find((s) => s.section === '.text')!;
      const share = text.hotBytes / (text.hotBytes + text.coldBytes);
      // REFERENCE.md section 6: ~14-16% of .text function bytes run during boot (ftrace alone).
      assert.ok(share > 0.12 && share < 0.2, `hot share of .text ${share}`);
      const work = mapTrace(mergeTraces(['workload.ftrace.txt', 'workload.qemu-tb.txt'].map((f) => readTraceFile(`${dir}/${f}`))), img.functions);
      const coldInWorkload = [...work.hot].filter((i) => !set.hot.has(i)).length;
      assert.ok(coldInWorkload > 100, `${coldInWorkload} workload functions are cold after boot`);
    },
  );
});

/** "6.1.0-56-amd64" -> "6.1-amd64": the upstream series and flavour, which every ABI bump of Debian's kernel keeps. */
function seriesOf(release: string | null | undefined): string | null {
  const m = /^(\d+\.\d+)\.\d+-\d+-(.+)$/.exec(release ?? '');
  return m ? `${m[1]}-${m[2]}` : null;
}
