// scripts/boot-trace.d/map.mjs: turns what scripts/boot-trace collected
// (the ftrace dump from ttyS1, QEMU's translate_block log) into function
// lists with provenance, a README with the numbers, and small fixtures.
// Functions come from the image's own kallsyms through kzbench's reader.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
const { openKernelImage } = await import(join(root, 'dist', 'src', 'image', 'index.js'));

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const work = args.work;
const outDir = args.out;
const only = args.only ?? 'both';

// ---------- symbols ----------
const imageBytes = readFileSync(args.image);
const imageSha = createHash('sha256').update(imageBytes).digest('hex');
const img = openKernelImage(args.image);
const KERNEL_MAP = 0xffffffff80000000n; // __START_KERNEL_map: virtual = physical + this (nokaslr)

// One entry per address; aliases (startup_64/_stext/_text) keep the most
// function-like name.
function nameScore(n) {
  if (/^(_stext|_text|_etext|_sinittext|_einittext|_sdata|_edata)$/.test(n)) return 3;
  if (/^__.*_(start|end)$/.test(n)) return 2;
  if (n.startsWith('__') && /_(start|end)_/.test(n)) return 1;
  return 0;
}
const byAddr = new Map();
for (const f of img.functions) {
  const k = f.address;
  const prev = byAddr.get(k);
  if (!prev || nameScore(f.name) < nameScore(prev.name)) byAddr.set(k, f);
}
const funcs = [...byAddr.values()].sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
// Bytes a function occupies: its extent, except that extents over 64 KiB
// (the alignment holes after __kprobes_text_end, __entry_text_end and
// srso_alias_safe_ret) lose their trailing padding run.
const HOLE = 65536;
let holeBytes = 0;
for (const f of funcs) {
  f.bytes = f.extent;
  if (f.extent > HOLE && f.offset !== null) {
    let end = f.offset + f.extent;
    const pad = img.kernel[end - 1];
    if (pad === 0xcc || pad === 0x00 || pad === 0x90) while (end > f.offset && img.kernel[end - 1] === pad) end--;
    f.bytes = end - f.offset;
    holeBytes += f.extent - f.bytes;
  }
}
const starts = funcs.map((f) => f.address);
function lookup(addr) {
  let lo = 0,
    hi = starts.length - 1,
    at = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (starts[mid] <= addr) {
      at = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  if (at < 0) return null;
  const f = funcs[at];
  return addr < f.address + BigInt(f.extent) ? f : null;
}
const textTotal = { n: 0, bytes: 0 },
  initTotal = { n: 0, bytes: 0 };
for (const f of funcs) {
  const t = f.section === '.text' ? textTotal : f.section === '.init.text' ? initTotal : null;
  if (t) {
    t.n++;
    t.bytes += f.bytes;
  }
}
const textSection = img.sections.find((s) => s.name === '.text');

// ---------- helpers ----------
function sections(file) {
  const out = new Map();
  if (!existsSync(file)) return out;
  const lines = readFileSync(file, 'latin1').split('\n');
  let cur = null;
  for (const line of lines) {
    if (line.startsWith('@@begin ')) {
      cur = [];
      out.set(line.split(' ')[1], cur);
      continue;
    }
    if (line.startsWith('@@end ')) {
      cur = null;
      continue;
    }
    if (cur) cur.push(line);
    else if (line.startsWith('@@')) {
      const [k, ...rest] = line.slice(2).split(' ');
      if (k === 'uptime') out.set('@uptime ' + rest[0], rest.slice(1));
      else out.set('@' + k, rest);
    }
  }
  return out;
}
function kv(lines) {
  const o = {};
  for (const l of lines ?? []) {
    const m = l.includes(':') ? /^([^:]+?)\s*:\s*(.*)$/.exec(l) : /^(\S+)\s+(.*)$/.exec(l);
    if (m) o[m[1].trim()] = m[2].trim();
  }
  return o;
}
const fmt = (n) => n.toLocaleString('en-US');
const hex = (a) => '0x' + a.toString(16);
function sum(list) {
  const r = { n: 0, bytes: 0, text: 0, textBytes: 0, init: 0, initBytes: 0 };
  for (const f of list) {
    r.n++;
    r.bytes += f.bytes;
    if (f.section === '.text') {
      r.text++;
      r.textBytes += f.bytes;
    } else if (f.section === '.init.text') {
      r.init++;
      r.initBytes += f.bytes;
    }
  }
  return r;
}
const describe = (s) =>
  `${fmt(s.n)} functions, ${fmt(s.bytes)} bytes (.text ${fmt(s.text)} / ${fmt(s.textBytes)} B; .init.text ${fmt(s.init)} / ${fmt(s.initBytes)} B)`;
const now = new Date().toISOString();
const timeOf = (tag) => {
  const f = join(work, `${tag}.time`);
  if (!existsSync(f)) return null;
  const [a, b] = readFileSync(f, 'utf8').trim().split(/\s+/).map(Number);
  return b - a;
};

const common = [
  `kernel_package: ${args.package}`,
  `kernel_version: ${args.version}`,
  `image: ${basename(args.image)}`,
  `image_sha256: ${imageSha}`,
  `release: ${img.release}`,
  `symbols: ${img.symbols.source} (${img.symbols.detail || 'kzbench image reader'}); ${fmt(funcs.length)} function addresses; .text ${fmt(textTotal.n)} functions ${fmt(textTotal.bytes)} bytes (section ${fmt(textSection?.bytes ?? 0)} bytes, ${fmt(holeBytes)} bytes of alignment holes not counted); .init.text ${fmt(initTotal.n)} functions ${fmt(initTotal.bytes)} bytes`,
  `qemu: ${args['qemu-version']}`,
  `qemu_command: ${args['qemu-command']}`,
  `generated_by: scripts/boot-trace`,
  `date: ${now}`,
];

function writeList(file, header, list, countOf) {
  const lines = header.map((h) => `# ${h}`);
  lines.push('# columns: address name count');
  for (const f of list) lines.push(`${hex(f.address)} ${f.name} ${countOf(f)}`);
  writeFileSync(join(outDir, file), lines.join('\n') + '\n');
}

const result = {};

// ---------- ftrace ----------
let ftr = null;
if (only !== 'tb') {
  const S = sections(join(work, 'ftrace.serial1'));
  if (!S.has('@done')) throw new Error('ftrace dump incomplete');
  const cmdline = (S.get('cmdline') ?? [''])[0].trim();
  const uptime = (k) => Number((S.get('@uptime ' + k) ?? ['?'])[0]);
  const phases = {};
  for (const phase of ['boot', 'workload']) {
    const order = [];
    const per = new Map();
    const unmapped = { addrs: 0, events: 0, examples: [] };
    for (const line of S.get(phase) ?? []) {
      if (!line) continue;
      const [a, ipc, pc] = line.split(' ');
      const addr = BigInt('0x' + a);
      const f = lookup(addr);
      if (!f) {
        unmapped.addrs++;
        unmapped.events += Number(ipc) + Number(pc);
        if (unmapped.examples.length < 5) unmapped.examples.push(a);
        continue;
      }
      let e = per.get(f);
      if (!e) {
        e = { ip: 0, parent: 0 };
        per.set(f, e);
        order.push(f);
      }
      e.ip += Number(ipc);
      e.parent += Number(pc);
    }
    const summary = kv(S.get(phase + '.summary'));
    const stats = kv(S.get(phase === 'boot' ? 'boot.stats' : 'workload.stats'));
    phases[phase] = { order, per, unmapped, summary, stats };
  }
  // the kernel's own list of traceable functions
  const aff = (S.get('available_filter_functions') ?? []).filter((l) => l);
  const affNames = new Set(aff.map((l) => l.split(/\s/)[0]));
  const textNames = new Set(funcs.filter((f) => f.section === '.text').map((f) => f.name));
  let notTraceable = 0;
  for (const n of textNames) if (!affNames.has(n)) notTraceable++;

  // cross-check of the decoder against the kernel's raw text output
  const raw = (S.get('sample.trace_raw') ?? []).filter((l) => l && !l.startsWith('#'));
  const dec = (S.get('sample.decoded') ?? []).filter((l) => l);
  let same = 0;
  const firstDiff = [];
  for (let i = 0; i < Math.max(raw.length, dec.length); i++) {
    const r = raw[i]?.split(' ');
    const d = dec[i]?.split(' ');
    const ok = r && d && r[0] === d[1] && r[2] === d[0] && r[3] === d[2] && r[4] === d[3];
    if (ok) same++;
    else if (firstDiff.length < 3) firstDiff.push(`${i}: raw "${raw[i]}" decoded "${dec[i]}"`);
  }
  // ... and of the symbol mapping against the kernel's symbolic output
  const text = (S.get('sample.trace') ?? []).filter((l) => l && !l.startsWith('#'));
  let namesSame = 0,
    namesCompared = 0;
  const nameDiff = [];
  for (let i = 0; i < Math.min(text.length, dec.length); i++) {
    const m = /:\s+(\S+) <-(\S+)$/.exec(text[i]);
    if (!m) continue;
    const d = dec[i].split(' ');
    const fi = lookup(BigInt('0x' + d[2])),
      fp = lookup(BigInt('0x' + d[3]));
    namesCompared++;
    const strip = (s) => s.replace(/\.(cold|part|isra|constprop|localalias)\b.*$/, '');
    if (fi && fp && fi.name === m[1] && fp.name === m[2]) namesSame++;
    else if (fi && fp && strip(fi.name) === strip(m[1]) && strip(fp.name) === strip(m[2])) namesSame++;
    else if (nameDiff.length < 3) nameDiff.push(`${m[1]} <-${m[2]} vs ${fi?.name} <-${fp?.name}`);
  }
  ftr = {
    S,
    cmdline,
    phases,
    aff,
    affNames,
    notTraceable,
    textNames,
    check: { raw: raw.length, dec: dec.length, same, firstDiff, namesSame, namesCompared, nameDiff },
    uptime,
  };

  const cannot =
    'code that runs before early_trace_init() in start_kernel (decompressor, startup_64, early setup); functions marked notrace or noinstr and everything the kernel build does not instrument (entry assembly, most of arch/x86/entry, lib/ and mm/ files built without -pg, .init.text of files without instrumentation); code running while tracing is off or recursing inside the tracer (untraced functions that call traced ones are still listed, from parent_ip); a function called but inlined does not exist in kallsyms and is credited to its caller';
  for (const phase of ['boot', 'workload']) {
    const p = phases[phase];
    const stats = p.stats;
    const s = p.summary;
    const st = sum(p.order);
    const lost = Number(stats['dropped events'] ?? 0) + Number(stats['overrun'] ?? 0) + Number(s.missed_events_stored ?? 0);
    result[`ftrace.${phase}`] = { list: p.order, stats: st, events: Number(s.function_events), lost, unmapped: p.unmapped };
    writeList(
      `${phase}.ftrace.txt`,
      [
        `kzbench boot trace: kernel functions that ran (ftrace function tracer, phase ${phase})`,
        ...common,
        `kernel_command_line: ${cmdline}`,
        `source: ftrace function tracer (function events: ip = the traced function, parent_ip = its caller), read by /init from the binary per-CPU ring buffer (per_cpu/cpu0/trace_pipe_raw) and sent out through ttyS1 (scripts/boot-trace.d/kztrace-init.c)`,
        phase === 'boot'
          ? `phase: boot: from the start of the function tracer (early_trace_init) to /init stopping it (tracing_on=0) after mounting proc, sysfs, devtmpfs and tracefs; guest uptime ${uptime('init')} s`
          : `phase: workload: /workload.sh (busybox sh) run by /init with tracing re-enabled on a cleared buffer; guest uptime ${uptime('workload-start')} to ${uptime('workload-end')} s`,
        `cannot_see: ${cannot}`,
        `events: ${s.function_events} function events (ring buffer stats entries: ${stats.entries}); ${s.pages} pages; ${s.other_events} other events; ${s.discarded} discarded; ${s.time_extends} time extends; ${s.time_stamps} absolute time stamps; ${s.malformed} malformed`,
        `lost_events: ${lost} (dropped events ${stats['dropped events']}, overrun ${stats['overrun']}, commit overrun ${stats['commit overrun']}, pages flagged with missed events ${s.pages_with_missed_events})`,
        `distinct_addresses: ${s.distinct_addresses} (ip and parent_ip); ${p.unmapped.addrs} outside kallsyms text (${p.unmapped.events} hits${p.unmapped.examples.length ? ', e.g. ' + p.unmapped.examples.join(' ') : ''})`,
        `functions: ${describe(st)}; ${p.order.filter((f) => p.per.get(f).ip === 0).length} of them seen only as callers (parent_ip)`,
        `count: function-entry events of the function (events with it as ip); for a function never traced itself (notrace/noinstr code seen only as the caller, parent_ip, of traced functions) the number of events naming it as caller`,
        `order: first appearance (a caller before its callee within an event)`,
      ],
      p.order,
      (f) => p.per.get(f).ip || p.per.get(f).parent,
    );
  }
}

// ---------- qemu translate_block ----------
let tbr = null;
if (only !== 'ftrace') {
  const S = sections(join(work, 'tb.serial1'));
  if (!S.has('@done')) throw new Error('tb run incomplete');
  const cmdline = (S.get('cmdline') ?? [''])[0].trim();
  const MARK_BOOT = 0x13370000n,
    MARK_W0 = 0x13380000n,
    MARK_W1 = 0x13390000n;
  const textStart = textSection.address - KERNEL_MAP; // physical startup_64
  let phase = 'boot',
    physWindow = false,
    seenVirtual = false;
  const P = {};
  for (const ph of ['boot', 'between', 'workload', 'after']) P[ph] = { order: [], per: new Map(), tbs: 0, kernel: 0, phys: 0, user: 0, firmware: 0, other: 0 };
  const rl = createInterface({ input: createReadStream(join(work, 'tb.qemu.log')), crlfDelay: Infinity });
  const re = /pc:0x([0-9a-f]+)/;
  for await (const line of rl) {
    const m = re.exec(line);
    if (!m) continue;
    let pc = BigInt('0x' + m[1]);
    if (pc === MARK_BOOT) {
      phase = 'between';
      continue;
    }
    if (pc === MARK_W0) {
      phase = 'workload';
      continue;
    }
    if (pc === MARK_W1) {
      phase = 'after';
      continue;
    }
    const p = P[phase];
    p.tbs++;
    if (!seenVirtual && pc === textStart) physWindow = true; // the decompressor jumped to startup_64
    if (pc >= KERNEL_MAP) seenVirtual = true;
    let f = null;
    if (pc >= KERNEL_MAP) f = lookup(pc);
    else if (physWindow && !seenVirtual) {
      f = lookup(pc + KERNEL_MAP);
      if (f) p.phys++;
    }
    if (f) {
      p.kernel++;
      let e = p.per.get(f);
      if (!e) {
        e = 0;
        p.order.push(f);
      }
      p.per.set(f, e + 1);
    } else if (pc >= 0xffff800000000000n) p.other++;
    else if (!seenVirtual) p.firmware++;
    else p.user++;
  }
  tbr = { S, P, cmdline };
  const cannot =
    'only the first translation of each block: a block translated earlier (e.g. during boot) and still cached is not logged again, so the workload list holds the functions whose code was translated (first or again) during the workload, not all that ran; translations are re-made after TB flushes and on new mappings, which recovers some reuse; a block is credited to the function holding its first byte, so code reached only by falling through from a previous function inside one block is not seen; code that never runs is never translated; no call counts';
  for (const ph of ['boot', 'workload']) {
    const p = P[ph];
    const st = sum(p.order);
    result[`tb.${ph}`] = { list: p.order, stats: st, events: p.kernel, lost: 0, p };
    writeList(
      `${ph}.qemu-tb.txt`,
      [
        `kzbench boot trace: kernel functions that ran (QEMU translate_block, phase ${ph})`,
        ...common,
        `kernel_command_line: ${cmdline}`,
        `source: QEMU TCG translate_block trace event (-d trace:translate_block -D LOG): the guest pc of every translated block; one boot, phases split by user-space marker blocks /init executes at 0x13370000 (end of boot), 0x13380000 and 0x13390000 (start and end of the workload)`,
        ph === 'boot'
          ? 'phase: boot: from the first guest instruction (firmware, setup, decompressor: not mapped) through startup_64 (physical addresses before paging switches to the kernel map are mapped as physical + 0xffffffff80000000) to /init, after it mounted proc, sysfs, devtmpfs and tracefs'
          : 'phase: workload: /workload.sh (busybox sh) run by /init, between the markers',
        `cannot_see: ${cannot}`,
        `events: ${p.tbs} translations in the phase; ${p.kernel} in kernel text (${p.phys} at physical addresses); ${p.user} user space; ${p.firmware} firmware/setup/decompressor; ${p.other} other kernel addresses (vsyscall, modules, trampolines)`,
        'lost_events: 0 (the log is written synchronously by QEMU)',
        `functions: ${describe(st)}`,
        'count: translations of blocks starting in the function',
        'order: first translation',
      ],
      p.order,
      (f) => p.per.get(f),
    );
  }
}

// ---------- README with the numbers ----------
const md = [];
const name = basename(outDir);
md.push(`# Boot traces: ${name}`, '');
md.push(`Generated by \`scripts/boot-trace\` on ${now.slice(0, 10)}; do not edit by hand (rerun the script). How and why: ../README.md.`, '');
md.push('| | |', '|---|---|');
md.push(`| kernel | ${args.package} ${args.version} (${img.release}) |`);
md.push(`| image | ${basename(args.image)}, sha256 ${imageSha} |`);
md.push(
  `| symbols | ${img.symbols.source}: .text ${fmt(textTotal.n)} functions, ${fmt(textTotal.bytes)} bytes (section ${fmt(textSection?.bytes ?? 0)} bytes, ${fmt(holeBytes)} bytes alignment holes); .init.text ${fmt(initTotal.n)} functions, ${fmt(initTotal.bytes)} bytes |`,
);
md.push(`| emulator | ${args['qemu-version']}, TCG, one CPU (qemu64), no KVM |`);
md.push(`| qemu command | \`${args['qemu-command']}\` |`);
if (ftr) md.push(`| ftrace command line | \`${ftr.cmdline}\` |`);
if (tbr) md.push(`| qemu-tb command line | \`${tbr.cmdline}\` (plus \`-d trace:translate_block -D LOG\`) |`);
md.push('');
md.push('## Functions that ran', '');
md.push(
  '| source | phase | functions | bytes | .text functions | .text bytes | % of .text function bytes | .init.text functions | .init.text bytes | events | lost |',
);
md.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const [k, r] of Object.entries(result)) {
  const [src, ph] = k.split('.');
  const s = r.stats;
  md.push(
    `| ${src === 'tb' ? 'qemu-tb' : 'ftrace'} | ${ph} | ${fmt(s.n)} | ${fmt(s.bytes)} | ${fmt(s.text)} | ${fmt(s.textBytes)} | ${((100 * s.textBytes) / textTotal.bytes).toFixed(1)} | ${fmt(s.init)} | ${fmt(s.initBytes)} | ${fmt(r.events)} ${src === 'tb' ? 'translations' : 'calls'} | ${fmt(r.lost)} |`,
  );
}
md.push('');
const setOf = (k) => new Set(result[k]?.list ?? []);
function cmp(aKey, bKey, label) {
  if (!result[aKey] || !result[bKey]) return;
  const A = setOf(aKey),
    B = setOf(bKey);
  const aOnly = [...A].filter((f) => !B.has(f)),
    bOnly = [...B].filter((f) => !A.has(f));
  const both = [...A].filter((f) => B.has(f));
  const sa = sum(aOnly),
    sb = sum(bOnly),
    sboth = sum(both),
    su = sum([...new Set([...A, ...B])]);
  md.push(`### ${label}`, '');
  md.push('| | functions | bytes | .text functions | .text bytes |', '|---|---:|---:|---:|---:|');
  md.push(`| both | ${fmt(sboth.n)} | ${fmt(sboth.bytes)} | ${fmt(sboth.text)} | ${fmt(sboth.textBytes)} |`);
  md.push(`| only ${aKey} | ${fmt(sa.n)} | ${fmt(sa.bytes)} | ${fmt(sa.text)} | ${fmt(sa.textBytes)} |`);
  md.push(`| only ${bKey} | ${fmt(sb.n)} | ${fmt(sb.bytes)} | ${fmt(sb.text)} | ${fmt(sb.textBytes)} |`);
  md.push(`| union | ${fmt(su.n)} | ${fmt(su.bytes)} | ${fmt(su.text)} | ${fmt(su.textBytes)} |`);
  md.push('');
  return { aOnly, bOnly };
}
if (ftr && tbr) {
  md.push('## What each source saw that the other missed', '');
  const boot = cmp('ftrace.boot', 'tb.boot', 'Boot');
  if (boot && ftr) {
    const init = boot.bOnly.filter((f) => f.section === '.init.text');
    const textOnly = boot.bOnly.filter((f) => f.section === '.text');
    const notAff = textOnly.filter((f) => !ftr.affNames.has(f.name));
    const aff = textOnly.filter((f) => ftr.affNames.has(f.name));
    const other = boot.bOnly.filter((f) => f.section !== '.text' && f.section !== '.init.text');
    const si = sum(init),
      sn = sum(notAff),
      sa = sum(aff);
    const big = (l) =>
      [...l]
        .sort((a, b) => b.bytes - a.bytes)
        .slice(0, 6)
        .map((f) => `${f.name} (${f.bytes})`)
        .join(', ');
    md.push(`Of the ${fmt(boot.bOnly.length)} functions only qemu-tb saw in boot:`, '');
    md.push(
      `- ${fmt(sn.n)} .text functions (${fmt(sn.bytes)} bytes) are not in available_filter_functions: notrace, noinstr or assembly code ftrace cannot trace. Largest: ${big(notAff)}.`,
    );
    md.push(
      `- ${fmt(si.n)} .init.text functions (${fmt(si.bytes)} bytes): init code that ran before the tracer started (early_trace_init) or is not traceable (available_filter_functions, read after boot, no longer lists freed init code, so the two cannot be told apart here). Largest: ${big(init)}.`,
    );
    md.push(
      `- ${fmt(sa.n)} .text functions (${fmt(sa.bytes)} bytes) are traceable: most ran before the tracer started (setup_arch and other early start_kernel code); the rest differ between the two boots. Largest: ${big(aff)}.`,
    );
    if (other.length)
      md.push(
        `- ${other.map((f) => `${f.name} (${f.bytes} bytes, section ${f.section})`).join(', ')}: code outside .text and .init.text (\`_einittext\` is the kallsyms name for the start of .altinstr_aux, the static_cpu_has() fallback code that runs until alternatives are patched).`,
      );
    md.push('');
    md.push(
      `The ${fmt(boot.aOnly.length)} functions only ftrace saw in boot: ${boot.aOnly
        .slice(0, 10)
        .map((f) => f.name)
        .join(
          ', ',
        )}${boot.aOnly.length > 10 ? ', ...' : ''}. These come mostly from the tracer itself (starting the tracer, its 1 GiB buffer: deferred page init growth, ring-buffer slow paths) and from timing-dependent paths the slower traced boot takes (TSC/PIT calibration); a QEMU block is also credited only to the function holding its first byte, so code reached by falling through inside a block is not seen. The two sources come from two separate boots of the same kernel and initramfs.`,
      '',
    );
  }
  // workload: qemu-tb only sees new translations, so compare with the ftrace
  // functions that were new in the workload
  const fb = setOf('ftrace.boot'),
    fw = result['ftrace.workload'].list;
  const newInWorkload = fw.filter((f) => !fb.has(f));
  result['ftrace.workload-new'] = { list: newInWorkload, stats: sum(newInWorkload), events: 0, lost: 0 };
  const tbb = setOf('tb.boot'),
    tw = result['tb.workload'].list;
  const tbNew = tw.filter((f) => !tbb.has(f));
  result['tb.workload-new'] = { list: tbNew, stats: sum(tbNew), events: 0, lost: 0 };
  md.push('### Workload', '');
  md.push(
    `ftrace saw ${fmt(fw.length)} functions in the workload, ${fmt(newInWorkload.length)} of them (${fmt(sum(newInWorkload).bytes)} bytes) not seen in its boot phase. qemu-tb logs only blocks translated during the workload: ${fmt(tw.length)} functions, ${fmt(tbNew.length)} (${fmt(sum(tbNew).bytes)} bytes) not translated during boot.`,
    '',
  );
  cmp(
    'ftrace.workload',
    'tb.workload',
    'Workload, all functions per source (qemu-tb misses functions whose blocks were translated in boot and are still cached)',
  );
  cmp('ftrace.workload-new', 'tb.workload-new', "Workload, functions not seen in the same source's boot phase");
  const uBoot = new Set([...setOf('ftrace.boot'), ...setOf('tb.boot')]);
  const uAll = new Set([...uBoot, ...setOf('ftrace.workload'), ...setOf('tb.workload')]);
  const sb = sum([...uBoot]),
    sa = sum([...uAll]);
  md.push('### Union of both sources', '');
  md.push(`Boot: ${describe(sb)}; ${((100 * sb.textBytes) / textTotal.bytes).toFixed(1)}% of .text function bytes.`, '');
  md.push(
    `Boot and workload: ${describe(sa)}; ${((100 * sa.textBytes) / textTotal.bytes).toFixed(1)}% of .text function bytes; the workload added ${fmt(sa.n - sb.n)} functions (${fmt(sa.bytes - sb.bytes)} bytes).`,
    '',
  );
}
if (ftr) {
  md.push('## ftrace details', '');
  md.push(
    `- available_filter_functions: ${fmt(ftr.aff.length)} entries; ${fmt(ftr.notTraceable)} of the ${fmt(ftr.textNames.size)} distinct .text function names are not in it.`,
  );
  const c = ftr.check;
  md.push(
    `- Decoder cross-check: the ring buffer of a short run of \`ls -l /proc/self/\` (64 KiB buffer, non-overwriting: the first ${fmt(c.raw)} events) decoded by kztrace-init from trace_pipe_raw against the kernel's own text output with \`options/raw\`: ${fmt(c.same)} of ${fmt(Math.max(c.raw, c.dec))} events identical in timestamp, pid, ip and parent_ip${c.firstDiff.length ? '; first differences: ' + c.firstDiff.join('; ') : ''}. Symbol names from kzbench's kallsyms reader against the kernel's \`%ps\` names in the default text output: ${fmt(c.namesSame)} of ${fmt(c.namesCompared)} events agree${c.nameDiff.length ? ' (differences: ' + c.nameDiff.join('; ') + ')' : ''}.`,
  );
  for (const ph of ['boot', 'workload']) {
    const s = ftr.phases[ph].summary;
    md.push(
      `- ${ph}: ${fmt(Number(s.function_events))} events in ${fmt(Number(s.pages))} pages, decoded in the guest in ${s.read_seconds} s (guest time); ${s.time_extends} time extends, ${s.time_stamps} absolute time stamps, ${s.discarded} discarded events; lost ${result['ftrace.' + ph].lost}.`,
    );
  }
  md.push(`- Guest uptime at /init ${ftr.uptime('init')} s with the function tracer on.`);
  md.push('');
}
if (tbr) {
  md.push('## qemu-tb details', '');
  for (const ph of ['boot', 'between', 'workload', 'after']) {
    const p = tbr.P[ph];
    md.push(
      `- ${ph}: ${fmt(p.tbs)} translations: kernel text ${fmt(p.kernel)} (of which ${fmt(p.phys)} at physical addresses before the switch to the kernel map), user ${fmt(p.user)}, firmware/setup/decompressor ${fmt(p.firmware)}, other kernel addresses ${fmt(p.other)}.`,
    );
  }
  md.push(`- Guest uptime at /init ${Number((tbr.S.get('@uptime init') ?? ['?'])[0])} s without tracing.`);
  md.push('');
}
md.push('## Time', '');
const tf = timeOf('ftrace'),
  tt = timeOf('tb');
