// Passes every stage unless the entry's config says `block: REASON`.
export const gate = {
  check(ctx, stage, state) {
    const config = JSON.parse(ctx.pluginConfig || '{}');
    if (config.block) {
      return { tag: 'fail', val: String(config.block) };
    }
    log('info', `${stage}: pass`);
    return { tag: 'pass' };
  },
};
