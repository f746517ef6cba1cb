/** The multi-vector settings as the collection layer sees them (core/format reads definitions through here). */
export { type MultivectorSetting, type MuveraConfig, encodingDimension } from '../multivector/config.js';
