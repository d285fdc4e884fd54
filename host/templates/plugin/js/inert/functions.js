export const functions = {
  declare(ctx) {
    return [];
  },
  call(ctx, name, args) {
    throw `no function ${name}`;
  },
};
