// Writes every lifecycle event to ristretto's log.
export const notify = {
  notify(ctx, event) {
    log('info', `${ctx.cluster}/${ctx.service} ${event.kind}: ${event.message}`);
  },
};
