import { createRequire as __createRequire } from 'node:module'; import { fileURLToPath as __fileURLToPath } from 'node:url'; const require = __createRequire(import.meta.url); const __bundleDir = __fileURLToPath(new URL('.', import.meta.url));
import{a as e}from"./chunk-XKARJE47.js";function s(n){return n instanceof Error?n.message:String(n)}e(s,"errorMessage");export{s as a};
