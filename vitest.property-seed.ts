// Property tests (fast-check) in CI draw from one fixed seed, so a green main stays green and a
// red run replays exactly; locally every run explores new inputs. CAIRN_PROPERTY_SEED picks a
// seed (e.g. one a failure printed). The fuzz suite pins its own (CAIRN_FUZZ_SEED).
import fc from "fast-check";

const seed = process.env.CAIRN_PROPERTY_SEED ? Number(process.env.CAIRN_PROPERTY_SEED) : process.env.CI ? 20261129 : undefined;
if (seed !== undefined) fc.configureGlobal({ ...fc.readConfigureGlobal(), seed });
