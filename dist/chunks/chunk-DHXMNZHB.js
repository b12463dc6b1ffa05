import { createRequire as __createRequire } from 'node:module'; import { fileURLToPath as __fileURLToPath } from 'node:url'; const require = __createRequire(import.meta.url); const __bundleDir = __fileURLToPath(new URL('.', import.meta.url));
import{g as e,n as r,o as s,p as m}from"./chunk-IMVG3Z3A.js";var o=class extends r(s,m,"DescribeInstances",e){};export{o as a};
