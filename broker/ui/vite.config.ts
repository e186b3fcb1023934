// Builds the dashboard (broker/ui/web) into .sluice/ui, which Sluice serves at /ui
// (`npm run build:ui`, run by scripts/setup). Everything is bundled: the page loads nothing
// from any other host, and no inline script is emitted (the CSP forbids it).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  root: here('./web'),
  base: '/ui/',
  // Preact's automatic JSX runtime (the web tsconfig says the same to tsc).
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: here('../../.sluice/ui'),
    emptyOutDir: true,
    assetsDir: 'assets',
    // Vite's preload polyfill is a small inline-free helper; modern browsers need none.
    modulePreload: { polyfill: false },
    sourcemap: false,
    target: 'es2022',
    reportCompressedSize: true,
  },
  logLevel: 'warn',
});
