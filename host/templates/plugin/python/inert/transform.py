class Transform(exports.Transform):
    def transform(self, ctx, kind, definition):
        return definition
