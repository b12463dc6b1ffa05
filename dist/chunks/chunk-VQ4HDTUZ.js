import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);
function e(n){return n instanceof Error?n.message:String(n)}export{e as a};
