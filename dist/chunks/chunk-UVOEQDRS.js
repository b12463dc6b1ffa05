import { createRequire as __createRequire } from 'node:module'; import { fileURLToPath as __fileURLToPath } from 'node:url'; const require = __createRequire(import.meta.url); const __bundleDir = __fileURLToPath(new URL('.', import.meta.url));
import{f as e,l as m,m as r,n as o}from"./chunk-DXCCURSK.js";var s=class extends m(r,o,"DescribeImages",e){};export{s as a};
