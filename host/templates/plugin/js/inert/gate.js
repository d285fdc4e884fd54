export const gate = {
  check(ctx, stage, state) {
    return { tag: 'pass' };
  },
};
