// Builds the UI into the Python package (src/slipstream/ui/static), where the API server
// serves it. Every file is also written gzip-compressed (`name.gz`), which the server sends to
// browsers that accept gzip. `npm run dev` serves the sources with hot reload and forwards the
// API to a Slipstream API server on 127.0.0.1:8080 (`slipstream api-server`).
import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { defineConfig, type Plugin } from "vite";

const OUT_DIR = "../src/slipstream/ui/static";
const COMPRESSIBLE = /\.(html|js|css|svg|json|txt)$/;
const API_SERVER = process.env.SLIPSTREAM_API ?? "http://127.0.0.1:8080";

async function* files(dir: string): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else yield path;
  }
}

/** Writes `name.gz` beside each text file of the build, when that is smaller. */
function precompress(): Plugin {
  let outDir = OUT_DIR;
  return {
    name: "slipstream-precompress",
    apply: "build",
    configResolved(config) {
      outDir = config.build.outDir;
    },
    async closeBundle() {
      for await (const path of files(outDir)) {
        if (!COMPRESSIBLE.test(path) || !(await stat(path)).isFile()) continue;
        const data = await readFile(path);
        const packed = gzipSync(data, { level: 9 });
        if (packed.length < data.length) await writeFile(`${path}.gz`, packed);
      }
    },
  };
}

export default defineConfig({
  plugins: [precompress()],
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: OUT_DIR,
    emptyOutDir: true,
    assetsDir: "static",
    target: "es2022",
    sourcemap: false,
    reportCompressedSize: true,
  },
  server: {
    proxy: { "/api": API_SERVER, "/auth": API_SERVER },
  },
});
