import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// Everything is bundled (no CDN at run time); hashed file names let the gateway cache assets forever.
// `npm run dev` proxies the APIs to a gateway started by `make run` (GATEWAY_PORT, default 8000).
export default defineConfig({
  plugins: [react()],
  build: { outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 4096 },
  server: { proxy: { "/api": `http://127.0.0.1:${process.env.GATEWAY_PORT ?? 8000}` } },
});
