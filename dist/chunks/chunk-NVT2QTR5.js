import { createRequire as __createRequire } from 'node:module'; import { fileURLToPath as __fileURLToPath } from 'node:url'; const require = __createRequire(import.meta.url); const __bundleDir = __fileURLToPath(new URL('.', import.meta.url));
import{h as e,n as m,o as r,p as o}from"./chunk-IMVG3Z3A.js";var p=class extends m(r,o,"DescribeLaunchTemplates",e){};export{p as a};
