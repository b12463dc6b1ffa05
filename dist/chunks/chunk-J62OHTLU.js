import { createRequire as __createRequire } from 'node:module'; import { fileURLToPath as __fileURLToPath } from 'node:url'; const require = __createRequire(import.meta.url); const __bundleDir = __fileURLToPath(new URL('.', import.meta.url));
import{a as r,c as i}from"./chunk-YK42ZLOQ.js";var o=i((p,e)=>{e.exports=r("node:http")});export{o as a};
