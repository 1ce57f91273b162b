import { defaultClientConditions, defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// Tests import `unanimous` as its users do, and must get the sources, never a stale dist/: the
// export condition "unanimous:source" (package.json's exports) comes before Vite's own. Tests run
// in Vite's server (ssr) environment; the client one is set alike for any that run in a browser.
const SOURCE_CONDITION = 'unanimous:source';

export default defineConfig({
  resolve: { conditions: [SOURCE_CONDITION, ...defaultClientConditions] },
  ssr: { resolve: { conditions: [SOURCE_CONDITION, ...defaultServerConditions] } },
  test: {
    include: ['test/**/*.test.ts', 'examples/**/*.test.ts'],
    testTimeout: 60_000,
  },
});
