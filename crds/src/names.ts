// Kubernetes name and label syntax rules (k8s.io/apimachinery/pkg/util/validation),
// as functions returning the API server's reasons, so nodemesh rejects exactly
// what `kubectl apply` would reject. The patterns are exported because the
// Workload CRD manifest must carry the same ones (a test compares them).

export const DNS1123_LABEL_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
export const DNS1123_LABEL_MAX = 63;
export const DNS1123_SUBDOMAIN_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
export const DNS1123_SUBDOMAIN_MAX = 253;
export const DNS1035_LABEL_PATTERN = '^[a-z]([-a-z0-9]*[a-z0-9])?$';
const QUALIFIED_NAME_PART = '^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$';
const LABEL_VALUE_PATTERN = '^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$';
const IANA_SVC_NAME_MAX = 15;

const dns1123Label = new RegExp(DNS1123_LABEL_PATTERN);
const dns1123Subdomain = new RegExp(DNS1123_SUBDOMAIN_PATTERN);
const dns1035Label = new RegExp(DNS1035_LABEL_PATTERN);
const qualifiedNamePart = new RegExp(QUALIFIED_NAME_PART);
const labelValue = new RegExp(LABEL_VALUE_PATTERN);

function tooLong(max: number): string {
  return `must be no more than ${max} characters`;
}

/** RFC 1123 label: namespaces, port names, hostnames. */
export function dns1123LabelErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > DNS1123_LABEL_MAX) errs.push(tooLong(DNS1123_LABEL_MAX));
  if (!dns1123Label.test(value)) {
    errs.push(
      `invalid value ${JSON.stringify(value)}: a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (regex used for validation is '${DNS1123_LABEL_PATTERN}')`,
    );
  }
  return errs;
}

/** RFC 1123 subdomain: most object names, node names, service accounts. */
export function dns1123SubdomainErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > DNS1123_SUBDOMAIN_MAX) errs.push(tooLong(DNS1123_SUBDOMAIN_MAX));
  if (!dns1123Subdomain.test(value)) {
    errs.push(
      `invalid value ${JSON.stringify(value)}: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (regex used for validation is '${DNS1123_SUBDOMAIN_PATTERN}')`,
    );
  }
  return errs;
}

/** RFC 1035 label: Service names (they become DNS labels and env var prefixes, so they must start with a letter). */
export function dns1035LabelErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > DNS1123_LABEL_MAX) errs.push(tooLong(DNS1123_LABEL_MAX));
  if (!dns1035Label.test(value)) {
    errs.push(
      `invalid value ${JSON.stringify(value)}: a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (regex used for validation is '${DNS1035_LABEL_PATTERN}')`,
    );
  }
  return errs;
}

/** IANA_SVC_NAME (RFC 6335): container port names, and so named targetPorts. */
export function ianaSvcNameErrors(value: string): string[] {
  const errs: string[] = [];
  const bad = (why: string) => errs.push(`invalid port name ${JSON.stringify(value)}: ${why}`);
  if (value.length > IANA_SVC_NAME_MAX) bad(tooLong(IANA_SVC_NAME_MAX));
  if (!/^[-a-z0-9]+$/.test(value)) bad("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
  if (value.includes('--')) bad('must not contain consecutive hyphens');
  if (!/[a-z]/.test(value)) bad('must contain at least one letter (a-z)');
  if (value.startsWith('-') || value.endsWith('-')) bad('must not begin or end with a hyphen');
  return errs;
}

/** Qualified name ([prefix/]name): label and annotation keys, appProtocol. */
export function qualifiedNameErrors(value: string): string[] {
  const parts = value.split('/');
  let name = value;
  const errs: string[] = [];
  if (parts.length === 2) {
    const [prefix = '', rest = ''] = parts;
    name = rest;
    if (prefix.length === 0) errs.push(`invalid value ${JSON.stringify(value)}: prefix part must be non-empty`);
    else errs.push(...dns1123SubdomainErrors(prefix).map((m) => `prefix part ${m}`));
  } else if (parts.length > 2) {
    return [
      `invalid value ${JSON.stringify(value)}: a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character, with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  if (name.length === 0) errs.push(`invalid value ${JSON.stringify(value)}: name part must be non-empty`);
  else if (name.length > DNS1123_LABEL_MAX) errs.push(`name part ${tooLong(DNS1123_LABEL_MAX)}`);
  if (name.length > 0 && !qualifiedNamePart.test(name)) {
    errs.push(
      `invalid value ${JSON.stringify(value)}: name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (regex used for validation is '${QUALIFIED_NAME_PART}')`,
    );
  }
  return errs;
}

/** Label values: empty, or a qualified-name-like string of at most 63 characters. */
export function labelValueErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > DNS1123_LABEL_MAX) errs.push(tooLong(DNS1123_LABEL_MAX));
  if (!labelValue.test(value)) {
    errs.push(
      `invalid value ${JSON.stringify(value)}: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (regex used for validation is '${LABEL_VALUE_PATTERN}')`,
    );
  }
  return errs;
}
