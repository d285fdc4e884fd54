// `greet(name)`: `{{ greet "world" }}` in Go templates (plus the entry's `func_prefix`).
export const functions = {
  declare(ctx) {
    return [{ name: 'greet', params: ['name'], required: 1 }];
  },
  call(ctx, name, args) {
    if (name !== 'greet') {
      throw `no function ${name}`;
    }
    const who = args.length > 0 ? JSON.parse(args[0]) : null;
    if (typeof who !== 'string') {
      throw 'greet needs a name';
    }
    return JSON.stringify(`hello, ${who}`);
  },
};
