import { createRequire as __createRequire } from 'node:module'; import { fileURLToPath as __fileURLToPath } from 'node:url'; const require = __createRequire(import.meta.url); const __bundleDir = __fileURLToPath(new URL('.', import.meta.url));
import{B as e}from"./chunk-237R6RS5.js";var r="plugin-cache";function i(t){e(r,JSON.stringify(t))}export{r as a,i as b};
