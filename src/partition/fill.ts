// The fill rules live with the image reader (src/image/fill.ts), which trims
// every function's extent with them; re-exported here for partition users.
export { codeLength, fillArch, type FillArch } from '../image/fill.js';
