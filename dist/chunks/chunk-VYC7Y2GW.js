import { createRequire as __createRequire } from 'node:module'; import { fileURLToPath as __fileURLToPath } from 'node:url'; const require = __createRequire(import.meta.url); const __bundleDir = __fileURLToPath(new URL('.', import.meta.url));
import{a as t}from"./chunk-XKARJE47.js";function r(o,e,n){return o.text(e)===""?n:o.boolean(e)}t(r,"optionalBoolean");export{r as a};
