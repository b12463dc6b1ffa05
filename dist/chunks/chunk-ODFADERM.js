import { createRequire as __createRequire } from 'node:module'; import { fileURLToPath as __fileURLToPath } from 'node:url'; const require = __createRequire(import.meta.url); const __bundleDir = __fileURLToPath(new URL('.', import.meta.url));
import{h as e,p as m,q as r,r as o}from"./chunk-NJRHZES4.js";var s=class extends m(r,o,"DescribeImages",e){};export{s as a};
