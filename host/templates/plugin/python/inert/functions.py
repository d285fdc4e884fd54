class Functions(exports.Functions):
    def declare(self, ctx):
        return []

    def call(self, ctx, name, args):
        raise Err(f"no function {name}")
