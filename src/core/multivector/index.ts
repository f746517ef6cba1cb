export { maxSim } from '../kernels/maxsim.js';
export { type MuveraConfig, type MultivectorSetting, MUVERA_DEFAULTS, MULTIVECTOR_LIMITS, encodingDimension, resolveMultivector } from './config.js';
export { FdeEncoder } from './fde.js';
export { poolTokens, wardClusters } from './pooling.js';
export { MaxSimScorer, type TokenSet } from './scorer.js';
