/** Replaced at build time by tsup (`define`); tests fall back to "0.0.0-dev". */
declare const __CAIRN_SDK_VERSION__: string;
