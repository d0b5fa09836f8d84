#!/usr/bin/env node
// The engops command. Runs a bundle of engops' TypeScript that it keeps up to date (see bundle.js);
// falls back to compiling the sources on the fly through tsx's loader.
import { pathToFileURL } from 'node:url';
import { bundledEntry } from './bundle.js';

const bundle = await bundledEntry();
if (bundle) {
  process.setSourceMapsEnabled?.(true);
  await import(pathToFileURL(bundle).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/main.ts');
}
