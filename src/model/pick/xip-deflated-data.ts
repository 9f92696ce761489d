// Strategy xip-deflated-data: XIP with the data load image stored compressed
// (arm XIP_DEFLATED_DATA, gzip -9, data/format-rules.csv). Flash = the
// xipImage with the data load image as measured compressed; RAM as xip;
// boot = read it + inflate.

import { formatRules } from '../rules.js';
import { blankCandidate, bootTime, fmt } from './candidate.js';
import { boardDecompressMs } from './decompress-time.js';
import { xipSplit } from './xip.js';
import type { Candidate, PickStrategy, StrategyContext } from './types.js';

export const xipDeflatedData: PickStrategy = {
  name: 'xip-deflated-data',
  forPayload: () => [],
  forBoard(ctx: StrategyContext): Candidate[] {
    const { board, facts, measured } = ctx;
    const xd = blankCandidate(board, 'xip-deflated-data', 'gzip', '');
    const p = xipSplit(ctx);
    if (typeof p === 'string') xd.reason = p;
    else if (facts.arch !== 'arm') xd.reason = `XIP_DEFLATED_DATA is an arm option (arch/arm/Kconfig); ${facts.arch} has none`;
    else if (facts.xipData) {
      try {
        xd.setting = formatRules().xipDataSetting;
        xd.flash_bytes = p.flashBytes - p.flash.data_load_image + facts.xipData.compressedBytes;
        xd.ram_bytes = p.ramBytes;
        xd.basis = `as xip, with the data load image as ${xd.setting} (${fmt(facts.xipData.compressedBytes)} bytes)`;
        const data = { payloadBytes: facts.xipData.compressedBytes, outputBytes: p.flash.data_load_image };
        bootTime(xd, board, facts.xipData.compressedBytes, boardDecompressMs(board, 'gzip', data, measured));
      } catch (e) {
        xd.reason = (e as Error).message;
      }
    } else xd.reason = 'the data load image was not compressed (no XIP data measurement)';
    return [xd];
  },
};
