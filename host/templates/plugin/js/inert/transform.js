export const transform = {
  transform(ctx, kind, definition) {
    return definition;
  },
};
