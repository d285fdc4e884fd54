class Notify(exports.Notify):
    def notify(self, ctx, event):
        return None
