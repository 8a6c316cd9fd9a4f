// Which Ingresses are nodemesh's. An Ingress names its class in
// spec.ingressClassName (or the older kubernetes.io/ingress.class
// annotation); without one it belongs to the IngressClass marked default.
// A class is nodemesh's when its IngressClass has controller
// nodemesh.io/ingress-controller — or, when no IngressClass of that name
// exists (file mode rarely has one), when it is the configured class name
// (default "nodemesh"). Everything else belongs to another controller and is
// left alone without a word.
import type { ConfigError } from '../../../../crds/src/errors.js';
import { DEFAULT_INGRESS_CLASS_ANNOTATION, LEGACY_INGRESS_CLASS_ANNOTATION } from '../../../../crds/src/ingress.js';
import type { IngressClassObject, IngressObject } from '../../../../crds/src/resources.js';
import { objectError } from '../kubernetes/source.js';

export const INGRESS_CONTROLLER = 'nodemesh.io/ingress-controller';
export const DEFAULT_INGRESS_CLASS = 'nodemesh';

export interface ClassIndex {
  /** Does this Ingress belong to nodemesh? */
  ours(ing: IngressObject): boolean;
  /** nodemesh's IngressClass objects, by name. */
  classes: IngressClassObject[];
}

function byName<T extends { metadata: { name: string } }>(objects: readonly T[]): T[] {
  return [...objects].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0));
}

export function indexClasses(classes: readonly IngressClassObject[], className: string, errors: ConfigError[]): ClassIndex {
  const byNameMap = new Map(classes.map((c) => [c.metadata.name, c]));
  const mine = byName(classes).filter((c) => c.spec.controller === INGRESS_CONTROLLER);
  for (const c of mine) {
    if (c.spec.parameters !== undefined) errors.push(objectError(c, 'spec.parameters', 'nodemesh reads no IngressClass parameters; they are ignored', 'warning'));
  }
  const defaults = byName(classes).filter((c) => c.metadata.annotations[DEFAULT_INGRESS_CLASS_ANNOTATION] === 'true');
  const ourDefaults = defaults.filter((c) => c.spec.controller === INGRESS_CONTROLLER);
  // Like the API server's admission plugin: several default classes leave a
  // class-less Ingress without a class, so nobody serves it.
  const defaultIsOurs = ourDefaults.length > 0 && ourDefaults.length === defaults.length;
  if (ourDefaults.length > 0 && !defaultIsOurs) {
    for (const c of ourDefaults) {
      errors.push(
        objectError(c, `metadata.annotations["${DEFAULT_INGRESS_CLASS_ANNOTATION}"]`, `IngressClasses ${defaults.map((d) => d.metadata.name).join(', ')} are all marked default; Ingresses without a class are not served by nodemesh`, 'warning'),
      );
    }
  }
  return {
    classes: mine,
    ours(ing) {
      const name = ing.spec.ingressClassName || ing.metadata.annotations[LEGACY_INGRESS_CLASS_ANNOTATION] || undefined;
      if (name === undefined) return defaultIsOurs;
      const cls = byNameMap.get(name);
      return cls !== undefined ? cls.spec.controller === INGRESS_CONTROLLER : name === className;
    },
  };
}
