import { formatConfigError, type ConfigError } from '../../crds/src/errors.js';
import { validateModel } from '../../xds-server/src/model/validate.js';
import { loadDirectory } from '../../xds-server/src/provider/file/index.js';
import { translateResources } from '../../xds-server/src/translate/kubernetes/index.js';
import { translateAuthPolicies } from '../../xds-server/src/translate/auth/index.js';

/**
 * Runs the same parsing, validation and translation as the xds-server, and
 * prints every problem. Exit code 1 when any error (not warning) is found.
 */
export async function runValidate(dir: string, flags: { trustDomain: string; clusterDomain: string }): Promise<void> {
  const loaded = await loadDirectory(dir);
  const { model, errors } = translateResources(loaded.resources, flags);
  // Auth policies (NetworkPolicy nodemesh.io/mtls annotation, MeshPolicy): what the node auth agents apply.
  const auth = translateAuthPolicies(loaded.resources, model);
  model.authPolicies = auth.authPolicies;
  const all: ConfigError[] = [...loaded.errors, ...errors, ...auth.errors];
  for (const e of all) console.log(formatConfigError(e));
  const modelErrors = validateModel(model);
  for (const e of modelErrors) {
    const src = e.source ? `${e.source.file ?? '<object>'}${e.source.index !== undefined ? `#${e.source.index}` : ''} ${e.source.kind} ${e.source.namespace}/${e.source.name}` : 'model';
    console.log(`error: ${src}: ${e.path}: ${e.message}`);
  }
  const errorCount = all.filter((e) => e.severity === 'error').length + modelErrors.length;
  const warnings = all.length - all.filter((e) => e.severity === 'error').length;
  console.log(`${dir}: ${model.services.length} services, ${errorCount} errors, ${warnings} warnings`);
  if (errorCount > 0) process.exitCode = 1;
}
