class Functions(exports.Functions):
    """`greet(name)`: `{{ greet "world" }}` in Go templates (plus the entry's `func_prefix`)."""

    def declare(self, ctx):
        return [types.FunctionDecl(name="greet", params=["name"], required=1)]

    def call(self, ctx, name, args):
        if name != "greet":
            raise Err(f"no function {name}")
        who = json.loads(args[0]) if args else None
        if not isinstance(who, str):
            raise Err("greet needs a name")
        return json.dumps(f"hello, {who}")