if (tf !== null) md.push(`- ftrace run (boot, dumps, workload, samples, power off): ${tf.toFixed(1)} s wall clock.`);
if (tt !== null) md.push(`- qemu-tb run: ${tt.toFixed(1)} s wall clock.`);
md.push(`- Whole script up to writing this file: ${(Date.now() / 1000 - Number(args.started)).toFixed(0)} s (2 shared cores).`);
md.push('');
writeFileSync(join(outDir, 'README.md'), md.join('\n'));

// ---------- fixtures ----------
if (args.fixtures && ftr) {
  const F = args.fixtures;
  mkdirSync(F, { recursive: true });
  const S = ftr.S;
  const prov = (what) => `kernel ${args.package} ${args.version}, ${what}`;
  const take = (k, n) => (S.get(k) ?? []).slice(0, n).join('\n') + '\n';
  writeFileSync(join(F, 'function.trace.txt'), take('sample.trace', 112));
  writeFileSync(join(F, 'function.trace-raw.txt'), take('sample.trace_raw', 62));
  writeFileSync(join(F, 'function_graph.trace.txt'), take('sample.function_graph', 104));
  writeFileSync(join(F, 'header_page'), take('header_page', 4));
  writeFileSync(join(F, 'header_event'), (S.get('header_event') ?? []).join('\n').replace(/\n*$/, '\n'));
  writeFileSync(join(F, 'function.format'), (S.get('function_format') ?? []).join('\n').replace(/\n*$/, '\n'));
  writeFileSync(join(F, 'available_filter_functions.txt'), take('available_filter_functions', 20));
  writeFileSync(join(F, 'per_cpu-stats.txt'), (S.get('boot.stats') ?? []).join('\n').replace(/\n*$/, '\n'));
  writeFileSync(
    join(F, 'README.md'),
    [
      '# Real ftrace text samples',
      '',
      `Captured by \`scripts/boot-trace\` on ${now.slice(0, 10)} from ${prov(`release ${img.release}`)}, booted under ${args['qemu-version']} (TCG, one CPU) with \`${ftr.cmdline}\`. Reader tests use them as real examples of each format.`,
      '',
      '- `function.trace.txt`: the first lines of /sys/kernel/tracing/trace with the function tracer (default options) while /init ran `ls -l /proc/self/`.',
      '- `function.trace-raw.txt`: the same buffer with `options/raw` set: `pid cpu timestamp ip parent_ip` (timestamp in ns, addresses in hex; not a format the trace reader accepts).',
      '- `function_graph.trace.txt`: the first lines of the trace with current_tracer set to function_graph for another `ls -l /proc/self/`.',
      '- `header_page`, `header_event`: events/header_page and events/header_event (ring buffer page and event header layout).',
      '- `function.format`: events/ftrace/function/format.',
      '- `available_filter_functions.txt`: its first 20 lines.',
      '- `per_cpu-stats.txt`: per_cpu/cpu0/stats after boot (1 GiB non-overwriting buffer).',
      '',
    ].join('\n'),
  );
}

for (const [k, r] of Object.entries(result)) console.log(`${k}: ${describe(r.stats)}; events ${r.events}; lost ${r.lost}`);
if (ftr)
  console.log(
    `decoder check: ${ftr.check.same}/${Math.max(ftr.check.raw, ftr.check.dec)} events; names ${ftr.check.namesSame}/${ftr.check.namesCompared}`,
    ftr.check.firstDiff,
    ftr.check.nameDiff,
  );
console.log(`wrote ${relative(process.cwd(), outDir) || outDir}`);
