import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);
import{a,b,c,d}from"./chunk-LETIV5SV.js";import"./chunk-KGBN62DG.js";import"./chunk-5J4NYZOU.js";import"./chunk-YGHKHVVM.js";import"./chunk-VQ4HDTUZ.js";import"./chunk-O5DVVPDB.js";export{a as PLUGIN_CACHE_STATE,b as directoryFingerprint,c as restorePluginCache,d as savePluginCache};
