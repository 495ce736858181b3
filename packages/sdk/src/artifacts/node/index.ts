// Node-only artifact transfers, loaded through a dynamic import() so that the SDK's main
// entry stays browser-safe.
export { collectFiles, hashFile } from "./files.js";
export { uploadFiles, type UploadContext } from "./upload.js";
export { download, type DownloadResult } from "./download.js";
export { withTempFile } from "./temp.js";
