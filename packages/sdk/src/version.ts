/** The SDK's version, injected at build time. */
export const SDK_VERSION: string = typeof __CAIRN_SDK_VERSION__ === "string" ? __CAIRN_SDK_VERSION__ : "0.0.0-dev";
