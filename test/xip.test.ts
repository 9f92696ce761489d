import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadXipTable, parseXipTable, predictXip, xipPlace, xipSectionsFromTable, XipError } from '../src/model/index.js';

const rows = loadXipTable();
const part = (name: string) => {
  const r = rows.find((x) => x.part === name);
  assert.ok(r, `no ${name} row in data/xip-stm32.csv`);
  return r;
};
const within = (got: number, want: number, frac: number, what: string) =>
  assert.ok(Math.abs(got - want) <= want * frac, `${what}: predicted ${got}, measured ${want} (${(((got - want) / want) * 100).toFixed(3)}%)`);

test('stm32_defconfig xipImage: flash predicted from the sections within 1% of the built image', () => {
  const p = predictXip(xipSectionsFromTable(rows));
  const imageBytes = part('flash_total').imageBytes;
  assert.equal(part('flash_total').bytes, imageBytes);
  within(p.flashBytes, imageBytes, 0.01, 'flash');
  // every part but the data load image is the section's own size
  for (const k of ['text', 'rodata', 'ex_table_unwind', 'init_rom'] as const) assert.equal(p.flash[k], part(k).bytes, k);
  within(p.flash.data_load_image, part('data_load_image').bytes, 0.01, 'data load image');
});

test('stm32_defconfig xipImage: RAM predicted within 1% of _end - _sdata', () => {
  const p = predictXip(xipSectionsFromTable(rows));
  within(p.ramBytes, part('ram_total').bytes, 0.01, 'RAM');
  for (const k of ['data', 'init_data', 'bss'] as const) assert.equal(p.ram[k], part(k).bytes, k);
  assert.equal(p.ramAfterBootBytes, part('data').bytes + part('bss').bytes);
  assert.ok(p.ramBytes < p.flashBytes);
});

test('sections are placed by kind and name', () => {
  assert.equal(xipPlace({ name: '.ARM.unwind_idx', kind: 'rodata', bytes: 1, fileBytes: 1 }), 'ex_table_unwind');
  assert.equal(xipPlace({ name: '__ex_table', kind: 'rodata', bytes: 1, fileBytes: 1 }), 'ex_table_unwind');
  assert.equal(xipPlace({ name: '.init.text', kind: 'init', bytes: 1, fileBytes: 1 }), 'init_rom');
  assert.equal(xipPlace({ name: '.init.data', kind: 'init', bytes: 1, fileBytes: 1 }), 'init_data');
  assert.equal(xipPlace({ name: '.data..percpu', kind: 'init', bytes: 1, fileBytes: 1 }), 'init_data');
  assert.equal(xipPlace({ name: '.comment', kind: 'other', bytes: 1, fileBytes: 1 }), 'none');
  assert.throws(() => xipPlace({ name: '.unknown@0x0', kind: 'unknown', bytes: 8, fileBytes: 8 }), XipError);
  // bss costs RAM, not flash; data costs both
  const p = predictXip([
    { name: '.bss', kind: 'bss', bytes: 100, fileBytes: 0 },
    { name: '.data', kind: 'data', bytes: 10, fileBytes: 10 },
  ]);
  assert.equal(p.flashBytes, 10);
  assert.equal(p.ramBytes, 110);
});

test('the XIP table is checked, errors with line and column', () => {
  const header = 'region,part,start,end,bytes,definition,image,image_bytes,kernel_version,config,compiler,date,source\n';
  assert.throws(() => parseXipTable(header + 'rom,text,0,1,1,d,x,1,v,c,g,d,s\n', 't.csv'), /t\.csv:2: column region/);
  assert.throws(() => parseXipTable(header + 'flash,text,0,1,lots,d,x,1,v,c,g,d,s\n', 't.csv'), /t\.csv:2: column bytes/);
  for (const r of rows) assert.match(r.source, /scripts\/measure-stubs/);
});
