import { createRequire as __createRequire } from 'node:module'; import { fileURLToPath as __fileURLToPath } from 'node:url'; const require = __createRequire(import.meta.url); const __bundleDir = __fileURLToPath(new URL('.', import.meta.url));
import{i as e,p as r,q as s,r as m}from"./chunk-NJRHZES4.js";var o=class extends r(s,m,"DescribeInstances",e){};export{o as a};
