export { createApp, createApiRouter } from "./app.js";
export { loadConfig, ConfigError, type Config } from "./config.js";
export { startServer, type RunningServer } from "./server.js";
export { buildOpenApiDocument } from "./docs/openapi-document.js";
