import { createRequire as __createRequire } from 'node:module'; import { fileURLToPath as __fileURLToPath } from 'node:url'; const require = __createRequire(import.meta.url); const __bundleDir = __fileURLToPath(new URL('.', import.meta.url));
var o="[a-z]{2,}(?:-[a-z]+)+-\\d+",s={partition:"aws-iso-f",region:"us-isof-south-1"};export{o as a,s as b};
