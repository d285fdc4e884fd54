export const notify = {
  notify(ctx, event) {},
};
