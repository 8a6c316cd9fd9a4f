// The file provider: configuration from a directory of Kubernetes-style YAML.
export { FileProvider } from './provider.js';
export type { FileProviderOptions, ProviderState } from './provider.js';
export { loadDirectory, toResources, resourcesDigest } from './load.js';
export type { LoadResult } from './load.js';
export type { AcceptedObject } from './resolve.js';
export { parseFileText } from './documents.js';
export type { DocumentResult } from './documents.js';
export { STATUS_FILE } from './list.js';
