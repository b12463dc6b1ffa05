import { createRequire as __createRequire } from 'node:module'; import { fileURLToPath as __fileURLToPath } from 'node:url'; const require = __createRequire(import.meta.url); const __bundleDir = __fileURLToPath(new URL('.', import.meta.url));
import{j as e,q as m,r,s as o}from"./chunk-A2L7OKCR.js";var p=class extends m(r,o,"DescribeLaunchTemplates",e){};export{p as a};
