import { createRequire as __createRequire } from 'node:module'; import { fileURLToPath as __fileURLToPath } from 'node:url'; const require = __createRequire(import.meta.url); const __bundleDir = __fileURLToPath(new URL('.', import.meta.url));
var e="plugin-cache";export{e as a};
