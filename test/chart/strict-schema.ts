/**
 * Validates rendered objects against the Kubernetes OpenAPI schemas that kubernetes-models compiles,
 * with unknown fields as errors. kubernetes-models' own validate() checks types, enums and required
 * fields, but its compiled schemas carry no `additionalProperties: false`: a misspelt field
 * (`readOnlyRootFileSystem`) passes it, and the API server then drops the field with a mere warning,
 * so a security setting would silently not apply. (The validators read every property their schema
 * declares, and enumerate the keys of a map: a key of an object that was neither read nor enumerated
 * is one the schema does not know.)
 */
import { Deployment } from 'kubernetes-models/apps/v1';
import { CronJob } from 'kubernetes-models/batch/v1';
import { ClusterRoleBinding, Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { Service, ServiceAccount } from 'kubernetes-models/v1';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';

interface ModelClass {
  readonly prototype: { validate(): void };
}

/** The kinds this chart renders; another kind fails until it is added here. */
const models: Readonly<Record<string, ModelClass>> = {
  'v1/ServiceAccount': ServiceAccount,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'batch/v1/CronJob': CronJob,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': ClusterRoleBinding,
  'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
};

interface Visit {
  readonly path: string;
  readonly read: Set<string>;
  /** A map (labels, resources.limits): every key is the schema's. */
  enumerated: boolean;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A view of `value` that records, per object, which keys the validator read or enumerated. */
function watched(value: object, path: string, visits: Map<object, Visit>): object {
  let visit = visits.get(value);
  if (visit === undefined) {
    visit = { path, read: new Set(), enumerated: false };
    visits.set(value, visit);
  }
  const record = visit;
  return new Proxy(value, {
    get(target, key, receiver) {
      const child: unknown = Reflect.get(target, key, receiver);
      if (typeof key !== 'string') return child;
      record.read.add(key);
      return typeof child === 'object' && child !== null ? watched(child, `${path}/${key}`, visits) : child;
    },
    ownKeys(target) {
      record.enumerated = true;
      return Reflect.ownKeys(target);
    },
  });
}

function unknownFields(value: unknown, visits: Map<object, Visit>): string[] {
  if (Array.isArray(value)) return value.flatMap((item) => unknownFields(item, visits));
  if (!isPlainObject(value)) return [];
  const visit = visits.get(value);
  // Never looked into: a free-form field (RawExtension, preserve-unknown-fields) the schema cannot judge.
  if (visit === undefined) return [];
  const own = visit.enumerated
    ? []
    : Object.keys(value)
        .filter((key) => !visit.read.has(key))
        .map((key) => `${visit.path}/${key}`);
  return [...own, ...Object.values(value).flatMap((child) => unknownFields(child, visits))];
}

/** Throws, naming every problem, unless `object` is a valid object of a kind the chart renders. */
export function validateStrictly(object: unknown): void {
  if (!isPlainObject(object)) throw new Error(`not an object: ${JSON.stringify(object)}`);
  const { apiVersion, kind } = object;
  const name = `${String(apiVersion)}/${String(kind)}`;
  const model = models[name];
  if (model === undefined)
    throw new Error(`no schema for ${name}: add its kubernetes-models class to test/chart/strict-schema.ts`);
  const visits = new Map<object, Visit>();
  model.prototype.validate.call(watched(object, '', visits));
  const unknown = unknownFields(object, visits);
  if (unknown.length > 0) throw new Error(`${name}: unknown field(s) ${unknown.join(', ')}`);
}
