#!/usr/bin/env node
// The `plectrum` command from a checkout: runs the TypeScript entry through tsx's ESM loader,
// so no build step is needed after `npm ci`.
import { register } from "tsx/esm/api";

register();
await import(new URL("../src/cli/main.ts", import.meta.url).href);
