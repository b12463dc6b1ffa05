import { createRequire as __createRequire } from 'node:module'; import { fileURLToPath as __fileURLToPath } from 'node:url'; const require = __createRequire(import.meta.url); const __bundleDir = __fileURLToPath(new URL('.', import.meta.url));
import{a as e}from"../chunks/chunk-JJ32XGBU.js";import"../chunks/chunk-364IDMG3.js";import"../chunks/chunk-AE322RBW.js";import"../chunks/chunk-BKNMT2N6.js";import"../chunks/chunk-PG4MFMIR.js";async function o(t){return(await e(t.join(`
`),{matchDirectories:!1,implicitDescendants:!0})).glob()}export{o as matchedFiles};
