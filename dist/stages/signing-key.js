import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);
import{b as e}from"../chunks/chunk-73ALL4V3.js";import"../chunks/chunk-O5DVVPDB.js";async function n(r){return(await e({armoredKey:r})).toPublic()}export{n as readArmoredKey};
