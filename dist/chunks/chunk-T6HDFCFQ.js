import { createRequire as __createRequire } from 'node:module'; import { fileURLToPath as __fileURLToPath } from 'node:url'; const require = __createRequire(import.meta.url); const __bundleDir = __fileURLToPath(new URL('.', import.meta.url));
function e(n){return n instanceof Error?n.message:String(n)}export{e as a};
