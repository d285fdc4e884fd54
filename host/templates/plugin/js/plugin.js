// {{name}}: a ristretto plugin ({{hook}}) in JavaScript, built with componentize-js.
//
// ristretto calls only the hooks listed in `capabilities`; the world exports all four, so the
// others are inert. fetch() sends HTTP requests through ristretto (grant the hosts in the
// plugin entry's `allow.http`); a hook may be `async` to await it.
import { write as log } from 'ristretto:plugin/log@0.2.0';

export function info() {
  return {
    name: '{{name}}',
    version: '0.1.0',
    sdkVersion: '',
    description: '{{name}} ({{hook}})',
    capabilities: ['{{hook}}'],
  };
}
{{hooks}}
