// Abuse limits (issue 3, part 7): reusable middleware, each failing through HttpError so the
// problem+json shape stays uniform. Intended order, outermost first:
//   requestContext → secureHeaders → cors → requestTimeout → [pre-auth rateLimit by address]
//   → auth → rateLimit by actor key → bodyLimit (per route) → jsonDepthLimit → handler
// secureHeaders and cors sit outside everything that can fail, so 4xx/5xx problems carry them too.
export { clientAddress, isLoopbackAddress, isLoopbackClient } from "./client.js";
export { type CorsOptions, cors } from "./cors.js";
export { type JsonDepthLimitOptions, jsonDepthLimit } from "./json-depth-limit.js";
export { type JsonShape, measureJson } from "./json-scan.js";
export { type RateLimitOptions, rateLimit } from "./rate-limit.js";
export { type RequestTimeoutOptions, type TimeoutEnv, requestTimeout, timeoutSignal } from "./request-timeout.js";
export { API_CSP, type SecureHeadersOptions, secureHeaders, UI_CSP } from "./secure-headers.js";
export { TokenBuckets, type TokenBucketsOptions } from "./token-buckets.js";
