// A deploy-notification plugin in JavaScript: on the chosen lifecycle events it POSTs a JSON
// record of the event to a webhook, with fetch(), which ristretto sends for the plugin and lets
// out only to the hosts in the entry's `allow.http`.
//
// Config (the plugin entry's `config:`):
//   url:    the webhook (its host must be in allow.http)
//   events: the event kinds to send (default: deploy-succeeded, deploy-failed, rolled-back)
import { write as log } from 'ristretto:plugin/log@0.2.0';

const DEFAULT_EVENTS = ['deploy-succeeded', 'deploy-failed', 'rolled-back'];

export function info() {
  return {
    name: 'js-notify',
    version: '0.1.0',
    sdkVersion: '',
    description: 'lifecycle events to a webhook as JSON (JavaScript)',
    capabilities: ['notify'],
  };
}

export const notify = {
  async notify(ctx, event) {
    const config = JSON.parse(ctx.pluginConfig || '{}');
    if (typeof config.url !== 'string') {
      throw 'config.url (the webhook) is missing';
    }
    const wanted = Array.isArray(config.events) ? config.events : DEFAULT_EVENTS;
    if (!wanted.includes(event.kind)) {
      return;
    }
    const record = {
      event: event.kind,
      message: event.message,
      cluster: ctx.cluster,
      service: ctx.service,
      taskDefinition: event.taskDefinition ?? null,
      elapsedMs: Number(event.elapsedMs),
      details: JSON.parse(event.details || '{}'),
    };
    let response;
    try {
      response = await fetch(config.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(record),
      });
    } catch (error) {
      throw `cannot reach ${config.url}: ${error}`;
    }
    if (!response.ok) {
      throw `${config.url} answered ${response.status}: ${(await response.text()).slice(0, 200)}`;
    }
    log('debug', `sent ${event.kind} to ${config.url}`);
  },
};

// The world exports every hook; ristretto calls only those listed in `capabilities`.
export const transform = {
  transform(ctx, kind, definition) {
    return definition;
  },
};

export const functions = {
  declare(ctx) {
    return [];
  },
  call(ctx, name, args) {
    throw `no function ${name}`;
  },
};

export const gate = {
  check(ctx, stage, state) {
    return { tag: 'pass' };
  },
};
