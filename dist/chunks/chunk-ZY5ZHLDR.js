import { createRequire as __createRequire } from 'node:module'; import { fileURLToPath as __fileURLToPath } from 'node:url'; const require = __createRequire(import.meta.url); const __bundleDir = __fileURLToPath(new URL('.', import.meta.url));
import{b as r,d as i}from"./chunk-XKARJE47.js";var o=i((p,e)=>{e.exports=r("node:https")});export{o as a};
