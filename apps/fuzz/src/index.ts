/**
 * @bfio/fuzz: mutation fuzzing of bfio's readers with time and memory caps. `runSuite` runs several
 * formats; `runCampaign` / `runHttpCampaign` one; `Runner` is the capped child process; `loadCorpus` the
 * seeds. See README.md.
 */
export { type CampaignReport, runCampaign } from './campaign.js';
export { loadCorpus } from './corpus.js';
export { runHttpCampaign } from './http-campaign.js';
export type { FileSet, Format, Seed } from './input.js';
export { mutate } from './mutate.js';
export { type Counts, FAILURES, failureCount, OUTCOMES, type Outcome } from './outcome.js';
export { Runner, type RunnerOptions } from './runner.js';
export { formatTable, runSuite, type SuiteOptions } from './suite.js';
