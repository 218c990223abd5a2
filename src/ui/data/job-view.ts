/**
 * The job as the run page shows it: what `minibatch explain` prints (settings with their sources,
 * bindings, the entry's command line, the interpreter), from the run's saved `run.json`. Nothing is
 * resolved again: the interpreter is named as configured, since the page may be read on another
 * machine than the one that ran.
 */
import type { RunJson } from '../../run/rundir.js';
import { entryCommand, shellJoin } from '../../spec/render.js';
import { formatSetting, SETTING_KEYS, SETTING_NAMES } from '../../spec/settings.js';
import type { JobView } from './view.js';

export function jobView(runJson: RunJson): JobView {
  const job = runJson.job;
  return {
    module: { name: job.module.name, version: job.module.version, file: job.module.file },
    jobFile: job.jobFile,
    settings: SETTING_NAMES.map((name) => ({
      key: SETTING_KEYS[name],
      value: formatSetting(name, job.settings[name]),
      source: String(job.settingSources[name]),
    })),
    inputs: job.inputs,
    parameters: Object.fromEntries(Object.entries(job.parameters).map(([k, v]) => [k, v === null ? '(unset)' : String(v)])),
    outputs: job.outputs,
    command: shellJoin(entryCommand(job, job.settings.python)),
    interpreter: job.settings.python,
    workingDir: job.module.sourceDir,
    backend: runJson.backend === undefined ? 'local' : runJson.backend.url,
    minibatchVersion: runJson.minibatchVersion,
  };
}
